// The M5-style scale that makes losses comparable across series of different size:
// the mean absolute lag-288 (one day) difference of the training part.

export const DAY_STEPS = 288;

/** Mean |y[t] - y[t-lag]| over t in [lag, end) where both values are known; NaN if none. */
export function seasonalScale(values: ArrayLike<number>, end = values.length, lag = DAY_STEPS): number {
  let sum = 0;
  let n = 0;
  for (let t = lag; t < end; t++) {
    const a = values[t];
    const b = values[t - lag];
    if (Number.isNaN(a) || Number.isNaN(b)) continue;
    sum += Math.abs(a - b);
    n++;
  }
  return n === 0 ? NaN : sum / n;
}
