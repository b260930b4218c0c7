// Holt-Winters on series whose future is known.
import t from 'tap';
import { HoltWinters, fitHoltWinters, holtWintersPeaks } from '../../forecaster/model/ets.js';
import { peakTarget } from '../../forecaster/input/windows.js';
import type { LoadSeries } from '../../forecaster/input/series.js';

const DAY = 288;
const seasonal = (i: number) => 10 + 3 * Math.sin((2 * Math.PI * i) / DAY) + (i % DAY === 100 ? 2 : 0);

t.test('a noiseless daily pattern: the peak forecasts are (nearly) exact at every horizon', async (t) => {
  const values = Float64Array.from({ length: DAY * 14 }, (_, i) => seasonal(i));
  const train = values.subarray(0, DAY * 12);
  const params = fitHoltWinters(train, [1, 6, 288]);
  const origins = [DAY * 12 + 5, DAY * 12 + 90, DAY * 12 + 200];
  const peaks = holtWintersPeaks(values, params, origins, [1, 6, 288]);
  [1, 6, 288].forEach((h, hi) => {
    origins.forEach((o, i) => {
      const truth = peakTarget(values, o, h);
      t.ok(Math.abs(peaks[hi][i] - truth) < 0.05, `H=${h} at ${o}: ${peaks[hi][i].toFixed(3)} vs ${truth.toFixed(3)}`);
    });
  });
});

t.test('the season survives a level shift: ETS follows, seasonal naive lags a day', async (t) => {
  const shift = DAY * 12 + 50;
  const values = Float64Array.from({ length: DAY * 14 }, (_, i) => seasonal(i) + (i >= shift ? 5 : 0));
  const hw = new HoltWinters();
  const s: LoadSeries = { series: 'vm:a', resource: 'cpu', start: 0, step: 300, values };
  await hw.fit([{ ...s, values: values.subarray(0, DAY * 12) }], { horizons: [6] });
  const origin = shift + 36; // 3 hours after the shift
  const [rows] = hw.predict(s, [origin], [6]);
  const truth = peakTarget(values, origin, 6);
  t.ok(Math.abs(rows[0] - truth) < 1, `forecast ${rows[0].toFixed(2)} near ${truth.toFixed(2)} after the shift`);
  t.ok(Math.abs(rows[0] - (truth - 5)) > 3, 'not the pre-shift level');
  t.equal(rows[0], rows[3], 'a point forecast: every level holds it before calibration');
});

t.test('parameters are fitted per horizon and survive a state round trip', async (t) => {
  const noise = (i: number) => Math.sin(i * 12.9898) * 0.8; // deterministic jitter
  const values = Float64Array.from({ length: DAY * 20 }, (_, i) => seasonal(i) + noise(i));
  const s: LoadSeries = { series: 'vm:b', resource: 'memory', start: 0, step: 300, values };
  const hw = new HoltWinters();
  await hw.fit([s], { horizons: [1, 288] });
  const a = hw.paramsFor(s, 1);
  const b = hw.paramsFor(s, 288);
  t.ok(a.alpha >= 0 && a.alpha <= 1 && b.gamma >= 0 && b.gamma <= 1, 'parameters in range');
  const copy = HoltWinters.fromState(JSON.parse(JSON.stringify(hw.state())));
  t.same(copy.paramsFor(s, 288), b);
  t.same(Array.from(copy.predict(s, [DAY * 19], [288])[0]), Array.from(hw.predict(s, [DAY * 19], [288])[0]));
  t.throws(() => HoltWinters.fromState({ name: 'lstm', version: 1, params: {} }), /expected an ets state/);
});

t.test('forecasts are never negative and gaps do not break the filter', async (t) => {
  const values = Float64Array.from({ length: DAY * 4 }, (_, i) => Math.max(0, 2 * Math.sin((2 * Math.PI * i) / DAY)));
  values.fill(NaN, DAY * 2, DAY * 2 + 40);
  const peaks = holtWintersPeaks(values, { alpha: 0.9, beta: 0.02, gamma: 0.2, phi: 0.98 }, [DAY * 3 + 150], [1, 6, 288]);
  for (const p of peaks) t.ok(p[0] >= 0 && Number.isFinite(p[0]), `finite and >= 0: ${p[0]}`);
});
