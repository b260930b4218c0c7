// The auto-scaler's decisions, apart from their execution: unit cases, then a replay of
// real Bitbrains traces with a step in load.
import t from 'tap';
import { decide, emptyMemory, type ScalerMemory, type ScalerVm, type ScalerZone } from '../../partitioner/autoscaler/decide.js';
import { actionDirections } from '../../partitioner/autoscaler/actions.js';
import { replay, type ReplayVm } from './replay-world.js';
import { listBitbrainsVms, readBitbrainsVm, cpuCoresInUse, memoryMiBInUse } from '../../core/trace/bitbrains.js';
import { partition } from '../../partitioner/plan/partition.js';
import type { Config } from '../../core/config/schema.js';
import { config } from './helpers.js';

const cfg = config({
  autoscaler: { intervalSeconds: 30, highWater: 0.85, lowWater: 0.5, sustainTicks: 2, cooldownSeconds: 300, growCooldownSeconds: 60 },
  apply: { maxStepFraction: 0.25, minChangeMemoryMiB: 64 },
});

const vmOf = (name: string, o: Partial<ScalerVm> = {}): ScalerVm => ({
  name,
  vcpus: 4,
  maxVcpus: 8,
  memoryMiB: 4096,
  maxMemoryMiB: 8192,
  usedCpuCores: 1,
  usedMemoryMiB: 1000,
  poolMember: false,
  ...o,
});
const zoneOf = (name: string, rank: number, cpu: number, mem: number, vms: ScalerVm[] = [], o: Partial<ScalerZone> = {}): ScalerZone => ({
  name,
  rank,
  allocation: { cpuCores: cpu, memoryMiB: mem },
  floor: { cpuCores: 0, memoryMiB: 0 },
  vms,
  ...o,
});

/** Runs decide() on the same state for n ticks, 30 s apart, threading the memory. */
function ticks(zones: ScalerZone[], n: number, c: Config = cfg, mem: ScalerMemory = emptyMemory(), t0 = 0) {
  let m = mem;
  const out = [];
  for (let i = 0; i < n; i++) {
    const d = decide(zones, m, c, t0 + i * 30);
    m = d.memory;
    out.push(d);
  }
  return out;
}

t.test('a busy zone borrows from general first, after sustainTicks ticks', async (t) => {
  const zones = [
    zoneOf('gold', 0, 4, 8192, [vmOf('g1', { usedCpuCores: 3.8 })]),
    zoneOf('silver', 1, 4, 8192, [vmOf('s1', { usedCpuCores: 2.5 })]),
    zoneOf('general', 2, 2, 2048),
  ];
  const [d1, d2] = ticks(zones, 2);
  t.same(d1.actions, [], 'one hot tick is not enough');
  t.same(d2.actions.map((a) => [a.kind, 'from' in a ? a.from : '', 'to' in a ? a.to : '']), [['transfer', 'general', 'gold']]);
  const tr = d2.actions[0] as Extract<(typeof d2.actions)[number], { kind: 'transfer' }>;
  t.equal(tr.cpuCores, 2, 'the hot VM wants 6 vCPUs (3.8 / 0.675): 2 more cores; general lends them');
  t.same(d2.allocations.gold, { cpuCores: 6, memoryMiB: 8192 });
  t.same(d2.allocations.general, { cpuCores: 0, memoryMiB: 2048 });
  t.same(d2.allocations.silver, { cpuCores: 4, memoryMiB: 8192 }, 'silver untouched while general could lend');
});

