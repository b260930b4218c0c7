import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { openDatabase } from '../../core/store/open.js';
import { AuditLog } from '../../core/store/audit.js';
import { partition } from '../../partitioner/plan/partition.js';
import { buildZoneStates } from '../../partitioner/zones/zone-states.js';
import { planDiff, registerZoneGauges, zoneRows } from '../../partitioner/views/zone-view.js';
import { allocationsOf } from '../../partitioner/plan/zone-allocations.js';
import { config, prediction, vm } from './helpers.js';

t.test('audit table: append, query, survives reopening, rejects a bad result', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'vz-audit-')), 'a.db');
  let db = openDatabase(path);
  let audit = new AuditLog(db);
  audit.append({ ts: 100, actor: 'apply', vm: 'a', action: 'setMemory', reason: 'r1', before: { memoryMiB: 1024 }, after: { memoryMiB: 2048 }, result: 'ok' });
  audit.appendAll([
    { ts: 200, actor: 'autoscaler', vm: 'b', action: 'setVcpus', reason: 'r2', before: { vcpus: 2 }, after: { vcpus: 2 }, result: 'rolled_back', error: 'boom' },
    { ts: 300, actor: 'autoscaler', vm: 'a', action: 'setSchedulerParams', reason: 'r3', before: { big: 2n ** 60n }, after: null, result: 'skipped' },
  ]);
  db.close();
  db = openDatabase(path);
  t.teardown(() => db.close());
  audit = new AuditLog(db); // migrate() again: no-op
  t.same(audit.list().map((r) => r.ts), [300, 200, 100], 'newest first');
  t.same(audit.list({ vm: 'a' }).map((r) => r.action), ['setSchedulerParams', 'setMemory']);
  t.same(audit.list({ since: 150, until: 250 }).map((r) => r.vm), ['b']);
  t.equal(audit.list({ result: 'rolled_back' })[0].error, 'boom');
  t.same(audit.list({ action: 'setSchedulerParams' })[0].before, { big: '1152921504606846976' }, '64-bit values kept exactly (as strings)');
  t.same(audit.countByResult(), { ok: 1, failed: 0, rolled_back: 1, skipped: 1 });
  t.same(audit.countByResult({ actor: 'apply' }), { ok: 1, failed: 0, rolled_back: 0, skipped: 0 });
  t.equal(audit.list({ limit: 1 }).length, 1);
  t.throws(() => audit.append({ ts: 1, actor: 'x', vm: 'x', action: 'x', reason: '', before: null, after: null, result: 'maybe' as 'ok' }), /result "maybe" is not one of/);
  const v = db.prepare("SELECT version FROM schema_version WHERE component = 'audit'").get() as { version: number };
  t.equal(v.version, 1);
});

t.test('zone states for the router, zone rows, plan diff and gauges', async (t) => {
  const c = config({ classes: [{ name: 'gold', buffer: 0.25 }, { name: 'silver', buffer: 0.25 }] });
  const plan = partition([prediction('gold', 'cpu', 4), prediction('gold', 'memory', 8000)], { cpuCores: 16, memoryMiB: 32768 }, c);
  const domains = [
    vm('g1', 'gold', { vcpus: 4, memoryMiB: 4096 }),
    vm('g2', 'gold', { vcpus: 2, memoryMiB: 2048, running: false }),
    vm('s1', 'silver', { vcpus: 1, memoryMiB: 1024 }),
    vm('x', 'platinum', { vcpus: 2, memoryMiB: 512 }),
  ];
  const use = new Map([
    ['g1', { cpuCores: 4.5, memoryMiB: 3000 }],
    ['s1', { cpuCores: 0.1, memoryMiB: 100 }],
    ['x', { cpuCores: 1, memoryMiB: 200 }],
  ]);
  const states = buildZoneStates(plan, domains, use, { silver: true }, { gold: { cpuCores: 5, memoryMiB: 10000 } });
  t.same(states.map((s) => s.name), ['gold', 'silver', 'general']);
  const gold = states[0];
  t.same(gold.allocation, { cpuCores: 5, memoryMiB: 10000 }, 'the auto-scaler\'s allocation wins over the plan\'s');
  t.same(gold.provisioned, { cpuCores: 4, memoryMiB: 4096 }, 'only running members count as provisioned');
  t.same(gold.used, { cpuCores: 4.5, memoryMiB: 3000 });
  t.same(gold.vms, ['g1', 'g2']);
  t.same(gold.forecastPeak, { cpuCores: 4, memoryMiB: 8000 });
  t.equal(gold.partition, '/machine/virtzone-gold');
  t.equal(states[1].exhausted, true);
  t.equal(states[1].forecastPeak, undefined, 'no forecast, no peak');
  t.same(states[2].vms, ['x'], 'a VM of an unknown class counts in general');

  const rows = zoneRows(states, c.autoscaler);
  t.same(rows.map((r) => r.state), ['hot', 'exhausted', 'cold']);
  t.equal(rows[0].headroomCpuCores, 0.5, 'size 5 - max(use 4.5, peak 4)');
  t.equal(rows[0].headroomMemoryMiB, 2000, 'size 10000 - max(use 3000, peak 8000)');

  const diff = planDiff(allocationsOf(plan), partition([prediction('gold', 'cpu', 8)], { cpuCores: 16, memoryMiB: 32768 }, c));
  t.same(diff.zones.map((z) => [z.zone, z.cpuFrom, z.cpuTo, z.cpuDelta]), [['gold', 5, 10, 5], ['silver', 0, 0, 0], ['general', 11, 6, -5]]);

  const reg = new Registry();
  const update = registerZoneGauges(reg);
  update(states);
  update(states.filter((s) => s.name !== 'silver'));
  const text = await reg.metrics();
  t.match(text, /virtzone_zone_size_memory_bytes\{zone="gold"\} 10485760000/);
  t.match(text, /virtzone_zone_exhausted\{zone="gold"\} 0/);
  t.notMatch(text, /zone="silver"/, 'a zone that is gone stops being exported');
});
