// No shrink without evidence: the pure rule (plan/evidence.ts) and how the plan
// (partition + vm-targets) and the auto-scaler (decide) keep to it.
import t from 'tap';
import { hoursOf, shrinkVerdict } from '../../partitioner/plan/evidence.js';
import { partition } from '../../partitioner/plan/partition.js';
import { decide, emptyMemory, type ScalerMemory, type ScalerVm, type ScalerZone } from '../../partitioner/autoscaler/decide.js';
import { scalerZones } from '../../partitioner/autoscaler/scaler-zones.js';
import type { Config } from '../../core/config/schema.js';
import { config, prediction, vm } from './helpers.js';

const DAY = 86_400;
const HOST = { cpuCores: 32, memoryMiB: 131_072 };

t.test('shrinkVerdict: enough of its own samples, and not a class that never shrinks', async (t) => {
  t.same(shrinkVerdict({ historySeconds: 24 * 3600 }, false, 24), { allowed: true }, 'exactly the minimum is enough');
  t.same(shrinkVerdict({ historySeconds: 2 * 3600 }, false, 24), { allowed: false, reason: 'kept: 2 h of samples, 24 h needed' });
  t.same(shrinkVerdict({ historySeconds: 0 }, false, 24), { allowed: false, reason: 'kept: 0 h of samples, 24 h needed' });
  t.same(shrinkVerdict({ historySeconds: null }, false, 24), { allowed: false, reason: 'kept: 0 h of samples, 24 h needed' }, 'null: no samples');
  t.same(shrinkVerdict({ historySeconds: NaN }, false, 24), { allowed: false, reason: 'kept: 0 h of samples, 24 h needed' });
  t.same(shrinkVerdict({}, false, 24), { allowed: true }, 'absent: the caller keeps no history record, the rule does not apply');
  t.same(shrinkVerdict({ historySeconds: 30 * DAY }, true, 24), { allowed: false, reason: 'kept: its class never shrinks' });
  t.same(shrinkVerdict({}, true, 24), { allowed: false, reason: 'kept: its class never shrinks' });
  t.same(shrinkVerdict({ historySeconds: 0 }, false, 0), { allowed: true }, 'minHistoryHours 0: no history needed');
  t.equal(hoursOf(5400), '1.5 h');
  t.equal(hoursOf(47.9 * 3600), '47 h');
});

const cfg = config({ classes: [{ name: 'gold' }, { name: 'silver', neverShrink: true }] });

t.test('the config: minHistoryHours defaults to 24, neverShrink to false', async (t) => {
  t.equal(cfg.partitioner.minHistoryHours, 24);
  t.equal(cfg.classes[0].neverShrink, false);
  t.equal(cfg.classes[1].neverShrink, true);
  t.throws(() => config({ partitioner: { minHistoryHours: -1 } }));
});

t.test('a plan with no forecast and no history keeps every size, and sizes each zone at its members\' provisioned total', async (t) => {
  const vms = [
    vm('g1', 'gold', { vcpus: 4, memoryMiB: 8192, usedCpuCores: null, usedMemoryMiB: null, historySeconds: 0 }),
    vm('g2', 'gold', { vcpus: 2, memoryMiB: 4096, usedCpuCores: 0.1, usedMemoryMiB: 300, historySeconds: 2 * 3600 }),
    vm('g3', 'gold', { vcpus: 8, memoryMiB: 8192, running: false, historySeconds: 0 }),
  ];
  const p = partition([], HOST, cfg, { vms });
  const gold = p.zones.find((z) => z.name === 'gold')!;
  t.same(gold.demand, { cpuCores: 6, memoryMiB: 12288 }, 'the running members\' provisioned total');
  t.same(gold.source, { cpuCores: 'provisioned', memoryMiB: 'provisioned' });
  t.same(gold.allocation, { cpuCores: 6, memoryMiB: 12288 });
  const tg = Object.fromEntries(p.vms.map((x) => [x.vm, x]));
  t.same([tg.g1.vcpus, tg.g1.memoryMiB], [4, 8192]);
  t.same([tg.g2.vcpus, tg.g2.memoryMiB], [2, 4096], 'two hours of idle samples are not evidence enough');
  t.equal(tg.g2.vcpuQuota, -1, 'no quota cap either');
  t.notOk(p.changes.some((c) => (c.field === 'vcpus' || c.field === 'memoryMiB') && c.from !== null && c.to < c.from));
  t.match(tg.g2.reason, /^kept: 2 h of samples, 24 h needed; cpu use 0\.1 cores -> 2 vCPU; memory use 300 MiB -> 4096 MiB$/);
  t.equal(tg.g1.reason, 'no memory sample: size kept', 'nothing withheld: the plan would not have shrunk it');
  t.notOk(p.zones.some((z) => z.name !== 'general' && z.allocation.cpuCores === 0 && vms.some((v) => v.zone === z.name && v.running)));
});