t.test('then lower-priority slack, lowest priority first; never a higher priority', async (t) => {
  const zones = [
    zoneOf('gold', 0, 4, 8192, [vmOf('g1', { usedCpuCores: 3.8 })]),
    zoneOf('silver', 1, 4, 8192, [vmOf('s1', { usedCpuCores: 2.5 })]),
    zoneOf('bronze', 2, 4, 8192, [vmOf('b1', { usedCpuCores: 2.2 })]),
    zoneOf('general', 3, 0, 0),
  ];
  const d = ticks(zones, 2)[1];
  const moves = d.actions.filter((a) => a.kind === 'transfer').map((a) => [(a as { from: string }).from, (a as { cpuCores: number }).cpuCores]);
  // bronze can lend 4 - 2.2/0.675 = 0.74 cores, silver 4 - 2.5/0.675 = 0.30: both are needed.
  t.same(moves, [['bronze', 0.741], ['silver', 0.296]], 'the lowest priority lends first, then the next one up');
  t.ok(d.allocations.bronze.cpuCores >= 2.2 / 0.675 - 1e-3, 'a lender keeps its own use at the middle of the band');
  t.ok(Math.abs(d.allocations.gold.cpuCores - (4 + 0.741 + 0.296)) < 1e-9);

  // Bronze hot, gold idle with slack, nothing in general or silver to lend: bronze may not take from gold.
  const z2 = [
    zoneOf('gold', 0, 8, 8192, [vmOf('g1', { usedCpuCores: 4.8, vcpus: 8 })]),
    zoneOf('silver', 1, 2, 8192, [vmOf('s1', { usedCpuCores: 1.9, vcpus: 8 })]),
    zoneOf('bronze', 2, 2, 8192, [vmOf('b1', { usedCpuCores: 1.9, vcpus: 8 })]),
    zoneOf('general', 3, 0, 0),
  ];
  const [, e2] = ticks(z2, 2);
  t.same(e2.allocations.gold, { cpuCores: 8, memoryMiB: 8192 }, 'gold never shrinks for a lower zone');
  t.equal(e2.exhausted.bronze, true, 'bronze has no option left: exhausted');
  t.ok(e2.actions.some((a) => a.kind === 'set-exhausted' && a.zone === 'bronze' && a.exhausted));
  t.equal(e2.exhausted.silver, true, 'silver may borrow from bronze, but bronze is busy too');
  t.ok(8 - 4.8 / 0.675 > 0.5, 'although gold had slack to spare');
});

t.test('a busy VM first grows within its zone\'s slack', async (t) => {
  const zones = [zoneOf('gold', 0, 8, 16384, [vmOf('g1', { usedCpuCores: 3.9, usedMemoryMiB: 3900 })]), zoneOf('general', 1, 4, 4096)];
  const d = ticks(zones, 2)[1];
  t.same(
    d.actions.map((a) => a.kind),
    ['resize-vm'],
    'no zone growth: the zone has room',
  );
  const r = d.actions[0] as Extract<(typeof d.actions)[number], { kind: 'resize-vm' }>;
  t.equal(r.vcpus, 6, 'ceil(3.9 / 0.675)');
  t.equal(r.memoryMiB, 5778, 'ceil(3900 / 0.675)');
  t.equal(r.direction, 'grow');
});

t.test('hysteresis, cooldowns, exhausted cleared', async (t) => {
  const hot = [zoneOf('gold', 0, 4, 8192, [vmOf('g1', { usedCpuCores: 3.8, vcpus: 8 })]), zoneOf('general', 1, 20, 8192)];
  const ds = ticks(hot, 4);
  t.equal(ds[1].actions.length, 1, 'grow at tick 2');
  t.equal(ds[2].actions.length, 0, 'grow cooldown (60 s)');
  // After the grow, use sits in the middle of the band: no shrink follows.
  const grown = ds[1].allocations.gold.cpuCores;
  t.ok(Math.abs(3.8 / grown - 0.675) < 0.01, `utilization lands at the middle of the band (${(3.8 / grown).toFixed(3)})`);
  const calm = [zoneOf('gold', 0, grown, 8192, [vmOf('g1', { usedCpuCores: 3.8, vcpus: 8 })]), zoneOf('general', 1, 20 - (grown - 4), 8192)];
  const after = ticks(calm, 20, cfg, ds[1].memory, 60);
  t.ok(after.every((d) => d.actions.length === 0), 'in the band: nothing for 10 minutes');

  // Exhausted, then cleared when the load drops.
  const stuck = [zoneOf('gold', 0, 4, 8192, [vmOf('g1', { usedCpuCores: 3.9, vcpus: 8 })]), zoneOf('general', 1, 0, 0)];
  const s = ticks(stuck, 2);
  t.equal(s[1].exhausted.gold, true);
  const cool = [zoneOf('gold', 0, 4, 8192, [vmOf('g1', { usedCpuCores: 2.5, vcpus: 8 })]), zoneOf('general', 1, 0, 0)];
  const c = decide(cool, s[1].memory, cfg, 90);
  t.equal(c.exhausted.gold, false);
  t.ok(c.actions.some((a) => a.kind === 'set-exhausted' && !a.exhausted));
});

