// The backtest protocol on synthetic series whose answers are known.
import t from 'tap';
import { runBacktest, splitOf, trainingPart, WINDOW_STEPS } from '../../forecaster/backtest.js';
import { SeasonalNaive } from '../../forecaster/model/seasonal-naive.js';
import { LastWindow } from '../../forecaster/model/last-window.js';
import { HoltWinters } from '../../forecaster/model/ets.js';
import type { LoadSeries } from '../../forecaster/input/series.js';

const DAY = 288;
const mk = (series: string, resource: 'cpu' | 'memory', f: (i: number) => number, days = 23): LoadSeries => ({
  series,
  resource,
  start: 1_372_636_800,
  step: 300,
  values: Float64Array.from({ length: DAY * days }, (_, i) => f(i)),
});
const pattern = Float64Array.from({ length: DAY }, (_, i) => 1 + Math.max(0, Math.sin((2 * Math.PI * i) / DAY)) * 3);
// exactly daily, except that the first 5 days alternate (so the M5 scale of the training part is not 0)
const daily = (i: number) => pattern[i % DAY] + (i < DAY * 5 && Math.floor(i / DAY) % 2 === 1 ? 0.5 : 0);

t.test('split: last week test, week before validation, the rest training', async (t) => {
  const s = mk('vm:a', 'cpu', daily);
  const sp = splitOf(s);
  t.equal(sp.end - sp.testStart, WINDOW_STEPS);
  t.equal(sp.testStart - sp.valStart, WINDOW_STEPS);
  t.equal(trainingPart(s).values.length, sp.valStart);
});

t.test('a strictly daily series: seasonal naive is exact, everything in JSON shape', async (t) => {
  const series = [mk('vm:a', 'cpu', daily), mk('vm:a', 'memory', (i) => 100 + daily(i) * 10)];
  const r = await runBacktest(series, { models: [new SeasonalNaive(), new LastWindow()] });
  t.equal(r.series, 2);
  t.same(r.quantiles, [0.5, 0.9, 0.95, 0.99]);
  t.same(Object.keys(r.horizons), ['5m', '30m', '24h']);
  t.same(Object.keys(r.horizons['30m']), ['seasonal_naive', 'last_window', 'selected']);
  t.equal(r.horizons['30m'].seasonal_naive.spl, 0, 'the same window yesterday is the answer');
  t.equal(r.horizons['30m'].seasonal_naive.coverage95, 1);
  t.ok(r.horizons['30m'].last_window.spl > 0.01, 'the last window is not');
  t.equal(r.horizons['30m'].selected.spl, 0, 'selection finds the exact model');
  t.ok(r.seconds >= 0);
});

t.test('a VM switched off during the test week is forecast at zero there', async (t) => {
  const offFrom = DAY * 19;
  const cpu = mk('vm:b', 'cpu', (i) => (i >= offFrom ? 0 : daily(i) + (i % 7) * 0.05));
  const mem = mk('vm:b', 'memory', (i) => (i >= offFrom ? 0 : 500 + (i % 5)));
  const on = await runBacktest([cpu, mem], { models: [new SeasonalNaive(), new LastWindow(), new HoltWinters()], detail: true });
  const off = await runBacktest([cpu, mem], { models: [new SeasonalNaive(), new LastWindow(), new HoltWinters()], switchedOffRule: false });
  t.ok(on.horizons['24h'].seasonal_naive.spl < off.horizons['24h'].seasonal_naive.spl, 'recognising the switch-off lowers the loss');
  t.ok(on.horizons['5m'].seasonal_naive.spl < off.horizons['5m'].seasonal_naive.spl, 'at 5 minutes too (yesterday was on)');
  t.ok(on.detail!.length === 2);
});

t.test('too little history is refused with the reason', async (t) => {
  await t.rejects(runBacktest([mk('vm:c', 'cpu', daily, 10)], { models: [new LastWindow()] }), /protocol needs more than/);
});
