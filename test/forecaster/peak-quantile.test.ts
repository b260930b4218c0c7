// peak_quantile: quantiles of the same window's peaks on earlier days, never past the origin.
import t from 'tap';
import { PeakQuantile } from '../../forecaster/model/peak-quantile.js';
import { LEVELS } from '../../forecaster/model/forecaster.js';
import type { LoadSeries } from '../../forecaster/input/series.js';

const DAY = 288;
const series = (values: number[]): LoadSeries => ({ series: 'vm:a', resource: 'cpu', start: 0, step: 300, values: Float64Array.from(values) }) as LoadSeries;

t.test('24 h: the quantiles of the daily peaks of the days before', async (t) => {
  // 10 days at 1, with a spike of 5 on day 3: the sample is 10 daily peaks (9 at 1, one at 5) + the last day's (1)
  const v = Array.from({ length: 10 * DAY }, (_, i) => (i === 3 * DAY + 100 ? 5 : 1));
  const m = new PeakQuantile({ days: 84 });
  const t0 = 10 * DAY - 1;
  const [rows] = m.predict(series(v), [t0], [DAY]);
  t.equal(rows[0], 1, 'median: an ordinary day');
  t.ok(rows[3] > 1 && rows[3] <= 5, `0.99: toward the spike (${rows[3].toFixed(3)})`);
  for (let j = 1; j < LEVELS.length; j++) t.ok(rows[j] >= rows[j - 1], 'monotone');
  const [short] = new PeakQuantile({ days: 3 }).predict(series(v), [t0], [DAY]);
  t.same(Array.from(short), [1, 1, 1, 1], 'a window of 3 days does not reach the spike');
});

t.test('never looks past the origin', async (t) => {
  const v = Array.from({ length: 4 * DAY }, () => 1);
  const origin = 3 * DAY;
  const withFuture = v.slice();
  for (let i = origin + 1; i < v.length; i++) withFuture[i] = 100;
  const m = new PeakQuantile();
  const a = m.predict(series(v), [origin], [1, 6, DAY]);
  const b = m.predict(series(withFuture), [origin], [1, 6, DAY]);
  t.same(a.map((x) => Array.from(x)), b.map((x) => Array.from(x)));
});

t.test('no history: the last value; state round-trips', async (t) => {
  const [rows] = new PeakQuantile().predict(series([NaN, 3, NaN]), [2], [1]);
  t.same(Array.from(rows), [3, 3, 3, 3]);
  const m = PeakQuantile.fromState(new PeakQuantile({ days: 5 }).state());
  t.equal(m.options.days, 5);
  t.throws(() => PeakQuantile.fromState({ name: 'ets', version: 1, params: {} }), /expected a peak_quantile state/);
});
