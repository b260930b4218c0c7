// LoadPredictions from a trained forecast at the latest origin of each series: the
// selected candidate's raw quantiles, shifted by the offsets calibrated at training,
// zero for a switched-off VM. Runs every few minutes (forecast.refreshMinutes) without
// retraining; a series the last run did not see gets the short-history treatment.
import { HORIZON_STEPS, QUANTILES, type Horizon, type LoadPrediction } from '../core/model/types.js';
import type { LoadSeries } from './input/series.js';
import { LEVELS, seriesKey, type Forecaster, type ModelState } from './model/forecaster.js';
import { SeasonalNaive } from './model/seasonal-naive.js';
import { LastWindow } from './model/last-window.js';
import { HoltWinters } from './model/ets.js';
import { LstmForecaster } from './model/lstm/lstm.js';
import { PeakQuantile } from './model/peak-quantile.js';
import { applyOffsets } from './logic/conformal.js';
import { combineRows } from './logic/combine.js';
import { assemblePrediction } from './logic/prediction.js';
import { confidenceFromHistory } from './logic/confidence.js';
import { isSwitchedOff } from './logic/switched-off.js';
import { HORIZONS, shortSeriesCalibration, type SeriesCalibration, type TrainedForecast } from './train.js';

/** Rebuilds the fitted models of a checkpoint (the baselines need no state). */
export async function restoreModels(states: readonly ModelState[]): Promise<Map<string, Forecaster>> {
  const out = new Map<string, Forecaster>([
    ['seasonal_naive', new SeasonalNaive()],
    ['last_window', new LastWindow()],
  ]);
  for (const st of states) {
    if (st.name === 'ets') out.set('ets', HoltWinters.fromState(st));
    else if (st.name === 'lstm') out.set('lstm', await LstmForecaster.fromState(st));
    else if (st.name === 'peak_quantile') out.set('peak_quantile', PeakQuantile.fromState(st));
  }
  return out;
}

export interface PredictOptions {
  /** the level peakLoad reports (config partitioner.quantile) */
  quantile?: number;
  horizons?: readonly Horizon[];
}

/** The last index with a known value, or -1. */
function lastKnownIndex(values: ArrayLike<number>): number {
  for (let i = values.length - 1; i >= 0; i--) if (!Number.isNaN(values[i])) return i;
  return -1;
}

export function predictAll(
  trained: TrainedForecast | undefined,
  models: ReadonlyMap<string, Forecaster>,
  series: readonly LoadSeries[],
  opts: PredictOptions = {},
): LoadPrediction[] {
  const quantile = opts.quantile ?? 0.95;
  const horizons = opts.horizons ?? HORIZONS;
  const steps = horizons.map((h) => HORIZON_STEPS[h]);
  const k = LEVELS.length;
  const byVm = new Map<string, { cpu?: LoadSeries; memory?: LoadSeries }>();
  for (const s of series) byVm.set(s.series, { ...byVm.get(s.series), [s.resource]: s });
  const out: LoadPrediction[] = [];
  for (const s of series) {
    const t = lastKnownIndex(s.values);
    if (t < 0) continue; // nothing known: no forecast rather than an invented one
    const pair = byVm.get(s.series) ?? {};
    const cal: SeriesCalibration = trained?.series[seriesKey(s)] ?? shortSeriesCalibration(s, pair);
    const off = pair.cpu && pair.memory ? isSwitchedOff(pair.cpu.values, pair.memory.values, t) : false;
    const rawCache = new Map<string, Float64Array[]>();
    const raw = (name: string): Float64Array[] | undefined => {
      const m = models.get(name);
      if (!m) return undefined;
      let r = rawCache.get(name);
      if (!r) {
        r = m.predict(s, [t], steps);
        rawCache.set(name, r);
      }
      return r;
    };
    horizons.forEach((h, hi) => {
      const hc = cal.horizons[h];
      let chosen = hc.selected;
      let parts = chosen.split('+');
      // a model the checkpoint lacks (e.g. the LSTM failed to load): the best baseline by its loss
      if (parts.some((p) => !models.has(p) || !hc.offsets[p])) {
        const base = ['seasonal_naive', 'last_window', 'ets'].filter((b) => models.has(b) && hc.offsets[b]);
        chosen = base.reduce((a, b) => ((hc.valLoss[b] ?? Infinity) < (hc.valLoss[a] ?? Infinity) ? b : a), base[0] ?? 'last_window');
        parts = [chosen];
      }
      let q: Float64Array;
      if (off) q = new Float64Array(k);
      else {
        const rows = parts.map((p) => applyOffsets(raw(p)![hi].subarray(0, k), hc.offsets[p] ?? new Array(k).fill(0)));
        q = rows.length === 1 ? rows[0] : combineRows(rows, LEVELS);
      }
      out.push(
        assemblePrediction({
          series: s.series,
          resource: s.resource,
          horizon: h,
          horizonSteps: HORIZON_STEPS[h],
          origin: s.start + t * s.step,
          quantiles: q,
          history: s.values,
          originIndex: t,
          quantile,
          model: off ? 'switched-off' : chosen,
          confidence: confidenceFromHistory(cal.knownSteps, s.step),
          stepSeconds: s.step,
        }),
      );
    });
  }
  return out;
}

export { QUANTILES };
