// A sweep's measured points turned into what it reports: per policy, its points and its
// two Pareto frontiers —
//   rejectionViolation: minimise the rejection rate and the weighted SLO violation;
//   vmDaysTopClassViolation: maximise the admitted VM-days and minimise the top class's
//     (gold's) SLO violation —
// and the dominance summary of predictive against reactive and ratio on the first.
// Pure.
import type { PolicyName } from '../scenario.js';
import { dominanceSummary, type DominanceEntry } from './dominance.js';
import type { Knobs } from './grid.js';
import { paretoFrontier } from './pareto.js';

/** One run of the sweep. */
export interface SweepMeasure {
  policy: PolicyName;
  knobs: Knobs;
  rejectionRate: number;
  /** weighted SLO violation */
  sloViolation: number;
  /** the top class's (gold's) unweighted SLO violation */
  topClassSloViolation: number;
  /** VM-days of the admitted requests */
  admittedVmDays: number;
  vmDays: number;
  utilization: { cpu: number; memory: number };
  /** wall time of the run */
  seconds: number;
}

export interface PolicySweep {
  points: SweepMeasure[];
  frontier: {
    rejectionViolation: SweepMeasure[];
    vmDaysTopClassViolation: SweepMeasure[];
  };
}

/** The policies whose frontiers are compared with predictive's. */
export const COMPARED_WITH_PREDICTIVE = ['reactive', 'ratio'] as const;

export function frontiersOf(points: readonly SweepMeasure[]): PolicySweep['frontier'] {
  return {
    rejectionViolation: paretoFrontier(points, [(p) => p.rejectionRate, (p) => p.sloViolation]),
    vmDaysTopClassViolation: paretoFrontier(points, [(p) => -p.admittedVmDays, (p) => p.topClassSloViolation]),
  };
}

/** Points grouped by policy (in the order they first appear), each with its frontiers, and the dominance summary. */
export function summarizeSweep(measures: readonly SweepMeasure[]): { policies: Partial<Record<PolicyName, PolicySweep>>; dominance: DominanceEntry[] } {
  const by = new Map<PolicyName, SweepMeasure[]>();
  for (const m of measures) {
    let list = by.get(m.policy);
    if (!list) by.set(m.policy, (list = []));
    list.push(m);
  }
  const policies: Partial<Record<PolicyName, PolicySweep>> = {};
  for (const [policy, points] of by) policies[policy] = { points, frontier: frontiersOf(points) };
  const predictive = policies.predictive?.frontier.rejectionViolation;
  const others: Record<string, SweepMeasure[]> = {};
  for (const p of COMPARED_WITH_PREDICTIVE) if (policies[p]) others[p] = policies[p].frontier.rejectionViolation;
  return { policies, dominance: predictive ? dominanceSummary(predictive, others) : [] };
}
