// What `virtzone simulate --sweep` prints: the JSON record (numbers rounded as the
// policy records are), each policy's frontier as a table, and the dominance summary.
// Pure.
import type { TableData } from '../report.js';
import type { DominanceEntry, PredictiveMatch } from './dominance.js';
import type { SweepMeasure } from './frontiers.js';
import { knobsLabel } from './grid.js';
import type { SweepResult } from './run.js';

const r6 = (x: number) => Math.round(x * 1e6) / 1e6;
const pct = (x: number, d = 1) => `${(x * 100).toFixed(d)}%`;

function measureJson(m: SweepMeasure): Record<string, unknown> {
  return {
    policy: m.policy,
    knobs: m.knobs,
    rejectionRate: r6(m.rejectionRate),
    sloViolation: r6(m.sloViolation),
    topClassSloViolation: r6(m.topClassSloViolation),
    admittedVmDays: r6(m.admittedVmDays),
    vmDays: r6(m.vmDays),
    utilization: { cpu: r6(m.utilization.cpu), memory: r6(m.utilization.memory) },
    seconds: Math.round(m.seconds * 100) / 100,
  };
}

const matchJson = (m: PredictiveMatch | null) => m && { knobs: m.knobs, rejectionRate: r6(m.rejectionRate), sloViolation: r6(m.sloViolation), ratio: m.ratio === null ? null : r6(m.ratio) };

/** The sweep as one JSON object: {scenario, workload, topClass, policies: {<policy>: {points, frontier}}, dominance, seconds}. */
export function sweepJson(r: SweepResult): Record<string, unknown> {
  return {
    scenario: r.scenario,
    workload: r.workload,
    topClass: r.topClass,
    policies: Object.fromEntries(
      Object.entries(r.policies).map(([policy, p]) => [
        policy,
        {
          points: p.points.map(measureJson),
          frontier: { rejectionViolation: p.frontier.rejectionViolation.map(measureJson), vmDaysTopClassViolation: p.frontier.vmDaysTopClassViolation.map(measureJson) },
        },
      ]),
    ),
    dominance: r.dominance.map((d) => ({
      policy: d.policy,
      knobs: d.knobs,
      rejectionRate: r6(d.rejectionRate),
      sloViolation: r6(d.sloViolation),
      atNoMoreViolation: matchJson(d.atNoMoreViolation),
      atNoMoreRejection: matchJson(d.atNoMoreRejection),
    })),
    seconds: Math.round(r.seconds * 100) / 100,
    trainSeconds: Math.round(r.trainSeconds * 100) / 100,
  };
}

/** Every point on a policy's frontier (a) or (b), one row each, in the order of (a) then (b)'s own. */
export function frontierTable(r: SweepResult): TableData {
  const rows: string[][] = [];
  for (const [policy, p] of Object.entries(r.policies)) {
    const onA = new Set(p.frontier.rejectionViolation);
    const onB = new Set(p.frontier.vmDaysTopClassViolation);
    for (const m of new Set([...p.frontier.rejectionViolation, ...p.frontier.vmDaysTopClassViolation])) {
      const on = [onA.has(m) ? 'a' : '', onB.has(m) ? 'b' : ''].filter(Boolean).join(', ');
      rows.push([policy, knobsLabel(m.knobs), pct(m.rejectionRate), pct(m.sloViolation, 2), pct(m.topClassSloViolation, 2), m.admittedVmDays.toFixed(1), `${pct(m.utilization.cpu, 0)} / ${pct(m.utilization.memory, 0)}`, on]);
    }
  }
  return {
    columns: [
      { header: 'Policy' },
      { header: 'Knobs' },
      { header: 'Rejected', align: 'right' },
      { header: 'SLO viol. (weighted)', align: 'right' },
      { header: `${r.topClass} SLO viol.`, align: 'right' },
      { header: 'Admitted VM-days', align: 'right' },
      { header: 'Util. (cpu / mem)', align: 'right' },
      { header: 'Frontier' },
    ],
    rows,
  };
}

const ratioText = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(2)}x`);
const matchText = (m: PredictiveMatch | null, what: 'rejected' | 'violation') =>
  m ? `${what === 'rejected' ? pct(m.rejectionRate) : pct(m.sloViolation, 2)} (${ratioText(m.ratio)}; ${knobsLabel(m.knobs)})` : 'none';

/** Per reactive and ratio frontier point: the best predictive point at no more violation, and at no more rejections. */
export function dominanceTable(entries: readonly DominanceEntry[]): TableData {
  return {
    columns: [
      { header: 'Policy' },
      { header: 'Knobs' },
      { header: 'Rejected / SLO viol.', align: 'right' },
      { header: 'Predictive rejected at no more viol.', align: 'right' },
      { header: 'Predictive viol. at no more rejected', align: 'right' },
    ],
    rows: entries.map((d) => [d.policy, knobsLabel(d.knobs), `${pct(d.rejectionRate)} / ${pct(d.sloViolation, 2)}`, matchText(d.atNoMoreViolation, 'rejected'), matchText(d.atNoMoreRejection, 'violation')]),
  };
}
