// Who may do what: every role against every endpoint (403 where it must, 2xx where it
// may), tenants and classes bound to a credential, own reservations only, tenant quotas
// (exact under 1,000 concurrent requests) and the per-credential rate limit.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import t from 'tap';
import { openHost } from '../../core/host/libvirt-host.js';
import type { Role } from '../../router/access/principal.js';
import { writeTokensFile } from '../fixtures/tokens.js';
import { call, closeAgents, removeDir, startHarness, startHostHarness, zone, type Harness } from './helpers.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const HOST_XML = fileURLToPath(new URL('./fixtures/host.xml', import.meta.url));
const URI = `test://${HOST_XML}`;

const TOKEN: Record<Role, string> = { read: 'read-token-0123456789', provision: 'provision-token-0123456789', admin: 'admin-token-0123456789' };
const RANK: Record<Role, number> = { read: 0, provision: 1, admin: 2 };

/** The least role of each endpoint. A new route fails the test until it is listed here. */
const NEEDS: Record<string, Role> = {
  'POST /v1/placements': 'provision',
  'GET /v1/placements/:id': 'read',
  'POST /v1/placements/:id/confirm': 'provision',
  'DELETE /v1/placements/:id': 'provision',
  'GET /v1/templates': 'read',
  'POST /v1/reconcile': 'admin',
  'GET /v1/zones': 'read',
  'GET /v1/zones/:zone': 'read',
  'GET /v1/vms': 'read',
  'GET /v1/forecasts/:series': 'read',
  'GET /v1/plan': 'read',
  'POST /v1/repartition': 'admin',
  'POST /v1/train': 'admin',
  'GET /v1/train': 'read',
  'GET /v1/mode': 'read',
  'POST /v1/mode': 'admin',
  'GET /v1/vms/:name/history': 'read',
  'GET /v1/series/:series/history': 'read',
  'GET /v1/vms/:name': 'read',
  'GET /v1/audit': 'read',
  'GET /healthz': 'read',
  'GET /metrics': 'read',
  'GET /v1/openapi.json': 'read',
  'GET /dashboard/': 'read',
  'GET /dashboard/app.js': 'read',
  'GET /dashboard/style.css': 'read',
  'GET /dashboard/uplot.js': 'read',
  'GET /dashboard/uplot.css': 'read',
};

const bearer = (role: Role) => ({ authorization: `Bearer ${TOKEN[role]}` });

