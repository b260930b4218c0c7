// Integration: plans applied through the real libvirt binding against the libvirt test
// driver (test:///…/host.xml: 16 CPUs, 64 GiB, 7 domains in gold/silver/bronze). Each
// connection to a test:/// file gets its own private copy of the host.
import t from 'tap';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openHost } from '../../core/host/libvirt-host.js';
import type { HostAdapter } from '../../core/host/types.js';
import { openDatabase } from '../../core/store/open.js';
import { AuditLog } from '../../core/store/audit.js';
import { partition } from '../../partitioner/plan/partition.js';
import { capacityOf } from '../../partitioner/plan/capacity.js';
import { applyTargets, executeSteps } from '../../partitioner/apply/executor.js';
import { planSteps, type Step } from '../../partitioner/apply/steps.js';
import { readSnapshots } from '../../partitioner/apply/snapshot.js';
import { Inventory } from '../../partitioner/vm-targets/inventory.js';
import { syncPartitions } from '../../partitioner/vm-targets/partition-sync.js';
import type { Plan } from '../../partitioner/plan/types.js';
import type { LatestUse } from '../../partitioner/zones/zone-states.js';
import { config, prediction } from './helpers.js';

const URI = `test://${resolve('test/fixtures/host.xml')}`;

const cfg = config({
  classes: [{ name: 'gold', buffer: 0.2 }, { name: 'silver', buffer: 0.2 }, { name: 'bronze', buffer: 0.2 }],
  partitioner: { memoryMarginMiB: 256, memoryMarginFraction: 0.1, lowConfidenceBufferMultiplier: 2 },
  apply: { maxStepFraction: 0.25, maxStepsPerVm: 20, verifyTimeoutMs: 1000, unplugTimeoutMs: 2000 },
});

// What the collector would have measured, over two days (evidence enough to shrink).
const DAYS_2 = 2 * 86_400;
const USE = new Map<string, LatestUse>([
  ['gold-web-01', { cpuCores: 2.5, memoryMiB: 1800, historySeconds: DAYS_2 }],
  ['silver-db-02', { cpuCores: 0.5, memoryMiB: 1000, historySeconds: DAYS_2 }],
  ['gold-batch-04', { cpuCores: 1.2, memoryMiB: 7000, historySeconds: DAYS_2 }],
]);

const PREDICTIONS = [
  prediction('gold', 'cpu', 6),
  prediction('gold', 'memory', 16000),
  prediction('silver', 'cpu', 3),
  prediction('silver', 'memory', 9000),
  prediction('bronze', 'cpu', 2),
  prediction('bronze', 'memory', 12000),
];

async function setup(t: typeof import("tap").default): Promise<{ host: HostAdapter; audit: AuditLog; plan: Plan }> {
  const host = await openHost(URI, { events: false });
  t.teardown(() => host.close());
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'vz-apply-')), 'audit.db'));
  t.teardown(() => db.close());
  const audit = new AuditLog(db);
  const vms = await new Inventory(host, new Set(cfg.classes.map((c) => c.name))).read(USE);
  const plan = partition(PREDICTIONS, capacityOf(await host.nodeInfo(), cfg), cfg, { vms });
  return { host, audit, plan };
}

async function xmlOfAll(host: HostAdapter): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const d of await host.listDomains()) out[d.name] = await host.getXml(d.name);
  return out;
}

