// Where the daemon gets its current load predictions from. The forecaster's trained
// models fill it (forecaster/routines); until a first model exists it is empty and the
// partitioner sizes zones from measured use (a forecast-free plan, with the low-confidence
// buffer).
import type { LoadPrediction } from '../core/model/types.js';

export interface PredictionService {
  /** loads the last good model, schedules nightly training and the periodic refresh */
  start(): Promise<void>;
  /** every current prediction (all series, resources and horizons) */
  all(): readonly LoadPrediction[];
  /** the predictions of one series ('class:gold', 'vm:web-1', ...) */
  of(series: string): LoadPrediction[];
  /** age of the newest trained model in seconds; null when none was trained yet */
  modelAgeSeconds(): number | null;
  /** start a training run now; resolves with its summary */
  train(opts: { series?: string[] }): Promise<Record<string, unknown>>;
  /** progress of the current/last training run */
  trainStatus(): Record<string, unknown>;
  close(): Promise<void>;
}
