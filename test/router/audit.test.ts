// GET /v1/audit over a real audit table (filters, limit, newest first, strict query with
// 400s naming the field, the read role) and GET /v1/vms/{name} over libvirt's test driver.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { openHost } from '../../core/host/libvirt-host.js';
import type { AuditEntry } from '../../core/store/audit.js';
import { timeOf } from '../../router/schemas/audit.js';
import { writeTokensFile } from '../fixtures/tokens.js';
import { call, closeAgents, removeDir, startHarness, startHostHarness, zone } from './helpers.js';

const HOST_XML = fileURLToPath(new URL('./fixtures/host.xml', import.meta.url));
const T0 = Date.parse('2025-01-06T00:00:00Z') / 1000;

const entry = (over: Partial<AuditEntry>): AuditEntry => ({
  ts: T0,
  actor: 'autoscaler',
  vm: 'web-1',
  action: 'setVcpus',
  reason: 'zone gold is hot',
  before: { vcpus: 2 },
  after: { vcpus: 4 },
  result: 'ok',
  ...over,
});

t.test('GET /v1/audit: filters, limit, newest first', async (t) => {
  // the clock an hour before the rows below: the mode's first-start row is the oldest
  const h = await startHarness({ clock: { now: (T0 - 3600) * 1000 } });
  t.teardown(async () => {
    await h.close();
    removeDir(h.dir);
    closeAgents();
  });
  const s = { socket: h.socket };
  // the harness's mode control wrote its first-start row at the harness clock
  t.equal(h.audit.list({ action: 'set-mode' }).length, 1, 'the first start wrote one set-mode row');
  h.audit.appendAll([
    entry({ ts: T0 + 10 }),
    entry({ ts: T0 + 20, vm: 'web-2', action: 'setMemory', before: { memoryMiB: 2048 }, after: { memoryMiB: 1024 }, reason: 'zone gold is cold' }),
    entry({ ts: T0 + 30, actor: 'apply', result: 'failed', error: 'libvirt: no such domain', after: { vcpus: 8, big: 2n ** 63n - 1n } }),
    entry({ ts: T0 + 40, vm: 'zone:gold', action: 'zone-limits', before: null, after: { cpuCores: 4 }, result: 'rolled_back' }),
  ]);

  let r = await call(s, 'GET', '/v1/audit');
  t.equal(r.status, 200, r.text);
  t.same(
    r.json.map((x: { ts: number }) => x.ts),
    [T0 + 40, T0 + 30, T0 + 20, T0 + 10, T0 - 3600],
    'every row, newest first',
  );
  const failed = r.json.find((x: { result: string }) => x.result === 'failed');
  t.same(failed, {
    id: failed.id,
    ts: T0 + 30,
    actor: 'apply',
    vm: 'web-1',
    action: 'setVcpus',
    reason: 'zone gold is hot',
    before: { vcpus: 2 },
    after: { vcpus: 8, big: '9223372036854775807' },
    result: 'failed',
    error: 'libvirt: no such domain',
  }, 'a row with its before/after JSON and error');
  t.same(r.json.find((x: { vm: string }) => x.vm === 'zone:gold').before, null, 'a null before stays null');

  const q = async (query: string) => {
    const reply = await call(s, 'GET', `/v1/audit?${query}`);
    t.equal(reply.status, 200, `${query}: ${reply.text}`);
    return reply.json as Array<{ ts: number; vm: string; action: string }>;
  };
  t.same((await q('vm=web-1')).map((x) => x.ts), [T0 + 30, T0 + 10], 'vm');
  t.same((await q('actor=apply')).map((x) => x.ts), [T0 + 30], 'actor');
  t.same((await q('action=setMemory')).map((x) => x.vm), ['web-2'], 'action');
  t.same((await q('result=rolled_back')).map((x) => x.vm), ['zone:gold'], 'result');
  t.same((await q(`since=${T0 + 20}&until=${T0 + 30}`)).map((x) => x.ts), [T0 + 30, T0 + 20], 'since and until are inclusive');
  t.same((await q('since=2025-01-06T00:00:25Z&until=2025-01-06T00:00:40')).map((x) => x.ts), [T0 + 40, T0 + 30], 'ISO times; without a zone: UTC');
  t.same((await q(`since=${T0 + 19.5}`)).length, 3, 'fractional unix seconds');
  t.same((await q('limit=2')).map((x) => x.ts), [T0 + 40, T0 + 30], 'limit keeps the newest');
  t.same((await q('vm=web-1&actor=autoscaler&result=ok')).map((x) => x.ts), [T0 + 10], 'filters combine');
  t.same(await q('vm=nobody'), [], 'no match: an empty list');

  h.audit.appendAll(Array.from({ length: 120 }, (_, i) => entry({ ts: T0 + 100 + i, vm: 'busy' })));
  t.equal((await q('vm=busy')).length, 100, 'default limit 100');
  t.equal((await q('vm=busy&limit=10000')).length, 120, 'up to 10000');
  t.equal((await q('vm=busy'))[0].ts, T0 + 219, 'the newest first');
});

