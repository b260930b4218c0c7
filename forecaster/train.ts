// A training run as the daemon does it every night, on the same principles as the
// backtest: the last week of each series is held out for calibration and selection,
// the models are fitted on everything before it. The result is a TrainedForecast
// (JSON-able: model states, per-series calibration offsets and selections) that
// predict.ts turns into LoadPredictions for any later origin without retraining.
import { HORIZON_STEPS, type Horizon } from '../core/model/types.js';
import type { LoadSeries } from './input/series.js';
import { ORIGIN_EVERY, originsIn, peakTarget } from './input/windows.js';
import { BASELINES, LEVELS, seriesKey, type Forecaster, type ModelName, type ModelState, type ProgressEvent } from './model/forecaster.js';
import { SeasonalNaive } from './model/seasonal-naive.js';
import { LastWindow } from './model/last-window.js';
import { HoltWinters } from './model/ets.js';
import { LstmForecaster, type LstmOptions } from './model/lstm/lstm.js';
import { PeakQuantile } from './model/peak-quantile.js';
import { calibrationOffsets, crossFittedRows, effectiveSampleSize, type CalibrationInput } from './logic/conformal.js';
import { meanPinball } from './logic/pinball.js';
import { seasonalScale, DAY_STEPS } from './logic/scale.js';
import { isSwitchedOff } from './logic/switched-off.js';
import { pooledPrior, selectModel, type SelectionCandidate, type SelectionPrior } from './logic/selection.js';
import { COMBINATIONS, combineRows, candidateTier, combinationName } from './logic/combine.js';
import { knownSteps } from './logic/confidence.js';

const TRAINED_FORMAT = 1;
const VALIDATION_STEPS = 2016; // one week
/** training steps a series needs besides the validation week to get fitted models */
const MIN_TRAIN_STEPS = 3 * DAY_STEPS;
export const HORIZONS: readonly Horizon[] = ['5m', '30m', '24h'];

export interface HorizonCalibration {
  selected: string;
  reason: string;
  /** candidate (model) -> per-level offsets */
  offsets: Record<string, number[]>;
  /** candidate -> cross-fitted validation spl */
  valLoss: Record<string, number>;
}

export interface SeriesCalibration {
  /** 'full': models fitted and validated; 'short': too little history, baselines only */
  mode: 'full' | 'short';
  knownSteps: number;
  scale: number;
  horizons: Record<string, HorizonCalibration>;
}

export interface TrainedForecast {
  format: number;
  createdAt: number;
  /** the history the run saw, unix seconds [from, to) */
  dataRange: { from: number; to: number };
  validationSteps: number;
  models: ModelState[];
  series: Record<string, SeriesCalibration>;
  priors: Record<string, SelectionPrior>;
  /** mean cross-fitted validation spl per horizon and candidate, over full series */
  scores: Record<string, Record<string, number>>;
  seconds: number;
}

export interface TrainOptions {
  /** LSTM options; false trains the baselines only */
  lstm?: Partial<LstmOptions> | false;
  onProgress?: (e: ProgressEvent | { model: 'all'; phase: string; done: number; total: number }) => void;
  signal?: AbortSignal;
  now?: () => number;
}

export interface TrainResult {
  trained: TrainedForecast;
  /** the fitted models, ready for predict.ts */
  models: Map<string, Forecaster>;
}

interface Candidate {
  name: string;
  baseline: boolean;
  tier: number;
  parts: string[];
}

function candidatesOf(models: readonly Forecaster[]): Candidate[] {
  const names = models.map((m) => m.name as string);
  const out: Candidate[] = models.map((m) => ({ name: m.name, baseline: BASELINES.includes(m.name), tier: candidateTier([m.name], BASELINES), parts: [m.name] }));
  for (const parts of COMBINATIONS) {
    if (parts.every((p) => names.includes(p))) out.push({ name: combinationName(parts), baseline: false, tier: candidateTier(parts, BASELINES), parts: [...parts] });
  }
  return out;
}

/**
 * Calibrates and scores every candidate of one series on the origins given (all inside
 * values), horizon by horizon; returns offsets per model and cross-fitted losses.
 */
