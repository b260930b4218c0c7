// The daemon's forecast routine on a real store file: predictions before any training
// (baselines), a training run in a worker_thread with progress, the stored model used
// afterwards, and a failed run that leaves the last good model in place.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../core/store/store.js';
import type { Rollup } from '../../core/model/types.js';
import { ModelCheckpoints } from '../../forecaster/checkpoint/checkpoint.js';
import { ForecastRoutine, type TrainProgress } from '../../forecaster/routines/forecast-routine.js';

const DAY = 288;
const START = 1_372_636_800;
const END = START + 12 * 86_400;
const silent = { info: () => {}, warn: () => {}, error: () => {} };

function rollups(series: string, level: number): Rollup[] {
  return Array.from({ length: DAY * 12 }, (_, i) => {
    const cpu = level * (1 + 0.5 * Math.max(0, Math.sin((2 * Math.PI * i) / DAY))) + Math.abs(Math.sin(i * 3.7)) * 0.1;
    const mem = 1000 * level + (i % 11);
    return { series, ts: START + i * 300, cpuMean: cpu, cpuMax: cpu, cpuP95: cpu, memMean: mem, memMax: mem, memP95: mem, netBps: 0, diskBps: 0, samples: 30 };
  });
}

t.test('nightly routine: baselines first, then a worker-trained model, failures kept apart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-routine-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = Store.open(join(dir, 'v.db'));
  t.teardown(() => store.close());
  store.writeRollups([...rollups('vm:a', 1), ...rollups('vm:b', 2), ...rollups('class:gold', 3)], 'import');
  const checkpoints = new ModelCheckpoints(store.db);

  t.throws(() => new ForecastRoutine({ checkpoints, reader: store, log: silent, schedule: 'not cron', refreshMinutes: 5, lstm: false, quantile: 0.95 }), /forecast\.schedule/);

  const routine = new ForecastRoutine({
    checkpoints,
    reader: store,
    log: silent,
    schedule: '0 3 * * *',
    refreshMinutes: 5,
    lstm: { epochs: 2, windowsPerEpoch: 256, batchSize: 128, network: { units: 8, hidden: 16, seed: 2 } },
    quantile: 0.95,
    trainingDays: 30,
    now: () => END,
  });
  t.teardown(() => routine.stop());
  await routine.start();
  let st = routine.status();
  t.equal(st.modelRunId, null, 'no trained model yet');
  t.equal(st.predictions, 18, 'baseline predictions right away: 3 series x 2 resources x 3 horizons');
  t.ok(st.nextRun! > 0, 'next scheduled run is known');
  t.ok(routine.predictions({ series: 'class:gold', horizon: '30m' }).every((p) => ['seasonal_naive', 'last_window'].includes(p.model)));

  const progress: TrainProgress[] = [];
  routine.on('progress', (p: TrainProgress) => progress.push(p));
  const id = await routine.trainNow();
  t.equal(await routine.trainNow(), id, 'a second request joins the run in flight');
  t.equal(routine.status().running?.runId, id);
  t.equal(await routine.done(), id);
  t.ok(progress.some((p) => p.phase === 'epoch' && p.detail?.loss !== undefined), 'epoch progress with the loss came from the worker');
  st = routine.status();
  t.equal(st.running, null);
  t.equal(st.lastGood?.id, id);
  t.equal(st.modelRunId, id, 'predictions now come from the trained run');
  t.equal(st.predictions, 18);
  const gold = routine.predictions({ series: 'class:gold', resource: 'cpu', horizon: '24h' })[0];
  t.ok(gold.peakLoad > 3 && gold.peakLoad < 10, `class:gold 24 h peak ${gold.peakLoad.toFixed(2)} cores`);
  t.ok(gold.confidence > 0.3, 'twelve days of history');

  // a run that fails (nothing to train on in this reader) is recorded; the model stays
  const empty = { readRollups: () => [], listSeries: () => [] };
  const failing = new ForecastRoutine({ checkpoints, reader: empty, log: silent, schedule: '0 3 * * *', refreshMinutes: 5, lstm: false, quantile: 0.95, now: () => END });
  const failed: string[] = [];
  failing.on('failed', (e: { error: string }) => failed.push(e.error));
  await failing.trainNow();
  await t.rejects(failing.done(), /no series/);
  await failing.stop();
  t.same(failed, ['no series with history in the store yet']);
  t.equal(checkpoints.latestGood()!.run.id, id, 'the last good model is still the one in use');
  t.equal(routine.status().lastFailure?.error, 'no series with history in the store yet', 'the failure is exposed');
});
