// The offline backtest, with a fixed protocol so numbers are comparable
// across runs and implementations:
//  - split: the last 2016 steps are the test window, the 2016 before it validation
//    (calibration + selection), everything earlier training;
//  - origins hourly inside each window, keeping those whose target window lies inside;
//  - target: max(values[t+1..t+H]) for H = 1, 6, 288;
//  - spl: mean pinball loss over the quantiles and the test origins, divided by the mean
//    absolute lag-288 difference of the training part; reported as mean and median over
//    series; coverage95: pooled share of test targets at or below the 0.95 quantile.
// Every model is calibrated on the validation week (logic/conformal.ts) and `selected`
// chooses per series and horizon on cross-fitted validation losses (logic/selection.ts),
// among the models and the ets+lstm combination. With `estimator: 'empirical'` and
// `switchedOffRule: false` the baselines reproduce the independent cross-check's numbers.
import { HORIZON_STEPS, type Horizon } from '../core/model/types.js';
import type { LoadSeries } from './input/series.js';
import { ORIGIN_EVERY, originsIn, peakTarget } from './input/windows.js';
import { BASELINES, LEVELS, seriesKey, type Forecaster, type ModelName, type ProgressEvent } from './model/forecaster.js';
import { meanPinball, coverageCounts } from './logic/pinball.js';
import { seasonalScale } from './logic/scale.js';
import { applyOffsets, calibrationOffsets, crossFittedRows, effectiveSampleSize, type CalibrationInput, type QuantileEstimator } from './logic/conformal.js';
import { isSwitchedOff } from './logic/switched-off.js';
import { selectAll, type SelectionCandidate } from './logic/selection.js';
import { COMBINATIONS, combineRows, candidateTier, combinationName } from './logic/combine.js';

export const WINDOW_STEPS = 2016; // 7 days of 5-minute steps
export const HORIZONS: readonly Horizon[] = ['5m', '30m', '24h'];

export interface ModelScore {
  spl: number;
  splMedian: number;
  coverage95: number;
}

export interface BacktestResult {
  series: number;
  quantiles: number[];
  horizons: Record<string, Record<string, ModelScore>>;
  seconds: number;
}

export interface BacktestProgress {
  stage: 'fit' | 'predict' | 'score';
  model?: ModelName;
  message: string;
  fit?: ProgressEvent;
}

export interface BacktestOptions {
  models: readonly Forecaster[];
  onProgress?: (p: BacktestProgress) => void;
  /** also return per-series detail (for the bench and for debugging) */
  detail?: boolean;
  /** conformal quantile estimator; default 'finite-sample' */
  estimator?: QuantileEstimator;
  /** forecast switched-off VMs at zero (default true); off reproduces the independent cross-check's setup */
  switchedOffRule?: boolean;
  /** candidate combinations for selection (default COMBINATIONS: ets+lstm, ets+peak_quantile, ets+lstm+peak_quantile) */
  combinations?: readonly (readonly string[])[];
}

export interface SeriesDetail {
  key: string;
  scale: number;
  /** horizon -> model -> { val, test } spl; plus which model was selected */
  horizons: Record<string, { selected: string; val: Record<string, number>; test: Record<string, number> }>;
}

/** Per model and horizon: calibrated quantile rows for the validation and test origins. */
interface Calibrated {
  val: Float64Array;
  test: Float64Array;
  /** validation rows calibrated without themselves (crossFittedRows), for selection */
  honest: Float64Array;
}

export interface SplitOf {
  valStart: number;
  testStart: number;
  end: number;
}

export function splitOf(s: LoadSeries): SplitOf {
  const end = s.values.length;
  const testStart = end - WINDOW_STEPS;
  const valStart = testStart - WINDOW_STEPS;
  return { valStart, testStart, end };
}

/** The training part of a series: what models may be fitted on. */
export function trainingPart(s: LoadSeries): LoadSeries {
  return { ...s, values: s.values.subarray(0, splitOf(s).valStart) };
}