t.test('every role against every endpoint', async (t) => {
  const host = await openHost(URI);
  const dir = mkdtempSync(join(tmpdir(), 'vz-roles-'));
  const tokenFile = writeTokensFile(join(dir, 'tokens.yaml'), (['read', 'provision', 'admin'] as Role[]).map((role) => ({ token: TOKEN[role], role, name: role })));
  const zones = [zone('gold', 0, 8, 16384, { vms: ['gold-web-01'] }), zone('silver', 1, 8, 16384), zone('bronze', 2, 8, 16384), zone('general', 3, 8, 16384)];
  const h = await startHostHarness(t, host, { dir, zones, config: { api: { listen: '127.0.0.1:0', tokenFile } } });
  const tcp = { tcp: h.listeners.tcp! };
  h.predictions.push({ series: 'class:gold', resource: 'cpu', horizon: '30m', origin: h.clock.now / 1000, peakLoad: 2, averageLoad: 1, trend: 0, distribution: { '0.95': 2 }, model: 'ets', confidence: 1 } as never);
  const listed = h.server.context.routes.map((r) => `${r.method} ${r.url}`).sort();
  t.same(listed, Object.keys(NEEDS).sort(), 'the table names every endpoint the API serves');

  let n = 0;
  const reservation = async () => {
    const r = await call(tcp, 'POST', '/v1/placements', { body: { tenant: 'acme', app: 'web', priority: 'silver', vcpus: 1, memoryMiB: 256 }, key: `roles-setup-${++n}`, headers: bearer('admin') });
    if (r.status !== 201) throw new Error(r.text);
    return r.json.reservationId as string;
  };
  let domains = 0;
  /** A domain as its creator defines it; `claimFor`: tagged for that reservation, as a provisioning caller must. */
  const defineDomain = async (claimFor?: string) => {
    const name = `roles-vm-${++domains}`;
    const tag = claimFor ? `<virtzone:zone xmlns:virtzone="https://virtzone.dev/xmlns/virtzone/1" class="silver" reservation="${claimFor}"/>` : '';
    await host.define(`<domain type="test"><name>${name}</name><metadata>${tag}</metadata><memory unit="MiB">256</memory><vcpu>1</vcpu><os><type arch="x86_64">hvm</type></os></domain>`);
    return name;
  };
  /** A request each endpoint carries out when the role may. */
  const requestFor = async (route: string, role: Role): Promise<{ method: string; path: string; body?: unknown; key?: string }> => {
    const [method] = route.split(' ');
    switch (route) {
      case 'POST /v1/placements':
        return { method, path: '/v1/placements', body: { tenant: 'acme', app: 'web', priority: 'bronze', vcpus: 1, memoryMiB: 256 }, key: `roles-${role}-place` };
      case 'GET /v1/placements/:id':
        return { method, path: `/v1/placements/${await reservation()}` };
      case 'POST /v1/placements/:id/confirm': {
        const id = await reservation();
        return { method, path: `/v1/placements/${id}/confirm`, body: { domain: await defineDomain(id) } };
      }
      case 'DELETE /v1/placements/:id':
        return { method, path: `/v1/placements/${await reservation()}` };
      case 'GET /v1/zones/:zone':
        return { method, path: '/v1/zones/gold' };
      case 'GET /v1/forecasts/:series':
        return { method, path: '/v1/forecasts/class:gold' };
      case 'GET /v1/vms/:name/history':
        return { method, path: '/v1/vms/gold-web-01/history' };
      case 'GET /v1/series/:series/history':
        return { method, path: '/v1/series/class:gold/history' };
      case 'GET /v1/vms/:name':
        return { method, path: '/v1/vms/gold-web-01' };
      case 'POST /v1/mode':
        return { method, path: '/v1/mode', body: { mode: 'observe', reason: `roles test as ${role}` } };
      case 'POST /v1/repartition':
      case 'POST /v1/train':
      case 'POST /v1/reconcile':
        return { method, path: route.split(' ')[1], body: {} };
      default:
        return { method, path: route.split(' ')[1] };
    }
  };

  for (const role of ['read', 'provision', 'admin'] as Role[]) {
    for (const [route, needed] of Object.entries(NEEDS)) {
      const req = await requestFor(route, role);
      const r = await call(tcp, req.method, req.path, { body: req.body, key: req.key, headers: bearer(role) });
      if (RANK[role] < RANK[needed]) {
        t.equal(r.status, 403, `${role} → ${route}: 403`);
        t.match(r.json, { type: /forbidden$/, needed, role }, `${role} → ${route}: the problem names the role needed`);
      } else {
        t.ok(r.status >= 200 && r.status < 300, `${role} → ${route}: ${r.status} ${r.status >= 300 ? r.text : ''}`);
      }
    }
  }
  t.equal((await call(tcp, 'GET', '/v1/zones', { headers: { authorization: 'Bearer not-a-token' } })).status, 401, 'an unknown token: 401');

  // a domain not defined for the reservation (any untagged VM on the host) cannot be pulled into a zone by naming it
  const id = await reservation();
  const operatorsVm = await defineDomain();
  const r = await call(tcp, 'POST', `/v1/placements/${id}/confirm`, { body: { domain: operatorsVm }, headers: bearer('provision') });
  t.equal(r.status, 403, 'provision may not confirm a domain that does not carry the reservation');
  t.match(r.json, { field: 'domain', detail: /does not carry reservation .*'s tag/ });
  t.equal(await host.getMetadata(operatorsVm), null, 'and it stays untagged');
  t.equal((await call(tcp, 'POST', `/v1/placements/${id}/confirm`, { body: { domain: operatorsVm }, headers: bearer('admin') })).status, 200, 'an admin may bind an existing domain');
});

t.test('a provisioning credential acts for its tenants, in its classes, on its own reservations', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-tenants-'));
  const tokenFile = writeTokensFile(join(dir, 'tokens.yaml'), [
    { token: 'acme-token-0123456789', role: 'provision', name: 'acme-ci', tenants: ['acme'], classes: ['silver', 'bronze'] },
    { token: 'globex-token-0123456789', role: 'provision', name: 'globex-ci', tenants: ['globex'] },
  ]);
  const h = await startHarness({ dir, config: { api: { listen: '127.0.0.1:0', tokenFile }, rules: [{ tenant: 'acme', app: 'critical', class: 'gold' }] } });
  t.teardown(async () => {
    await h.close();
    removeDir(dir);
    closeAgents();
  });
  const tcp = { tcp: h.listeners.tcp! };
  const acme = { authorization: 'Bearer acme-token-0123456789' };
  const globex = { authorization: 'Bearer globex-token-0123456789' };
  const place = (headers: Record<string, string>, body: Record<string, unknown>, key: string) =>
    call(tcp, 'POST', '/v1/placements', { body: { tenant: 'acme', app: 'web', vcpus: 1, memoryMiB: 256, ...body }, key, headers });

  let r = await place(acme, { tenant: 'globex', priority: 'silver' }, 'tenants-0001');
  t.equal(r.status, 403, 'another tenant: 403');
  t.match(r.json, { field: 'tenant', detail: /token:acme-ci may not place for tenant "globex"/ });
  r = await place(acme, { priority: 'gold' }, 'tenants-0002');
  t.equal(r.status, 403, 'a class above its own: 403');
  t.match(r.json, { field: 'priority', detail: /may not place in zone gold, which this request asks for/ });
  r = await place(acme, { app: 'critical' }, 'tenants-0003');
  t.equal(r.status, 403, 'a rule that maps it to gold does not open gold');
  t.match(r.json.detail, /maps \(rules\[0\]\) to/);
  r = await place(acme, {}, 'tenants-0004');
  t.equal(r.status, 403, 'nor does falling to general, which is not in its classes');
  r = await place(acme, { priority: 'silver' }, 'tenants-0005');
  t.equal(r.status, 201, r.text);
  const acmeId = r.json.reservationId;
  t.equal(new Database(h.dbPath, { readonly: true }).prepare('SELECT count(*) AS n FROM reservations').get()!.n, 1, 'nothing was reserved by the refused ones');

  // a refused request's key was never taken: a replay by another tenant answers nothing
  r = await place(globex, { priority: 'silver' }, 'tenants-0005');
  t.equal(r.status, 403, "another tenant's key replayed with its body: 403 before any replay");
  t.equal((await call(tcp, 'DELETE', `/v1/placements/${acmeId}`, { headers: globex })).status, 404, "another tenant's reservation cannot be released");
  t.equal((await call(tcp, 'POST', `/v1/placements/${acmeId}/confirm`, { body: { domain: 'x' }, headers: globex })).status, 404, 'nor confirmed');
  t.equal((await call(tcp, 'GET', `/v1/placements/${acmeId}`, { headers: globex })).status, 200, 'reading is the read role: any reservation');
  t.equal((await call(tcp, 'DELETE', `/v1/placements/${acmeId}`, { headers: acme })).json.state, 'released', 'its own: released');
});

t.test('tenant quotas: 429 naming the quota; exact under 1,000 concurrent requests', async (t) => {
  const big = [zone('gold', 0, 100_000, 100_000_000), zone('silver', 1, 100_000, 100_000_000), zone('bronze', 2, 100_000, 100_000_000), zone('general', 3, 100_000, 100_000_000)];
  const h: Harness = await startHarness({
    zones: big,
    config: { quotas: { default: { reservations: 37 }, tenants: { acme: { vcpus: 10, memoryMiB: 4096 } } }, api: { maxConnections: 4096 } },
  });
  t.teardown(async () => {
    await h.close();
    removeDir(h.dir);
    closeAgents();
  });
  const s = { socket: h.socket };
  const place = (tenant: string, vcpus: number, memoryMiB: number, key: string) =>
    call(s, 'POST', '/v1/placements', { body: { tenant, app: 'web', priority: 'silver', vcpus, memoryMiB }, key });

  t.equal((await place('acme', 4, 1024, 'quota-0001')).status, 201);
  const second = await place('acme', 4, 1024, 'quota-0002');
  t.equal(second.status, 201);
  let r = await place('acme', 4, 1024, 'quota-0003');
  t.equal(r.status, 429, 'a third 4 vCPUs is over the 10 vCPUs quota');
  t.match(r.json, { type: /quota-exceeded$/, quota: 'vcpus', limit: 10, held: 8, asked: 4, field: 'vcpus' });
  t.match(r.json.detail, /tenant "acme" holds 8 of its 10 vCPUs/);
  r = await place('acme', 2, 2049, 'quota-0004');
  t.match(r.json, { quota: 'memoryMiB', limit: 4096, held: 2048 }, 'memory is its own quota');
  t.equal((await place('acme', 2, 1024, 'quota-0005')).status, 201, 'what fits is placed');
  await call(s, 'DELETE', `/v1/placements/${second.json.reservationId}`);
  t.equal((await place('acme', 4, 1024, 'quota-0006')).status, 201, 'a release gives the room back');

  // 1,000 at once for a tenant that may hold 37 reservations: exactly 37 are placed
  const replies = await Promise.all(Array.from({ length: 1000 }, (_, i) => place('burst', 1, 64, `burst-${String(i).padStart(4, '0')}`)));
  const counts = new Map<number, number>();
  for (const x of replies) counts.set(x.status, (counts.get(x.status) ?? 0) + 1);
  t.same(Object.fromEntries(counts), { 201: 37, 429: 963 }, 'exactly the quota, never one more');
  t.ok(replies.filter((x) => x.status === 429).every((x) => x.json.quota === 'reservations'), 'every refusal names the reservations quota');
  const db = new Database(h.dbPath, { readonly: true });
  t.equal(db.prepare("SELECT count(*) AS n FROM reservations WHERE tenant = 'burst' AND state IN ('reserved', 'bound')").get()!.n, 37, 'and the database holds 37');
  db.close();
});

t.test('the rate limit is per credential; the host administrator is not limited', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-rate-'));
  const tokenFile = writeTokensFile(join(dir, 'tokens.yaml'), [
    { token: 'chatty-token-0123456789', role: 'read', name: 'chatty' },
    { token: 'quiet-token-0123456789', role: 'read', name: 'quiet' },
  ]);
  const h = await startHarness({ dir, config: { api: { listen: '127.0.0.1:0', tokenFile, rateLimit: { max: 5, windowSeconds: 60 } } } });
  t.teardown(async () => {
    await h.close();
    removeDir(dir);
    closeAgents();
  });
  const tcp = { tcp: h.listeners.tcp! };
  const chatty = { authorization: 'Bearer chatty-token-0123456789' };
  for (let i = 0; i < 5; i++) t.equal((await call(tcp, 'GET', '/v1/zones', { headers: chatty })).status, 200);
  const r = await call(tcp, 'GET', '/v1/zones', { headers: chatty });
  t.equal(r.status, 429, 'the sixth in the window: 429');
  t.match(r.json, { type: /rate-limited$/, limit: 5, windowSeconds: 60 });
  t.match(r.headers['content-type'], /application\/problem\+json/);
  t.ok(Number(r.headers['retry-after']) > 0, `Retry-After: ${r.headers['retry-after']}`);
  t.equal((await call(tcp, 'GET', '/v1/zones', { headers: { authorization: 'Bearer quiet-token-0123456789' } })).status, 200, 'another credential has its own count');
  for (let i = 0; i < 10; i++) t.equal((await call({ socket: h.socket }, 'GET', '/v1/zones')).status, 200, 'root on the Unix socket');
});

