// The LSTM on a tiny synthetic problem: training lowers the pinball loss, quantiles come
// out monotone and non-negative, and a checkpointed state predicts the same.
import t from 'tap';
import { LstmForecaster } from '../../forecaster/model/lstm/lstm.js';
import type { LoadSeries } from '../../forecaster/input/series.js';

const DAY = 288;
function series(name: string, level: number, phase: number, days: number): LoadSeries {
  const values = Float64Array.from({ length: DAY * days }, (_, i) => {
    const jitter = Math.sin(i * 12.9898 + phase) * 0.3; // deterministic noise
    return Math.max(0, level + level * 0.5 * Math.sin((2 * Math.PI * (i + phase)) / DAY) + jitter);
  });
  return { series: name, resource: 'cpu', start: 1_372_636_800, step: 300, values };
}

t.test('training on a tiny series set reduces the loss and gives monotone quantiles', async (t) => {
  const train = [series('vm:a', 2, 0, 5), series('vm:b', 4, 70, 5)];
  const lstm = new LstmForecaster({
    epochs: 6,
    windowsPerEpoch: 512,
    batchSize: 128,
    learningRate: 5e-3,
    network: { units: 8, hidden: 16, seed: 3 },
  });
  const epochs: number[] = [];
  await lstm.fit(train, { horizons: [1, 6, 288], onProgress: (e) => e.phase === 'epoch' && epochs.push(e.detail!.loss) });
  t.equal(lstm.lossHistory.length, 6);
  t.same(epochs, lstm.lossHistory, 'an epoch event per epoch, with its loss');
  const first = lstm.lossHistory[0];
  const last = Math.min(...lstm.lossHistory.slice(-2));
  t.ok(last < first * 0.9, `loss fell: ${first.toFixed(4)} -> ${last.toFixed(4)}`);

  const s = train[0];
  const origins = [DAY * 3, DAY * 3 + 77, DAY * 4 + 10];
  const out = lstm.predict(s, origins, [1, 6, 288]);
  for (const rows of out) {
    for (let i = 0; i < origins.length; i++) {
      const q = Array.from(rows.subarray(i * 4, i * 4 + 4));
      t.ok(q.every((v, j) => v >= 0 && (j === 0 || v >= q[j - 1])), `monotone, >= 0: ${q.map((v) => v.toFixed(2)).join(' ')}`);
    }
  }
  // longer horizons cannot have a lower median peak than the next 5 minutes
  t.ok(out[2][4 * 0] >= out[0][4 * 0] - 1e-6, 'the 24 h peak is at least the 5 min peak');

  const copy = await LstmForecaster.fromState(lstm.state());
  const again = copy.predict(s, origins, [1, 6, 288]);
  t.same(Array.from(again[1]), Array.from(out[1]), 'a state round trip predicts the same');
  t.rejects(LstmForecaster.fromState({ ...lstm.state(), version: 99 }), /version/);
  lstm.dispose();
  copy.dispose();
});

t.test('a switched-off series (all zeros) is forecast at (nearly) zero', async (t) => {
  const on = series('vm:on', 3, 0, 4);
  const off: LoadSeries = { series: 'vm:off', resource: 'cpu', start: on.start, step: 300, values: new Float64Array(DAY * 4) };
  const lstm = new LstmForecaster({ epochs: 3, windowsPerEpoch: 256, batchSize: 128, network: { units: 8, hidden: 16, seed: 5 } });
  await lstm.fit([on, off], { horizons: [1, 6, 288] });
  const [rows] = lstm.predict(off, [DAY * 3 + 5], [6]);
  t.ok(rows.every((v) => v >= 0 && v < 0.05 * 3), `near zero: ${Array.from(rows).map((v) => v.toFixed(4)).join(' ')}`);
  lstm.dispose();
});

t.test('bad configuration is named', async (t) => {
  t.throws(() => new LstmForecaster({ country: 'XX' }), /forecast\.country/);
  const lstm = new LstmForecaster();
  t.throws(() => lstm.predict(series('vm:x', 1, 0, 3), [300], [1]), /before fit/);
});
