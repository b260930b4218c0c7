// The daemon's PredictionService: the forecaster's routine (nightly training in a worker
// thread, models checkpointed in the daemon's database, predictions refreshed every
// forecast.refreshMinutes) over the store's rollups.
import type { Logger } from '../../core/log.js';
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/store.js';
import { ForecastRoutine, ModelCheckpoints, predictionServiceOf, type PredictionService } from '../../forecaster/index.js';

export function createPredictionService(store: Store, config: Config, log: Logger): PredictionService {
  const routine = new ForecastRoutine({
    checkpoints: new ModelCheckpoints(store.db),
    reader: store,
    log: log.child({ component: 'forecaster' }),
    schedule: config.forecast.schedule,
    refreshMinutes: config.forecast.refreshMinutes,
    lstm: { epochs: config.forecast.epochs, country: config.forecast.country, region: config.forecast.region },
    quantile: config.partitioner.quantile,
  });
  return predictionServiceOf(routine, store);
}
