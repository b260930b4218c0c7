// Each class's demand: its predicted peak over the planning horizon, plus a buffer that
// widens when the forecast is not confident (short history) — the role VPA's
// confidence multiplier plays for its recommendation bounds.
import type { Config } from '../../core/config/schema.js';
import type { LoadPrediction } from '../../core/model/types.js';
import type { ClassDemand, DemandSource, Resource, Resources } from './types.js';

export const classSeries = (cls: string): string => `class:${cls}`;

/**
 * buffer' = buffer x (1 + (m - 1) x (1 - confidence)): the configured buffer at full
 * confidence, m times the buffer with no confidence at all.
 */
export function effectiveBuffer(buffer: number, confidence: number, multiplier: number): number {
  const c = Number.isFinite(confidence) ? Math.min(1, Math.max(0, confidence)) : 0;
  return buffer * (1 + (multiplier - 1) * (1 - c));
}

type PredictionIndex = Map<string, LoadPrediction>;

/** The newest prediction per (series, resource) for the configured horizon. */
function indexPredictions(predictions: readonly LoadPrediction[], horizon: string): PredictionIndex {
  const idx: PredictionIndex = new Map();
  for (const p of predictions) {
    if (p.horizon !== horizon) continue;
    if (!Number.isFinite(p.peakLoad)) continue;
    const key = `${p.series}\u0000${p.resource}`;
    const prev = idx.get(key);
    if (!prev || p.origin > prev.origin) idx.set(key, p);
  }
  return idx;
}

export interface DemandOptions {
  /** per-class use to size from when a class has no forecast (e.g. its VMs' current use) */
  fallback?: Readonly<Record<string, Partial<Resources>>>;
  /**
   * per-class provisioned total of the running members: a class is never sized below it
   * while it has no forecast for that resource (cold start = static sizes), nor ever when
   * it never shrinks
   */
  provisioned?: Readonly<Record<string, Resources>>;
}

const RESOURCE_OF: Record<Resource, LoadPrediction['resource']> = { cpuCores: 'cpu', memoryMiB: 'memory' };

export function classDemands(
  predictions: readonly LoadPrediction[],
  config: Pick<Config, 'classes' | 'partitioner'>,
  opts: DemandOptions = {},
): ClassDemand[] {
  const idx = indexPredictions(predictions, config.partitioner.horizon);
  const m = config.partitioner.lowConfidenceBufferMultiplier;
  return config.classes.map((cls, rank) => {
    const peak = { cpuCores: 0, memoryMiB: 0 };
    const eff = { cpuCores: 0, memoryMiB: 0 };
    const demand = { cpuCores: 0, memoryMiB: 0 };
    const source = { cpuCores: 'floor' as DemandSource, memoryMiB: 'floor' as DemandSource };
    for (const r of ['cpuCores', 'memoryMiB'] as const) {
      const p = idx.get(`${classSeries(cls.name)}\u0000${RESOURCE_OF[r]}`);
      const fb = opts.fallback?.[cls.name]?.[r];
      if (p) {
        peak[r] = Math.max(0, p.peakLoad);
        eff[r] = effectiveBuffer(cls.buffer, p.confidence, m);
        source[r] = 'forecast';
      } else if (fb !== undefined && Number.isFinite(fb)) {
        // No forecast: size from current use, treated as zero confidence.
        peak[r] = Math.max(0, fb);
        eff[r] = effectiveBuffer(cls.buffer, 0, m);
        source[r] = 'fallback';
      }
      demand[r] = Math.max(cls.floor[r], peak[r] * (1 + eff[r]));
      const held = opts.provisioned?.[cls.name]?.[r] ?? 0;
      if ((source[r] !== 'forecast' || cls.neverShrink === true) && held > demand[r]) {
        demand[r] = held;
        source[r] = 'provisioned';
      }
    }
    return { zone: cls.name, rank, peak, effectiveBuffer: eff, demand, floor: { ...cls.floor }, source };
  });
}