t.test('below the low-water mark for the stabilization window: give back gradually', async (t) => {
  const zones = [zoneOf('gold', 0, 8, 16384, [vmOf('g1', { usedCpuCores: 1, usedMemoryMiB: 1000, memoryMiB: 4096 })]), zoneOf('general', 1, 0, 0)];
  const ds = ticks(zones, 10);
  t.ok(ds.slice(0, 9).every((d) => d.actions.length === 0), 'nothing before cooldownSeconds (300 s = 10 ticks) of low use');
  const gives = ds[9].actions;
  t.same(gives.map((a) => a.kind).sort(), ['resize-vm', 'transfer']);
  const shrink = gives.find((a) => a.kind === 'resize-vm') as Extract<(typeof gives)[number], { kind: 'resize-vm' }>;
  t.equal(shrink.memoryMiB, 3072, 'balloon down by at most 25% per step');
  const tr = gives.find((a) => a.kind === 'transfer') as Extract<(typeof gives)[number], { kind: 'transfer' }>;
  t.same([tr.from, tr.to, tr.cpuCores, tr.memoryMiB], ['gold', 'general', 2, 4096], 'at most 25% of the zone per step');
  // Still idle: the next give-back waits for the cooldown after the last one.
  const shrunk = [zoneOf('gold', 0, 6, 12288, [vmOf('g1', { usedCpuCores: 1, usedMemoryMiB: 1000, memoryMiB: 3072 })]), zoneOf('general', 1, 2, 4096)];
  const wait = ticks(shrunk, 9, cfg, ds[9].memory, 300);
  t.ok(wait.every((d) => d.actions.length === 0), 'nothing within the cooldown');
  const later = decide(shrunk, wait[8].memory, cfg, 270 + 300);
  t.same(later.actions.map((a) => a.kind).sort(), ['resize-vm', 'transfer'], 'gives back again after the cooldown');
  const vmNext = later.actions.find((a) => a.kind === 'resize-vm') as { memoryMiB: number };
  t.equal(vmNext.memoryMiB, 2304);
  // The balloon stops at twice the peak use in the window (use at the low-water mark).
  const spiky = [zoneOf('gold', 0, 8, 16384, [vmOf('g1', { usedCpuCores: 1, usedMemoryMiB: 1000, memoryMiB: 2050 })]), zoneOf('general', 1, 0, 0)];
  const sp = ticks(spiky, 10);
  t.notOk(sp[9].actions.some((a) => a.kind === 'resize-vm'), '2050 MiB is within a minimum change of 2 x 1000: kept');
});

t.test('give-back never goes below the VM\'s day peak, and not at all before a day is seen', async (t) => {
  const idleWith = (peakMemoryMiB: number | null | undefined) => [
    zoneOf('gold', 0, 8, 16384, [vmOf('g1', { usedCpuCores: 1, usedMemoryMiB: 1000, memoryMiB: 4096, ...(peakMemoryMiB !== undefined ? { peakMemoryMiB } : {}) })]),
    zoneOf('general', 1, 0, 0),
  ];
  const shrinkOf = (peak: number | null | undefined) => ticks(idleWith(peak), 10)[9].actions.find((a) => a.kind === 'resize-vm') as { memoryMiB: number } | undefined;
  t.equal(shrinkOf(undefined)?.memoryMiB, 3072, 'no day peak given: the low run alone decides (25% step)');
  t.equal(shrinkOf(1000)?.memoryMiB, 3072, 'a day peak no higher than the use changes nothing');
  t.equal(shrinkOf(1800)?.memoryMiB, 3600, 'a day peak of 1800 MiB: the balloon stops at 1800 / low-water 0.5');
  t.equal(shrinkOf(2500), undefined, 'a day peak above half the balloon: nothing to give back');
  t.equal(shrinkOf(null), undefined, 'seen for less than a day: its balloon is kept');
  // the zone still gives its idle allocation back to general
  t.ok(ticks(idleWith(null), 10)[9].actions.some((a) => a.kind === 'transfer'));
});

