// What the training worker and the daemon say to each other (structured-cloned).
import type { LoadSeries } from '../input/series.js';
import type { LstmOptions } from '../model/lstm/lstm.js';
import type { TrainedForecast } from '../train.js';

export interface TrainRequest {
  series: LoadSeries[];
  lstm: Partial<LstmOptions> | false;
  now: number;
}

export type WorkerMessage =
  | { type: 'progress'; model: string; phase: string; done: number; total: number; detail?: Record<string, number> }
  | { type: 'done'; trained: TrainedForecast }
  | { type: 'error'; message: string; stack?: string };