function calibrateSeries(
  models: readonly Forecaster[],
  s: LoadSeries,
  pair: { cpu?: LoadSeries; memory?: LoadSeries },
  from: number,
  scale: number,
): Record<string, { offsets: Record<string, number[]>; candidates: SelectionCandidate[]; nEff: number }> {
  const steps = HORIZONS.map((h) => HORIZON_STEPS[h]);
  const per = steps.map((h) => {
    const origins = originsIn(from, s.values.length, h);
    const y = Float64Array.from(origins, (t) => {
      const off = pair.cpu && pair.memory ? isSwitchedOff(pair.cpu.values, pair.memory.values, t) : false;
      return off ? NaN : peakTarget(s.values, t, h);
    });
    return { origins, y };
  });
  const all = [...new Set(per.flatMap((p) => p.origins))].sort((a, b) => a - b);
  const idx = new Map(all.map((t, i) => [t, i]));
  const k = LEVELS.length;
  const raw = models.map((m) => m.predict(s, all, steps));
  const out: ReturnType<typeof calibrateSeries> = {};
  HORIZONS.forEach((hName, hi) => {
    const { origins, y } = per[hi];
    const offsets: Record<string, number[]> = {};
    const honest: Record<string, Float64Array> = {};
    models.forEach((m, mi) => {
      const rows = new Float64Array(origins.length * k);
      origins.forEach((t, i) => rows.set(raw[mi][hi].subarray(idx.get(t)! * k, idx.get(t)! * k + k), i * k));
      const input: CalibrationInput = { targets: y, preds: rows, levels: LEVELS, ownQuantiles: m.ownQuantiles, horizonSteps: steps[hi], originEvery: ORIGIN_EVERY };
      offsets[m.name] = calibrationOffsets(input);
      honest[m.name] = crossFittedRows(input);
    });
    const candidates = candidatesOf(models).map((c) => {
      const rows = c.parts.length === 1 ? honest[c.parts[0]] : combineRows(c.parts.map((p) => honest[p]), LEVELS);
      return { name: c.name, baseline: c.baseline, tier: c.tier, valLoss: meanPinball(y, rows, LEVELS) / scale };
    });
    const usable = y.filter((v) => !Number.isNaN(v)).length;
    out[hName] = { offsets, candidates, nEff: effectiveSampleSize(usable, steps[hi], ORIGIN_EVERY) };
  });
  return out;
}

