// seasonal_naive: the peak of the same window one day earlier, max(values[t+1-288..t+H-288]).
import { DAY_STEPS } from '../logic/scale.js';
import { LEVELS, type Forecaster, type ModelState } from './forecaster.js';
import type { LoadSeries } from '../input/series.js';
import { lastKnown, maxKnown } from '../input/windows.js';

export class SeasonalNaive implements Forecaster {
  readonly name = 'seasonal_naive' as const;
  readonly ownQuantiles = false;
  async fit(): Promise<void> {}
  predict(s: LoadSeries, origins: readonly number[], horizons: readonly number[]): Float64Array[] {
    const k = LEVELS.length;
    return horizons.map((h) => {
      const out = new Float64Array(origins.length * k);
      origins.forEach((t, i) => {
        // never look past the origin: for H > 288 the window is cut at t
        let p = maxKnown(s.values, t + 1 - DAY_STEPS, Math.min(t + 1, t + h + 1 - DAY_STEPS));
        if (Number.isNaN(p)) p = lastKnown(s.values, t);
        out.fill(Math.max(0, Number.isNaN(p) ? 0 : p), i * k, i * k + k);
      });
      return out;
    });
  }
  state(): ModelState {
    return { name: this.name, version: 1, params: {} };
  }
}