t.test('a reload swaps the tokens: a removed token stops working at once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-tokens-reload-'));
  const tokenFile = writeTokensFile(join(dir, 'tokens.yaml'), [{ token: 'old-token-0123456789', role: 'read' }]);
  const h = await startHarness({ dir, config: { api: { listen: '127.0.0.1:0', tokenFile } } });
  t.teardown(async () => {
    await h.close();
    removeDir(dir);
    closeAgents();
  });
  const tcp = { tcp: h.listeners.tcp! };
  const zones = (token: string) => call(tcp, 'GET', '/v1/zones', { headers: { authorization: `Bearer ${token}` } });
  t.equal((await zones('old-token-0123456789')).status, 200);
  writeTokensFile(tokenFile, [{ token: 'new-token-0123456789', role: 'read' }]);
  t.equal((await zones('old-token-0123456789')).status, 200, 'until the reload');
  h.server.refreshCredentials();
  t.equal((await zones('old-token-0123456789')).status, 401, 'after it: the old token is refused');
  t.equal((await zones('new-token-0123456789')).status, 200, 'the new one works');
  writeTokensFile(tokenFile, [{ token: 'x', role: 'read', classes: ['platinum'] }]);
  t.throws(() => h.server.refreshCredentials(), /platinum/, 'a bad file is refused');
  t.equal((await zones('new-token-0123456789')).status, 200, 'and the tokens in force stay');
});

