// peak_quantile: quantiles of the peak from the empirical distribution of the peaks of
// the same window on recent days, max(values[t+1-288d..t+H-288d]) for d = 1..days,
// together with the last window's peak. A day's peak is a rare event that the week
// before shows better than any one smooth forecast: for the 24 h horizon these are the
// daily peaks of the last `days` days (12 weeks: the 0.95 and 0.99 levels of a daily peak
// need months of days to be seen at all), and the quantiles are theirs (interpolated), so
// the spread of past peaks becomes the spread of the forecast. It needs no fitting; it is
// not a baseline (selection treats it like a learned model) and serves mostly as the tail
// of a combination (logic/combine.ts).
import { DAY_STEPS } from '../logic/scale.js';
import { LEVELS, type Forecaster, type ModelState } from './forecaster.js';
import type { LoadSeries } from '../input/series.js';
import { lastKnown, maxKnown } from '../input/windows.js';

export interface PeakQuantileOptions {
  /** how many earlier days' windows form the sample */
  days: number;
}

const DEFAULT_PEAK_QUANTILE: PeakQuantileOptions = { days: 84 };

/** The interpolated tau-quantile of an ascending sample (numpy's default). */
function sampleQuantile(sorted: readonly number[], tau: number): number {
  const pos = (sorted.length - 1) * tau;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export class PeakQuantile implements Forecaster {
  readonly name = 'peak_quantile' as const;
  readonly ownQuantiles = true;
  readonly options: PeakQuantileOptions;

  constructor(options: Partial<PeakQuantileOptions> = {}) {
    this.options = { ...DEFAULT_PEAK_QUANTILE, ...options };
  }

  async fit(): Promise<void> {}

  predict(s: LoadSeries, origins: readonly number[], horizons: readonly number[]): Float64Array[] {
    const k = LEVELS.length;
    return horizons.map((h) => {
      const out = new Float64Array(origins.length * k);
      origins.forEach((t, i) => {
        const sample: number[] = [];
        const last = maxKnown(s.values, t - h + 1, t + 1);
        if (!Number.isNaN(last)) sample.push(last);
        for (let d = 1; d <= this.options.days; d++) {
          // never look past the origin: for H > 288 the window is cut at t
          const p = maxKnown(s.values, t + 1 - d * DAY_STEPS, Math.min(t + 1, t + h + 1 - d * DAY_STEPS));
          if (!Number.isNaN(p)) sample.push(p);
        }
        if (sample.length === 0) {
          const v = lastKnown(s.values, t);
          out.fill(Math.max(0, Number.isNaN(v) ? 0 : v), i * k, i * k + k);
          return;
        }
        sample.sort((a, b) => a - b);
        LEVELS.forEach((tau, j) => (out[i * k + j] = Math.max(0, sampleQuantile(sample, tau))));
      });
      return out;
    });
  }

  state(): ModelState {
    return { name: this.name, version: 1, params: { options: this.options } };
  }

  static fromState(state: ModelState): PeakQuantile {
    if (state.name !== 'peak_quantile') throw new Error(`checkpoint: expected a peak_quantile state, got ${state.name}`);
    return new PeakQuantile((state.params as { options?: Partial<PeakQuantileOptions> }).options ?? {});
  }
}
