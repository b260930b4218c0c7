// Pareto frontiers: the points no other point beats on every objective at once. Pure and
// generic: the objectives are functions to minimise (negate one to maximise it).

/** A value to minimise. */
export type Objective<T> = (point: T) => number;

/** a dominates b: no worse on every objective and better on at least one. */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) better = true;
  }
  return better;
}

/**
 * The points no other point dominates, sorted by the first objective (then the next).
 * Of points with the same objective values only the first given is kept: the frontier
 * names each trade-off once.
 */
export function paretoFrontier<T>(points: readonly T[], objectives: readonly Objective<T>[]): T[] {
  const scored = points.map((p, i) => ({ p, i, v: objectives.map((f) => f(p)) }));
  const kept = scored.filter((a) => !scored.some((b) => dominates(b.v, a.v)));
  const unique = kept.filter((a) => !kept.some((b) => b.i < a.i && b.v.every((x, j) => x === a.v[j])));
  unique.sort((a, b) => {
    for (let j = 0; j < a.v.length; j++) if (a.v[j] !== b.v[j]) return a.v[j] - b.v[j];
    return a.i - b.i;
  });
  return unique.map((a) => a.p);
}