t.test("a tenant's running VMs count to its quotas, not only its reservations", async (t) => {
  const zones = [zone('gold', 0, 64, 65536), zone('silver', 1, 64, 65536, { vms: ['acme-db', 'globex-web'] }), zone('bronze', 2, 64, 65536), zone('general', 3, 64, 65536)];
  const vms = [
    { name: 'acme-db', zone: 'silver', tenant: 'acme', vcpus: 6, memoryMiB: 2048 },
    { name: 'globex-web', zone: 'silver', tenant: 'globex', vcpus: 8, memoryMiB: 8192 },
    // tagged for acme but in no zone now (stopped, or gone): holds nothing
    { name: 'acme-old', zone: 'silver', tenant: 'acme', vcpus: 16, memoryMiB: 16384 },
  ];
  const h = await startHarness({ zones, vms, config: { quotas: { tenants: { acme: { vcpus: 10 } } } } });
  t.teardown(async () => {
    await h.close();
    removeDir(h.dir);
    closeAgents();
  });
  const place = (vcpus: number, key: string) => call({ socket: h.socket }, 'POST', '/v1/placements', { body: { tenant: 'acme', app: 'web', priority: 'silver', vcpus, memoryMiB: 256 }, key });
  t.equal((await place(4, 'running-0001')).status, 201, '6 running + 4 = the quota');
  const r = await place(1, 'running-0002');
  t.equal(r.status, 429, 'one more is over it');
  t.match(r.json, { quota: 'vcpus', held: 10, limit: 10 });
});
