// Pinball loss, coverage and the M5 scale on cases worked out by hand.
import t from 'tap';
import { pinball, meanPinball, coverage, coverageCounts } from '../../forecaster/logic/pinball.js';
import { seasonalScale } from '../../forecaster/logic/scale.js';

t.test('pinball loss of single predictions', async (t) => {
  t.equal(pinball(10, 8, 0.9), 0.9 * 2, 'under-prediction costs tau per unit');
  t.ok(Math.abs(pinball(10, 12, 0.9) - 0.1 * 2) < 1e-12, 'over-prediction costs 1 - tau per unit');
  t.equal(pinball(5, 5, 0.99), 0, 'exact prediction costs nothing');
  t.equal(pinball(0, 1, 0.5), 0.5);
});

t.test('mean pinball over rows and levels', async (t) => {
  // y=1: q.5=2 -> 0.5, q.9=2 -> 0.1; y=3: q.5=2 -> 0.5, q.9=4 -> 0.1; (0.5+0.1+0.5+0.1)/4
  const v = meanPinball([1, 3], [2, 2, 2, 4], [0.5, 0.9]);
  t.ok(Math.abs(v - 0.3) < 1e-12, `0.3, got ${v}`);
  t.equal(meanPinball([NaN, 3], [9, 9, 2, 4], [0.5, 0.9]), (0.5 + 0.1) / 2, 'NaN targets are skipped');
  t.throws(() => meanPinball([1], [1, 2, 3], [0.5, 0.9]), /predictions/);
});

t.test('coverage counts targets at or below the level', async (t) => {
  const levels = [0.5, 0.95];
  // q0.95 per row: 2, 2, 2, 5 -> 1<=2, 2<=2 (at counts), 3>2, 4<=5
  const preds = [1, 2, 1, 2, 1, 2, 1, 5];
  t.equal(coverage([1, 2, 3, 4], preds, levels, 0.95), 0.75);
  t.same(coverageCounts([1, 2, NaN, 4], preds, levels, 0.95), { hits: 3, n: 3 });
  t.equal(coverage([1, 2, 3, 4], preds, levels, 0.5), 0.25, 'only 1 <= 1 at the median');
  t.throws(() => coverage([1], [1, 1], levels, 0.9), /not one of/);
});

t.test('seasonal (lag-288) scale of the training part', async (t) => {
  const v = new Float64Array(288 * 3);
  for (let i = 0; i < v.length; i++) v[i] = i < 288 ? 1 : i < 576 ? 3 : 4;
  // day2 - day1 = 2 for 288 steps, day3 - day2 = 1 for 288 steps -> 1.5; up to 576 only day 2 -> 2
  t.equal(seasonalScale(v), 1.5);
  t.equal(seasonalScale(v, 576), 2);
  v[300] = NaN;
  t.equal(seasonalScale(v, 576), 2, 'pairs with a gap are skipped');
  t.ok(Number.isNaN(seasonalScale(new Float64Array(100))), 'less than a day: no scale');
});
