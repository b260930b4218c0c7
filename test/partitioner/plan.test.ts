import t from 'tap';
import fc from 'fast-check';
import { partition, partitionSeed } from '../../partitioner/plan/partition.js';
import { capacityOf, checkFloors } from '../../partitioner/plan/capacity.js';
import { effectiveBuffer } from '../../partitioner/plan/demand.js';
import { waterFill } from '../../partitioner/plan/allocate.js';
import { FloorsExceedCapacityError, type Plan } from '../../partitioner/plan/types.js';
import { memoryMinimum } from '../../partitioner/vm-targets/targets.js';
import { config, prediction, vm } from './helpers.js';
import type { Config } from '../../core/config/schema.js';
import type { LoadPrediction } from '../../core/model/types.js';

const EPS = 1e-6;
const byName = (p: Plan) => Object.fromEntries(p.zones.map((z) => [z.name, z]));

t.test('capacity: host minus reserve, CPU overcommitted, memory never', async (t) => {
  const c = config({ host: { reserve: { cpuCores: 2, memoryMiB: 4096 }, cpuOvercommit: 2 } });
  t.same(capacityOf({ cpus: 16, memoryKiB: 64 * 1024 * 1024 }, c), { cpuCores: 28, memoryMiB: 61440 });
  t.same(capacityOf({ cpus: 1, memoryKiB: 1024 }, c), { cpuCores: 0, memoryMiB: 0 }, 'never negative');
});

t.test('everything fits: each class gets peak x (1 + buffer), general the rest', async (t) => {
  const c = config({ classes: [{ name: 'gold', buffer: 0.25 }, { name: 'silver', buffer: 0.5 }] });
  const p = partition([prediction('gold', 'cpu', 4), prediction('gold', 'memory', 8000), prediction('silver', 'cpu', 2), prediction('silver', 'memory', 2000)], { cpuCores: 16, memoryMiB: 32000 }, c);
  const z = byName(p);
  t.equal(z.gold.allocation.cpuCores, 5);
  t.equal(z.gold.allocation.memoryMiB, 10000);
  t.equal(z.silver.allocation.cpuCores, 3);
  t.equal(z.silver.allocation.memoryMiB, 3000);
  t.same(z.general.allocation, { cpuCores: 8, memoryMiB: 19000 });
  t.same(p.zones.map((x) => x.name), ['gold', 'silver', 'general']);
  t.equal(z.gold.partition, '/machine/virtzone-gold');
  t.same(p.warnings, []);
});

t.test('low confidence widens the buffer (VPA-style), up to the configured multiplier', async (t) => {
  t.equal(effectiveBuffer(0.2, 1, 3), 0.2);
  t.equal(effectiveBuffer(0.2, 0, 3), 0.6000000000000001);
  t.equal(effectiveBuffer(0.2, 0.5, 3), 0.4);
  t.equal(effectiveBuffer(0.2, Number.NaN, 3), effectiveBuffer(0.2, 0, 3), 'unknown confidence counts as none');
  const c = config({ classes: [{ name: 'gold', buffer: 0.5 }], partitioner: { lowConfidenceBufferMultiplier: 2 } });
  const sure = partition([prediction('gold', 'cpu', 4, 1)], { cpuCores: 100, memoryMiB: 100 }, c);
  const unsure = partition([prediction('gold', 'cpu', 4, 0)], { cpuCores: 100, memoryMiB: 100 }, c);
  t.equal(byName(sure).gold.allocation.cpuCores, 6);
  t.equal(byName(unsure).gold.allocation.cpuCores, 8);
});

t.test('uses the configured horizon and the newest prediction; ignores others', async (t) => {
  const c = config({ classes: [{ name: 'gold', buffer: 0 }], partitioner: { horizon: '24h' } });
  const old = { ...prediction('gold', 'cpu', 10, 1, '24h'), origin: 1 };
  const p = partition([prediction('gold', 'cpu', 3, 1, '30m'), old, prediction('gold', 'cpu', 5, 1, '24h')], { cpuCores: 100, memoryMiB: 100 }, c);
  t.equal(byName(p).gold.allocation.cpuCores, 5);
  t.equal(byName(p).gold.source.cpuCores, 'forecast');
  t.equal(byName(p).gold.source.memoryMiB, 'floor');
});

