// A libvirt call made for a placement that does not answer within the deadline
// (libvirt.callTimeoutSeconds, here withDeadline's ms): the placement is answered 503
// host-timeout with Retry-After at the deadline, nothing is undone (the call runs on and
// may still complete), the reservation stays charged with its creation as recorded, the
// reconciler leaves it alone while the call runs and settles it after. The slow call is
// a real test-driver call held back by a gate.
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import t from 'tap';
import { withDeadline } from '../../core/host/deadline.js';
import { decorateCalls, type HostCall } from '../../core/host/decorate.js';
import { openHost } from '../../core/host/libvirt-host.js';
import type { HostAdapter } from '../../core/host/types.js';
import { call, startHostHarness, TEMPLATES } from './helpers.js';

const HOST_XML = fileURLToPath(new URL('./fixtures/host.xml', import.meta.url));
const URI = `test://${HOST_XML}`;
const DEADLINE_MS = 300;

/** `host` whose `held` call waits for open() before it is made (a libvirtd that does not answer yet). */
function gated(host: HostAdapter, held: HostCall) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let reached!: () => void;
  const entered = new Promise<void>((resolve) => (reached = resolve));
  const wrapped = decorateCalls(host, (name, run) => {
    if (name !== held) return run();
    reached();
    return gate.then(run);
  });
  return { host: wrapped, open: () => open(), entered };
}

function row(dbPath: string) {
  const db = new Database(dbPath, { readonly: true });
  const r = db.prepare('SELECT id, state, creation FROM reservations ORDER BY created_at DESC LIMIT 1').get() as { id: string; state: string; creation: string };
  db.close();
  return r;
}

const body = (name: string) => ({ tenant: 'acme', app: 'web', priority: 'gold', vcpus: 2, memoryMiB: 1024, template: 'small', image: 'debian-12.qcow2', name });

for (const [held, expected] of [['define', 'remove'], ['start', 'bind']] as const) {
  t.test(`${held} does not answer in time: 503 at the deadline, left to the reconciler, which ${expected}s once it ended`, async (t) => {
    const real = await openHost(URI);
    const g = gated(real, held);
    const h = await startHostHarness(t, withDeadline(g.host, DEADLINE_MS), { config: { templates: TEMPLATES } });
    const s = { socket: h.socket };
    const name = `slow-${held}`;

    const began = Date.now();
    const placed = await call(s, 'POST', '/v1/placements', { body: body(name), key: `slow-key-${held}-0001` });
    const took = Date.now() - began;
    t.equal(placed.status, 503, placed.text);
    t.match(placed.headers['content-type'], /application\/problem\+json/);
    t.match(placed.json, { type: /host-timeout$/, status: 503, operation: held });
    t.notMatch(placed.json.detail, /\/|xml/i, 'no host paths or XML in the answer');
    t.ok(Number(placed.headers['retry-after']) >= 1, 'Retry-After');
    t.ok(took >= DEADLINE_MS && took < DEADLINE_MS + 2000, `answered at the deadline (${took} ms)`);

    // nothing undone, still charged: the call may yet complete
    const r = row(h.dbPath);
    t.match(r, { state: 'reserved', creation: held === 'define' ? 'volume' : 'defined' });
    t.ok(await real.lookupStorageVolume('images', `${name}-root.qcow2`), 'the root volume is kept');

    // while the call runs the reconciler leaves the creation alone
    const early = await call(s, 'POST', '/v1/reconcile', { body: { apply: true } });
    t.equal(early.status, 200, early.text);
    t.notOk(JSON.stringify(early.json).includes(r.id), 'no action on a creation whose call still runs');
    t.match(row(h.dbPath), { state: 'reserved' });

    // libvirt answers at last; the next pass settles the creation
    g.open();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const pass = await call(s, 'POST', '/v1/reconcile', { body: { apply: true } });
    t.equal(pass.status, 200, pass.text);
    t.ok(JSON.stringify(pass.json).includes(r.id), 'the reconciler acted on it');
    if (expected === 'remove') {
      t.match(row(h.dbPath), { state: 'released', creation: 'failed' }, 'released: the capacity is free again');
      await t.rejects(real.lookup(name), { codeName: 'VIR_ERR_NO_DOMAIN' }, 'the domain the late define made is removed');
      await t.rejects(real.lookupStorageVolume('images', `${name}-root.qcow2`), { codeName: 'VIR_ERR_NO_STORAGE_VOL' }, 'and its root volume');
    } else {
      t.match(row(h.dbPath), { state: 'bound', creation: 'done' }, 'the domain the late start ran is bound');
      t.equal((await real.lookup(name)).state, 'running');
      const retried = await call(s, 'POST', '/v1/placements', { body: body(name), key: `slow-key-${held}-0001` });
      t.equal(retried.status, 201, 'a retry with the same key gets the placement');
      t.equal(retried.json.domain, name);
    }
  });
}
