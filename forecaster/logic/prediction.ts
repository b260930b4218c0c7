// Assembles a LoadPrediction (core/model/types.ts) from calibrated quantiles of the
// peak and the recent history of the series.
import { QUANTILES, ROLLUP_SECONDS, type Horizon, type LoadPrediction } from '../../core/model/types.js';
import type { Resource } from '../input/series.js';

export interface PredictionInput {
  series: string;
  resource: Resource;
  horizon: Horizon;
  horizonSteps: number;
  /** unix seconds of the origin (the last known value) */
  origin: number;
  /** calibrated quantiles of the peak, QUANTILES order, monotone, >= 0 */
  quantiles: ArrayLike<number>;
  /** the series values up to and including the origin */
  history: ArrayLike<number>;
  originIndex: number;
  /** the level peakLoad reports (config partitioner.quantile) */
  quantile: number;
  model: string;
  confidence: number;
  stepSeconds?: number;
}

/** Mean of the known values in the `steps` steps ending at t (NaN if none). */
export function recentMean(values: ArrayLike<number>, t: number, steps: number): number {
  let sum = 0;
  let n = 0;
  for (let i = Math.max(0, t - steps + 1); i <= t; i++) {
    if (!Number.isNaN(values[i])) {
      sum += values[i];
      n++;
    }
  }
  return n ? sum / n : NaN;
}

/** Least-squares slope, in units per hour, of the known values in the `steps` steps ending at t. */
export function recentTrend(values: ArrayLike<number>, t: number, steps: number, stepSeconds = ROLLUP_SECONDS): number {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = Math.max(0, t - steps + 1); i <= t; i++) {
    const y = values[i];
    if (Number.isNaN(y)) continue;
    const x = i - t;
    n++;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const den = n * sxx - sx * sx;
  if (n < 2 || den === 0) return 0;
  return ((n * sxy - sx * sy) / den) * (3600 / stepSeconds);
}

export function assemblePrediction(p: PredictionInput): LoadPrediction {
  const levels = QUANTILES as readonly number[];
  const j = levels.indexOf(p.quantile);
  if (j < 0) throw new Error(`partitioner.quantile: ${p.quantile} is not one of ${levels.join(', ')}`);
  if (p.quantiles.length !== levels.length) throw new Error(`prediction: ${p.quantiles.length} quantiles, expected ${levels.length}`);
  const distribution: Record<string, number> = {};
  let prev = 0;
  levels.forEach((tau, i) => {
    // never negative, never crossing (the calibration already ensures it; this is the contract)
    const v = Math.max(prev, p.quantiles[i], 0);
    distribution[String(tau)] = v;
    prev = v;
  });
  // the average over a window as long as the horizon (at least an hour), and the trend
  // over the same window: what the load has been doing, next to where its peak may go
  const window = Math.max(12, p.horizonSteps);
  const avg = recentMean(p.history, p.originIndex, window);
  return {
    series: p.series,
    resource: p.resource,
    horizon: p.horizon,
    origin: p.origin,
    peakLoad: distribution[String(levels[j])],
    averageLoad: Number.isNaN(avg) ? 0 : avg,
    trend: recentTrend(p.history, p.originIndex, window, p.stepSeconds),
    distribution,
    model: p.model,
    confidence: p.confidence,
  };
}