t.test('floors alone above capacity: a clear error naming the resource', async (t) => {
  const c = config({ classes: [{ name: 'gold', floor: { cpuCores: 10 } }, { name: 'silver', floor: { cpuCores: 8 } }] });
  t.throws(() => checkFloors({ cpuCores: 16, memoryMiB: 1000 }, c), FloorsExceedCapacityError);
  t.throws(() => partition([], { cpuCores: 16, memoryMiB: 1000 }, c), /classes\[\*\]\.floor\.cpuCores: the floors add up to 18 but the host offers 16/);
  t.doesNotThrow(() => checkFloors({ cpuCores: 18, memoryMiB: 0 }, c));
});

t.test('seed vs proportional: the seed stops at the first class that does not fit', async (t) => {
  // gold 6, silver 12, bronze 2 cores of demand; 16 cores; every floor 1 core.
  const c = config({
    classes: ['gold', 'silver', 'bronze'].map((name) => ({ name, buffer: 0, floor: { cpuCores: 1, memoryMiB: 0 } })),
  });
  const preds = [prediction('gold', 'cpu', 6), prediction('silver', 'cpu', 12), prediction('bronze', 'cpu', 2)];
  const cap = { cpuCores: 16, memoryMiB: 1000 };
  const seed = byName(partitionSeed(preds, cap, c));
  const prop = byName(partition(preds, cap, c));
  // The seed: silver does not fit, so silver and bronze get their floor and 8 cores idle in general.
  t.same([seed.gold.allocation.cpuCores, seed.silver.allocation.cpuCores, seed.bronze.allocation.cpuCores, seed.general.allocation.cpuCores], [6, 1, 1, 8]);
  // Proportional: silver and bronze share the 10 cores left, 12:2.
  t.equal(prop.gold.allocation.cpuCores, 6);
  t.ok(Math.abs(prop.silver.allocation.cpuCores - (10 * 12) / 14) < EPS);
  t.ok(Math.abs(prop.bronze.allocation.cpuCores - (10 * 2) / 14) < EPS);
  t.ok(Math.abs(prop.general.allocation.cpuCores) < EPS);
  const shortfall = (z: Record<string, Plan['zones'][number]>) => ['gold', 'silver', 'bronze'].reduce((s, n) => s + z[n].shortfall.cpuCores, 0);
  t.equal(shortfall(seed), 12, 'seed leaves 12 cores of class demand uncovered');
  t.ok(shortfall(prop) < 4 + EPS, 'proportional leaves 4');
});

t.test('proportional sharing keeps floors (water-filling)', async (t) => {
  // 10 left for demands 20 and 2 with floors 0 and 3: the small one is pinned at its floor.
  const a = waterFill([20, 2], [0, 3], 10);
  t.same(a, [7, 3]);
  t.same(waterFill([5, 5], [0, 0], 0), [0, 0]);
});

// ---------------------------------------------------------------------------------
// Properties, on both algorithms.

interface Scenario {
  config: Config;
  predictions: LoadPrediction[];
  capacity: { cpuCores: number; memoryMiB: number };
}

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    n: fc.integer({ min: 1, max: 8 }),
    cap: fc.record({ cpuCores: fc.double({ min: 0, max: 256, noNaN: true }), memoryMiB: fc.integer({ min: 0, max: 1 << 20 }) }),
    seed: fc.array(
      fc.record({
        buffer: fc.double({ min: 0, max: 2, noNaN: true }),
        floorShare: fc.double({ min: 0, max: 1, noNaN: true }),
        cpu: fc.option(fc.double({ min: 0, max: 128, noNaN: true }), { nil: undefined }),
        mem: fc.option(fc.integer({ min: 0, max: 1 << 19 }), { nil: undefined }),
        confidence: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      { minLength: 8, maxLength: 8 },
    ),
    floorBudget: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ n, cap, seed, floorBudget }) => {
    // Floors: a random split of at most the capacity, so the config is valid.
    const shares = seed.slice(0, n).map((s) => s.floorShare);
    const total = shares.reduce((a, b) => a + b, 0) || 1;
    const classes = seed.slice(0, n).map((s, i) => ({
      name: `c${i}`,
      buffer: s.buffer,
      // the share first: a subnormal share times the capacity would round far off its ratio
      floor: { cpuCores: cap.cpuCores * floorBudget * (shares[i] / total), memoryMiB: Math.floor(cap.memoryMiB * floorBudget * (shares[i] / total)) },
    }));
    const predictions: LoadPrediction[] = [];
    seed.slice(0, n).forEach((s, i) => {
      if (s.cpu !== undefined) predictions.push(prediction(`c${i}`, 'cpu', s.cpu, s.confidence));
      if (s.mem !== undefined) predictions.push(prediction(`c${i}`, 'memory', s.mem, s.confidence));
    });
    return { config: config({ classes }), predictions, capacity: cap };
  });