t.test('with a day of evidence an idle VM is planned down, never below its floors nor its day peak + margin', async (t) => {
  const idle = (over = {}) => vm('g2', 'gold', { vcpus: 4, memoryMiB: 8192, usedCpuCores: 0.1, usedMemoryMiB: 300, historySeconds: DAY, ...over });
  const p = partition([prediction('gold', 'cpu', 4), prediction('gold', 'memory', 16000)], HOST, cfg, { vms: [idle()] });
  t.same([p.vms[0].vcpus, p.vms[0].memoryMiB], [1, 300 + 256], 'down to 1 vCPU and use + margin');
  t.match(p.vms[0].reason, /^24 h of samples; cpu use/, 'the shrink names its evidence');
  const floored = partition([prediction('gold', 'cpu', 4), prediction('gold', 'memory', 16000)], HOST, cfg, { vms: [idle({ minVcpus: 3, memoryFloorMiB: 2048 })] });
  t.same([floored.vms[0].vcpus, floored.vms[0].memoryMiB], [3, 2048], 'operator floors hold');
  // squeezed into a small zone, the day peak + margin still holds
  const tight = config({ classes: [{ name: 'gold', floor: { memoryMiB: 0 } }], partitioner: { memoryMarginMiB: 256, memoryMarginFraction: 0.1 } });
  const sq = partition([prediction('gold', 'cpu', 4), prediction('gold', 'memory', 500)], HOST, tight, { vms: [idle({ peakMemoryMiB: 3000 })] });
  t.equal(sq.vms[0].minMemoryMiB, Math.ceil(3000 * 1.1));
  t.ok(sq.vms[0].memoryMiB >= 3300, 'never below the day peak + margin');
});

t.test('a neverShrink class: no VM planned down even with history, its zone never below its members', async (t) => {
  const vms = [vm('s1', 'silver', { vcpus: 4, memoryMiB: 8192, usedCpuCores: 0.1, usedMemoryMiB: 300, historySeconds: 30 * DAY })];
  const p = partition([prediction('silver', 'cpu', 1), prediction('silver', 'memory', 1000)], HOST, cfg, { vms });
  const silver = p.zones.find((z) => z.name === 'silver')!;
  t.same(silver.demand, { cpuCores: 4, memoryMiB: 8192 }, 'a forecast below the members does not size it down');
  t.same(silver.source, { cpuCores: 'provisioned', memoryMiB: 'provisioned' });
  t.equal(silver.neverShrink, true);
  t.same([p.vms[0].vcpus, p.vms[0].memoryMiB], [4, 8192]);
  t.match(p.vms[0].reason, /^kept: its class never shrinks; /);
  // growing is still allowed
  const busy = partition([], HOST, cfg, { vms: [vm('s1', 'silver', { vcpus: 2, memoryMiB: 2048, usedCpuCores: 3, usedMemoryMiB: 1900, historySeconds: 30 * DAY })] });
  t.ok(busy.vms[0].vcpus > 2 && busy.vms[0].memoryMiB > 2048, 'a busy VM of a neverShrink class still grows');
});

