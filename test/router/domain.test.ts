// Placements that create the domain, against libvirt's test driver through the real
// binding (core/host/libvirt-host.ts): partition set, tagged, started; on failure the
// domain is undone and the reservation released.
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import t from 'tap';
import { openHost } from '../../core/host/libvirt-host.js';
import { parseZoneMetadata } from '../../core/host/metadata.js';
import type { HostAdapter } from '../../core/host/types.js';
import { call, closeAgents, removeDir, startHarness } from './helpers.js';

const HOST_XML = fileURLToPath(new URL('./fixtures/host.xml', import.meta.url));
const URI = `test://${HOST_XML}`;
const domainXml = (name: string, extra = '') =>
  `<domain type="test"><name>${name}</name><memory unit="KiB">524288</memory><vcpu>1</vcpu><os><type arch="x86_64">hvm</type></os>${extra}</domain>`;
const body = (name: string, xml = domainXml(name)) => ({ tenant: 'acme', app: 'web', priority: 'gold', vcpus: 1, memoryMiB: 512, domainXml: xml });

t.test('domainXml placements through libvirt', async (t) => {
  const host = await openHost(URI);
  const h = await startHarness({ host });
  t.teardown(async () => {
    await host.close();
    removeDir(h.dir);
  });
  const s = { socket: h.socket };
  const names = async () => (await host.listDomains()).map((d) => d.name).sort();

  // a <resource><partition> the caller wrote is replaced by the zone's
  const placed = await call(s, 'POST', '/v1/placements', {
    body: body('vm-a', domainXml('vm-a', '<resource><partition>/machine/elsewhere</partition></resource>')),
    key: 'domain-key-0001',
  });
  t.equal(placed.status, 201, placed.text);
  t.match(placed.json, { decision: 'placed', zone: 'gold', domain: 'vm-a', partition: '/machine/virtzone-gold' });
  const info = await host.lookup('vm-a');
  t.equal(info.state, 'running', 'started');
  t.match(await host.getXml('vm-a'), /<partition>\/machine\/virtzone-gold<\/partition>/);
  t.notMatch(await host.getXml('vm-a'), /elsewhere/);
  t.same(parseZoneMetadata((await host.getMetadata('vm-a', { config: true }))!), {
    class: 'gold',
    tenant: 'acme',
    app: 'web',
    reservation: placed.json.reservationId,
  });
  const r = await call(s, 'GET', `/v1/placements/${placed.json.reservationId}`);
  t.match(r.json, { state: 'bound', domain: 'vm-a', name: 'vm-a' });

  // the same key replays, defining nothing again
  const again = await call(s, 'POST', '/v1/placements', {
    body: body('vm-a', domainXml('vm-a', '<resource><partition>/machine/elsewhere</partition></resource>')),
    key: 'domain-key-0001',
  });
  t.same(again.json, placed.json);
  t.same(await names(), ['existing-vm', 'vm-a']);

  const dbRows = () => {
    const db = new Database(h.dbPath, { readonly: true });
    const rows = db.prepare('SELECT id, state FROM reservations ORDER BY created_at, id').all() as { id: string; state: string }[];
    db.close();
    return rows;
  };

  // an existing domain (by name or uuid) is never redefined
  const clash = await call(s, 'POST', '/v1/placements', { body: body('existing-vm'), key: 'domain-key-0002' });
  t.equal(clash.status, 409);
  t.equal(clash.json.field, 'domainXml');
  const uuidClash = await call(s, 'POST', '/v1/placements', {
    body: body('other', domainXml('other', '<uuid>11111111-2222-3333-4444-555555555555</uuid>')),
    key: 'domain-key-0003',
  });
  t.equal(uuidClash.status, 409);
  t.equal(dbRows().length, 1, 'nothing reserved for the clashes');
  const nameMismatch = await call(s, 'POST', '/v1/placements', { body: { ...body('vm-x'), name: 'vm-y' }, key: 'domain-key-0004' });
  t.equal(nameMismatch.status, 422);
  t.equal(nameMismatch.json.field, 'name');

  // libvirt rejects the XML (no <os><type>): 422, the reservation released, no domain left
  const invalid = await call(s, 'POST', '/v1/placements', {
    body: body('vm-bad', '<domain type="test"><name>vm-bad</name><memory>524288</memory></domain>'),
    key: 'domain-key-0005',
  });
  t.equal(invalid.status, 422);
  t.equal(invalid.json.field, 'domainXml');
  t.match(invalid.json.detail, /libvirt rejected/);
  t.same(await names(), ['existing-vm', 'vm-a']);
  t.same(dbRows().map((r) => r.state).sort(), ['bound', 'released']);
  t.same((await call(s, 'GET', '/v1/zones/gold')).json.reserved, { cpuCores: 1, memoryMiB: 512 });

  // confirm: the domain must exist, and it gets tagged
  const bare = await call(s, 'POST', '/v1/placements', { body: { tenant: 'acme', app: 'db', priority: 'silver', vcpus: 1, memoryMiB: 512 }, key: 'domain-key-0006' });
  const ghost = await call(s, 'POST', `/v1/placements/${bare.json.reservationId}/confirm`, { body: { domain: 'ghost' } });
  t.equal(ghost.status, 422);
  t.equal(ghost.json.field, 'domain');
  const bound = await call(s, 'POST', `/v1/placements/${bare.json.reservationId}/confirm`, { body: { domain: 'existing-vm' } });
  t.equal(bound.status, 200);
  t.same(parseZoneMetadata((await host.getMetadata('existing-vm', { config: true }))!), {
    class: 'silver',
    tenant: 'acme',
    app: 'db',
    reservation: bare.json.reservationId,
  });

  // /healthz with a live connection: 200 (no model yet: degraded, not failing)
  const health = await call(s, 'GET', '/healthz');
  t.equal(health.status, 200);
  t.match(health.json, { status: 'degraded', checks: { libvirt: { ok: true }, store: { ok: true } } });
  await h.close();
  closeAgents();
});