for (const [label, fn] of [
  ['proportional', partition],
  ['seed', partitionSeed],
] as const) {
  t.test(`properties (${label})`, async (t) => {
    fc.assert(
      fc.property(scenario, ({ config: c, predictions, capacity }) => {
        const p = fn(predictions, capacity, c);
        const classes = p.zones.filter((z) => z.name !== 'general');
        const general = p.zones.find((z) => z.name === 'general')!;
        for (const r of ['cpuCores', 'memoryMiB'] as const) {
          const tol = EPS * Math.max(1, capacity[r]);
          const sum = p.zones.reduce((s, z) => s + z.allocation[r], 0);
          // 1. zone sizes never exceed capacity, never negative
          if (sum > capacity[r] + tol) throw new Error(`${r}: zones add up to ${sum} > ${capacity[r]}`);
          for (const z of p.zones) if (z.allocation[r] < -tol) throw new Error(`${z.name}.${r} negative`);
          // 2. floors hold
          for (const z of classes) if (z.allocation[r] < z.floor[r] - tol) throw new Error(`${z.name}.${r} ${z.allocation[r]} below floor ${z.floor[r]}`);
          // 3. general is exactly the remainder
          const classSum = classes.reduce((s, z) => s + z.allocation[r], 0);
          if (Math.abs(general.allocation[r] - Math.max(0, capacity[r] - classSum)) > tol) throw new Error(`${r}: general ${general.allocation[r]} != remainder`);
          // 4. a zone never gets more than it asked for
          for (const z of classes) if (z.allocation[r] > z.demand[r] + tol) throw new Error(`${z.name}.${r} above its demand`);
          // 5. higher priority never shrunk to grow a lower one: a lower class above its
          //    floor never has a larger share of its demand than a higher class
          for (let i = 0; i < classes.length; i++) {
            for (let j = i + 1; j < classes.length; j++) {
              const hi = classes[i];
              const lo = classes[j];
              if (lo.allocation[r] <= lo.floor[r] + tol || hi.demand[r] <= tol) continue;
              const sHi = hi.allocation[r] / hi.demand[r];
              const sLo = lo.allocation[r] / lo.demand[r];
              if (sLo > sHi + 1e-6) throw new Error(`${r}: ${lo.name} gets ${sLo} of its demand, higher ${hi.name} only ${sHi}`);
            }
          }
        }
      }),
      { numRuns: 400 },
    );
    t.pass('400 random cases hold');
  });

  t.test(`a class that fits is untouched when a lower class asks for more (${label})`, async (t) => {
    fc.assert(
      fc.property(scenario, fc.nat(), fc.double({ min: 0, max: 500, noNaN: true }), ({ config: c, predictions, capacity }, pick, extra) => {
        const n = c.classes.length;
        const k = pick % n;
        const before = fn(predictions, capacity, c);
        const more = predictions.map((p) => (p.series === `class:c${k}` ? { ...p, peakLoad: p.peakLoad + extra } : p));
        const after = fn(more, capacity, c);
        for (let i = 0; i < k; i++) {
          for (const r of ['cpuCores', 'memoryMiB'] as const) {
            const z0 = before.zones[i];
            const z1 = after.zones[i];
            const fitted = z0.allocation[r] >= z0.demand[r] - EPS * Math.max(1, z0.demand[r]);
            if (fitted && z1.allocation[r] < z0.allocation[r] - EPS * Math.max(1, z0.allocation[r])) {
              throw new Error(`${z0.name}.${r} shrank from ${z0.allocation[r]} to ${z1.allocation[r]} when lower c${k} asked for more`);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
    t.pass('300 random cases hold');
  });
}

t.test('proportional is never worse than the seed for the classes', async (t) => {
  fc.assert(
    fc.property(scenario, ({ config: c, predictions, capacity }) => {
      const a = partition(predictions, capacity, c);
      const b = partitionSeed(predictions, capacity, c);
      for (const r of ['cpuCores', 'memoryMiB'] as const) {
        const short = (p: Plan) => p.zones.reduce((s, z) => s + z.shortfall[r], 0);
        if (short(a) > short(b) + EPS * Math.max(1, capacity[r])) throw new Error(`${r}: proportional shortfall ${short(a)} > seed ${short(b)}`);
      }
    }),
    { numRuns: 300 },
  );
  t.pass('300 random cases hold');
});

t.test('memory target never below use + margin, nor the floor; members fit the zone when they can', async (t) => {
  const vmArb = fc.record({
    used: fc.option(fc.integer({ min: 0, max: 60_000 }), { nil: null }),
    mem: fc.integer({ min: 256, max: 65_536 }),
    headroom: fc.integer({ min: 0, max: 65_536 }),
    cpu: fc.option(fc.double({ min: 0, max: 16, noNaN: true }), { nil: null }),
    floor: fc.option(fc.integer({ min: 0, max: 8192 }), { nil: undefined }),
  });
  fc.assert(
    fc.property(
      fc.array(vmArb, { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 0, max: 1 << 20 }),
      fc.integer({ min: 0, max: 1024 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (specs, zoneMem, marginMiB, marginFraction) => {
        const c = config({
          classes: [{ name: 'gold', buffer: 0.2 }],
          partitioner: { memoryMarginMiB: marginMiB, memoryMarginFraction: marginFraction },
        });
        const vms = specs.map((s, i) => {
          const need = s.used === null ? 0 : Math.ceil(Math.max(s.used + marginMiB, s.used * (1 + marginFraction)));
          return vm(`v${i}`, 'gold', {
            usedMemoryMiB: s.used,
            usedCpuCores: s.cpu,
            memoryMiB: s.mem,
            // a domain whose maximum can hold its use + margin (else no target can)
            maxMemoryMiB: Math.max(s.mem, need, s.floor ?? 0, c.partitioner.vmMemoryFloorMiB) + s.headroom,
            ...(s.floor !== undefined ? { memoryFloorMiB: s.floor } : {}),
          });
        });
        const p = partition([prediction('gold', 'memory', zoneMem, 1), prediction('gold', 'cpu', 8, 1)], { cpuCores: 64, memoryMiB: 1 << 21 }, c, { vms });
        let sumMin = 0;
        for (const tg of p.vms) {
          const v = vms.find((x) => x.name === tg.vm)!;
          const floor = v.memoryFloorMiB ?? c.partitioner.vmMemoryFloorMiB;
          const min = memoryMinimum(v.usedMemoryMiB, v.memoryMiB, floor, c.partitioner);
          sumMin += min;
          if (tg.memoryMiB < min) throw new Error(`${tg.vm}: target ${tg.memoryMiB} < use + margin / floor ${min}`);
          if (v.usedMemoryMiB !== null && tg.memoryMiB < v.usedMemoryMiB + marginMiB) throw new Error(`${tg.vm}: below use + margin`);
          if (tg.memoryMiB > v.maxMemoryMiB) throw new Error(`${tg.vm}: above its maximum`);
          if (tg.vcpus < 1 || tg.vcpus > v.maxVcpus) throw new Error(`${tg.vm}: vcpus ${tg.vcpus} out of range`);
        }
        const zone = p.zones.find((z) => z.name === 'gold')!;
        const sum = p.vms.reduce((s, x) => s + x.memoryMiB, 0);
        if (sumMin <= zone.allocation.memoryMiB && sum > zone.allocation.memoryMiB + p.vms.length) {
          throw new Error(`members take ${sum} MiB of a ${zone.allocation.memoryMiB} MiB zone although their minimums (${sumMin}) fit`);
        }
      },
    ),
    { numRuns: 300 },
  );
  t.pass('300 random cases hold');
});

t.test('per-VM targets and the diff', async (t) => {
  const c = config({ classes: [{ name: 'gold', buffer: 0.25 }], partitioner: { memoryMarginMiB: 256, memoryMarginFraction: 0.1, lowConfidenceBufferMultiplier: 2 } });
  const vms = [
    vm('busy', 'gold', { vcpus: 2, usedCpuCores: 3.2, memoryMiB: 2048, usedMemoryMiB: 2000, cpuShares: 1024, vcpuQuota: -1 }),
    vm('idle', 'gold', { vcpus: 4, usedCpuCores: 0.2, memoryMiB: 8192, usedMemoryMiB: 1000, cpuShares: 1024, vcpuQuota: -1 }),
    vm('nosample', 'gold', { usedCpuCores: null, usedMemoryMiB: null }),
    vm('stopped', 'gold', { running: false }),
    vm('foreign', 'general', { managed: false }),
  ];
  const p = partition([prediction('gold', 'cpu', 4), prediction('gold', 'memory', 12000)], { cpuCores: 16, memoryMiB: 65536 }, c, { vms });
  const tg = Object.fromEntries(p.vms.map((x) => [x.vm, x]));
  t.same(Object.keys(tg).sort(), ['busy', 'idle', 'nosample'], 'only managed running VMs get targets');
  // busy: 3.2 cores x (1 + 0.25 x 2) = 4.8 -> 5 vCPUs; memory 2000 x 1.5 = 3000
  t.equal(tg.busy.vcpus, 5);
  t.equal(tg.busy.memoryMiB, 3000);
  t.equal(tg.busy.vcpuQuota, -1);
  // idle: 0.3 cores -> 1 vCPU, capped by quota 1/4 of a period per vCPU until unplugged
  t.equal(tg.idle.vcpus, 1);
  t.equal(tg.idle.vcpuQuota, 25_000);
  t.equal(tg.idle.memoryMiB, 1500);
  t.ok(tg.idle.cpuShares < tg.busy.cpuShares, 'shares follow demand');
  t.equal(tg.nosample.memoryMiB, 4096, 'no sample: size kept');
  t.equal(tg.nosample.vcpus, 2);
  const fields = p.changes.filter((x) => x.vm === 'busy').map((x) => x.field).sort();
  t.same(fields, ['cpuShares', 'memoryMiB', 'vcpus']);
  t.notOk(p.changes.some((x) => x.vm === 'nosample'), 'no change without a reason');

  // the same idle VM with a day peak of 3000 MiB: sized for the peak, and never below the peak + margin
  const peaked = partition([prediction('gold', 'cpu', 4), prediction('gold', 'memory', 12000)], { cpuCores: 16, memoryMiB: 65536 }, c, {
    vms: [vm('idle', 'gold', { vcpus: 4, usedCpuCores: 0.2, memoryMiB: 8192, usedMemoryMiB: 1000, peakMemoryMiB: 3000, cpuShares: 1024, vcpuQuota: -1 })],
  });
  t.equal(peaked.vms[0].memoryMiB, 4500, '3000 x 1.5');
  t.equal(peaked.vms[0].minMemoryMiB, Math.ceil(3000 * 1.1), 'the minimum is the day peak + margin');
  t.match(peaked.vms[0].reason, /memory use 1000 MiB \(day peak 3000 MiB\) -> 4500 MiB/);
  const unknown = partition([prediction('gold', 'cpu', 4), prediction('gold', 'memory', 12000)], { cpuCores: 16, memoryMiB: 65536 }, c, {
    vms: [vm('idle', 'gold', { vcpus: 4, usedCpuCores: 0.2, memoryMiB: 8192, usedMemoryMiB: 1000, peakMemoryMiB: null, cpuShares: 1024, vcpuQuota: -1 })],
  });
  t.equal(unknown.vms[0].memoryMiB, 1500, 'no day peak known: the recent use decides');
  t.match(unknown.vms[0].reason, /memory use 1000 MiB -> 1500 MiB/);
});
