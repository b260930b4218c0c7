// How the predictive policy's trade-offs compare with another policy's, point by point:
// for each point on the other policy's (rejection, violation) frontier, the best
// predictive point that violates no more (how many fewer rejections it buys there), and
// the best predictive point that rejects no more (how much less violation). Pure.
import type { Knobs } from './grid.js';

/** What the comparison reads of a point. */
export interface TradeOff {
  knobs: Knobs;
  rejectionRate: number;
  /** weighted SLO violation */
  sloViolation: number;
}

export interface PredictiveMatch {
  knobs: Knobs;
  rejectionRate: number;
  sloViolation: number;
  /** predictive's value / this point's: rejection rate for atNoMoreViolation, violation for atNoMoreRejection; 1 when both are 0, null when only this point's is 0 */
  ratio: number | null;
}

export interface DominanceEntry {
  policy: string;
  knobs: Knobs;
  rejectionRate: number;
  sloViolation: number;
  /** the predictive point with the fewest rejections among those with no more violation; null: none */
  atNoMoreViolation: PredictiveMatch | null;
  /** the predictive point with the least violation among those with no more rejections; null: none */
  atNoMoreRejection: PredictiveMatch | null;
}

/** a / b, 1 when both are 0, null when only b is. */
export function shareOf(a: number, b: number): number | null {
  if (b > 0) return a / b;
  return a === 0 ? 1 : null;
}

/** The point minimising `key` (ties: then `tie`) among those `within`; null when there is none. */
function best(points: readonly TradeOff[], within: (p: TradeOff) => boolean, key: (p: TradeOff) => number, tie: (p: TradeOff) => number): TradeOff | null {
  let out: TradeOff | null = null;
  for (const p of points) {
    if (!within(p)) continue;
    if (!out || key(p) < key(out) || (key(p) === key(out) && tie(p) < tie(out))) out = p;
  }
  return out;
}

/**
 * For each point of `others[policy]` (their frontiers), the predictive point (of
 * `predictive`, every point or its frontier: the best is on the frontier either way)
 * with no more violation and the fewest rejections, and the one with no more
 * rejections and the least violation.
 */
export function dominanceSummary(predictive: readonly TradeOff[], others: Readonly<Record<string, readonly TradeOff[]>>): DominanceEntry[] {
  const rej = (p: TradeOff) => p.rejectionRate;
  const vio = (p: TradeOff) => p.sloViolation;
  const out: DominanceEntry[] = [];
  for (const [policy, points] of Object.entries(others)) {
    for (const q of points) {
      const byViolation = best(predictive, (p) => p.sloViolation <= q.sloViolation, rej, vio);
      const byRejection = best(predictive, (p) => p.rejectionRate <= q.rejectionRate, vio, rej);
      out.push({
        policy,
        knobs: q.knobs,
        rejectionRate: q.rejectionRate,
        sloViolation: q.sloViolation,
        atNoMoreViolation: byViolation && { knobs: byViolation.knobs, rejectionRate: byViolation.rejectionRate, sloViolation: byViolation.sloViolation, ratio: shareOf(byViolation.rejectionRate, q.rejectionRate) },
        atNoMoreRejection: byRejection && { knobs: byRejection.knobs, rejectionRate: byRejection.rejectionRate, sloViolation: byRejection.sloViolation, ratio: shareOf(byRejection.sloViolation, q.sloViolation) },
      });
    }
  }
  return out;
}
