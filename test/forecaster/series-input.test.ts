// Series building: the protocol's grid (floor, average duplicates, fill gaps up to 1 h),
// the origins and peak targets, and rollups from the store (no invented zeros).
import t from 'tap';
import { toGrid, fillShortGaps } from '../../forecaster/input/series.js';
import { originsIn, peakTarget, maxKnown } from '../../forecaster/input/windows.js';
import { rollupsToSeries } from '../../forecaster/input/store.js';
import type { Rollup } from '../../core/model/types.js';

t.test('timestamps are floored to the grid, duplicates averaged', async (t) => {
  const g = toGrid([
    { ts: 1000, value: 1 }, // bucket 900
    { ts: 1199, value: 3 }, // bucket 900 too
    { ts: 1200, value: 5 },
  ]);
  t.equal(g.start, 900);
  t.same(Array.from(g.values), [2, 5]);
});

t.test('gaps of up to 12 steps take the last value; longer ones stay empty', async (t) => {
  const pts = [{ ts: 0, value: 1 }, { ts: 300 * 13, value: 2 }, { ts: 300 * 27, value: 3 }];
  const g = toGrid(pts);
  t.equal(g.values.length, 28);
  t.same(Array.from(g.values.subarray(1, 13)), new Array(12).fill(1), '12 missing steps: filled');
  t.ok(Array.from(g.values.subarray(14, 27)).every(Number.isNaN), '13 missing steps: left empty');
  const v = Float64Array.from([NaN, NaN, 4]);
  fillShortGaps(v, 12);
  t.ok(Number.isNaN(v[0]), 'nothing before the first value to carry');
});

t.test('origins hourly inside the window, targets the max of t+1..t+H', async (t) => {
  t.same(originsIn(100, 130, 1), [100, 112, 124]);
  t.same(originsIn(100, 130, 6), [100, 112], '124 + 6 = 130 is outside');
  const v = Float64Array.from([1, 5, 2, 7, 3, 0]);
  t.equal(peakTarget(v, 0, 1), 5);
  t.equal(peakTarget(v, 0, 3), 7);
  t.ok(Number.isNaN(peakTarget(v, 3, 3)), 'a target past the end is unknown');
  v[2] = NaN;
  t.ok(Number.isNaN(peakTarget(v, 0, 3)), 'a gap is never a target');
  t.equal(maxKnown(v, 0, 3), 5);
});

t.test('rollups: empty buckets and missing measurements never become zeros', async (t) => {
  const r = (ts: number, cpu: number, mem: number, samples = 30): Rollup => ({
    series: 'class:gold', ts, cpuMean: cpu, cpuMax: cpu, cpuP95: cpu, memMean: mem, memMax: mem, memP95: mem, netBps: 0, diskBps: 0, samples,
  });
  const rows = [r(0, 1, 100), r(300, 2, NaN), r(600, 9, 9, 0), r(900, 4, 400), r(300 * 20, 3, 300)];
  const [cpu, mem] = rollupsToSeries('class:gold', rows);
  t.equal(cpu.resource, 'cpu');
  t.equal(mem.resource, 'memory');
  t.equal(cpu.values.length, 21);
  t.equal(cpu.values[1], 2);
  t.equal(cpu.values[2], 2, 'a bucket without samples is a gap (filled from the last value)');
  t.equal(mem.values[1], 100, 'a NaN measurement is a gap, bridged by the last value');
  t.ok(Number.isNaN(cpu.values[10]), '16 missing steps stay empty');
  t.equal(cpu.values[20], 3);
  t.notOk(Array.from(cpu.values).some((x) => x === 0), 'no zeros were invented');
  t.same(rollupsToSeries('x', []), []);
});
