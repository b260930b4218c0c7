// Table-driven: malformed requests over the real Unix socket (and loopback TCP for the
// token cases) each get a 4xx problem+json naming the field where there is one —
// never a 5xx — and leave the database exactly as it was.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { call, closeAgents, removeDir, startHarness, type Reply } from './helpers.js';
import { writeTokensFile } from '../fixtures/tokens.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const KEY = 'bad-input-key-1';
const ok = { tenant: 'acme', app: 'web', vcpus: 2, memoryMiB: 1024 };
const json = { 'content-type': 'application/json' };

interface Case {
  name: string;
  method?: string;
  path?: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  key?: string | null;
  tcp?: boolean;
  status: number;
  field?: string;
}

const post = (name: string, body: unknown, status: number, field?: string): Case => ({ name, body, status, field });

t.test('malformed requests', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-bad-'));
  const tokenFile = join(dir, 'token');
  writeTokensFile(tokenFile, [{ token: 's3cret-token-value', role: 'admin' }]);
  // raw domain XML on, so its cases reach the allow-list's parse (off, they are all 403)
  const h = await startHarness({ dir, config: { api: { listen: '127.0.0.1:0', tokenFile, bodyLimitBytes: 4096 }, provisioning: { rawDomainXml: true } } });
  t.teardown(() => removeDir(dir));
  const sock = { socket: h.socket };
  const tcp = { tcp: h.listeners.tcp! };

  // one real reservation first, so the id and key cases have something to collide with
  const first = await call(sock, 'POST', '/v1/placements', { body: ok, key: KEY });
  t.equal(first.status, 201);
  const id = first.json.reservationId as string;
  const unknownId = '3f1c2a4e-8b7d-4c6e-9a5b-0d1e2f3a4b5c';

  const cases: Case[] = [
    post('vcpus as a string', { ...ok, vcpus: '2' }, 400, 'vcpus'),
    post('vcpus fractional', { ...ok, vcpus: 1.5 }, 400, 'vcpus'),
    post('vcpus zero', { ...ok, vcpus: 0 }, 400, 'vcpus'),
    post('vcpus negative', { ...ok, vcpus: -4 }, 400, 'vcpus'),
    post('vcpus huge', { ...ok, vcpus: 1e12 }, 400, 'vcpus'),
    post('vcpus boolean', { ...ok, vcpus: true }, 400, 'vcpus'),
    post('memoryMiB negative', { ...ok, memoryMiB: -1 }, 400, 'memoryMiB'),
    post('memoryMiB huge', { ...ok, memoryMiB: 2 ** 53 }, 400, 'memoryMiB'),
    post('memoryMiB null', { ...ok, memoryMiB: null }, 400, 'memoryMiB'),
    post('memoryMiB array', { ...ok, memoryMiB: [1024] }, 400, 'memoryMiB'),
    post('missing tenant', { app: 'web', vcpus: 2, memoryMiB: 1024 }, 400, 'tenant'),
    post('missing app', { tenant: 'acme', vcpus: 2, memoryMiB: 1024 }, 400, 'app'),
    post('missing vcpus', { tenant: 'acme', app: 'web', memoryMiB: 1024 }, 400, 'vcpus'),
    post('missing memoryMiB', { tenant: 'acme', app: 'web', vcpus: 2 }, 400, 'memoryMiB'),
    post('an unknown field', { ...ok, color: 'blue' }, 400, 'color'),
    post('a misspelt field', { ...ok, memoryMib: 1024 }, 400, 'memoryMib'),
    post('tenant empty', { ...ok, tenant: '' }, 400, 'tenant'),
    post('tenant too long', { ...ok, tenant: 'a'.repeat(65) }, 400, 'tenant'),
    post('tenant with a slash', { ...ok, tenant: '../etc' }, 400, 'tenant'),
    post('tenant a number', { ...ok, tenant: 42 }, 400, 'tenant'),
    post('app an object', { ...ok, app: { name: 'web' } }, 400, 'app'),
    post('priority unknown', { ...ok, priority: 'platinum' }, 422, 'priority'),
    post('priority a number', { ...ok, priority: 1 }, 400, 'priority'),
    post('priority upper case', { ...ok, priority: 'Gold' }, 400, 'priority'),
    post('ttlSeconds zero', { ...ok, ttlSeconds: 0 }, 400, 'ttlSeconds'),
    post('ttlSeconds beyond a week', { ...ok, ttlSeconds: 604801 }, 400, 'ttlSeconds'),
    post('ttlSeconds as a string', { ...ok, ttlSeconds: '60' }, 400, 'ttlSeconds'),
    post('name with a space', { ...ok, name: 'my vm' }, 400, 'name'),
    post('template unknown', { ...ok, template: 'huge', image: 'x.qcow2' }, 422, 'template'),
    post('template upper case', { ...ok, template: 'Small' }, 400, 'template'),
    post('image a host path', { ...ok, template: 'small', image: '/dev/sda' }, 400, 'image'),
    post('image with ..', { ...ok, template: 'small', image: '../../etc/shadow' }, 400, 'image'),
    post('networks a string', { ...ok, template: 'small', image: 'x.qcow2', networks: 'default' }, 400, 'networks'),
    post('networks empty', { ...ok, template: 'small', image: 'x.qcow2', networks: [] }, 400, 'networks'),
    post('networks repeated', { ...ok, template: 'small', image: 'x.qcow2', networks: ['a', 'a'] }, 400, 'networks'),
    post('networks without a template', { ...ok, networks: ['default'] }, 422, 'networks'),
    post('domainXml empty', { ...ok, domainXml: '' }, 400, 'domainXml'),
    post('domainXml not XML', { ...ok, domainXml: 'just text' }, 422, 'domainXml'),
    post('domainXml with an external entity', { ...ok, domainXml: '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/shadow">]><domain><name>&x;</name></domain>' }, 422, 'domainXml'),
    post('domainXml of a network', { ...ok, domainXml: '<network><name>n</name></network>' }, 422, 'domainXml'),
    post('domainXml with two roots', { ...ok, domainXml: '<domain><name>a</name></domain><domain/>' }, 422, 'domainXml'),
    post('domainXml with no <name>', { ...ok, domainXml: '<domain type="test"/>' }, 422, 'domainXml'),
    post('body an array', [ok], 400, '(body)'),
    post('body a string', 'place me', 400, '(body)'),
    post('body null', null, 400, '(body)'),
    { name: 'broken JSON', raw: '{"tenant": "acme",', headers: json, status: 400, field: '(body)' },
    { name: 'empty JSON body', raw: '', headers: json, status: 400, field: '(body)' },
    { name: 'text/plain body', raw: 'tenant=acme', headers: { 'content-type': 'text/plain' }, status: 415, field: 'Content-Type' },
    { name: 'form-encoded body', raw: 'tenant=acme&vcpus=2', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, field: 'Content-Type' },
    { name: 'oversize body', body: { ...ok, domainXml: '<domain>' + 'x'.repeat(5000) + '</domain>' }, status: 413, field: '(body)' },
    { name: '__proto__ key', raw: '{"tenant":"acme","app":"web","vcpus":2,"memoryMiB":1024,"__proto__":{"admin":true}}', headers: json, status: 400, field: '__proto__' },
    { name: 'escaped __proto__ key', raw: '{"tenant":"acme","app":"web","vcpus":2,"memoryMiB":1024,"\\u005f_proto__":{"x":1}}', headers: json, status: 400, field: '__proto__' },
    { name: 'constructor key', raw: '{"tenant":"acme","app":"web","vcpus":2,"memoryMiB":1024,"constructor":{"prototype":{"x":1}}}', headers: json, status: 400, field: 'constructor' },
    { name: 'missing Idempotency-Key', body: ok, key: null, status: 400, field: 'Idempotency-Key' },
    { name: 'Idempotency-Key too short', body: ok, key: 'abc', status: 400, field: 'Idempotency-Key' },
    { name: 'Idempotency-Key with a space', body: ok, key: 'has a space in it', status: 400, field: 'Idempotency-Key' },
    { name: 'Idempotency-Key reused with another body', body: { ...ok, vcpus: 3 }, key: KEY, status: 422, field: 'Idempotency-Key' },
    { name: 'reservation id not a uuid', method: 'GET', path: '/v1/placements/12345', status: 400, field: 'id' },
    { name: 'reservation id unknown', method: 'GET', path: `/v1/placements/${unknownId}`, status: 404, field: 'id' },
    { name: 'release with a bad id', method: 'DELETE', path: "/v1/placements/'%20OR%201=1", status: 400, field: 'id' },
    { name: 'release an unknown id', method: 'DELETE', path: `/v1/placements/${unknownId}`, status: 404, field: 'id' },
    { name: 'confirm without domain', method: 'POST', path: `/v1/placements/${id}/confirm`, body: {}, status: 400, field: 'domain' },
    { name: 'confirm with an extra field', method: 'POST', path: `/v1/placements/${id}/confirm`, body: { domain: 'vm1', force: true }, status: 400, field: 'force' },
    { name: 'confirm a domain with a bad name', method: 'POST', path: `/v1/placements/${id}/confirm`, body: { domain: '<vm>' }, status: 400, field: 'domain' },
    { name: 'confirm an unknown reservation', method: 'POST', path: `/v1/placements/${unknownId}/confirm`, body: { domain: 'vm1' }, status: 404, field: 'id' },
    { name: 'unknown zone', method: 'GET', path: '/v1/zones/platinum', status: 404, field: 'zone' },
    { name: 'zone name malformed', method: 'GET', path: '/v1/zones/Gold!', status: 400, field: 'zone' },
    { name: 'forecast series malformed', method: 'GET', path: '/v1/forecasts/class:%20gold', status: 400, field: 'series' },
    { name: 'forecast of an unknown series', method: 'GET', path: '/v1/forecasts/class:nope', status: 404, field: 'series' },
    { name: 'repartition apply as a string', method: 'POST', path: '/v1/repartition', body: { apply: 'yes' }, status: 400, field: 'apply' },
    { name: 'repartition with an extra field', method: 'POST', path: '/v1/repartition', body: { apply: true, force: 1 }, status: 400, field: 'force' },
    { name: 'repartition with the old dryRun field', method: 'POST', path: '/v1/repartition', body: { dryRun: false }, status: 400, field: 'dryRun' },
    { name: 'train with an empty series list', method: 'POST', path: '/v1/train', body: { series: [] }, status: 400, field: 'series' },
    { name: 'train with a numeric series', method: 'POST', path: '/v1/train', body: { series: [7] }, status: 400, field: 'series[0]' },
    { name: 'unknown route', method: 'GET', path: '/v1/nothing', status: 404 },
    { name: 'unsupported method', method: 'PUT', path: '/v1/placements', body: ok, status: 404 },
    { name: 'TCP without a token', body: ok, tcp: true, status: 401, field: 'Authorization' },
    { name: 'TCP with a wrong token', body: ok, tcp: true, headers: { authorization: 'Bearer s3cret-token-valuE' }, status: 401, field: 'Authorization' },
    { name: 'TCP with a token prefix', body: ok, tcp: true, headers: { authorization: 'Bearer s3cret' }, status: 401, field: 'Authorization' },
    { name: 'TCP with Basic auth', body: ok, tcp: true, headers: { authorization: 'Basic czNjcmV0LXRva2VuLXZhbHVl' }, status: 401, field: 'Authorization' },
    { name: 'TCP, right token, bad body', body: { ...ok, vcpus: -1 }, tcp: true, headers: { authorization: 'Bearer s3cret-token-value' }, status: 400, field: 'vcpus' },
  ];
  t.ok(cases.length >= 40, `${cases.length} cases`);

  const snapshot = () => {
    const db = new Database(h.dbPath, { readonly: true });
    const s = JSON.stringify([
      db.prepare('SELECT * FROM reservations ORDER BY id').all(),
      db.prepare('SELECT * FROM reservation_totals ORDER BY zone').all(),
    ]);
    db.close();
    return s;
  };
  const before = snapshot();

  for (const c of cases) {
    const headers = { ...(c.headers ?? {}) };
    const key = c.key === undefined ? 'bad-input-fresh-' + c.name.replace(/[^A-Za-z0-9]/g, '-') : c.key;
    const r: Reply = await call(c.tcp ? tcp : sock, c.method ?? 'POST', c.path ?? '/v1/placements', {
      body: c.raw === undefined ? c.body : undefined,
      raw: c.raw,
      headers,
      key: key === null ? undefined : key,
    });
    t.equal(r.status, c.status, `${c.name}: status ${r.status}`);
    t.ok(r.status >= 400 && r.status < 500, `${c.name}: 4xx`);
    t.match(String(r.headers['content-type']), /^application\/problem\+json/, `${c.name}: problem+json`);
    t.equal(r.json?.status, r.status, `${c.name}: problem body status`);
    t.ok(typeof r.json?.title === 'string' && typeof r.json?.detail === 'string' && typeof r.json?.type === 'string', `${c.name}: type, title, detail`);
    if (c.field !== undefined) t.equal(r.json?.field, c.field, `${c.name}: names ${c.field} (${r.json?.detail})`);
  }
  t.equal(snapshot(), before, 'the database is unchanged');

  // and the right token works on TCP
  const good = await call(tcp, 'GET', '/v1/zones', { headers: { authorization: 'Bearer s3cret-token-value' } });
  t.equal(good.status, 200);
  await h.close();
  closeAgents();
});
