// From calibrated quantiles to LoadPredictions: the configured quantile, trend, average,
// confidence, and a switched-off VM forecast at zero.
import t from 'tap';
import { predictAll, restoreModels } from '../../forecaster/predict.js';
import { assemblePrediction, recentTrend, recentMean } from '../../forecaster/logic/prediction.js';
import { bufferMultiplier, confidenceFromHistory } from '../../forecaster/logic/confidence.js';
import { isSwitchedOff } from '../../forecaster/logic/switched-off.js';
import type { LoadSeries } from '../../forecaster/input/series.js';

const DAY = 288;
const mk = (series: string, resource: 'cpu' | 'memory', values: Float64Array): LoadSeries => ({ series, resource, start: 1_372_636_800, step: 300, values });

t.test('a switched-off VM (zero cores and zero memory) is forecast at zero', async (t) => {
  const n = DAY * 3;
  const cpu = Float64Array.from({ length: n }, (_, i) => (i >= n - 10 ? 0 : 2 + Math.sin(i / 20)));
  const mem = Float64Array.from({ length: n }, (_, i) => (i >= n - 10 ? 0 : 800 + (i % 13)));
  const models = await restoreModels([]);
  const preds = predictAll(undefined, models, [mk('vm:off', 'cpu', cpu), mk('vm:off', 'memory', mem)]);
  t.equal(preds.length, 6, 'two resources x three horizons');
  for (const p of preds) {
    t.same(Object.values(p.distribution), [0, 0, 0, 0], `${p.resource} ${p.horizon}: every quantile 0`);
    t.equal(p.peakLoad, 0);
    t.equal(p.model, 'switched-off');
  }
  // zero CPU alone (an idle VM whose memory is in use) is not "off"
  const idle = predictAll(undefined, models, [mk('vm:idle', 'cpu', cpu), mk('vm:idle', 'memory', Float64Array.from(mem, (v) => v || 700))]);
  t.ok(idle.find((p) => p.resource === 'memory')!.peakLoad > 600, 'memory still forecast');
  t.ok(idle.every((p) => p.model !== 'switched-off'));
  t.notOk(isSwitchedOff([0, 0, 0, 0, 0, 0], [0, 0, NaN, 0, 0, 0], 5), 'unknown is not off');
});

t.test('a series the models never saw gets baselines, calibrated on its own history', async (t) => {
  const values = Float64Array.from({ length: DAY * 4 }, (_, i) => 3 + 2 * Math.sin((2 * Math.PI * i) / DAY) + (i % 3) * 0.1);
  const models = await restoreModels([]);
  const preds = predictAll(undefined, models, [mk('vm:new', 'cpu', values)], { quantile: 0.99 });
  t.equal(preds.length, 3);
  for (const p of preds) {
    t.ok(['seasonal_naive', 'last_window'].includes(p.model), `a baseline: ${p.model}`);
    t.equal(p.peakLoad, p.distribution['0.99'], 'peakLoad is the configured quantile');
    t.ok(p.confidence > 0 && p.confidence < 0.2, `4 days of history: low confidence ${p.confidence.toFixed(3)}`);
    t.equal(p.origin, 1_372_636_800 + (DAY * 4 - 1) * 300);
  }
  t.same(predictAll(undefined, models, [mk('vm:empty', 'cpu', new Float64Array(10).fill(NaN))]), [], 'nothing known: no forecast');
});

t.test('assembled predictions: monotone, >= 0, the configured level, trend and average', async (t) => {
  const history = Float64Array.from({ length: 100 }, (_, i) => i * 0.1); // +0.1 per 5 min = 1.2 per hour
  const p = assemblePrediction({
    series: 'class:gold', resource: 'cpu', horizon: '30m', horizonSteps: 6, origin: 0, quantiles: [2, 1.5, 3, 4],
    history, originIndex: 99, quantile: 0.95, model: 'lstm', confidence: 1,
  });
  t.same(p.distribution, { '0.5': 2, '0.9': 2, '0.95': 3, '0.99': 4 }, 'crossing quantiles are repaired');
  t.equal(p.peakLoad, 3);
  t.ok(Math.abs(p.trend - 1.2) < 1e-9, `trend ${p.trend} per hour`);
  t.ok(Math.abs(p.averageLoad - recentMean(history, 99, 12)) < 1e-12);
  t.ok(Math.abs(recentMean(history, 99, 12) - 9.35) < 1e-9);
  t.equal(recentTrend([5, 5, 5], 2, 3), 0);
  t.throws(() => assemblePrediction({ ...p, quantiles: [1, 2, 3, 4], history, originIndex: 99, horizonSteps: 6, quantile: 0.8 }), /partitioner\.quantile/);
});

t.test('confidence grows with history; the buffer widens when it is low', async (t) => {
  t.equal(confidenceFromHistory(0), 0);
  t.equal(confidenceFromHistory(DAY * 14), 0.5);
  t.equal(confidenceFromHistory(DAY * 60), 1);
  t.equal(bufferMultiplier(1, 2), 1);
  t.equal(bufferMultiplier(0, 2), 2);
  t.equal(bufferMultiplier(0.5, 3), 2);
  t.equal(bufferMultiplier(NaN, 2), 2, 'unknown confidence counts as none');
});