t.test('a plan is applied and read back', async (t) => {
  const { host, audit, plan } = await setup(t);
  const tg = Object.fromEntries(plan.vms.map((x) => [x.vm, x]));
  // The plan itself: use x (1 + 0.2 x 2) per VM, floors and margins kept.
  t.equal(tg['gold-web-01'].vcpus, 4, '2.5 cores x 1.4 -> 4 vCPUs');
  t.equal(tg['gold-web-01'].memoryMiB, 2520);
  t.equal(tg['silver-db-02'].vcpus, 1, '0.5 x 1.4 -> 1 vCPU');
  t.equal(tg['silver-db-02'].memoryMiB, 1400);
  t.equal(tg['gold-batch-04'].memoryMiB, 9800);

  const report = await applyTargets(host, plan.vms, cfg, { audit, actor: 'test' });
  t.equal(report.counts.failed, 0, 'no step failed');
  t.equal(report.counts.rolled_back, 0);
  t.ok(report.counts.ok >= 8, `${report.counts.ok} steps done`);
  // Bounded steps: silver-db-02's balloon 4096 -> 1400 went in steps of at most 25% (1024 MiB).
  const silverMem = report.steps.filter((s) => s.vm === 'silver-db-02' && s.kind === 'memory');
  t.same(silverMem.map((s) => s.to.memoryMiB), [3072, 2048, 1400]);
  // Shrinks before grows.
  const firstGrow = report.steps.findIndex((s) => s.direction === 'grow');
  t.ok(report.steps.slice(firstGrow).every((s) => s.direction === 'grow'), 'every shrink comes before the first grow');
  // The test driver's scheduler has only "weight": shares/quota are reported, not faked.
  t.ok(report.skipped.some((s) => s.kind === 'sched' && /neither cpu_shares nor vcpu_quota \(has: weight\)/.test(s.reason)));

  for (const target of plan.vms) {
    const d = await host.lookup(target.vm);
    t.equal(d.memoryKiB / 1024, target.memoryMiB, `${target.vm} balloon read back`);
    t.equal(d.vcpusCurrent, target.vcpus, `${target.vm} vCPUs read back`);
    const mt = await host.getMemoryParams(target.vm);
    t.equal(Number(mt.soft_limit), target.memorySoftLimitMiB! * 1024, `${target.vm} memtune soft_limit read back`);
  }
  const rows = audit.list({ limit: 1000 });
  t.equal(rows.length, report.steps.length, 'one audit row per step');
  t.ok(rows.every((r) => r.result === 'ok' && r.actor === 'test'));
  const row = rows.find((r) => r.vm === 'gold-web-01' && r.action === 'setVcpus')!;
  t.ok(row.before && row.after && row.reason.includes('cpu use 2.5 cores'), 'before, after and reason recorded');

  // A second apply has nothing left to do.
  const again = await applyTargets(host, plan.vms, cfg, { audit });
  t.equal(again.steps.length, 0, 'idempotent');
});

t.test('a failing step (vCPUs above the domain maximum) is rolled back and audited; the rest goes on', async (t) => {
  const { host, audit, plan } = await setup(t);
  const targets = plan.vms
    .filter((x) => x.vm === 'gold-web-01' || x.vm === 'silver-db-02')
    .map((x) => (x.vm === 'gold-web-01' ? { ...x, vcpus: 10 } : x));
  const report = await applyTargets(host, targets, cfg, { audit, actor: 'test' });
  const vcpuSteps = report.steps.filter((s) => s.vm === 'gold-web-01' && s.kind === 'vcpus');
  t.same(vcpuSteps.map((s) => [s.to.vcpus, s.result]), [
    [3, 'ok'], [4, 'ok'], [5, 'ok'], [6, 'ok'], [7, 'ok'], [8, 'ok'],
    [9, 'rolled_back'],
    [10, 'skipped'],
  ]);
  t.match(vcpuSteps[6].error, /exceeds maximum \(9 > 8\).*rolled back to vcpus=8/);
  t.equal((await host.lookup('gold-web-01')).vcpusCurrent, 8, 'the domain is where it was before the failed step');
  t.equal(report.aborted, false);
  t.ok(report.steps.filter((s) => s.vm === 'silver-db-02').every((s) => s.result === 'ok'), 'the other VM was still resized');
  t.equal((await host.lookup('silver-db-02')).memoryKiB / 1024, 1400);

  const failed = audit.list({ vm: 'gold-web-01', result: 'rolled_back' });
  t.equal(failed.length, 1);
  t.equal(failed[0].action, 'setVcpus');
  t.same(failed[0].before, { vcpus: 8 });
  t.same(failed[0].after, { vcpus: 8 }, 'after = what the host reports after the rollback');
  t.match(failed[0].error, /requested cpu amount exceeds maximum/);
  t.equal(audit.list({ vm: 'gold-web-01', result: 'skipped' }).length, 1);
});