const scfg = config({
  autoscaler: { intervalSeconds: 30, highWater: 0.85, lowWater: 0.5, sustainTicks: 2, cooldownSeconds: 300, growCooldownSeconds: 60 },
  apply: { maxStepFraction: 0.25, minChangeMemoryMiB: 64 },
});

function ticks(zones: ScalerZone[], n: number, c: Config = scfg) {
  let m: ScalerMemory = emptyMemory();
  let last = decide(zones, m, c, 0);
  for (let i = 1; i < n; i++) {
    m = last.memory;
    last = decide(zones, m, c, i * 30);
  }
  return last;
}

const idleVm = (o: Partial<ScalerVm> = {}): ScalerVm => ({ name: 'g1', vcpus: 4, maxVcpus: 8, memoryMiB: 4096, maxMemoryMiB: 8192, usedCpuCores: 1, usedMemoryMiB: 1000, poolMember: false, ...o });
const idleZones = (v: ScalerVm, o: Partial<ScalerZone> = {}): ScalerZone[] => [
  { name: 'gold', rank: 0, allocation: { cpuCores: 8, memoryMiB: 16384 }, floor: { cpuCores: 0, memoryMiB: 0 }, vms: [v], ...o },
  { name: 'general', rank: 1, allocation: { cpuCores: 0, memoryMiB: 0 }, floor: { cpuCores: 0, memoryMiB: 0 }, vms: [] },
];

t.test('the auto-scaler gives back no balloon without evidence, and its zone holds such members\' sizes', async (t) => {
  const shrinkOf = (d: ReturnType<typeof decide>) => d.actions.find((a) => a.kind === 'resize-vm' && a.direction === 'shrink');
  t.ok(shrinkOf(ticks(idleZones(idleVm({ historySeconds: 2 * DAY })), 10)), 'two days of samples: the idle balloon is given back');
  const young = ticks(idleZones(idleVm({ historySeconds: 3600 })), 10);
  t.notOk(shrinkOf(young), 'an hour of samples: kept');
  t.ok(young.allocations.gold.cpuCores >= 4 && young.allocations.gold.memoryMiB >= 4096, 'the zone keeps at least the kept VM\'s size', young.allocations.gold);
  t.ok(young.actions.some((a) => a.kind === 'transfer'), 'the zone still gives back what is above it');
  const never = ticks(idleZones(idleVm({ historySeconds: 30 * DAY }), { neverShrink: true }), 10);
  t.notOk(shrinkOf(never), 'a neverShrink zone: kept whatever its history');
  t.ok(never.allocations.gold.memoryMiB >= 4096);
});

t.test('scalerZones carries the history span and the zone\'s neverShrink to decide()', async (t) => {
  const zones = scalerZones(
    [{ name: 'gold', rank: 0, allocation: { cpuCores: 4, memoryMiB: 4096 }, floor: { cpuCores: 0, memoryMiB: 0 }, neverShrink: true }],
    [{ name: 'g1', zone: 'gold', vcpus: 2, maxVcpus: 4, memoryMiB: 2048, maxMemoryMiB: 4096, usedCpuCores: 0, usedMemoryMiB: 0, historySeconds: 7200 }],
  );
  t.equal(zones[0].neverShrink, true);
  t.equal(zones[0].vms[0].historySeconds, 7200);
});

t.test('VMs without a history record (a replay) size their zone by use, as before', async (t) => {
  const p = partition([], HOST, cfg, { vms: [vm('g1', 'gold', { vcpus: 4, memoryMiB: 8192, usedCpuCores: 1, usedMemoryMiB: 1000 })] });
  t.equal(p.zones[0].source.cpuCores, 'fallback');
  t.ok(p.zones[0].demand.cpuCores < 4, 'sized from use, not from the provisioned 4 vCPUs');
});