export async function runBacktest(all: readonly LoadSeries[], opts: BacktestOptions): Promise<BacktestResult & { detail?: SeriesDetail[] }> {
  const started = Date.now();
  const progress = opts.onProgress ?? (() => {});
  const minTraining = 2 * 288 + 1;
  for (const s of all) {
    if (splitOf(s).valStart < minTraining) {
      throw new Error(`series ${seriesKey(s)}: ${s.values.length} steps; the protocol needs more than ${2 * WINDOW_STEPS + minTraining} (2 weeks + 2 days)`);
    }
  }
  const steps = HORIZONS.map((h) => HORIZON_STEPS[h]);
  const train = all.map(trainingPart);
  const offRule = opts.switchedOffRule ?? true;
  const offAt = (pair: Partial<Record<'cpu' | 'memory', LoadSeries>>, t: number) =>
    offRule && pair.cpu !== undefined && pair.memory !== undefined && isSwitchedOff(pair.cpu.values, pair.memory.values, t);
  const byVm = new Map<string, Partial<Record<'cpu' | 'memory', LoadSeries>>>();
  for (const s of all) byVm.set(s.series, { ...byVm.get(s.series), [s.resource]: s });

  // Per series: origins and targets of both windows, and the scale.
  const plan = all.map((s) => {
    const { valStart, testStart, end } = splitOf(s);
    const pair = byVm.get(s.series)!;
    return {
      s,
      scale: seasonalScale(s.values, valStart),
      windows: steps.map((h) => {
        const val = originsIn(valStart, testStart, h);
        const test = originsIn(testStart, end, h);
        const valOff = val.map((t) => offAt(pair, t));
        const valY = Float64Array.from(val, (t) => peakTarget(s.values, t, h));
        return {
          val,
          test,
          valY,
          testY: Float64Array.from(test, (t) => peakTarget(s.values, t, h)),
          valOff,
          testOff: test.map((t) => offAt(pair, t)),
          // switched-off origins are forecast at zero by rule: they neither calibrate nor judge
          valUsable: valY.map((y, i) => (valOff[i] ? NaN : y)),
        };
      }),
    };
  });

  // cal[modelIndex][seriesIndex][horizonIndex]
  const cal: Calibrated[][][] = [];
  for (const model of opts.models) {
    progress({ stage: 'fit', model: model.name, message: `fitting ${model.name} on ${train.length} series` });
    await model.fit(train, { horizons: steps, onProgress: (e) => progress({ stage: 'fit', model: model.name, message: `${e.phase} ${e.done}/${e.total}`, fit: e }) });
    progress({ stage: 'predict', model: model.name, message: `predicting ${model.name}` });
    cal.push(
      plan.map((p) => {
        const { testStart } = splitOf(p.s);
        // validation forecasts get a series that physically ends where the test window starts
        const visibleForVal: LoadSeries = { ...p.s, values: p.s.values.subarray(0, testStart) };
        const rawVal = model.predict(visibleForVal, p.windows.flatMap((w) => w.val), steps);
        const rawTest = model.predict(p.s, p.windows.flatMap((w) => w.test), steps);
        // predict() was asked for every horizon at the union of origins; cut out each horizon's own
        let vo = 0;
        let to = 0;
        return p.windows.map((w, hi) => {
          const k = LEVELS.length;
          const v = rawVal[hi].subarray(vo * k, (vo + w.val.length) * k);
          const t = rawTest[hi].subarray(to * k, (to + w.test.length) * k);
          vo += w.val.length;
          to += w.test.length;
          const input: CalibrationInput = {
            targets: w.valUsable,
            preds: v,
            levels: LEVELS,
            ownQuantiles: model.ownQuantiles,
            horizonSteps: steps[hi],
            originEvery: ORIGIN_EVERY,
            estimator: opts.estimator,
          };
          const offsets = calibrationOffsets(input);
          return {
            val: zeroWhereOff(applyOffsets(v, offsets), w.valOff),
            test: zeroWhereOff(applyOffsets(t, offsets), w.testOff),
            honest: crossFittedRows(input),
          };
        });
      }),
    );
  }

  // Candidates for selection: every model, and the combinations whose parts all ran.
  const names = opts.models.map((m) => m.name as string);
  const candidates: { name: string; baseline: boolean; tier: number; rows: (si: number, hi: number) => Calibrated }[] = opts.models.map((m, mi) => ({
    name: m.name,
    baseline: BASELINES.includes(m.name),
    tier: candidateTier([m.name], BASELINES),
    rows: (si, hi) => cal[mi][si][hi],
  }));
  for (const parts of opts.combinations ?? COMBINATIONS) {
    const idx = parts.map((n) => names.indexOf(n));
    if (idx.some((i) => i < 0)) continue;
    const memo = new Map<string, Calibrated>();
    candidates.push({
      name: combinationName(parts),
      baseline: false,
      tier: candidateTier(parts, BASELINES),
      rows: (si, hi) => {
        const key = `${si}:${hi}`;
        let c = memo.get(key);
        if (!c) {
          const of = idx.map((mi) => cal[mi][si][hi]);
          c = { val: combineRows(of.map((x) => x.val), LEVELS), test: combineRows(of.map((x) => x.test), LEVELS), honest: combineRows(of.map((x) => x.honest), LEVELS) };
          memo.set(key, c);
        }
        return c;
      },
    });
  }

  progress({ stage: 'score', message: 'scoring' });
  const reported = [...names, 'selected'];
  const horizons: BacktestResult['horizons'] = {};
  const detail: SeriesDetail[] = plan.map((p) => ({ key: seriesKey(p.s), scale: p.scale, horizons: {} }));
  HORIZONS.forEach((hName, hi) => {
    const perModel = new Map<string, { spl: number[]; hits: number; n: number }>(reported.map((n) => [n, { spl: [], hits: 0, n: 0 }]));
    const perSeries: SelectionCandidate[][] = plan.map((p, si) =>
      candidates.map((c) => ({
        name: c.name,
        baseline: c.baseline,
        tier: c.tier,
        valLoss: meanPinball(p.windows[hi].valUsable, c.rows(si, hi).honest, LEVELS) / p.scale,
      })),
    );
    const chosen = selectAll(perSeries, (si) => {
      const w = plan[si].windows[hi];
      return effectiveSampleSize(w.valUsable.filter((y) => !Number.isNaN(y)).length, steps[hi], ORIGIN_EVERY);
    });
    plan.forEach((p, si) => {
      const w = p.windows[hi];
      const d = { selected: chosen[si].name, val: {} as Record<string, number>, test: {} as Record<string, number> };
      const score = (name: string, rows: Float64Array) => {
        const spl = meanPinball(w.testY, rows, LEVELS) / p.scale;
        const c = coverageCounts(w.testY, rows, LEVELS, 0.95);
        const agg = perModel.get(name);
        if (agg) {
          agg.spl.push(spl);
          agg.hits += c.hits;
          agg.n += c.n;
        }
        d.test[name] = spl;
      };
      candidates.forEach((c, ci) => {
        score(c.name, c.rows(si, hi).test);
        d.val[c.name] = perSeries[si][ci].valLoss;
      });
      score('selected', candidates.find((c) => c.name === chosen[si].name)!.rows(si, hi).test);
      detail[si].horizons[hName] = d;
    });
    horizons[hName] = Object.fromEntries(
      reported.map((n) => {
        const a = perModel.get(n)!;
        return [n, { spl: mean(a.spl), splMedian: median(a.spl), coverage95: a.n ? a.hits / a.n : NaN }];
      }),
    );
  });

  return {
    series: all.length,
    quantiles: [...LEVELS],
    horizons,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    ...(opts.detail ? { detail } : {}),
  };
}

function zeroWhereOff(rows: Float64Array, off: readonly boolean[]): Float64Array {
  const k = LEVELS.length;
  off.forEach((o, i) => {
    if (o) rows.fill(0, i * k, i * k + k);
  });
  return rows;
}

function mean(xs: readonly number[]): number {
  const f = xs.filter(Number.isFinite);
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
}

function median(xs: readonly number[]): number {
  const f = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (f.length === 0) return NaN;
  const m = f.length >> 1;
  return f.length % 2 ? f[m] : (f[m - 1] + f[m]) / 2;
}
