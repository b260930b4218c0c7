// ets: additive Holt-Winters with a damped trend and a daily season (288 steps).
// The forecast of the peak over H is the largest value of the forecast path over
// t+1..t+H. Parameters are fitted per series AND per horizon (the protocol: "fit its
// parameters for the horizon it serves, not only one step ahead"): a grid search that
// minimises, on the last weeks of the training part, the pinball loss the calibrated
// forecast would have — each candidate's peak residuals shifted by their own quantiles,
// which is what the conformal step does later.
import { LEVELS, seriesKey, type FitOptions, type Forecaster, type ModelState } from './forecaster.js';
import type { LoadSeries } from '../input/series.js';
import { originsIn, peakTarget } from '../input/windows.js';
import { pinball } from '../logic/pinball.js';
import { DAY_STEPS } from '../logic/scale.js';

export interface HoltWintersParams {
  alpha: number; // level
  beta: number; // trend
  gamma: number; // season
  phi: number; // trend damping
}

const DEFAULT_PARAMS: HoltWintersParams = { alpha: 0.5, beta: 0, gamma: 0.1, phi: 0.98 };

const ALPHAS = [0.02, 0.05, 0.1, 0.2, 0.4, 0.7, 1];
const GAMMAS = [0, 0.03, 0.1, 0.25, 0.5];
const BETAS = [0, 0.02];
const PHI = 0.98;
/** the grid search scores hourly origins in this many final days of the training part */
const FIT_DAYS = 28;

/**
 * Runs the filter over values[0..max origin] and returns, per horizon, the forecast
 * peak max_{h<=H} yhat(t+h) at each origin (ascending origins). Missing values leave
 * the state to drift along the trend and keep the season as it was.
 */
export function holtWintersPeaks(
  values: ArrayLike<number>,
  params: HoltWintersParams | readonly HoltWintersParams[],
  origins: readonly number[],
  horizons: readonly number[],
  m = DAY_STEPS,
): Float64Array[] {
  const perH = Array.isArray(params) ? (params as HoltWintersParams[]) : horizons.map(() => params as HoltWintersParams);
  // Different parameters per horizon need separate filter runs; equal ones share one.
  const out: Float64Array[] = horizons.map(() => new Float64Array(origins.length));
  const groups = new Map<string, number[]>();
  perH.forEach((p, i) => {
    const k = `${p.alpha},${p.beta},${p.gamma},${p.phi}`;
    groups.set(k, [...(groups.get(k) ?? []), i]);
  });
  for (const idx of groups.values()) {
    const res = runFilter(values, perH[idx[0]], origins, idx.map((i) => horizons[i]), m);
    idx.forEach((hi, j) => out[hi].set(res[j]));
  }
  return out;
}

function runFilter(values: ArrayLike<number>, p: HoltWintersParams, origins: readonly number[], horizons: readonly number[], m: number): Float64Array[] {
  const out = horizons.map(() => new Float64Array(origins.length).fill(NaN));
  if (origins.length === 0) return out;
  const maxH = Math.max(...horizons);
  const season = new Float64Array(m);
  // Initial state from the first day: level = its mean, season = deviations from it.
  let l = 0;
  let known = 0;
  for (let i = 0; i < Math.min(m, values.length); i++) {
    if (!Number.isNaN(values[i])) {
      l += values[i];
      known++;
    }
  }
  l = known ? l / known : 0;
  for (let i = 0; i < Math.min(m, values.length); i++) season[i] = Number.isNaN(values[i]) ? 0 : values[i] - l;
  let b = 0;
  let oi = 0;
  const lastOrigin = origins[origins.length - 1];
  // origins inside the first day see only the initial state
  const emit = (t: number) => {
    while (oi < origins.length && origins[oi] === t) {
      let peak = -Infinity;
      let damp = 0;
      let phiPow = 1;
      let hj = 0;
      for (let h = 1; h <= maxH; h++) {
        phiPow *= p.phi;
        damp += phiPow;
        const f = l + damp * b + season[(t + h) % m];
        if (f > peak) peak = f;
        while (hj < horizons.length && horizons[hj] === h) {
          out[hj][oi] = Math.max(0, peak);
          hj++;
        }
        if (hj === horizons.length) break;
      }
      // horizons may be unsorted: fill the rest the slow way
      if (hj < horizons.length) {
        horizons.forEach((H, j) => {
          let pk = -Infinity;
          let d = 0;
          let pp = 1;
          for (let h = 1; h <= H; h++) {
            pp *= p.phi;
            d += pp;
            pk = Math.max(pk, l + d * b + season[(t + h) % m]);
          }
          out[j][oi] = Math.max(0, pk);
        });
      }
      oi++;
    }
  };
  for (let t = 0; t <= lastOrigin && t < values.length; t++) {
    if (t >= m) {
      const y = values[t];
      const sOld = season[t % m];
      if (Number.isNaN(y)) {
        l = l + p.phi * b;
        b = p.phi * b;
      } else {
        const lPrev = l;
        l = p.alpha * (y - sOld) + (1 - p.alpha) * (l + p.phi * b);
        b = p.beta * (l - lPrev) + (1 - p.beta) * p.phi * b;
        season[t % m] = p.gamma * (y - l) + (1 - p.gamma) * sOld;
      }
    }
    if (oi < origins.length && origins[oi] < t) throw new Error('holtWintersPeaks: origins must be ascending and unique');
    emit(t);
  }
  return out;
}

