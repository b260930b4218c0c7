// Pinball (quantile) loss and coverage: the two numbers every forecast here is judged by.

/** Pinball loss of predicting quantile `tau` as `q` when the outcome was `y`. */
export function pinball(y: number, q: number, tau: number): number {
  const d = y - q;
  return d >= 0 ? tau * d : (tau - 1) * d;
}

/**
 * Mean pinball loss over all rows and all quantile levels. `preds` is row-major,
 * one row of `levels.length` quantiles per target. Rows whose target is NaN are skipped.
 */
export function meanPinball(targets: ArrayLike<number>, preds: ArrayLike<number>, levels: readonly number[]): number {
  const k = levels.length;
  if (preds.length !== targets.length * k) throw new Error(`meanPinball: ${preds.length} predictions for ${targets.length} targets x ${k} levels`);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < targets.length; i++) {
    const y = targets[i];
    if (Number.isNaN(y)) continue;
    for (let j = 0; j < k; j++) sum += pinball(y, preds[i * k + j], levels[j]);
    n++;
  }
  return n === 0 ? NaN : sum / (n * k);
}

/** Counts of targets at or below the prediction of one level (pooled coverage = hits / n over series). */
export function coverageCounts(
  targets: ArrayLike<number>,
  preds: ArrayLike<number>,
  levels: readonly number[],
  level: number,
): { hits: number; n: number } {
  const k = levels.length;
  const j = levels.indexOf(level);
  if (j < 0) throw new Error(`coverage: level ${level} is not one of ${levels.join(', ')}`);
  let hits = 0;
  let n = 0;
  for (let i = 0; i < targets.length; i++) {
    const y = targets[i];
    if (Number.isNaN(y)) continue;
    n++;
    if (y <= preds[i * k + j]) hits++;
  }
  return { hits, n };
}

/** Share of targets at or below the prediction of `level`. */
export function coverage(targets: ArrayLike<number>, preds: ArrayLike<number>, levels: readonly number[], level: number): number {
  const { hits, n } = coverageCounts(targets, preds, levels, level);
  return n === 0 ? NaN : hits / n;
}
