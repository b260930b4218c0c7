// What `virtzone simulate` prints: the JSON record of one policy (a fixed shape:
// {policy, rejectionRate, sloViolation, slack, actionsPerVmDay, seconds, perClass}
// plus detail), the comparison table, and the check of the simulator goals.
import type { PolicyRun } from './engine.js';
import type { BoundRun } from './bounds.js';
import type { ClassMetrics } from './metrics.js';
import type { SimulationResult } from './simulate.js';

const r6 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : x);

function classJson(c: ClassMetrics): Record<string, number> {
  return {
    requests: c.requests,
    rejected: c.rejected,
    rejectionRate: r6(c.rejectionRate),
    overflowGrants: c.overflowGrants,
    sloViolation: r6(c.sloViolation),
    vmSteps: c.vmSteps,
    violatedSteps: c.violatedSteps,
    weight: r6(c.weight),
  };
}

/** The JSON record of one policy's run. Only `seconds` (wall time) differs between two runs with the same seed. */
export function policyJson(run: PolicyRun, sim: SimulationResult): Record<string, unknown> {
  return {
    policy: run.policy,
    rejectionRate: r6(run.rejectionRate),
    sloViolation: r6(run.sloViolation),
    slack: r6(run.slack),
    actionsPerVmDay: r6(run.actionsPerVmDay),
    seconds: Math.round(run.seconds * 100) / 100,
    perClass: Object.fromEntries(Object.entries(run.perClass).map(([k, v]) => [k, classJson(v)])),
    requests: run.requests,
    rejected: run.rejected,
    overflowGrants: run.overflowGrants,
    slackCpu: r6(run.slackCpu),
    slackMemory: r6(run.slackMemory),
    vmDays: r6(run.vmDays),
    admittedVmDays: r6(run.admittedVmDays),
    utilization: { cpu: r6(run.utilization.cpu), memory: r6(run.utilization.memory) },
    actions: run.actions,
    violations: run.violations,
    ...(run.policy === 'predictive' && sim.forecast ? { forecast: { model: sim.forecast.model, selected: sim.forecast.selected } } : {}),
    scenario: sim.scenario,
    workload: sim.workload,
  };
}

export interface GoalCheck {
  goal: string;
  /** null when a policy it needs was not run */
  met: boolean | null;
  detail: string;
}

const pct = (x: number, d = 1) => `${(x * 100).toFixed(d)}%`;

/** The simulator's goals, checked on the runs at hand. */
export function checkGoals(runs: readonly Pick<PolicyRun, 'policy' | 'rejectionRate' | 'sloViolation' | 'slack'>[]): GoalCheck[] {
  const by = new Map(runs.map((r) => [r.policy, r]));
  const reactive = by.get('reactive');
  const predictive = by.get('predictive');
  const oracle = by.get('oracle');
  const out: GoalCheck[] = [];
  out.push(
    reactive
      ? { goal: 'reactive rejects at least 10% of requests', met: reactive.rejectionRate >= 0.1, detail: `reactive rejects ${pct(reactive.rejectionRate)}` }
      : { goal: 'reactive rejects at least 10% of requests', met: null, detail: 'reactive not run' },
  );
  if (reactive && predictive) {
    out.push({
      goal: 'predictive rejects at most half as many as reactive',
      met: predictive.rejectionRate <= reactive.rejectionRate / 2,
      detail: `predictive ${pct(predictive.rejectionRate)} vs half of reactive ${pct(reactive.rejectionRate / 2)}`,
    });
    out.push({
      goal: 'predictive SLO violation no higher than reactive',
      met: predictive.sloViolation <= reactive.sloViolation,
      detail: `predictive ${pct(predictive.sloViolation, 2)} vs reactive ${pct(reactive.sloViolation, 2)}`,
    });
  } else {
    out.push({ goal: 'predictive rejects at most half as many as reactive', met: null, detail: 'needs reactive and predictive' });
    out.push({ goal: 'predictive SLO violation no higher than reactive', met: null, detail: 'needs reactive and predictive' });
  }
  out.push(
    predictive && oracle
      ? {
          goal: 'predictive slack within 10 percentage points of oracle',
          met: Math.abs(predictive.slack - oracle.slack) <= 0.1,
          detail: `predictive ${pct(predictive.slack)} vs oracle ${pct(oracle.slack)} (${((predictive.slack - oracle.slack) * 100).toFixed(1)} pp)`,
        }
      : { goal: 'predictive slack within 10 percentage points of oracle', met: null, detail: 'needs predictive and oracle' },
  );
  return out;
}