t.test('after a failed shrink, the grows of that zone are skipped; other zones go on', async (t) => {
  const { host, audit } = await setup(t);
  const steps: Step[] = [
    // The test driver has no vcpu_quota: the cap fails for real.
    { id: 1, vm: 'bronze-cache-03', zone: 'bronze', kind: 'sched', direction: 'shrink', from: { vcpu_quota: -1 }, to: { vcpu_quota: 50_000 }, bestEffort: false, reason: 'cap' },
    { id: 2, vm: 'bronze-web-06', zone: 'bronze', kind: 'memory', direction: 'grow', from: { memoryMiB: 4096 }, to: { memoryMiB: 5120 }, bestEffort: false, reason: 'grow' },
    { id: 3, vm: 'silver-api-05', zone: 'silver', kind: 'memory', direction: 'grow', from: { memoryMiB: 2048 }, to: { memoryMiB: 2560 }, bestEffort: false, reason: 'grow' },
  ];
  const r = await executeSteps(host, steps, [], cfg, { audit });
  t.same(r.steps.map((s) => s.result), ['rolled_back', 'skipped', 'ok']);
  t.match(r.steps[1].error, /a shrink in zone bronze failed/);
  t.equal((await host.lookup('bronze-web-06')).memoryKiB, 4096 * 1024, 'untouched');
  t.equal((await host.lookup('silver-api-05')).memoryKiB, 2560 * 1024);
});

t.test('a domain destroyed mid-plan: its step fails cleanly and is audited, the other VMs go on', async (t) => {
  const { host, audit, plan } = await setup(t);
  const snaps = await readSnapshots(host, plan.vms.map((x) => x.vm));
  const { steps, skipped } = planSteps(plan.vms, snaps, cfg);
  const victim = steps[0].vm;
  await host.destroy(victim);
  const r = await executeSteps(host, steps, skipped, cfg, { audit });
  t.equal(r.steps[0].result, 'failed');
  t.match(r.steps[0].error, /not running.*rollback failed/);
  t.equal(r.aborted, false, 'a stopped domain holds nothing: no reason to stop the plan');
  const mine = r.steps.filter((s) => s.vm === victim).slice(1);
  t.ok(mine.every((s) => s.result === 'skipped'), `${victim}'s other steps are skipped`);
  const others = r.steps.filter((s) => s.vm !== victim);
  t.ok(others.length > 0 && others.every((s) => s.result === 'ok' || (s.result === 'skipped' && /shrink in zone/.test(s.error ?? ''))), 'the other VMs are resized');
  t.equal(audit.list({ result: 'failed' }).length, 1);
  t.equal(audit.list({ vm: victim, result: 'skipped' }).length, mine.length);
});

t.test('dry run returns the steps and changes nothing', async (t) => {
  const { host, audit, plan } = await setup(t);
  const before = await xmlOfAll(host);
  const r = await applyTargets(host, plan.vms, cfg, { audit, dryRun: true });
  t.ok(r.steps.length > 5);
  t.ok(r.steps.every((s) => s.result === 'planned'));
  t.equal(r.dryRun, true);
  t.same(await xmlOfAll(host), before, 'every domain XML unchanged');
  t.equal(audit.list().length, 0, 'nothing audited');
  // ... and a real run does exactly those steps.
  const real = await applyTargets(host, plan.vms, cfg, { audit });
  t.same(real.steps.map((s) => [s.vm, s.kind, s.to]), r.steps.map((s) => [s.vm, s.kind, s.to]));
});

t.test('class vs partition: rewritten for the next start, pending while running', async (t) => {
  const { host, audit } = await setup(t);
  await host.destroy('bronze-web-06');
  const classes = new Set(cfg.classes.map((c) => c.name));
  const r = await syncPartitions(host, classes, { audit });
  t.equal(r.errors.length, 0);
  t.same(r.redefined.sort(), (await host.listDomains()).map((d) => d.name).sort(), 'every fixture domain lacked its partition');
  const running = r.statuses.find((s) => s.vm === 'gold-web-01')!;
  t.equal(running.pendingMove, true, 'running in /machine: moves at its next start');
  t.match(await host.getXml('gold-web-01', { inactive: true }), /<partition>\/machine\/virtzone-gold<\/partition>/);
  t.notMatch(await host.getXml('gold-web-01'), /virtzone-gold/, 'the live domain stays where it is');
  const after = await syncPartitions(host, classes, { audit });
  t.same(after.redefined, [], 'nothing left to rewrite');
  t.equal(after.statuses.find((s) => s.vm === 'gold-web-01')!.pendingMove, true, 'still pending until restarted');
  t.equal(after.statuses.find((s) => s.vm === 'bronze-web-06')!.pendingMove, false, 'a stopped domain is not pending');
  t.equal(after.statuses.find((s) => s.vm === 'bronze-web-06')!.placedIn, 'bronze');
  t.equal(audit.list({ action: 'set-partition' }).length, r.redefined.length);
});