t.test('pools: add a member under sustained load, remove only its own surplus when idle', async (t) => {
  const pool = { min: 1, max: 3, memberSize: { cpuCores: 2, memoryMiB: 2048 } };
  const busy = [
    zoneOf('gold', 0, 4, 8192, [vmOf('web-1', { usedCpuCores: 3.6, vcpus: 8, memoryMiB: 2048 }), vmOf('gold-pool-1', { poolMember: true, usedCpuCores: 0.1, memoryMiB: 2048 })], { pool }),
    zoneOf('general', 1, 8, 8192),
  ];
  const d = ticks(busy, 2)[1];
  const add = d.actions.find((a) => a.kind === 'add-pool-member');
  t.ok(add, 'adds a member');
  t.equal((add as { name: string }).name, 'gold-pool-1', 'named from the sequence (the routine skips names in use)');
  t.equal(d.memory.poolSeq, 1);

  const idle = [
    zoneOf('gold', 0, 8, 16384, [vmOf('web-1', { usedCpuCores: 0.2, memoryMiB: 2048, usedMemoryMiB: 1500 }), vmOf('gold-pool-2', { poolMember: true, usedCpuCores: 0.1, memoryMiB: 2048, usedMemoryMiB: 1500 }), vmOf('gold-pool-10', { poolMember: true, usedCpuCores: 0.1, memoryMiB: 2048, usedMemoryMiB: 1500 })], { pool }),
    zoneOf('general', 1, 0, 0),
  ];
  const r = ticks(idle, 10)[9];
  const removes = r.actions.filter((a) => a.kind === 'remove-pool-member');
  t.same(removes.map((a) => (a as { vm: string }).vm), ['gold-pool-10'], 'one at a time, newest first, never web-1');
  const atMin = [zoneOf('gold', 0, 8, 16384, [vmOf('web-1', { usedCpuCores: 0.2 }), vmOf('gold-pool-2', { poolMember: true, usedCpuCores: 0.1 })], { pool }), zoneOf('general', 1, 0, 0)];
  t.notOk(ticks(atMin, 12).some((d) => d.actions.some((a) => a.kind === 'remove-pool-member')), 'keeps pool.min members');
});

// ---------------------------------------------------------------------------------
// Replay of real traces.

const TRACE_DIR = new URL('../../../shared/traces/bitbrains-rnd', import.meta.url).pathname;
const STEP = 300;

/** A VM's trace on a 300 s grid from `start` for `n` steps (last value carried over gaps). */
async function series(id: string, start: number, n: number): Promise<{ cores: number; memMiB: number; cpu: Float64Array; mem: Float64Array }> {
  const vm = listBitbrainsVms(TRACE_DIR).find((v) => v.id === id);
  if (!vm) throw new Error(`trace VM ${id} not found`);
  const { rows } = await readBitbrainsVm(vm);
  const cpu = new Float64Array(n);
  const mem = new Float64Array(n);
  let j = 0;
  let lastCpu = 0;
  let lastMem = 0;
  for (let i = 0; i < n; i++) {
    const end = start + (i + 1) * STEP;
    while (j < rows.length && rows[j].ts < end) {
      if (rows[j].ts >= start + i * STEP - STEP) {
        lastCpu = cpuCoresInUse(rows[j]);
        lastMem = memoryMiBInUse(rows[j]);
      }
      j++;
    }
    cpu[i] = lastCpu;
    mem[i] = lastMem;
  }
  const first = rows.find((r) => r.ts >= start) ?? rows[0];
  return { cores: first.cores, memMiB: Math.round(first.memProvisionedKiB / 1024), cpu, mem };
}

