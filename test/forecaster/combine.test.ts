// Combination: the mean of the parts in the centre, their highest at the tail levels.
import t from 'tap';
import { ENVELOPE_FROM, candidateTier, combineRows } from '../../forecaster/logic/combine.js';
import { LEVELS } from '../../forecaster/model/forecaster.js';

t.test('mean below the tail levels, the highest part at and above them', async (t) => {
  const a = [1, 2, 3, 4, 10, 10, 10, 10];
  const b = [3, 4, 5, 9, 0, 2, 2, 2];
  const out = Array.from(combineRows([a, b], LEVELS));
  LEVELS.forEach((tau, j) => {
    const want = tau >= ENVELOPE_FROM ? Math.max(a[j], b[j]) : (a[j] + b[j]) / 2;
    t.equal(out[j], want, `row 0, level ${tau}`);
  });
  t.same(out.slice(4), [5, 6, 10, 10], 'row 1: mean 5, 6, then the max 10, 10');
});

t.test('rows stay non-decreasing in tau', async (t) => {
  // the mean at 0.9 (8) is above the max at 0.95 (7): the tail is lifted to it
  const out = Array.from(combineRows([[0, 9, 7, 7], [0, 7, 1, 1]], LEVELS));
  t.same(out, [0, 8, 8, 8]);
  for (let j = 1; j < out.length; j++) t.ok(out[j] >= out[j - 1]);
});

t.test('shape errors', async (t) => {
  t.throws(() => combineRows([], LEVELS), /nothing to combine/);
  t.throws(() => combineRows([[1, 2, 3, 4], [1, 2, 3]], LEVELS), /lengths differ/);
  t.throws(() => combineRows([[1, 2, 3]], LEVELS), /rows of 4 levels/);
});

t.test('tiers', async (t) => {
  const base = ['seasonal_naive', 'last_window', 'ets'];
  t.equal(candidateTier(['ets'], base), 0);
  t.equal(candidateTier(['ets', 'peak_quantile'], base), 1);
  t.equal(candidateTier(['lstm', 'peak_quantile'], base), 2);
});
