// The one small interface every model implements (VPA's "estimator" role): fit on
// history, then give raw quantiles of the peak over each horizon at given origins.
// Calibration, selection and the switched-off rule live in logic/, outside the models.
import { QUANTILES } from '../../core/model/types.js';
import type { LoadSeries } from '../input/series.js';

export const LEVELS: readonly number[] = QUANTILES;

export type ModelName = 'seasonal_naive' | 'last_window' | 'ets' | 'lstm' | 'peak_quantile';
export const BASELINES: readonly ModelName[] = ['seasonal_naive', 'last_window', 'ets'];

export interface FitOptions {
  /** horizons (in steps) the model will be asked for; models may fit per horizon */
  horizons: readonly number[];
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
}

export interface ProgressEvent {
  model: ModelName;
  phase: string;
  done: number;
  total: number;
  /** e.g. training loss */
  detail?: Record<string, number>;
}

export interface Forecaster {
  readonly name: ModelName;
  /** true when predict() gives quantiles of its own (else every level holds the point forecast) */
  readonly ownQuantiles: boolean;
  /** Learns from the given series (already cut to the part the model may see). */
  fit(train: readonly LoadSeries[], opts: FitOptions): Promise<void>;
  /**
   * Raw quantiles (LEVELS order) of max(values[t+1..t+H]) for each origin t, using only
   * values[0..t]. Result per horizon: row-major origins.length x LEVELS.length.
   */
  predict(series: LoadSeries, origins: readonly number[], horizons: readonly number[]): Float64Array[];
  /** Serializable state (parameters, weights) for the checkpoint store. */
  state(): ModelState;
}

export interface ModelState {
  name: ModelName;
  version: number;
  /** JSON-able parameters */
  params: unknown;
  /** binary weights (LSTM) */
  weights?: Uint8Array;
}

/** The key a fitted per-series state is stored under. */
export function seriesKey(s: Pick<LoadSeries, 'series' | 'resource'>): string {
  return `${s.series}|${s.resource}`;
}
