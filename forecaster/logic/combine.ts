// Forecast combination: the average of two models' calibrated quantiles (quantile
// averaging, "Vincentization"). Averaging a statistical and a learned forecaster is the
// long-standing lesson of the M competitions; it is offered to selection as one more
// candidate, named after its parts ("ets+lstm"), never forced.

export const COMBINATIONS: readonly (readonly [string, string])[] = [['ets', 'lstm']];

export function combinationName(parts: readonly string[]): string {
  return parts.join('+');
}

/** Element-wise mean of equally shaped quantile rows (monotone rows stay monotone). */
export function averageRows(rows: readonly ArrayLike<number>[]): Float64Array {
  if (rows.length === 0) throw new Error('averageRows: nothing to average');
  const n = rows[0].length;
  for (const r of rows) if (r.length !== n) throw new Error(`averageRows: lengths differ (${n} vs ${r.length})`);
  const out = new Float64Array(n);
  for (const r of rows) for (let i = 0; i < n; i++) out[i] += r[i];
  for (let i = 0; i < n; i++) out[i] /= rows.length;
  return out;
}

/**
 * How far a candidate is from the baselines (selection.ts moves away one tier at a time):
 * 0 only baselines, 1 a baseline combined with a learned model, 2 learned models only.
 */
export function candidateTier(parts: readonly string[], baselines: readonly string[]): number {
  const b = parts.filter((p) => baselines.includes(p)).length;
  return b === parts.length ? 0 : b > 0 ? 1 : 2;
}
