// Integration: the auto-scaler routine against the libvirt test driver, with zone
// partitions written to a temporary cgroup v1 tree and a real SQLite audit table.
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Registry } from 'prom-client';
import { openHost } from '../../core/host/libvirt-host.js';
import { openDatabase } from '../../core/store/open.js';
import { AuditLog } from '../../core/store/audit.js';
import { partition } from '../../partitioner/plan/partition.js';
import { capacityOf } from '../../partitioner/plan/capacity.js';
import { ZoneAutoscaler } from '../../partitioner/autoscaler/routine.js';
import type { Ticker } from '../../core/ticker.js';
import { detectCgroupSystem, ZonePartitions } from '../../partitioner/cgroups/partitions.js';
import { ensureZonePartitions } from '../../partitioner/cgroups/zone-limits.js';
import { Inventory } from '../../partitioner/vm-targets/inventory.js';
import { membershipOf } from '../../partitioner/vm-targets/membership.js';
import { planDiff, registerZoneGauges, zoneRows } from '../../partitioner/views/zone-view.js';
import { allocationsOf } from '../../partitioner/plan/zone-allocations.js';
import type { LatestUse } from '../../partitioner/zones/zone-states.js';
import { cgroupV1, config, prediction } from './helpers.js';

const URI = `test://${resolve('test/fixtures/host.xml')}`;

const TEMPLATE = `<domain type='test'>
  <name>{{name}}</name>
  <memory unit='MiB'>1024</memory>
  <currentMemory unit='MiB'>1024</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
</domain>
`;

