// A creation cut off at each of its steps. VIRTZONE_FAILPOINTS freezes the first "daemon"
// right after the step (core/failpoint.ts: the e2e kills -9 a real daemon there); closing
// it and opening a second one on the same database and host is the state a crash
// leaves. The second one's reconciler pass (the daemon runs one before it listens) must
// leave no tagged domain without its reservation, no reservation without its domain, no
// running guest destroyed — and the retried request must get a consistent answer.
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import t from 'tap';
import { openHost, type LibvirtHost } from '../../core/host/libvirt-host.js';
import type { HostAdapter } from '../../core/host/types.js';
import { parseZoneMetadata } from '../../core/host/metadata.js';
import { call, closeAgents, removeDir, startHarness, startHostHarness, TEMPLATES } from './helpers.js';

const HOST_XML = fileURLToPath(new URL('./fixtures/host.xml', import.meta.url));
const URI = `test://${HOST_XML}`;
const body = { tenant: 'acme', app: 'web', priority: 'gold', vcpus: 2, memoryMiB: 1024, template: 'small', image: 'debian-12.qcow2', name: 'vm-cut' };

/** Each failpoint, the step the intent records when it is reached, and whether the guest ran. */
const STEPS = [
  { failpoint: 'create.after-intent', creation: 'intent', ran: false },
  { failpoint: 'create.after-volume', creation: 'volume', ran: false },
  { failpoint: 'create.after-define', creation: 'defined', ran: false },
  { failpoint: 'create.after-start', creation: 'started', ran: true },
  { failpoint: 'create.before-answer', creation: 'done', ran: true },
] as const;

interface Row {
  id: string;
  state: string;
  domain: string | null;
  creation: string | null;
  response: string | null;
}
function rows(dbPath: string): Row[] {
  const db = new Database(dbPath, { readonly: true });
  const r = db.prepare('SELECT id, state, domain, creation, response FROM reservations ORDER BY created_at, id').all() as Row[];
  db.close();
  return r;
}

/** Every tagged domain has its reservation (active, or fulfilled, bound to it); every active bound reservation has its domain. */
async function checkConsistent(t: Tap.Test, host: LibvirtHost, dbPath: string, what: string) {
  const byId = new Map(rows(dbPath).map((r) => [r.id, r]));
  const domains = await host.listDomains();
  for (const d of domains) {
    const meta = await host.getMetadata(d.name);
    const tagged = meta === null ? undefined : parseZoneMetadata(meta).reservation;
    if (tagged === undefined) continue;
    const r = byId.get(tagged);
    t.ok(r && r.domain === d.name && ['bound', 'fulfilled'].includes(r.state), `${what}: tagged domain ${d.name} has its reservation bound to it`);
  }
  for (const r of byId.values()) {
    if (r.state === 'bound') t.ok(domains.some((d) => d.name === r.domain), `${what}: bound reservation ${r.id} has its domain`);
    if (r.state === 'reserved') t.fail(`${what}: reservation ${r.id} still holds room for a creation that stopped`);
  }
}

for (const step of STEPS) {
  t.test(`cut off at ${step.failpoint}`, async (t) => {
    const host = await openHost(URI);
    process.env.VIRTZONE_FAILPOINTS = step.failpoint;
    const first = await startHarness({ host, config: { templates: TEMPLATES } });
    t.teardown(async () => {
      delete process.env.VIRTZONE_FAILPOINTS;
      await host.close();
      removeDir(first.dir);
      closeAgents();
    });
    const key = `cut-${step.creation}-key`;
    const cutOff = call({ socket: first.socket }, 'POST', '/v1/placements', { body, key }).catch((e: Error) => e);
    for (let i = 0; i < 500 && rows(first.dbPath)[0]?.creation !== step.creation; i++) await new Promise((r) => setTimeout(r, 10));
    t.equal(rows(first.dbPath)[0]?.creation, step.creation, 'frozen right after the step');
    const firstId = rows(first.dbPath)[0].id;
    const inProgress = await call({ socket: first.socket }, 'POST', '/v1/placements', { body, key });
    if (step.creation === 'done') t.equal(inProgress.status, 201, 'bound before the answer: the key already replays');
    else t.equal(inProgress.status, 409, 'while it is carried out, its key answers "in progress"');
    delete process.env.VIRTZONE_FAILPOINTS;
    await first.close(); // the "crash": the frozen request never answers
    closeAgents();
    void cutOff;

    const domainBefore = (await host.listDomains()).find((d) => d.name === 'vm-cut');
    t.equal(domainBefore?.state === 'running', step.ran, step.ran ? 'the guest runs' : 'no guest runs');

    const second = await startHarness({ host, dir: first.dir, config: { templates: TEMPLATES } });
    const s = { socket: second.socket };
    const dry = await call(s, 'POST', '/v1/reconcile', { body: {} });
    t.equal(dry.status, 200);
    const expected = step.creation === 'done' ? [] : [step.ran ? 'bind' : 'remove'];
    t.same(dry.json.actions.map((a: { kind: string }) => a.kind), expected, 'the dry run shows what the pass will do');
    t.ok(dry.json.actions.every((a: { result: string }) => a.result === 'planned'));
    t.equal(rows(first.dbPath).find((r) => r.id === firstId)?.creation, step.creation, 'a dry run changes nothing');
    const pass = await call(s, 'POST', '/v1/reconcile', { body: { apply: true } });
    t.same(pass.json.actions.map((a: { result: string }) => a.result), expected.map(() => 'applied'));
    await checkConsistent(t, host, first.dbPath, 'after the pass');
    if (step.ran) t.equal((await host.lookup('vm-cut')).state, 'running', 'the running guest was not destroyed');
    else {
      t.notOk((await host.listDomains()).some((d) => d.name === 'vm-cut'), 'the domain that never ran was removed');
      t.notOk((await host.listStorageVolumes('images')).some((v) => v.name === 'vm-cut-root.qcow2'), 'with its root volume');
    }
    t.match(second.audit.list({ actor: 'reconciler' }).map((a) => [a.action, a.result]), expected.map((k) => [`reconcile-${k}`, 'ok']), 'audited');

    const retry = await call(s, 'POST', '/v1/placements', { body, key });
    t.equal(retry.status, 201, `the retry is answered: ${retry.text}`);
    t.equal(retry.json.domain, 'vm-cut');
    if (step.ran) t.equal(retry.json.reservationId, firstId, 'the guest came up: the retry gets the first reservation');
    else t.not(retry.json.reservationId, firstId, 'nothing ran: the retry placed afresh');
    t.equal((await host.lookup('vm-cut')).state, 'running');
    const again = await call(s, 'POST', '/v1/placements', { body, key });
    t.same(again.json, retry.json, 'and the key replays that answer from now on');
    t.same(rows(first.dbPath).filter((r) => r.state === 'bound').length, 1, 'one active reservation for the one domain');
    t.equal((await host.listStorageVolumes('images')).filter((v) => v.name === 'vm-cut-root.qcow2').length, 1, 'one root volume');
    await checkConsistent(t, host, first.dbPath, 'after the retry');
    await second.close();
  });
}