t.test('a balloon the guest ignores (no balloon driver) is reported not effective and rolled back', async (t) => {
  const { host, audit, plan } = await setup(t);
  // Fault injection over the real binding: this guest "has no balloon driver", so a
  // balloon request succeeds and changes nothing — exactly what QEMU does then.
  const deaf: HostAdapter = Object.create(host, {
    setMemory: { value: async () => undefined },
  });
  const target = plan.vms.find((x) => x.vm === 'gold-web-01')!;
  const quick = config({ ...cfg, apply: { ...cfg.apply, verifyTimeoutMs: 200 } });
  const r = await applyTargets(deaf, [target], quick, { audit, pollMs: 20 });
  const mem = r.steps.filter((s) => s.kind === 'memory');
  t.equal(mem[0].result, 'rolled_back');
  t.match(mem[0].error, /not effective: asked memoryMiB=2520, host reports memoryMiB=2048 after 200 ms \(no balloon driver in the guest\?\)/);
  t.ok(mem.slice(1).every((s) => s.result === 'skipped'), 'the rest of that VM waits');
  t.equal((await host.lookup('gold-web-01')).memoryKiB, 2048 * 1024);
  t.equal(audit.list({ vm: 'gold-web-01', action: 'setMemory', result: 'rolled_back' }).length, 1);
});

t.test('applyPlan: partitions, placement and VM targets; a dry run does none of it', async (t) => {
  const { host, audit, plan } = await setup(t);
  const { mkdirSync, writeFileSync, existsSync, readdirSync } = await import('node:fs');
  const { detectCgroupSystem, ZonePartitions } = await import('../../partitioner/cgroups/partitions.js');
  const { applyPlan } = await import('../../partitioner/apply/plan.js');
  const root = mkdtempSync(join(tmpdir(), 'vz-ap-cg-'));
  for (const h of ['cpu,cpuacct', 'memory']) {
    mkdirSync(join(root, h));
    writeFileSync(join(root, h, 'cgroup.procs'), '');
  }
  const partitions = new ZonePartitions(detectCgroupSystem(root, { layout: 'cgroupfs' }));
  const before = await xmlOfAll(host);
  const dry = await applyPlan(host, plan, cfg, { dryRun: true, audit, partitions });
  t.ok(dry.vms.steps.length > 0 && dry.vms.steps.every((s) => s.result === 'planned'));
  t.ok(dry.partitionSync.redefined.length > 0, 'reports the partitions it would set');
  t.ok(Object.keys(dry.limits).length === 4, 'and the limits it would write');
  t.same(await xmlOfAll(host), before, 'no domain changed');
  t.notOk(existsSync(join(root, 'memory', 'machine')), 'no cgroup written');
  t.equal(audit.list().length, 0);

  const real = await applyPlan(host, plan, cfg, { audit, partitions });
  t.equal(real.vms.counts.failed + real.vms.counts.rolled_back, 0);
  t.same(readdirSync(join(root, 'memory', 'machine')).sort(), ['virtzone-bronze.partition', 'virtzone-general.partition', 'virtzone-gold.partition', 'virtzone-silver.partition']);
  t.match(await host.getXml('silver-db-02', { inactive: true }), /<partition>\/machine\/virtzone-silver<\/partition>/);
  t.equal((await host.lookup('silver-db-02')).memoryKiB, 1400 * 1024);
  t.equal(audit.list({ action: 'zone-limits' }).length, 4);
  const gold = Number(readFileSync(join(root, 'memory', 'machine', 'virtzone-gold.partition', 'memory.limit_in_bytes'), 'utf8'));
  const goldAlloc = plan.zones.find((z) => z.name === 'gold')!.allocation.memoryMiB;
  // two running gold VMs: allocation + overhead for each and one more (256 MiB by default)
  t.equal(gold, Math.round((goldAlloc + 256 * 3) * 1024 * 1024), 'gold memory limit = allocation + QEMU overhead');
  t.ok(gold > (2520 + 9800) * 1024 * 1024, 'and above what its running VMs may hold after the plan');
});