export interface TableData {
  columns: { header: string; align?: 'left' | 'right' }[];
  rows: string[][];
}

/** The comparison: one row per policy. */
export function comparisonTable(runs: readonly PolicyRun[]): TableData {
  return {
    columns: [
      { header: 'Policy' },
      { header: 'Requests', align: 'right' },
      { header: 'Rejected', align: 'right' },
      { header: 'SLO viol. (weighted)', align: 'right' },
      { header: 'Slack (cpu / mem)', align: 'right' },
      { header: 'Actions/VM/day', align: 'right' },
      { header: 'VM-days (admitted)', align: 'right' },
      { header: 'Util. (cpu / mem)', align: 'right' },
      { header: 'Seconds', align: 'right' },
    ],
    rows: runs.map((r) => [
      r.policy,
      String(r.requests),
      `${pct(r.rejectionRate)} (${r.rejected})`,
      pct(r.sloViolation, 2),
      `${pct(r.slack)} (${pct(r.slackCpu, 0)} / ${pct(r.slackMemory, 0)})`,
      r.actionsPerVmDay.toFixed(2),
      `${r.vmDays.toFixed(1)} (${r.admittedVmDays.toFixed(1)})`,
      `${pct(r.utilization.cpu, 0)} / ${pct(r.utilization.memory, 0)}`,
      r.seconds.toFixed(1),
    ]),
  };
}

/** Per class: rejected and SLO violation, one column per class that had requests or VMs. */
export function perClassTable(runs: readonly PolicyRun[]): TableData {
  const classes = [...new Set(runs.flatMap((r) => Object.entries(r.perClass).filter(([, c]) => c.requests > 0 || c.vmSteps > 0).map(([k]) => k)))];
  return {
    columns: [{ header: 'Policy' }, ...classes.map((c) => ({ header: `${c}: rejected / SLO viol.`, align: 'right' as const }))],
    rows: runs.map((r) => [r.policy, ...classes.map((c) => (r.perClass[c] ? `${pct(r.perClass[c].rejectionRate)} / ${pct(r.perClass[c].sloViolation, 2)}` : '-'))]),
  };
}

export function goalLines(goals: readonly GoalCheck[]): string {
  return goals.map((g) => ` ${g.met === null ? '[ -  ]' : g.met ? '[met ]' : '[MISS]'} ${g.goal}: ${g.detail}`).join('\n') + '\n';
}

/** The reference bounds (bounds.ts): what no real policy can do, on the same workload. */
export function boundsTable(bounds: readonly BoundRun[]): TableData {
  return {
    columns: [
      { header: 'Reference bound' },
      { header: 'Charge (cpu / mem of size)', align: 'right' },
      { header: 'Rejected', align: 'right' },
      { header: 'SLO viol. (weighted)', align: 'right' },
      { header: 'Overloaded steps', align: 'right' },
    ],
    rows: bounds.map((b) => [
      b.bound,
      b.chargeRatio ? `${pct(b.chargeRatio.cpu)} / ${pct(b.chargeRatio.memory)}` : b.bound === 'known-present+app' ? `its app's (${b.appProfiled} of ${b.requests})` : 'true future',
      `${pct(b.rejectionRate)} (${b.rejected})`,
      pct(b.sloViolation, 2),
      String(b.overloadedSteps),
    ]),
  };
}
