// Origins and peak targets as the backtest protocol fixes them: an origin t sees
// values[0..t]; the target for horizon H is max(values[t+1..t+H]).

export const ORIGIN_EVERY = 12; // hourly on the 5-minute grid

/**
 * Origins t = from, from+every, ... inside [from, to) whose whole target window
 * t+1..t+H also lies inside [from, to).
 */
export function originsIn(from: number, to: number, horizonSteps: number, every = ORIGIN_EVERY): number[] {
  const out: number[] = [];
  for (let t = from; t + horizonSteps <= to - 1; t += every) out.push(t);
  return out;
}

/** max(values[t+1..t+H]); NaN if any of those steps is empty (gaps are never targets). */
export function peakTarget(values: ArrayLike<number>, t: number, horizonSteps: number): number {
  if (t + horizonSteps >= values.length) return NaN;
  let m = -Infinity;
  for (let i = t + 1; i <= t + horizonSteps; i++) {
    const v = values[i];
    if (Number.isNaN(v)) return NaN;
    if (v > m) m = v;
  }
  return m;
}

/** max of the known values in [from, to) (clipped to the array); NaN if none is known. */
export function maxKnown(values: ArrayLike<number>, from: number, to: number): number {
  let m = -Infinity;
  for (let i = Math.max(0, from); i < Math.min(values.length, to); i++) {
    const v = values[i];
    if (!Number.isNaN(v) && v > m) m = v;
  }
  return m === -Infinity ? NaN : m;
}

/** The last known value at or before t; NaN if none. */
export function lastKnown(values: ArrayLike<number>, t: number): number {
  for (let i = Math.min(t, values.length - 1); i >= 0; i--) if (!Number.isNaN(values[i])) return values[i];
  return NaN;
}