t.test('the reconciler releases a bound reservation whose domain vanished, and reports a foreign tag', async (t) => {
  const host = await openHost(URI);
  const h = await startHostHarness(t, host, { config: { templates: TEMPLATES } });
  const s = { socket: h.socket };
  const placed = await call(s, 'POST', '/v1/placements', { body, key: 'vanish-key-0001' });
  t.equal(placed.status, 201);
  // someone removes the VM behind the daemon's back
  await host.destroy('vm-cut');
  await host.undefine('vm-cut');
  // and someone tags a VM with a reservation that was never its own
  await host.setMetadata('existing-vm', '<zone class="gold" reservation="0190aaaa-0000-7000-8000-000000000000"/>', { live: true, config: true });
  const dry = await call(s, 'POST', '/v1/reconcile');
  t.same(
    dry.json.actions.map((a: { kind: string; domain: string }) => [a.kind, a.domain]),
    [
      ['release', 'vm-cut'],
      ['report', 'existing-vm'],
    ],
  );
  const pass = await call(s, 'POST', '/v1/reconcile', { body: { apply: true } });
  t.same(pass.json.actions.map((a: { result: string }) => a.result), ['applied', 'reported']);
  t.match((await call(s, 'GET', `/v1/placements/${placed.json.reservationId}`)).json, { state: 'released' });
  t.equal((await host.lookup('existing-vm')).state, 'running', 'a reported guest is left as it is');
  t.match(h.audit.list({ actor: 'reconciler' }).map((a) => [a.action, a.vm, a.result]).sort(), [
    ['reconcile-release', 'vm-cut', 'ok'],
    ['reconcile-report', 'existing-vm', 'skipped'],
  ]);
});

t.test('a creation that finishes while a reconciler pass lists the host is left alone', async (t) => {
  const real = await openHost(URI);
  // the pass's host listing is taken, then held until a whole placement has finished
  let hold: Promise<void> | null = null;
  let listed!: () => void;
  const listing = new Promise<void>((r) => (listed = r));
  const slowList: HostAdapter = Object.create(real, {
    listDomains: {
      value: async () => {
        const snapshot = await real.listDomains();
        if (hold) {
          listed();
          await hold;
        }
        return snapshot;
      },
    },
  });
  const h = await startHostHarness(t, slowList, { config: { templates: TEMPLATES } });
  const s = { socket: h.socket };
  let release!: () => void;
  hold = new Promise<void>((r) => (release = r));
  const pass = call(s, 'POST', '/v1/reconcile', { body: { apply: true } });
  await listing;
  hold = null;
  const placed = await call(s, 'POST', '/v1/placements', { body: { ...body, name: 'vm-race' }, key: 'race-key-00001' });
  t.equal(placed.status, 201, placed.text);
  release();
  const done = await pass;
  t.same(done.json.actions, [], 'the new domain, missing from the stale listing, is not taken for vanished');
  t.match((await call(s, 'GET', `/v1/placements/${placed.json.reservationId}`)).json, { state: 'bound', domain: 'vm-race' });
});
