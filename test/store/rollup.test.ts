import t from 'tap';
import { bucketOf, computeRollup, nearestRank, sumPerTick, type UsagePoint } from '../../core/store/rollup.js';

const p = (cpuCores: number | null, memoryMiB: number | null, netBps: number | null = null, diskBps: number | null = null): UsagePoint => ({ cpuCores, memoryMiB, netBps, diskBps });

t.test('bucketOf floors to the 300 s grid', async (t) => {
  t.equal(bucketOf(1372629804), 1372629600);
  t.equal(bucketOf(1372629600), 1372629600);
  t.equal(bucketOf(1372629899), 1372629600);
  t.equal(bucketOf(1372629900), 1372629900);
});

t.test('p95 by nearest rank', async (t) => {
  const v = Float64Array.from({ length: 20 }, (_, i) => i + 1); // 1..20
  t.equal(nearestRank(v, 0.95), 19); // ceil(0.95*20)=19th value
  t.equal(nearestRank(Float64Array.from([7]), 0.95), 7);
  t.equal(nearestRank(Float64Array.from({ length: 30 }, (_, i) => i + 1), 0.95), 29); // ceil(28.5)=29
  t.ok(Number.isNaN(nearestRank(new Float64Array(0), 0.95)));
});

t.test('mean, max, p95 of a bucket, hand-computed', async (t) => {
  // 30 ticks: cpu 0.1, 0.2, ..., 3.0 (shuffled), memory 1000 + 10·i
  const pts: UsagePoint[] = [];
  for (let i = 1; i <= 30; i++) pts.push(p(i / 10, 1000 + 10 * i, 100 * i, 50));
  pts.reverse();
  const r = computeRollup('vm:a', 1700000123, pts)!;
  t.equal(r.series, 'vm:a');
  t.equal(r.ts, 1700000100);
  t.equal(r.samples, 30);
  t.ok(Math.abs(r.cpuMean - 1.55) < 1e-12, `cpu mean ${r.cpuMean}`); // (0.1+3.0)/2
  t.equal(r.cpuMax, 3.0);
  t.equal(r.cpuP95, 2.9); // 29th of 30
  t.equal(r.memMean, 1155); // 1000 + 10·15.5
  t.equal(r.memMax, 1300);
  t.equal(r.memP95, 1290);
  t.equal(r.netBps, 1550);
  t.equal(r.diskBps, 50);
});

t.test('unmeasured points: stats over measured ones, NaN when none, no rollup when nothing', async (t) => {
  const r = computeRollup('vm:a', 0, [p(null, 100), p(2, 300), p(4, null)])!;
  t.equal(r.cpuMean, 3);
  t.equal(r.cpuMax, 4);
  t.equal(r.memMean, 200);
  t.equal(r.samples, 3);
  t.ok(Number.isNaN(r.netBps));
  const memOnly = computeRollup('vm:a', 0, [p(null, 100)])!;
  t.ok(Number.isNaN(memOnly.cpuMean) && Number.isNaN(memOnly.cpuMax) && Number.isNaN(memOnly.cpuP95));
  t.equal(memOnly.memMax, 100);
  t.equal(computeRollup('vm:a', 0, [p(null, null, 5, 5)]), null);
  t.equal(computeRollup('vm:a', 0, []), null);
});

t.test('a single point (imports) gives mean = max = p95', async (t) => {
  const r = computeRollup('vm:b', 601, [p(1.5, 2048, 10, 20)])!;
  t.same(
    { ts: r.ts, cpuMean: r.cpuMean, cpuMax: r.cpuMax, cpuP95: r.cpuP95, memMean: r.memMean, memMax: r.memMax, memP95: r.memP95, netBps: r.netBps, diskBps: r.diskBps, samples: r.samples },
    { ts: 600, cpuMean: 1.5, cpuMax: 1.5, cpuP95: 1.5, memMean: 2048, memMax: 2048, memP95: 2048, netBps: 10, diskBps: 20, samples: 1 },
  );
});

t.test('class rollup max is the max of per-tick sums, not the sum of maxes', async (t) => {
  // two VMs that peak at different ticks
  const ticks = [0, 10, 20];
  const a = [4, 1, 1];
  const b = [1, 1, 4];
  const grouped = ticks.flatMap((ts, i) => [
    { ts, group: 'class:gold', point: p(a[i], 100) },
    { ts, group: 'class:gold', point: p(b[i], 200) },
  ]);
  const sums = sumPerTick(grouped).get('class:gold')!;
  t.same(sums.map((s) => s.ts), [0, 10, 20]);
  t.same(sums.map((s) => s.point.cpuCores), [5, 2, 5]);
  const r = computeRollup('class:gold', 0, sums.map((s) => s.point))!;
  t.equal(r.cpuMax, 5, 'max of sums (sum of maxes would be 8)');
  t.equal(r.cpuMean, 4);
  t.equal(r.memMax, 300);
  t.equal(r.samples, 3);
});

t.test('a VM unmeasured at a tick adds nothing to that tick', async (t) => {
  const sums = sumPerTick([
    { ts: 0, group: 'g', point: p(null, 100) },
    { ts: 0, group: 'g', point: p(2, null) },
    { ts: 10, group: 'g', point: p(null, null) },
  ]).get('g')!;
  t.same(sums[0].point, { cpuCores: 2, memoryMiB: 100, netBps: null, diskBps: null });
  t.same(sums[1].point, { cpuCores: null, memoryMiB: null, netBps: null, diskBps: null });
});
