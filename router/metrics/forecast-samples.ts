// What the forecast families show, computed from the forecaster's predictions and the
// store's rollups: pure functions, so the numbers can be checked without a registry.
// Units are Prometheus base units: CPU in cores, memory in bytes.
import { HORIZON_STEPS, ROLLUP_SECONDS, type Horizon, type LoadPrediction, type Rollup } from '../../core/model/types.js';

export const BYTES_PER_MIB = 1024 * 1024;

export interface ForecastSample {
  class: string;
  horizon: Horizon;
  quantile: string;
  resource: 'cpu' | 'memory';
  /** cores for cpu, bytes for memory */
  value: number;
}

const CLASS_PREFIX = 'class:';

/**
 * One sample per class series, horizon, resource and quantile of its distribution.
 * Only class series are shown: VM, tenant and app series would make a label value per
 * VM, which belongs in the API, not in a time-series database.
 */
export function forecastSamples(predictions: readonly LoadPrediction[]): ForecastSample[] {
  const out: ForecastSample[] = [];
  for (const p of predictions) {
    if (!p.series.startsWith(CLASS_PREFIX)) continue;
    const cls = p.series.slice(CLASS_PREFIX.length);
    for (const [quantile, value] of Object.entries(p.distribution)) {
      if (!Number.isFinite(value)) continue;
      out.push({ class: cls, horizon: p.horizon, quantile, resource: p.resource, value: p.resource === 'memory' ? value * BYTES_PER_MIB : value });
    }
  }
  return out;
}

/** The classes the predictions cover, in first-seen order. */
export function forecastClasses(predictions: readonly LoadPrediction[]): string[] {
  const seen = new Set<string>();
  for (const p of predictions) if (p.series.startsWith(CLASS_PREFIX)) seen.add(p.series.slice(CLASS_PREFIX.length));
  return [...seen];
}

/** How far back the rollups of one horizon's actual peak are read (one bucket more: the newest may still be open). */
export function peakWindowSeconds(horizon: Horizon): number {
  return (HORIZON_STEPS[horizon] + 1) * ROLLUP_SECONDS;
}

/**
 * The peak a class actually reached over the last `horizon`: the largest 5-minute mean
 * of its newest HORIZON_STEPS[horizon] measured buckets — the quantity the forecaster
 * predicts (forecaster/input/store.ts), so a forecast made one horizon ago can be laid
 * over it. null when no bucket has samples.
 */
export function actualPeak(rollups: readonly Rollup[], horizon: Horizon): { cpuCores: number; memoryBytes: number } | null {
  const measured = rollups.filter((r) => r.samples > 0).sort((a, b) => a.ts - b.ts).slice(-HORIZON_STEPS[horizon]);
  if (measured.length === 0) return null;
  let cpu = -Infinity;
  let mem = -Infinity;
  for (const r of measured) {
    if (Number.isFinite(r.cpuMean)) cpu = Math.max(cpu, r.cpuMean);
    if (Number.isFinite(r.memMean)) mem = Math.max(mem, r.memMean);
  }
  if (cpu === -Infinity && mem === -Infinity) return null;
  return { cpuCores: Math.max(0, cpu), memoryBytes: Math.max(0, mem) * BYTES_PER_MIB };
}

export interface TrainingOutcome {
  /** when the newest finished run ended, unix seconds */
  finishedAt: number;
  success: boolean;
}

/**
 * The newest finished training run from the forecaster's status (PredictionService
 * trainStatus: lastGood and lastFailure run records); null when none has finished.
 */
export function lastTraining(status: Record<string, unknown>): TrainingOutcome | null {
  const finished = (run: unknown): number | null => {
    const at = (run as { finishedAt?: unknown } | null | undefined)?.finishedAt;
    return typeof at === 'number' && Number.isFinite(at) ? at : null;
  };
  const good = finished(status.lastGood);
  const failed = finished(status.lastFailure);
  if (good === null && failed === null) return null;
  if (failed === null || (good !== null && good >= failed)) return { finishedAt: good!, success: true };
  return { finishedAt: failed, success: false };
}
