// Split-conformal calibration of quantile forecasts. For each level tau the scores are
// s = y - q_tau on a held-out window; shifting q_tau by the finite-sample tau-quantile of
// those scores makes P(y <= q_tau + c) >= tau on exchangeable data (one-sided CQR).
// Point forecasters pass the same point for every level, which makes this the classic
// "quantiles from the residuals of the point forecast".

/**
 * 'finite-sample': the ceil((n+1) tau)-th smallest score (capped at the largest), the
 * split-conformal quantile with its coverage guarantee. 'empirical': the linearly
 * interpolated sample quantile (numpy's default), which the cross-check used.
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