t.test('replayed real trace: reacts within two ticks of a step in load, and does not flap', async (t) => {
  const ZONES = { gold: ['25', '41', '186', '270'], silver: ['412', '421', '306', '198'], bronze: ['1', '9', '33', '95'] };
  const DAY = 288;
  // Day 15 of the trace, with zones sized from day 14 (as a forecast of "yesterday's
  // peak" would). On day 15 VM 41 (gold) wakes up from ~0.05 to ~8 cores: a real step.
  const t0 = 1_372_629_804 + 14 * 86_400;
  const start = t0 - (t0 % STEP);
  const ticksPerStep = STEP / cfg.autoscaler.intervalSeconds; // 10
  const data = new Map<string, Awaited<ReturnType<typeof series>>>();
  for (const ids of Object.values(ZONES)) for (const id of ids) data.set(id, await series(id, start - DAY * STEP, 2 * DAY));

  const classCfg = config({
    classes: Object.keys(ZONES).map((name) => ({ name, buffer: 0.2 })),
    autoscaler: cfg.autoscaler,
    apply: cfg.apply,
  });
  const fallback: Record<string, { cpuCores: number; memoryMiB: number }> = {};
  for (const [zone, ids] of Object.entries(ZONES)) {
    let peakCpu = 0;
    let peakMem = 0;
    for (let i = 0; i < DAY; i++) {
      peakCpu = Math.max(peakCpu, ids.reduce((s, id) => s + data.get(id)!.cpu[i], 0));
      peakMem = Math.max(peakMem, ids.reduce((s, id) => s + data.get(id)!.mem[i], 0));
    }
    fallback[zone] = { cpuCores: peakCpu, memoryMiB: peakMem };
  }
  // A 48-core, 96 GiB host; the real partitioner sizes the zones.
  const capacity = { cpuCores: 48, memoryMiB: 96 * 1024 };
  const plan = partition([], capacity, classCfg, { fallback });
  t.comment(`zones from day 14: ${plan.zones.map((z) => `${z.name} ${z.allocation.cpuCores.toFixed(1)}c/${Math.round(z.allocation.memoryMiB)}M`).join(', ')}`);

  // A second, synthetic step late in the day: gold's demand doubles from 20:00 on.
  const SYNTH_TICK = 20 * 60 * 2;
  const makeVms = (synthetic: boolean): ReplayVm[] =>
    Object.entries(ZONES).flatMap(([zone, ids]) =>
      ids.map((id) => {
        const d = data.get(id)!;
        const vcpus = Math.min(16, Math.max(1, d.cores));
        return {
          name: `bitbrains-${id}`,
          zone,
          vcpus,
          maxVcpus: Math.max(vcpus * 2, 8),
          memoryMiB: Math.max(1024, d.memMiB),
          maxMemoryMiB: Math.max(1024, d.memMiB) * 2,
          demand: (tick: number) => {
            const i = DAY + Math.floor(tick / ticksPerStep);
            const f = synthetic && zone === 'gold' && tick >= SYNTH_TICK ? 2 : 1;
            return { cpuCores: d.cpu[i] * f, memoryMiB: d.mem[i] };
          },
        };
      }),
    );
  const zones = plan.zones.map((z) => ({ name: z.name, rank: z.rank, allocation: z.allocation, floor: z.floor }));
  const run = (c: Config, synthetic = true) => replay({ zones, vms: makeVms(synthetic), ticks: DAY * ticksPerStep, config: c, start });
  const r = run(classCfg);
  const goldGrows = r.actions.filter((a) => actionDirections(a.action).some((x) => x.zone === 'gold' && x.dir === 1)).map((a) => a.tick);

  // 1. The real step: the first tick where gold's use crosses the high-water mark.
  const util = (tick: number) => r.ticks[tick].zones.gold.used.cpuCores / r.ticks[tick].zones.gold.allocation.cpuCores;
  const stepTick = r.ticks.findIndex((_, i) => i > 0 && util(i) > classCfg.autoscaler.highWater && util(i - 1) <= classCfg.autoscaler.highWater);
  t.ok(stepTick > 0, `gold crosses the high-water mark at tick ${stepTick} (${(stepTick / 120).toFixed(1)} h)`);
  const reaction = goldGrows.find((x) => x >= stepTick)!;
  t.ok(reaction !== undefined && reaction - stepTick <= 1, `real step: gold grown ${reaction - stepTick + 1} tick(s) after it (at most two)`);

  // 2. The synthetic step at 20:00 (gold's demand doubles).
  const synth = goldGrows.find((x) => x >= SYNTH_TICK);
  t.ok(synth !== undefined && synth - SYNTH_TICK <= 1, `synthetic step: gold grown ${synth! - SYNTH_TICK + 1} tick(s) after it`);
  const unmetAtStep = r.ticks[SYNTH_TICK].zones.gold.unmet.cpuCores;
  const unmetAfter = r.ticks.slice(SYNTH_TICK + 10, SYNTH_TICK + 40).reduce((s, x) => s + x.zones.gold.unmet.cpuCores, 0) / 30;
  t.ok(unmetAtStep > 0.5 && unmetAfter < unmetAtStep / 2, `gold's unmet CPU: ${unmetAtStep.toFixed(2)} cores at the step, ${unmetAfter.toFixed(2)} on average 5-20 minutes later`);

  // 3. No flapping: per knob (a zone's allocation, a VM's size), count the actions and
  //    the direction reversals. General is the pool everyone borrows from and gives
  //    back to: its moves are the other zones' decisions.
  const stats = (res: typeof r) => {
    const perKnob: Record<string, { actions: number; reversals: number; quickReversals: number }> = {};
    const last: Record<string, { dir: number; tick: number }> = {};
    for (const { tick, action } of res.actions) {
      const moves =
        action.kind === 'resize-vm'
          ? [{ knob: `vm:${action.vm}`, dir: action.direction === 'grow' ? 1 : -1 }]
          : actionDirections(action).map((x) => ({ knob: `zone:${x.zone}`, dir: x.dir }));
      for (const { knob, dir } of moves) {
        if (knob === 'zone:general') continue;
        const s = (perKnob[knob] ??= { actions: 0, reversals: 0, quickReversals: 0 });
        s.actions++;
        const l = last[knob];
        if (l && l.dir !== dir) {
          s.reversals++;
          if ((tick - l.tick) * cfg.autoscaler.intervalSeconds < cfg.autoscaler.cooldownSeconds) s.quickReversals++;
        }
        last[knob] = { dir, tick };
      }
    }
    return perKnob;
  };
  const ours = stats(r);
  const total = Object.values(ours).reduce((s, z) => s + z.actions, 0);
  const ourReversals = Object.values(ours).reduce((s, z) => s + z.reversals, 0);
  t.comment(`with hysteresis, 24 h: ${JSON.stringify(ours)}`);
  for (const [knob, s] of Object.entries(ours)) {
    t.equal(s.quickReversals, 0, `${knob}: never reverses direction within the cooldown`);
    // The replayed day really changes regime a few times (VM 41 and 186 wake up and
    // sleep again, memory swings by 10 GiB): following that is not flapping.
    t.ok(s.reversals <= 8, `${knob}: ${s.reversals} direction reversals in 24 h (at most one per 3 h on average)`);
  }

  // 4. The same replay without the guard rails (no band, no sustain, no cooldowns) flaps,
  //    so the counts above are the guard rails' doing and this test can tell.
  const naive = config({
    classes: classCfg.classes,
    apply: classCfg.apply,
    autoscaler: { ...classCfg.autoscaler, lowWater: 0.84, highWater: 0.85, sustainTicks: 1, cooldownSeconds: 0, growCooldownSeconds: 0 },
  });
  const theirs = stats(run(naive));
  const naiveTotal = Object.values(theirs).reduce((s, z) => s + z.actions, 0);
  const naiveReversals = Object.values(theirs).reduce((s, z) => s + z.reversals, 0);
  t.comment(`without hysteresis: ${naiveTotal} actions, ${naiveReversals} reversals (with: ${total}, ${ourReversals})`);
  t.ok(naiveReversals > 5 * Math.max(1, ourReversals), 'hysteresis removes most reversals');
  t.ok(naiveTotal > 4 * total, 'and most actions');
});
