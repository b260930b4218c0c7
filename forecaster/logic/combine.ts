// Forecast combination: the calibrated quantiles of two or three models merged into one
// forecast, offered to selection as one more candidate named after its parts
// ("ets+lstm"), never forced. Averaging a statistical and a learned forecaster is the
// long-standing lesson of the M competitions (quantile averaging, "Vincentization"), and
// the centre of the distribution is that average. The tail levels (0.95 and up) take the
// highest of the parts instead: there an under-forecast costs tau / (1 - tau) = 19 to 99
// times an over-forecast, so when the parts disagree about how high a peak can go, the
// one that has seen it go higher (e.g. peak_quantile over months of daily peaks) is the
// cheaper one to trust.

export const COMBINATIONS: readonly (readonly string[])[] = [
  ['ets', 'lstm'],
  ['ets', 'peak_quantile'],
  ['ets', 'lstm', 'peak_quantile'],
];

/** Levels from here up take the highest of the parts rather than their mean. */
export const ENVELOPE_FROM = 0.95;

export function combinationName(parts: readonly string[]): string {
  return parts.join('+');
}

/**
 * Merges equally shaped quantile rows (row-major, `levels.length` per row): the mean at
 * levels below ENVELOPE_FROM, the maximum at and above it, each row made non-decreasing
 * in tau.
 */
export function combineRows(rows: readonly ArrayLike<number>[], levels: readonly number[], envelopeFrom = ENVELOPE_FROM): Float64Array {
  if (rows.length === 0) throw new Error('combineRows: nothing to combine');
  const n = rows[0].length;
  const k = levels.length;
  for (const r of rows) if (r.length !== n) throw new Error(`combineRows: lengths differ (${n} vs ${r.length})`);
  if (n % k !== 0) throw new Error(`combineRows: ${n} values are not rows of ${k} levels`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += k) {
    let prev = -Infinity;
    for (let j = 0; j < k; j++) {
      let v: number;
      if (levels[j] >= envelopeFrom) {
        v = -Infinity;
        for (const r of rows) v = Math.max(v, r[i + j]);
      } else {
        v = 0;
        for (const r of rows) v += r[i + j];
        v /= rows.length;
      }
      out[i + j] = Math.max(prev, v);
      prev = out[i + j];
    }
  }
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