t.test('a failed start undoes the definition and releases the reservation', async (t) => {
  const real = await openHost(URI);
  // the real host, with one injected failure: start() refuses
  const failingStart: HostAdapter = Object.create(real, {
    start: { value: async (name: string) => Promise.reject(new Error(`injected: cannot start ${name}`)) },
  });
  const h = await startHarness({ host: failingStart });
  t.teardown(async () => {
    await real.close();
    removeDir(h.dir);
  });
  const s = { socket: h.socket };
  const r = await call(s, 'POST', '/v1/placements', { body: body('vm-b'), key: 'domain-fail-01' });
  t.equal(r.status, 502);
  t.match(r.json.detail, /start.*released/);
  t.same((await real.listDomains()).map((d) => d.name), ['existing-vm'], 'vm-b undefined again');
  const db = new Database(h.dbPath, { readonly: true });
  t.same(db.prepare('SELECT state, idempotency_key FROM reservations').all(), [{ state: 'released', idempotency_key: null }], 'released, and the key forgotten: a retry starts afresh');
  db.close();
  t.same((await call(s, 'GET', '/v1/zones/gold')).json.reserved, { cpuCores: 0, memoryMiB: 0 });
  await h.close();
  closeAgents();
});

t.test('a domainXml placement cut off by a daemon stop is settled when it is retried', async (t) => {
  // The first "daemon" hangs: "ran" after libvirt started the domain, "defined" before
  // the start, "untagged" before even the metadata was set. Closing it and opening a
  // second service on the same database is the state a crash leaves: a reservation
  // without an answer that nobody is creating.
  for (const stage of ['ran', 'defined', 'untagged'] as const) {
    const real = await openHost(URI);
    const never = () => new Promise<void>(() => undefined);
    const hanging: HostAdapter = Object.create(real, {
      start: {
        value: async (name: string) => {
          if (stage === 'ran') await real.start(name);
          return never();
        },
      },
      setMetadata: { value: async (...a: Parameters<HostAdapter['setMetadata']>) => (stage === 'untagged' ? never() : real.setMetadata(...a)) },
    });
    const first = await startHarness({ host: hanging });
    const key = `domain-cut-${stage}`;
    const req = call({ socket: first.socket }, 'POST', '/v1/placements', { body: body(`vm-${stage}`), key }).catch((e: Error) => e);
    // wait until the domain is defined and tagged, then "crash"
    for (let i = 0; i < 200 && !(await real.listDomains()).some((d) => d.name === `vm-${stage}` && (stage !== 'ran' || d.state === 'running')); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const stuck = await call({ socket: first.socket }, 'POST', '/v1/placements', { body: body(`vm-${stage}`), key });
    t.equal(stuck.status, 409, `${stage}: while the first request is being carried out, its key answers in progress`);
    await first.close();
    closeAgents(); // its keep-alive connections died with it
    void req; // cut off by the "crash"
    const second = await startHarness({ host: real, dir: first.dir });
    t.teardown(async () => {
      await real.close();
      removeDir(first.dir);
    });
    const db = new Database(first.dbPath, { readonly: true });
    const cut = db.prepare('SELECT id, state, response FROM reservations WHERE idempotency_key = ?').get(key) as { id: string; state: string; response: string | null };
    db.close();
    t.match(cut, { state: 'reserved', response: null }, `${stage}: the crash left a reservation without an answer`);
    const retry = await call({ socket: second.socket }, 'POST', '/v1/placements', { body: body(`vm-${stage}`), key });
    t.equal(retry.status, 201, `${stage}: the retry is answered, not told "in progress" for ever`);
    t.equal(retry.json.domain, `vm-${stage}`);
    t.equal((await real.lookup(`vm-${stage}`)).state, 'running');
    if (stage === 'ran') t.equal(retry.json.reservationId, cut.id, 'the domain came up: it is bound to the first reservation');
    else t.not(retry.json.reservationId, cut.id, 'the domain never ran: removed, released, and placed afresh');
    const again = await call({ socket: second.socket }, 'POST', '/v1/placements', { body: body(`vm-${stage}`), key });
    t.same(again.json, retry.json, 'and the key replays that answer from now on');
    const rows = new Database(first.dbPath, { readonly: true });
    t.same(rows.prepare("SELECT state FROM reservations WHERE state IN ('reserved', 'bound')").all(), [{ state: 'bound' }], 'one active reservation for the one domain');
    rows.close();
    await second.close();
  }
  closeAgents();
});