/** Trains on the given series (both resources of every series key). */
export async function trainForecast(series: readonly LoadSeries[], opts: TrainOptions = {}): Promise<TrainResult> {
  const now = opts.now ?? (() => Date.now() / 1000);
  const started = Date.now();
  const progress = opts.onProgress ?? (() => {});
  const steps = HORIZONS.map((h) => HORIZON_STEPS[h]);
  const full = series.filter((s) => s.values.length >= VALIDATION_STEPS + MIN_TRAIN_STEPS && knownSteps(s.values) > VALIDATION_STEPS);
  const train = full.map((s) => ({ ...s, values: s.values.subarray(0, s.values.length - VALIDATION_STEPS) }));

  const baselines: Forecaster[] = [new SeasonalNaive(), new LastWindow()];
  const ets = new HoltWinters();
  const fitted: Forecaster[] = [...baselines, ets, new PeakQuantile()];
  const fitOpts = { horizons: steps, signal: opts.signal, onProgress: (e: ProgressEvent) => progress(e) };
  progress({ model: 'all', phase: `fitting on ${full.length} series (${series.length - full.length} too short)`, done: 0, total: 1 });
  if (train.length > 0) {
    await ets.fit(train, fitOpts);
    if (opts.lstm !== false) {
      const lstm = new LstmForecaster(opts.lstm ?? {});
      await lstm.fit(train, fitOpts);
      fitted.push(lstm);
    }
  }

  const byVm = new Map<string, { cpu?: LoadSeries; memory?: LoadSeries }>();
  for (const s of series) byVm.set(s.series, { ...byVm.get(s.series), [s.resource]: s });

  // Full series: calibrate on the validation week; selection needs the pooled prior first.
  const calibrations = new Map<string, ReturnType<typeof calibrateSeries>>();
  full.forEach((s, i) => {
    const pair = byVm.get(s.series)!;
    const visible = { cpu: pair.cpu, memory: pair.memory };
    calibrations.set(seriesKey(s), calibrateSeries(fitted, s, visible, s.values.length - VALIDATION_STEPS, seasonalScale(s.values, s.values.length - VALIDATION_STEPS)));
    progress({ model: 'all', phase: 'calibrating', done: i + 1, total: full.length });
  });
  const priors: Record<string, SelectionPrior> = {};
  const scores: Record<string, Record<string, number>> = {};
  for (const h of HORIZONS) {
    const perSeries = [...calibrations.values()].map((c) => c[h].candidates);
    priors[h] = pooledPrior(perSeries);
    const sums: Record<string, { s: number; n: number }> = {};
    for (const cands of perSeries) {
      for (const c of cands) {
        if (!Number.isFinite(c.valLoss)) continue;
        (sums[c.name] ??= { s: 0, n: 0 }).s += c.valLoss;
        sums[c.name].n++;
      }
    }
    scores[h] = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v.s / v.n]));
  }

  const out: Record<string, SeriesCalibration> = {};
  for (const s of series) {
    const key = seriesKey(s);
    const c = calibrations.get(key);
    if (c) {
      out[key] = {
        mode: 'full',
        knownSteps: knownSteps(s.values),
        scale: seasonalScale(s.values, s.values.length - VALIDATION_STEPS),
        horizons: Object.fromEntries(
          HORIZONS.map((h) => {
            const sel = selectModel(c[h].candidates, priors[h], { nEff: c[h].nEff });
            return [h, { selected: sel.name, reason: sel.reason, offsets: c[h].offsets, valLoss: Object.fromEntries(c[h].candidates.map((x) => [x.name, x.valLoss])) }];
          }),
        ),
      };
    } else {
      out[key] = shortSeriesCalibration(s, byVm.get(s.series) ?? {});
    }
  }

  const from = Math.min(...series.map((s) => s.start));
  const to = Math.max(...series.map((s) => s.start + s.values.length * s.step));
  const trained: TrainedForecast = {
    format: TRAINED_FORMAT,
    createdAt: Math.floor(now()),
    dataRange: { from: Number.isFinite(from) ? from : 0, to: Number.isFinite(to) ? to : 0 },
    validationSteps: VALIDATION_STEPS,
    models: fitted.map((m) => m.state()),
    series: out,
    priors,
    scores,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
  return { trained, models: new Map(fitted.map((m) => [m.name, m])) };
}

/**
 * A series too short to hold out a week: only the baselines (which need no fitting),
 * calibrated on whatever hourly origins its history has, the better of the two by loss.
 */
export function shortSeriesCalibration(s: LoadSeries, pair: { cpu?: LoadSeries; memory?: LoadSeries }): SeriesCalibration {
  const models: Forecaster[] = [new SeasonalNaive(), new LastWindow()];
  const n = s.values.length;
  // origins from the second day on (seasonal_naive needs a day), or from the start
  const from = n > 2 * DAY_STEPS ? DAY_STEPS : 0;
  const scale = seasonalScale(s.values);
  const c = calibrateSeries(models, s, pair, from, scale > 0 ? scale : 1);
  return {
    mode: 'short',
    knownSteps: knownSteps(s.values),
    scale,
    horizons: Object.fromEntries(
      HORIZONS.map((h) => {
        const cands = c[h].candidates.filter((x) => Number.isFinite(x.valLoss));
        const best = cands.length ? cands.reduce((a, b) => (b.valLoss < a.valLoss ? b : a)).name : 'last_window';
        return [h, { selected: best, reason: 'short-history', offsets: c[h].offsets, valLoss: Object.fromEntries(c[h].candidates.map((x) => [x.name, x.valLoss])) }];
      }),
    ),
  };
}

export type { ModelName };
