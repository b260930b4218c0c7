// Series from the store's 5-minute rollups. The 5-minute value of a series is the
// rollup's mean (as a trace's 5-minute sample is an average), so what the forecaster
// learns from a host matches what the backtest measures on traces; the peak over a
// horizon is then the max of those 5-minute means. Missing buckets (collector down, VM
// restarted, no samples) stay NaN — up to 1 h is bridged with the last value, as in the
// protocol — and are never turned into zeros.
import type { Rollup } from '../../core/model/types.js';
import { ROLLUP_SECONDS } from '../../core/model/types.js';
import { fillShortGaps, type LoadSeries } from './series.js';

/**
 * What the forecaster needs of the store (core/store/store.ts's Store satisfies it).
 * Named RollupReader because the store already uses "RollupSource" for where a rollup
 * came from ('collector' | 'import').
 */
export interface RollupReader {
  readRollups(series: string, from?: number, to?: number): Rollup[];
  listSeries(prefix?: string): ReadonlyArray<{ series: string; from: number | null; until: number | null }>;
}

export interface StoreSeriesOptions {
  /** only series with this prefix ('vm:', 'class:'); default all */
  prefix?: string;
  /** from (inclusive) and to (exclusive), unix seconds */
  from?: number;
  to?: number;
  /** an explicit list of series keys */
  series?: readonly string[];
}

/** Both resources of one series key, on one common 5-minute grid. */
export function rollupsToSeries(key: string, rollups: readonly Rollup[], maxFillSteps = 3600 / ROLLUP_SECONDS): LoadSeries[] {
  if (rollups.length === 0) return [];
  const step = ROLLUP_SECONDS;
  const first = Math.floor(rollups[0].ts / step);
  const last = Math.floor(rollups[rollups.length - 1].ts / step);
  const n = last - first + 1;
  const cpu = new Float64Array(n).fill(NaN);
  const mem = new Float64Array(n).fill(NaN);
  for (const r of rollups) {
    const i = Math.floor(r.ts / step) - first;
    if (i < 0 || i >= n) continue;
    // a bucket without samples has no measurement, whatever its columns say
    if (r.samples === 0) continue;
    if (Number.isFinite(r.cpuMean)) cpu[i] = Math.max(0, r.cpuMean);
    if (Number.isFinite(r.memMean)) mem[i] = Math.max(0, r.memMean);
  }
  fillShortGaps(cpu, maxFillSteps);
  fillShortGaps(mem, maxFillSteps);
  return [
    { series: key, resource: 'cpu', start: first * step, step, values: cpu },
    { series: key, resource: 'memory', start: first * step, step, values: mem },
  ];
}

/** Every selected series of the store, cpu and memory each. */
export function loadStoreSeries(source: RollupReader, opts: StoreSeriesOptions = {}): LoadSeries[] {
  const keys = opts.series ?? source.listSeries(opts.prefix ?? '').map((s) => s.series);
  return keys.flatMap((key) => rollupsToSeries(key, source.readRollups(key, opts.from, opts.to)));
}
