// Which model serves a series at a horizon. The judge is the validation loss (scaled
// pinball, on cross-fitted calibrated rows), but one week of one series is a noisy judge —
// at 24 h it holds only ~6 independent peaks. So each series' evidence is shrunk towards
// what the model achieved across all series (an empirical-Bayes prior), with a weight that
// grows with the week's effective sample size. Then the choice moves away from the
// baselines one tier at a time — to a combination of a baseline with a learned model, then
// to a learned model alone — and each move needs a clear win over the step before.
import { effectiveSampleSize } from './conformal.js';

export interface SelectionCandidate {
  name: string;
  /** validation loss (scaled pinball); NaN or missing = no evidence */
  valLoss: number;
  baseline: boolean;
  /**
   * How far from the baselines a candidate is: 0 baseline, 1 a combination with a
   * baseline (half shrunk), 2 a learned model on its own (default: 0 if baseline, else 2).
   * Each step away must be earned by a clear win over the step before.
   */
  tier?: number;
}

export interface SelectionPrior {
  /** model -> mean log(valLoss / best baseline valLoss) over series */
  pooledLogRatio: Record<string, number>;
}

export interface SelectionOptions {
  /** independent outcomes in the validation window (effectiveSampleSize) */
  nEff: number;
  /** evidence (in independent outcomes) the pooled prior is worth; a week of hourly origins */
  priorStrength?: number;
  /** a non-baseline must win by this much (log loss ratio, 0.02 ~ 2%) */
  margin?: number;
}

const PRIOR_STRENGTH = 168;
const CLEAR_WIN = 0.02;

export interface Selection {
  name: string;
  /** the shrunk score of the chosen model (log ratio to the best baseline; lower is better) */
  score: number;
  reason: 'shrunk-loss' | 'baseline-margin' | 'no-evidence';
}

function bestBaseline(cands: readonly SelectionCandidate[], by: (c: SelectionCandidate) => number): SelectionCandidate {
  const base = cands.filter((c) => c.baseline);
  if (base.length === 0) throw new Error('selection: no baseline among the candidates');
  return base.reduce((a, b) => (by(b) < by(a) ? b : a));
}

/** Chooses among the candidates of one series and horizon. */
export function selectModel(cands: readonly SelectionCandidate[], prior: SelectionPrior, opts: SelectionOptions): Selection {
  const finite = (x: number) => Number.isFinite(x);
  const ref = bestBaseline(cands, (c) => (finite(c.valLoss) ? c.valLoss : Infinity));
  // Without usable evidence (no validation targets, or a series that is all zeros so
  // every loss is 0) the best baseline stands.
  if (!(ref.valLoss > 0) || !finite(ref.valLoss)) {
    return { name: ref.name, score: 0, reason: 'no-evidence' };
  }
  const w = opts.nEff / (opts.nEff + (opts.priorStrength ?? PRIOR_STRENGTH));
  const scored = cands
    .filter((c) => finite(c.valLoss) && c.valLoss > 0)
    .map((c) => {
      const own = Math.log(c.valLoss / ref.valLoss);
      const pooled = prior.pooledLogRatio[c.name];
      return { c, score: finite(pooled) ? w * own + (1 - w) * pooled : own };
    });
  // Start from the best baseline; move one tier away (combination, then learned model)
  // only when the best of that tier beats the current choice by the margin.
  const tierOf = (c: SelectionCandidate) => c.tier ?? (c.baseline ? 0 : 2);
  const margin = opts.margin ?? CLEAR_WIN;
  const bestOf = (xs: typeof scored) => (xs.length ? xs.reduce((a, b) => (b.score < a.score ? b : a)) : undefined);
  let chosen = bestOf(scored.filter((s) => tierOf(s.c) === 0))!;
  let reason: Selection['reason'] = 'shrunk-loss';
  for (const tier of [...new Set(scored.map((s) => tierOf(s.c)))].filter((t) => t > 0).sort((a, b) => a - b)) {
    const best = bestOf(scored.filter((s) => tierOf(s.c) === tier));
    if (!best) continue;
    if (best.score < chosen.score - margin) {
      chosen = best;
      reason = 'shrunk-loss';
    } else if (best.score < chosen.score) reason = 'baseline-margin';
  }
  return { name: chosen.c.name, score: chosen.score, reason };
}

/**
 * The pooled prior from many series' candidates: per model, the mean over series of
 * log(valLoss / best baseline valLoss), over series where both are positive and finite.
 */
export function pooledPrior(perSeries: readonly (readonly SelectionCandidate[])[]): SelectionPrior {
  const sum: Record<string, number> = {};
  const count: Record<string, number> = {};
  for (const cands of perSeries) {
    const base = cands.filter((c) => c.baseline && Number.isFinite(c.valLoss));
    if (base.length === 0) continue;
    const ref = Math.min(...base.map((c) => c.valLoss));
    if (!(ref > 0)) continue;
    for (const c of cands) {
      if (!(c.valLoss > 0) || !Number.isFinite(c.valLoss)) continue;
      sum[c.name] = (sum[c.name] ?? 0) + Math.log(c.valLoss / ref);
      count[c.name] = (count[c.name] ?? 0) + 1;
    }
  }
  return { pooledLogRatio: Object.fromEntries(Object.keys(sum).map((k) => [k, sum[k] / count[k]])) };
}

/** Selects for every series of one horizon at once (prior pooled from the same series). */
export function selectAll(perSeries: readonly (readonly SelectionCandidate[])[], nEff: (i: number) => number): Selection[] {
  const prior = pooledPrior(perSeries);
  return perSeries.map((cands, i) => selectModel(cands, prior, { nEff: nEff(i) }));
}

export { effectiveSampleSize };
