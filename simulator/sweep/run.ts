// `virtzone simulate --sweep`: every point of the grid (grid.ts) run over one workload —
// the traces read, the workload generated, the history built and the forecaster trained
// once, shared by every point — then the frontiers and the dominance summary
// (frontiers.ts).
import { runPolicy } from '../engine.js';
import { describeScenario, type PolicyName, type Scenario } from '../scenario.js';
import { prepareWorkload, summarizeWorkload, type SimulateProgress, type WorkloadSummary } from '../simulate.js';
import type { TracePool } from '../trace-pool.js';
import type { DominanceEntry } from './dominance.js';
import { summarizeSweep, type PolicySweep, type SweepMeasure } from './frontiers.js';
import { applyKnobs, DEFAULT_SWEEP_GRID, gridPoints, type SweepGrid, type SweepPoint } from './grid.js';

export interface SweepProgress {
  stage: 'load' | 'train' | 'point';
  done: number;
  total: number;
  /** the point just run (stage point) */
  point?: SweepPoint;
}

export interface SweepOptions {
  scenario: Scenario;
  policies: readonly PolicyName[];
  grid?: SweepGrid;
  /** an already loaded trace pool */
  pool?: TracePool;
  onProgress?: (p: SweepProgress) => void;
}

export interface SweepResult {
  scenario: Record<string, unknown>;
  workload: WorkloadSummary;
  /** the class whose violation frontier (b) reads: the first configured (gold by default) */
  topClass: string;
  policies: Partial<Record<PolicyName, PolicySweep>>;
  dominance: DominanceEntry[];
  /** wall time of the whole sweep, reading and training included */
  seconds: number;
  /** of which training the forecaster */
  trainSeconds: number;
}

export async function runSweep(opts: SweepOptions): Promise<SweepResult> {
  const started = performance.now();
  const s = opts.scenario;
  const progress = opts.onProgress ?? (() => {});
  const points = gridPoints(opts.policies, opts.grid ?? DEFAULT_SWEEP_GRID);
  const forward = (p: SimulateProgress) => {
    if (p.stage !== 'run') progress({ stage: p.stage, done: p.done, total: p.total });
  };
  const prepared = await prepareWorkload(s, { train: opts.policies.includes('predictive'), pool: opts.pool, onProgress: forward });
  const topClass = s.config.classes[0].name;
  const measures: SweepMeasure[] = [];
  for (const [i, point] of points.entries()) {
    const { scenario, config } = applyKnobs(point, s);
    const run = await runPolicy({
      policy: point.policy,
      scenario,
      config,
      pool: prepared.pool,
      workload: prepared.workload,
      history: prepared.history,
      forecaster: prepared.forecaster,
      appProfiles: prepared.appProfiles,
    });
    measures.push({
      policy: point.policy,
      knobs: point.knobs,
      rejectionRate: run.rejectionRate,
      sloViolation: run.sloViolation,
      topClassSloViolation: run.perClass[topClass]?.sloViolation ?? 0,
      admittedVmDays: run.admittedVmDays,
      vmDays: run.vmDays,
      utilization: run.utilization,
      seconds: run.seconds,
    });
    progress({ stage: 'point', done: i + 1, total: points.length, point });
  }
  return {
    scenario: describeScenario(s),
    workload: summarizeWorkload(prepared.pool, prepared.workload),
    topClass,
    ...summarizeSweep(measures),
    seconds: (performance.now() - started) / 1000,
    trainSeconds: prepared.trainSeconds,
  };
}