/** Calibrated pinball of peak residuals: the loss after the conformal shift, in-sample. */
function shiftedPinball(residuals: Float64Array): number {
  const n = residuals.length;
  if (n === 0) return Infinity;
  const sorted = Float64Array.from(residuals).sort();
  let total = 0;
  for (const tau of LEVELS) {
    const c = sorted[Math.min(n - 1, Math.floor(tau * n))];
    for (let i = 0; i < n; i++) total += pinball(residuals[i] - c, 0, tau);
  }
  return total / (n * LEVELS.length);
}

/** Grid search per horizon; returns the best parameters for each horizon. */
export function fitHoltWinters(values: ArrayLike<number>, horizons: readonly number[]): HoltWintersParams[] {
  const n = values.length;
  const maxH = Math.max(...horizons);
  const from = Math.max(DAY_STEPS * 2, n - FIT_DAYS * DAY_STEPS);
  if (n - from < maxH + 24) return horizons.map(() => ({ ...DEFAULT_PARAMS }));
  const origins = originsIn(from, n, 1);
  const targets = horizons.map((h) => origins.map((t) => peakTarget(values, t, h)));
  const best = horizons.map(() => ({ loss: Infinity, params: { ...DEFAULT_PARAMS } }));
  for (const alpha of ALPHAS) {
    for (const gamma of GAMMAS) {
      for (const beta of BETAS) {
        const params = { alpha, beta, gamma, phi: PHI };
        const peaks = runFilter(values, params, origins, horizons, DAY_STEPS);
        horizons.forEach((h, hi) => {
          const res: number[] = [];
          // origins whose target runs past the training part are not scored
          targets[hi].forEach((y, i) => {
            if (!Number.isNaN(y)) res.push(y - peaks[hi][i]);
          });
          const loss = shiftedPinball(Float64Array.from(res));
          if (loss < best[hi].loss) best[hi] = { loss, params };
        });
      }
    }
  }
  return best.map((b) => b.params);
}

export class HoltWinters implements Forecaster {
  readonly name = 'ets' as const;
  readonly ownQuantiles = false;
  /** seriesKey -> horizon steps -> params */
  private params = new Map<string, Map<number, HoltWintersParams>>();

  async fit(train: readonly LoadSeries[], opts: FitOptions): Promise<void> {
    let done = 0;
    for (const s of train) {
      if (opts.signal?.aborted) throw new Error('ets: training aborted');
      const fitted = fitHoltWinters(s.values, opts.horizons);
      this.params.set(seriesKey(s), new Map(opts.horizons.map((h, i) => [h, fitted[i]])));
      opts.onProgress?.({ model: this.name, phase: 'grid search', done: ++done, total: train.length });
      // let the event loop breathe between series (progress output, aborts)
      await new Promise((r) => setImmediate(r));
    }
  }

  paramsFor(s: Pick<LoadSeries, 'series' | 'resource'>, h: number): HoltWintersParams {
    return this.params.get(seriesKey(s))?.get(h) ?? DEFAULT_PARAMS;
  }

  predict(s: LoadSeries, origins: readonly number[], horizons: readonly number[]): Float64Array[] {
    const k = LEVELS.length;
    const order = origins.map((t, i) => [t, i] as const).sort((a, b) => a[0] - b[0]);
    const uniq = [...new Set(order.map((o) => o[0]))];
    const peaks = holtWintersPeaks(s.values, horizons.map((h) => this.paramsFor(s, h)), uniq, horizons);
    const pos = new Map(uniq.map((t, i) => [t, i]));
    return horizons.map((_, hi) => {
      const out = new Float64Array(origins.length * k);
      origins.forEach((t, i) => {
        const v = peaks[hi][pos.get(t)!];
        out.fill(Number.isNaN(v) ? 0 : v, i * k, i * k + k);
      });
      return out;
    });
  }

  state(): ModelState {
    const params: Record<string, Record<string, HoltWintersParams>> = {};
    for (const [key, byH] of this.params) params[key] = Object.fromEntries([...byH].map(([h, p]) => [String(h), p]));
    return { name: this.name, version: 1, params };
  }

  static fromState(state: ModelState): HoltWinters {
    if (state.name !== 'ets') throw new Error(`checkpoint: expected an ets state, got ${state.name}`);
    const hw = new HoltWinters();
    for (const [key, byH] of Object.entries(state.params as Record<string, Record<string, HoltWintersParams>>)) {
      hw.params.set(key, new Map(Object.entries(byH).map(([h, p]) => [Number(h), p])));
    }
    return hw;
  }
}
