// Split-conformal calibration reaches its target coverage on data with known noise.
import t from 'tap';
import {
  applyOffsets,
  calibrationOffsets,
  conformalOffsets,
  conformalQuantile,
  crossFittedRows,
  effectiveSampleSize,
  OWN_QUANTILE_PRIOR,
} from '../../forecaster/logic/conformal.js';
import { coverage } from '../../forecaster/logic/pinball.js';

const LEVELS = [0.5, 0.9, 0.95, 0.99];

/** seeded normal noise (Box-Muller over mulberry32) */
function normals(n: number, seed: number): Float64Array {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), a | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return (((x ^ (x >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return Float64Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

t.test('conformal quantile picks the ceil((n+1) tau)-th score', async (t) => {
  const s = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  t.equal(conformalQuantile(s, 0.5), 5, 'ceil(10 * 0.5) = 5th');
  t.equal(conformalQuantile(s, 0.9), 9, 'ceil(10 * 0.9) = 9th');
  t.equal(conformalQuantile(s, 0.99), 9, 'capped at the largest');
  t.equal(conformalQuantile(s, 0.5, 'empirical'), 5);
  t.equal(conformalQuantile([0, 10], 0.25, 'empirical'), 2.5, 'interpolated');
  t.equal(conformalQuantile([], 0.9), 0, 'no scores: no shift');
});

t.test('a point forecast with N(0, 2) noise reaches ~95% coverage after calibration', async (t) => {
  const nCal = 2000;
  const nTest = 20000;
  const noise = normals(nCal + nTest, 42);
  const truth = (i: number) => 50 + 10 * Math.sin(i / 30);
  const y = Float64Array.from(noise, (e, i) => truth(i) + 2 * e);
  // the model knows the signal but not the noise: every level holds the point
  const preds = new Float64Array((nCal + nTest) * 4);
  for (let i = 0; i < nCal + nTest; i++) preds.fill(truth(i), i * 4, i * 4 + 4);
  const raw = coverage(y.subarray(nCal), preds.subarray(nCal * 4), LEVELS, 0.95);
  t.ok(raw < 0.6, `uncalibrated, the point covers about half (${raw.toFixed(3)})`);
  const offsets = conformalOffsets(y.subarray(0, nCal), preds.subarray(0, nCal * 4), LEVELS);
  // the offsets estimate the normal quantiles of sigma = 2: 0, 2.56, 3.29, 4.65
  t.ok(Math.abs(offsets[2] - 1.645 * 2) < 0.3, `q0.95 offset ~ 3.29, got ${offsets[2].toFixed(3)}`);
  const cal = applyOffsets(preds.subarray(nCal * 4), offsets);
  for (const [level, lo, hi] of [
    [0.5, 0.48, 0.52],
    [0.9, 0.88, 0.92],
    [0.95, 0.94, 0.96],
    [0.99, 0.985, 0.995],
  ]) {
    const c = coverage(y.subarray(nCal), cal, LEVELS, level);
    t.ok(c >= lo && c <= hi, `coverage at ${level}: ${c.toFixed(4)} in [${lo}, ${hi}]`);
  }
});

t.test('applied offsets keep quantiles non-negative and non-crossing', async (t) => {
  const out = applyOffsets([1, 2, 3, 4, 5, 5, 5, 5], [-3, -1, -2.5, 0]);
  t.same(Array.from(out), [0, 1, 1, 4, 2, 4, 4, 5]);
});

t.test('effective sample size of overlapping peak windows', async (t) => {
  t.equal(effectiveSampleSize(168, 1, 12), 168);
  t.equal(effectiveSampleSize(168, 6, 12), 168);
  t.equal(effectiveSampleSize(144, 288, 12), 6);
  t.equal(effectiveSampleSize(0, 288, 12), 1);
});

t.test("a model's own quantiles: the shift is weighted by the evidence", async (t) => {
  const targets = Float64Array.from({ length: 144 }, () => 10);
  const preds = new Float64Array(144 * 4).fill(8); // 2 too low at every level
  const base = { targets, preds, levels: LEVELS, horizonSteps: 288, originEvery: 12 };
  t.same(calibrationOffsets({ ...base, ownQuantiles: false }), [2, 2, 2, 2], 'point forecasts get the full conformal shift');
  const shrunk = calibrationOffsets({ ...base, ownQuantiles: true });
  LEVELS.forEach((tau, j) => {
    const e = 6 * (1 - tau);
    const w = e / (e + OWN_QUANTILE_PRIOR);
    t.ok(Math.abs(shrunk[j] - 2 * w) < 1e-12, `24 h, level ${tau}: weighted by e / (e + prior) with e = 6 x (1 - tau) = ${e.toFixed(2)} expected exceedances`);
  });
  t.ok(shrunk[3] < 0.05 && shrunk[0] > 0.8, '24 h: the median moves, the 0.99 level hardly');
  const five = calibrationOffsets({ ...base, horizonSteps: 1, ownQuantiles: true });
  t.ok(five[0] > 1.8, '5 min: 144 independent outcomes, nearly the full shift at the median');
  t.ok(five[3] < five[2] && five[2] < five[0], '5 min: the rarer the level, the less one week moves it');
});

t.test('cross-fitted validation rows are not calibrated on themselves', async (t) => {
  const n = 20;
  const targets = Float64Array.from({ length: n }, (_, i) => (i < n / 2 ? 0 : 100));
  const preds = new Float64Array(n * 4); // all zero
  const rows = crossFittedRows({ targets, preds, levels: LEVELS, ownQuantiles: false, horizonSteps: 1, originEvery: 12 });
  // the first half is shifted by the second half's residuals (100) and vice versa (0)
  t.equal(rows[0], 100, 'first half shifted by the other half');
  t.equal(rows[(n - 1) * 4], 0, 'second half shifted by the other half');
});
