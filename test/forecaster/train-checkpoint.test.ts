// A training run end to end: fit, calibrate, select, store in SQLite, load back and
// predict the same; a failed run never replaces the last good model.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../core/store/open.js';
import { ModelCheckpoints } from '../../forecaster/checkpoint/checkpoint.js';
import { trainForecast } from '../../forecaster/train.js';
import { predictAll, restoreModels } from '../../forecaster/predict.js';
import type { LoadSeries } from '../../forecaster/input/series.js';

const DAY = 288;
const START = 1_372_636_800;
function vm(name: string, days: number, level: number): LoadSeries[] {
  const n = DAY * days;
  const cpu = Float64Array.from({ length: n }, (_, i) => level * (1 + 0.6 * Math.max(0, Math.sin((2 * Math.PI * i) / DAY))) + Math.abs(Math.sin(i * 7.31)) * 0.2);
  const mem = Float64Array.from({ length: n }, (_, i) => 1000 * level + 50 * Math.sin((2 * Math.PI * i) / DAY) + (i % 17));
  return [
    { series: name, resource: 'cpu', start: START, step: 300, values: cpu },
    { series: name, resource: 'memory', start: START, step: 300, values: mem },
  ];
}

t.test('train, checkpoint, restore, predict', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-forecast-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const series = [...vm('vm:a', 12, 1), ...vm('vm:b', 12, 2), ...vm('vm:young', 3, 1)];
  const phases = new Set<string>();
  const { trained, models } = await trainForecast(series, {
    lstm: { epochs: 2, windowsPerEpoch: 256, batchSize: 128, network: { units: 8, hidden: 16, seed: 1 } },
    onProgress: (e) => phases.add(e.phase.replace(/\d+/g, '#')),
    now: () => START + 12 * 86_400,
  });
  t.ok(phases.has('epoch') && phases.has('grid search') && phases.has('calibrating'), `progress events: ${[...phases].join(', ')}`);
  t.same(Object.keys(trained.series).sort(), ['vm:a|cpu', 'vm:a|memory', 'vm:b|cpu', 'vm:b|memory', 'vm:young|cpu', 'vm:young|memory']);
  t.equal(trained.series['vm:a|cpu'].mode, 'full');
  t.equal(trained.series['vm:young|cpu'].mode, 'short', 'three days: baselines only');
  t.ok(['seasonal_naive', 'last_window'].includes(trained.series['vm:young|cpu'].horizons['30m'].selected));
  t.same(trained.models.map((m) => m.name).sort(), ['ets', 'last_window', 'lstm', 'peak_quantile', 'seasonal_naive']);
  t.ok(Number.isFinite(trained.scores['30m'].lstm), 'validation scores per model');
  t.equal(trained.dataRange.from, START);

  const db = openDatabase(join(dir, 'v.db'));
  t.teardown(() => db.close());
  const cp = new ModelCheckpoints(db);
  t.equal(cp.latestGood(), undefined, 'nothing stored yet');
  const id = cp.beginRun('manual', START);
  cp.saveGood(id, trained, START + 60);
  const back = cp.latestGood()!;
  t.equal(back.run.status, 'good');
  t.equal(back.run.series, 6);
  t.same(back.run.scores, JSON.parse(JSON.stringify(trained.scores)));
  const lstmState = back.trained.models.find((m) => m.name === 'lstm')!;
  t.same(Array.from(lstmState.weights!), Array.from(trained.models.find((m) => m.name === 'lstm')!.weights!), 'weights byte for byte');

  const restored = await restoreModels(back.trained.models);
  const a = predictAll(trained, models, series);
  const b = predictAll(back.trained, restored, series);
  t.equal(a.length, 18, 'six series x three horizons');
  t.same(b, a, 'the stored model predicts exactly as the trained one');
  for (const p of a) t.ok(p.distribution['0.5'] <= p.distribution['0.99'] && p.peakLoad >= 0, `${p.series} ${p.resource} ${p.horizon} via ${p.model}`);

  // a failed run: recorded, and the last good one stays
  const bad = cp.beginRun('schedule', START + 100);
  cp.fail(bad, 'worker exited with code 1', START + 120);
  t.equal(cp.latestGood()!.run.id, id, 'the last good run is still the one used');
  t.equal(cp.runs()[0].status, 'failed');
  t.equal(cp.runs()[0].error, 'worker exited with code 1');
  t.throws(() => cp.saveGood(bad, trained, START + 130), /not running/, 'a failed run cannot turn good later');
  // a run interrupted by a crash
  cp.beginRun('schedule', START + 200);
  t.equal(new ModelCheckpoints(db).recoverInterrupted(START + 300), 1);
  t.equal(cp.runs()[0].status, 'failed');
  t.match(cp.runs()[0].error, /interrupted/);
});