t.test('the routine grows a busy zone, adds a pool member, then gives back and removes it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-rt-'));
  const templatePath = join(dir, 'gold-pool.xml');
  writeFileSync(templatePath, TEMPLATE);
  const cfg = config({
    classes: [{ name: 'gold', buffer: 0.2, pool: { template: templatePath, min: 0, max: 2, shutdownTimeoutSeconds: 5 } }, { name: 'silver' }, { name: 'bronze' }],
    autoscaler: { intervalSeconds: 30, sustainTicks: 2, cooldownSeconds: 300, growCooldownSeconds: 60 },
    apply: { verifyTimeoutMs: 1000 },
    zones: { vmOverheadMiB: 100, cpuLimit: 'quota' },
  });
  const host = await openHost(URI, { events: false });
  t.teardown(() => host.close());
  const db = openDatabase(join(dir, 'virtzone.db'));
  t.teardown(() => db.close());
  const audit = new AuditLog(db);
  const cgRoot = cgroupV1();
  const partitions = new ZonePartitions(detectCgroupSystem(cgRoot, { layout: 'cgroupfs' }));

  // the original VMs have been watched for two days: evidence enough to give back
  const DAYS_2 = 2 * 86_400;
  const use = new Map<string, LatestUse>();
  const classes = new Set(cfg.classes.map((c) => c.name));
  const vms = await new Inventory(host, classes).read(use);
  const plan = partition(
    [prediction('gold', 'cpu', 3), prediction('gold', 'memory', 12000), prediction('silver', 'cpu', 2), prediction('silver', 'memory', 6000), prediction('bronze', 'cpu', 2), prediction('bronze', 'memory', 6000)],
    capacityOf(await host.nodeInfo(), cfg),
    cfg,
  );
  const reports = await ensureZonePartitions(partitions, allocationsOf(plan), vms, cfg);
  t.equal(reports.length, 4, 'gold, silver, bronze and general partitions exist before anything starts');
  const goldCpu = join(cgRoot, 'cpu,cpuacct', 'machine', 'virtzone-gold.partition');
  t.equal(readFileSync(join(goldCpu, 'cpu.cfs_quota_us'), 'utf8'), '360000', 'gold: 3 cores x 1.2');

  let now = 1_000_000;
  const scaler = new ZoneAutoscaler({ host, config: cfg, latestUse: () => use, audit, partitions, now: () => now, pollMs: 20 }, plan);
  t.teardown(() => scaler.stop());

  // Gold gets busy: both gold VMs near their 2 vCPUs, gold-web-01 near its balloon.
  use.set('gold-web-01', { cpuCores: 1.95, memoryMiB: 1900, historySeconds: DAYS_2 });
  use.set('gold-batch-04', { cpuCores: 1.9, memoryMiB: 3000, historySeconds: DAYS_2 });
  const r1 = await scaler.tick();
  t.same(r1.decision.actions, [], 'first busy tick: wait (sustainTicks = 2)');
  now += 30;
  const r2 = await scaler.tick();
  const kinds = r2.decision.actions.map((a) => a.kind).sort();
  t.same(kinds, ['add-pool-member', 'resize-vm', 'transfer'], `second tick acts: ${kinds.join(', ')}`);
  const tr = r2.decision.actions.find((a) => a.kind === 'transfer') as { from: string; cpuCores: number };
  t.equal(tr.from, 'general', 'borrowed from general');
  t.equal(tr.cpuCores, 3.6, 'a zone at its CPU cap doubles');
  t.equal(scaler.getAllocations().gold.cpuCores, 7.2);
  t.equal(readFileSync(join(goldCpu, 'cpu.cfs_quota_us'), 'utf8'), '720000', 'zone limit follows');

  // gold-web-01's balloon: one bounded step (25% of 2048) toward 1900 / 0.675.
  t.equal(r2.applied?.counts.ok, r2.applied?.steps.length);
  t.equal((await host.lookup('gold-web-01')).memoryKiB, 2560 * 1024, 'balloon grown and read back');

  // The pool member: defined from the template, in gold's partition, tagged, running.
  const member = r2.pool[0];
  t.equal(member.result, 'ok');
  const name = (member.action as { name: string }).name;
  t.equal(name, 'gold-pool-1');
  const info = await host.lookup(name);
  t.equal(info.state, 'running');
  const xml = await host.getXml(name);
  t.match(xml, /<partition>\/machine\/virtzone-gold<\/partition>/);
  const m = membershipOf(xml);
  t.equal(m.zoneClass, 'gold');
  t.equal(m.poolMember, true);
  t.ok(audit.list({ vm: name, action: 'pool-add', result: 'ok' }).length === 1, 'pool-add audited');
  t.ok(audit.list({ action: 'zone-transfer' }).length === 1, 'transfer audited');
  t.ok(audit.list({ vm: 'gold-web-01', action: 'setMemory', result: 'ok' }).length === 1, 'balloon step audited');

  // Surfaces from the routine's view.
  const states = scaler.zoneStates();
  const gold = states.find((z) => z.name === 'gold')!;
  t.same(gold.vms, ['gold-batch-04', 'gold-db-07', 'gold-pool-1', 'gold-web-01'], 'the new member counts in its zone at once');
  t.equal(gold.allocation.cpuCores, 7.2);
  const rows = zoneRows(states, cfg.autoscaler);
  t.equal(rows.find((r) => r.zone === 'gold')!.state, 'ok', `gold after growing: ${JSON.stringify(rows.find((r) => r.zone === 'gold'))}`);
  const registry = new Registry();
  const update = registerZoneGauges(registry);
  update(states);
  const text = await registry.metrics();
  t.match(text, /virtzone_zone_size_cpu_cores\{zone="gold"\} 7\.2/);
  t.match(text, /virtzone_zone_used_cpu_cores\{zone="gold"\} 3\.8(5|49)/);
  const diff = planDiff(scaler.getAllocations(), plan);
  t.equal(diff.zones.find((z) => z.zone === 'gold')!.cpuDelta, -3.6, 'a repartition would take back what the auto-scaler borrowed');

  // Load goes away: after the stabilization window and the cooldown, gold gives back
  // and the pool member it created is shut down and undefined.
  use.set('gold-web-01', { cpuCores: 0.1, memoryMiB: 500, historySeconds: DAYS_2 });
  use.set('gold-batch-04', { cpuCores: 0.1, memoryMiB: 500, historySeconds: DAYS_2 });
  use.set(name, { cpuCores: 0.05, memoryMiB: 200 });
  let removed = false;
  for (let i = 0; i < 30 && !removed; i++) {
    now += 30;
    const r = await scaler.tick();
    removed = r.pool.some((p) => p.action.kind === 'remove-pool-member' && p.result === 'started');
  }
  t.ok(removed, 'surplus pool member removal started');
  await scaler.idle();
  t.notOk((await host.listDomains()).some((d) => d.name === name), 'pool member shut down and undefined');
  t.equal(audit.list({ vm: name, action: 'pool-remove', result: 'ok' }).length, 1);
  t.ok(scaler.getAllocations().gold.cpuCores < 7.2, 'gold gave CPU back');
  t.ok(audit.list({ vm: 'gold-batch-04', action: 'setMemory' }).length >= 1, 'idle balloons shrunk (bounded)');
  t.equal(readFileSync(join(goldCpu, 'cpu.cfs_quota_us'), 'utf8'), String(Math.round(scaler.getAllocations().gold.cpuCores * 100000)));
  t.ok(!(await host.listDomains()).some((d) => d.name === 'gold-web-01' && d.state !== 'running'), 'no original VM touched beyond resizes');
});

t.test('reconfigure (a reload): the next tick uses the new config; enabled and interval restart or stop the timer', async (t) => {
  const host = await openHost(URI, { events: false });
  t.teardown(() => host.close());
  const cfg = config({ autoscaler: { intervalSeconds: 30, enabled: true } });
  const plan = partition([], capacityOf(await host.nodeInfo(), cfg), cfg);
  const scaler = new ZoneAutoscaler({ host, config: cfg, latestUse: () => new Map() }, plan);
  const timer = () => (scaler as unknown as { ticker: Ticker | null }).ticker;
  scaler.start();
  const first = timer();
  t.ok(first, 'ticking');
  scaler.reconfigure(config({ autoscaler: { intervalSeconds: 30, enabled: true }, router: { useRatioQuantile: 0.5 } }));
  t.equal(timer(), first, 'other keys: the same timer');
  scaler.reconfigure(config({ autoscaler: { intervalSeconds: 10, enabled: true } }));
  t.ok(timer() && timer() !== first, 'a new interval: a new timer');
  scaler.reconfigure(config({ autoscaler: { intervalSeconds: 10, enabled: false } }));
  t.equal(timer(), null, 'disabled: stopped');
  scaler.reconfigure(config({ autoscaler: { intervalSeconds: 10, enabled: true } }));
  t.ok(timer(), 'enabled again: ticking');
  // the tick decides with the new config: a zone view built now reads its quantile
  t.ok(Array.isArray(scaler.zoneStates()));
  await scaler.stop();
});
