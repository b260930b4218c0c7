// The daemon's PredictionService (forecaster/prediction-service.ts) over a ForecastRoutine:
// what the API, the partitioner and `virtzone train` / `status` read and trigger.
import type { PredictionService } from '../prediction-service.js';
import type { RollupReader } from '../input/store.js';
import type { ForecastRoutine } from './forecast-routine.js';

export function predictionServiceOf(routine: ForecastRoutine, reader: RollupReader, now: () => number = () => Math.floor(Date.now() / 1000)): PredictionService {
  return {
    start: () => routine.start(),
    all: () => routine.predictions(),
    of: (series) => routine.predictions({ series }),
    modelAgeSeconds: () => {
      const st = routine.status();
      // the age of the model in use, which is the last good run once it has loaded
      const good = st.lastGood;
      if (!good || st.modelRunId === null || good.finishedAt === null) return null;
      return Math.max(0, now() - good.finishedAt);
    },
    train: async (opts) => {
      // One network learns across all series, so a run always trains them all; named
      // series are checked so that a typo is an error rather than a silent no-op.
      if (opts.series?.length) {
        const known = new Set(reader.listSeries('').map((s) => s.series));
        const unknown = opts.series.filter((s) => !known.has(s));
        if (unknown.length) throw new Error(`series: unknown ${unknown.map((s) => JSON.stringify(s)).join(', ')} (no history in the store)`);
      }
      const runId = await routine.trainNow('manual');
      return { runId, series: 'all', status: routine.status() };
    },
    trainStatus: () => ({ ...routine.status() }),
    close: () => routine.stop(),
  };
}