t.test('GET /v1/audit: bad input is a 400 naming the field', async (t) => {
  const h = await startHarness();
  t.teardown(async () => {
    await h.close();
    removeDir(h.dir);
    closeAgents();
  });
  const bad = async (query: string, field: string, detail?: RegExp) => {
    const r = await call({ socket: h.socket }, 'GET', `/v1/audit?${query}`);
    t.equal(r.status, 400, `${query}: 400`);
    t.match(r.headers['content-type'], /application\/problem\+json/);
    t.equal(r.json.field, field, `${query}: names ${field}`);
    if (detail) t.match(r.json.detail, detail, `${query}: ${r.json.detail}`);
  };
  await bad('limit=0', 'limit', /out of range 1\.\.10000/);
  await bad('limit=10001', 'limit', /out of range/);
  await bad('limit=-1', 'limit');
  await bad('limit=5.5', 'limit');
  await bad('limit=ten', 'limit');
  await bad('limit=1&limit=2', 'limit', /type string/);
  await bad('since=yesterday', 'since');
  await bad('since=1h', 'since');
  await bad('since=2025-02-30', 'since', /not a real time/);
  await bad('until=2025-13-01T00:00:00Z', 'until', /not a real time/);
  await bad('since=1736200000&until=1736100000', 'until', /before since/);
  await bad('result=done', 'result');
  await bad('vm=', 'vm');
  await bad('colour=red', 'colour', /unknown field colour/);
  await bad(`actor=${'a'.repeat(129)}`, 'actor');
});

t.test('GET /v1/audit: the read role is enough', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-audit-roles-'));
  const tokenFile = writeTokensFile(join(dir, 'tokens.yaml'), [{ token: 'audit-reader-0123456789', role: 'read', name: 'auditor' }]);
  const h = await startHarness({ dir, config: { api: { listen: '127.0.0.1:0', tokenFile } } });
  t.teardown(async () => {
    await h.close();
    removeDir(dir);
    closeAgents();
  });
  const tcp = { tcp: h.listeners.tcp! };
  const r = await call(tcp, 'GET', '/v1/audit?action=set-mode', { headers: { authorization: 'Bearer audit-reader-0123456789' } });
  t.equal(r.status, 200, r.text);
  t.match(r.json, [{ action: 'set-mode', actor: 'config', vm: 'host' }]);
  t.equal((await call(tcp, 'GET', '/v1/audit')).status, 401, 'no token on TCP: 401');
});

t.test('timeOf: unix seconds, ISO 8601, and no impossible dates', async (t) => {
  t.equal(timeOf('1736121600'), 1736121600);
  t.equal(timeOf('2025-01-06'), 1736121600);
  t.equal(timeOf('2025-01-06T00:00:00+01:00'), 1736121600 - 3600);
  t.equal(timeOf('2025-01-06T00:00'), 1736121600, 'no zone: UTC');
  t.equal(timeOf('2025-02-29'), null, 'not a leap year');
  t.equal(timeOf('2024-02-29'), Date.parse('2024-02-29T00:00:00Z') / 1000);
});

t.test('GET /v1/vms/{name}: the collector view joined with libvirt', async (t) => {
  const host = await openHost(`test://${HOST_XML}`);
  const zones = [zone('gold', 0, 8, 16384, { vms: ['existing-vm', 'gone-vm'] }), zone('silver', 1, 8, 16384), zone('bronze', 2, 8, 16384), zone('general', 3, 8, 16384)];
  const h = await startHostHarness(t, host, { zones, config: { classes: [{ name: 'gold', floor: { cpuCores: 2, memoryMiB: 4096 } }, { name: 'silver' }, { name: 'bronze' }] } });
  const s = { socket: h.socket };
  const info = await host.lookup('existing-vm');

  let r = await call(s, 'GET', '/v1/vms/existing-vm');
  t.equal(r.status, 200, r.text);
  t.same(r.json, {
    name: 'existing-vm',
    zone: 'gold',
    domain: {
      uuid: info.uuid,
      state: info.state,
      id: info.id,
      persistent: info.persistent,
      vcpusCurrent: info.vcpusCurrent,
      vcpusMax: info.vcpusMax,
      memoryMiB: info.memoryKiB / 1024,
      maxMemoryMiB: info.maxMemoryKiB / 1024,
    },
    zoneFloor: { cpuCores: 2, memoryMiB: 4096 },
  });

  r = await call(s, 'GET', '/v1/vms/gone-vm');
  t.equal(r.status, 200, 'known to the collector, not to libvirt');
  t.same([r.json.zone, r.json.domain], ['gold', null]);

  r = await call(s, 'GET', '/v1/vms/nope');
  t.equal(r.status, 404);
  t.match(r.json, { field: 'name', detail: /no VM named "nope"/ });
  t.equal((await call(s, 'GET', '/v1/vms/bad%20name')).status, 400, 'a name that cannot be a domain: 400');
});
