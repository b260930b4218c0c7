// A load series on the 5-minute grid: what every model and the backtest work on.
// Missing steps are NaN ("left empty"), never invented zeros.
import { ROLLUP_SECONDS } from '../../core/model/types.js';

export type Resource = 'cpu' | 'memory';

export interface LoadSeries {
  /** 'vm:<name>' | 'class:<name>' | 'tenant:<t>' | 'app:<a>' */
  series: string;
  resource: Resource;
  /** unix seconds of values[0]; a multiple of `step` */
  start: number;
  /** seconds between values (300) */
  step: number;
  /** cores or MiB; NaN where the history has a gap */
  values: Float64Array;
}

export interface GridPoint {
  ts: number; // unix seconds, any alignment
  value: number;
}

export interface GridOptions {
  step?: number;
  /** gaps of at most this many missing steps are filled with the last value (1 h = 12) */
  maxFillSteps?: number;
}

/**
 * Puts points on the grid: timestamps floored to the step, several points in one step
 * averaged, runs of at most `maxFillSteps` missing steps filled with the value before
 * them (the load is assumed to have stayed where it was), longer runs left NaN.
 */
export function toGrid(points: readonly GridPoint[], opts: GridOptions = {}): { start: number; values: Float64Array } {
  const step = opts.step ?? ROLLUP_SECONDS;
  const maxFill = opts.maxFillSteps ?? 3600 / step;
  const finite = points.filter((p) => Number.isFinite(p.ts) && Number.isFinite(p.value));
  if (finite.length === 0) return { start: 0, values: new Float64Array(0) };
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of finite) {
    const b = Math.floor(p.ts / step);
    if (b < lo) lo = b;
    if (b > hi) hi = b;
  }
  const n = hi - lo + 1;
  const sum = new Float64Array(n);
  const count = new Uint32Array(n);
  for (const p of finite) {
    const i = Math.floor(p.ts / step) - lo;
    sum[i] += p.value;
    count[i]++;
  }
  const values = new Float64Array(n).fill(NaN);
  for (let i = 0; i < n; i++) if (count[i] > 0) values[i] = sum[i] / count[i];
  fillShortGaps(values, maxFill);
  return { start: lo * step, values };
}

/** Fills NaN runs of length <= maxFill that follow a known value, in place. */
export function fillShortGaps(values: Float64Array, maxFill: number): void {
  const n = values.length;
  let i = 0;
  while (i < n) {
    if (!Number.isNaN(values[i])) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && Number.isNaN(values[j])) j++;
    // a run at the very end is not a gap between two observations: leave it empty
    if (i > 0 && j < n && j - i <= maxFill) values.fill(values[i - 1], i, j);
    i = j;
  }
}
