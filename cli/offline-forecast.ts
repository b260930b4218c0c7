// Predictions for `virtzone forecast --db FILE`, without a daemon: the forecaster's own
// prediction path (forecaster/predict.ts predictAll) on the store's rollups, exactly as the
// daemon refreshes them. With the models of the database's last good training run when it
// has one; otherwise the baselines (seasonal-naive and last-window, calibrated on the
// series' own history), which need no training. Loaded lazily: the forecaster pulls in
// TensorFlow.js, which the other subcommands do not need.
import type { LoadPrediction } from '../core/model/types.js';
import type { Store } from '../core/store/store.js';

/** Days of history a prediction reads, as the daemon's refresh does (the LSTM looks back 7 days). */
const REFRESH_DAYS = 8;

export interface OfflineForecast {
  predictions: LoadPrediction[];
  /** which models: 'trained run N' or 'baselines: no trained model in the database' */
  source: string;
}

export async function offlineForecast(store: Store, series: string, opts: { quantile?: number; until: number }): Promise<OfflineForecast> {
  const { predictAll, restoreModels, rollupsToSeries } = await import('../forecaster/index.js');
  const from = opts.until - REFRESH_DAYS * 86_400;
  const loadSeries = rollupsToSeries(series, store.readRollups(series, from, opts.until + 1));
  const trained = await latestTrained(store);
  if (trained) {
    try {
      const models = await restoreModels(trained.trained.models);
      return { predictions: predictAll(trained.trained, models, loadSeries, { quantile: opts.quantile }), source: `trained run ${trained.run.id}` };
    } catch {
      /* a checkpoint this build cannot load: the baselines below */
    }
  }
  const models = await restoreModels([]);
  return { predictions: predictAll(undefined, models, loadSeries, { quantile: opts.quantile }), source: 'baselines: no trained model in the database' };
}

async function latestTrained(store: Store) {
  const hasRuns = store.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'forecast_runs'`).get();
  if (!hasRuns) return undefined;
  try {
    const { ModelCheckpoints } = await import('../forecaster/index.js');
    return new ModelCheckpoints(store.db).latestGood();
  } catch {
    return undefined; // read-only file with an older models schema, or a foreign one
  }
}
