// Split-conformal calibration of quantile forecasts. For each level tau the scores are
// s = y - q_tau on a held-out window; shifting q_tau by the finite-sample tau-quantile of
// those scores makes P(y <= q_tau + c) >= tau on exchangeable data (one-sided CQR).
// Point forecasters pass the same point for every level, which makes this the classic
// "quantiles from the residuals of the point forecast".

/**
 * 'finite-sample': the ceil((n+1) tau)-th smallest score (capped at the largest), the
 * split-conformal quantile with its coverage guarantee. 'empirical': the linearly
 * interpolated sample quantile (numpy's default), which the independent cross-check used.
 */
export type QuantileEstimator = 'finite-sample' | 'empirical';

export function conformalQuantile(sortedScores: ArrayLike<number>, tau: number, estimator: QuantileEstimator = 'finite-sample'): number {
  const n = sortedScores.length;
  if (n === 0) return 0;
  if (estimator === 'empirical') {
    const pos = (n - 1) * tau;
    const lo = Math.floor(pos);
    const hi = Math.min(n - 1, lo + 1);
    return sortedScores[lo] + (sortedScores[hi] - sortedScores[lo]) * (pos - lo);
  }
  const k = Math.min(n, Math.max(1, Math.ceil((n + 1) * tau)));
  return sortedScores[k - 1];
}

/**
 * Offsets per level from validation targets and raw predictions (row-major, one row of
 * `levels.length` per target; NaN targets skipped).
 */
export function conformalOffsets(
  targets: ArrayLike<number>,
  preds: ArrayLike<number>,
  levels: readonly number[],
  estimator: QuantileEstimator = 'finite-sample',
): number[] {
  const k = levels.length;
  return levels.map((tau, j) => {
    const scores: number[] = [];
    for (let i = 0; i < targets.length; i++) {
      const y = targets[i];
      const q = preds[i * k + j];
      if (Number.isNaN(y) || Number.isNaN(q)) continue;
      scores.push(y - q);
    }
    scores.sort((a, b) => a - b);
    return conformalQuantile(scores, tau, estimator);
  });
}

/**
 * Applies offsets: q'_tau = max(0, q_tau + c_tau), then makes each row non-decreasing in
 * tau (quantiles of one distribution cannot cross). Returns a new array.
 */
export function applyOffsets(preds: ArrayLike<number>, offsets: readonly number[]): Float64Array {
  const k = offsets.length;
  const out = new Float64Array(preds.length);
  for (let i = 0; i < preds.length; i += k) {
    let prev = 0;
    for (let j = 0; j < k; j++) {
      const v = Math.max(prev, preds[i + j] + offsets[j]);
      out[i + j] = v;
      prev = v;
    }
  }
  return out;
}

/**
 * How many independent outcomes a window of origins holds: origins `every` steps apart
 * whose targets span H steps overlap when H > every, so a week of hourly origins holds
 * ~168 independent 5-minute or 30-minute peaks but only ~6 independent 24-hour peaks.
 */
export function effectiveSampleSize(n: number, horizonSteps: number, originEvery: number): number {
  return Math.max(1, Math.min(n, (n * originEvery) / Math.max(1, horizonSteps)));
}

/**
 * Prior strength of a model's own quantiles (a model trained with a quantile loss over
 * months of many series), counted in exceedances: the shift of level tau is weighted
 * e / (e + prior), where e = nEff x (1 - tau) is how many outcomes above the tau-quantile
 * the calibration window is expected to hold. A week of 24 h peaks (nEff ~6) says
 * something about the median (e = 3) but next to nothing about the 0.99 level
 * (e = 0.06); a week of 5-minute peaks (nEff ~168) holds ~8 exceedances of the 0.95
 * level, so its shift applies for the most part. The tails of a model that has seen
 * months are not overwritten by one quiet (or one spiky) week.
 */
export const OWN_QUANTILE_PRIOR = 4;

/** The weight of the conformal shift of level tau for a model with quantiles of its own. */
export function ownQuantileWeight(nEff: number, tau: number): number {
  const e = nEff * (1 - tau);
  return e / (e + OWN_QUANTILE_PRIOR);
}

export interface CalibrationInput {
  /** validation targets (NaN = not usable, e.g. switched off) */
  targets: ArrayLike<number>;
  /** raw predictions at the validation origins, row-major x levels */
  preds: ArrayLike<number>;
  levels: readonly number[];
  /** true when the model forecasts its own quantiles (else they are all its point forecast) */
  ownQuantiles: boolean;
  horizonSteps: number;
  originEvery: number;
  estimator?: QuantileEstimator;
}

/** The per-level shifts of one model for one series and horizon. */
export function calibrationOffsets(c: CalibrationInput): number[] {
  const offsets = conformalOffsets(c.targets, c.preds, c.levels, c.estimator);
  if (!c.ownQuantiles) return offsets; // a point forecast has no quantiles of its own to fall back on
  let n = 0;
  for (let i = 0; i < c.targets.length; i++) if (!Number.isNaN(c.targets[i])) n++;
  const nEff = effectiveSampleSize(n, c.horizonSteps, c.originEvery);
  return offsets.map((o, j) => o * ownQuantileWeight(nEff, c.levels[j]));
}

/**
 * Calibrated validation rows that were not calibrated on themselves: the window is cut
 * in two halves and each half is shifted by offsets from the other. Selection compares
 * models on these, so a model whose offsets merely fit the validation noise gains nothing.
 */
export function crossFittedRows(c: CalibrationInput): Float64Array {
  const k = c.levels.length;
  const n = c.targets.length;
  const half = n >> 1;
  const out = new Float64Array(n * k);
  for (const [a, b] of [
    [0, half],
    [half, n],
  ]) {
    const others = Float64Array.from(c.targets, (y, i) => (i >= a && i < b ? NaN : y));
    const offsets = calibrationOffsets({ ...c, targets: others });
    out.set(applyOffsets(Array.prototype.slice.call(c.preds, a * k, b * k), offsets), a * k);
  }
  return out;
}
