// last_window: the peak of the last H steps before the origin, max(values[t-H+1..t]);
// for 5 minutes that is the last value.
import { LEVELS, type Forecaster, type ModelState } from './forecaster.js';
import type { LoadSeries } from '../input/series.js';
import { lastKnown, maxKnown } from '../input/windows.js';

export class LastWindow implements Forecaster {
  readonly name = 'last_window' as const;
  readonly ownQuantiles = false;
  async fit(): Promise<void> {}
  predict(s: LoadSeries, origins: readonly number[], horizons: readonly number[]): Float64Array[] {
    const k = LEVELS.length;
    return horizons.map((h) => {
      const out = new Float64Array(origins.length * k);
      origins.forEach((t, i) => {
        let p = maxKnown(s.values, t - h + 1, t + 1);
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
