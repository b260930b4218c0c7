// One call for the CLI, the benchmark and the demo: load the traces (once per process),
// generate the workload from the seed, train the forecaster on the history before the
// start (once per history), and run each policy over the same workload on the same host.
import type { AppProfile } from '../router/index.js';
import { appProfilesAtStart } from './app-history.js';
import { referenceBounds, type BoundRun } from './bounds.js';
import { runPolicy, type PolicyRun } from './engine.js';
import { trainedForecaster, type ClassForecaster, type TrainSummary } from './forecast.js';
import { buildClassHistory, classSeries, type ClassHistory } from './history.js';
import { describeScenario, type PolicyName, type Scenario } from './scenario.js';
import { generateWorkload, type Workload } from './stream.js';
import { STEP_SECONDS, loadTracePool, type TracePool } from './trace-pool.js';

export interface SimulateProgress {
  stage: 'load' | 'train' | 'run';
  policy?: PolicyName;
  done: number;
  total: number;
}

export interface SimulateOptions {
  scenario: Scenario;
  policies: readonly PolicyName[];
  /** record the hourly timeline (for --plot) */
  timeline?: boolean;
  onProgress?: (p: SimulateProgress) => void;
  /** an already loaded trace pool (the demo keeps one) */
  pool?: TracePool;
  /** also compute the reference bounds (bounds.ts) on the same workload */
  bounds?: boolean;
}

export interface WorkloadSummary {
  from: string;
  to: string;
  initialVms: number;
  requests: number;
  /** requests that had to share a trace source with a live VM (0 unless the pool ran out) */
  sharedSources: number;
}

export interface SimulationResult {
  scenario: Record<string, unknown>;
  workload: WorkloadSummary;
  forecast: (TrainSummary & { model: string }) | null;
  runs: PolicyRun[];
  /** the reference bounds, when asked for */
  bounds?: BoundRun[];
}

const pools = new Map<string, Promise<TracePool>>();

/** The trace pool of a folder, read once per process. */
export function tracePool(dir: string, onVm?: (done: number, total: number) => void): Promise<TracePool> {
  let p = pools.get(dir);
  if (!p) {
    p = loadTracePool(dir, { onVm });
    p.catch(() => pools.delete(dir));
    pools.set(dir, p);
  }
  return p;
}

export function summarizeWorkload(pool: TracePool, w: Workload): WorkloadSummary {
  const iso = (i: number) => new Date((pool.start + i * STEP_SECONDS) * 1000).toISOString();
  return { from: iso(w.startIndex), to: iso(w.startIndex + w.ticks), initialVms: w.initial.length, requests: w.requests.length, sharedSources: w.sharedSources };
}

/** What every run over one workload shares: read, generated and trained once. */
export interface PreparedWorkload {
  pool: TracePool;
  workload: Workload;
  history: ClassHistory;
  /** the trained forecaster, when asked for */
  forecaster?: ClassForecaster;
  forecast: SimulationResult['forecast'];
  /** wall time of the training (0 when nothing was trained) */
  trainSeconds: number;
  appProfiles: Map<string, AppProfile>;
}

/**
 * Loads the traces (once per process), generates the workload, builds the class history
 * and the app profiles, and trains the forecaster when `train` is set (once per history).
 */
export async function prepareWorkload(s: Scenario, opts: { train: boolean; pool?: TracePool; onProgress?: (p: SimulateProgress) => void }): Promise<PreparedWorkload> {
  const progress = opts.onProgress ?? (() => {});
  const pool = opts.pool ?? (await tracePool(s.trace, (done, total) => progress({ stage: 'load', done, total })));
  const workload = generateWorkload(pool, s);
  const history = buildClassHistory(pool, workload, s);
  let forecaster: ClassForecaster | undefined;
  let forecast: SimulationResult['forecast'] = null;
  let trainSeconds = 0;
  if (opts.train) {
    progress({ stage: 'train', done: 0, total: 1 });
    const t0 = performance.now();
    const trained = await trainedForecaster(s.model, s.epochs, classSeries(history, 0, history.before));
    trainSeconds = (performance.now() - t0) / 1000;
    forecaster = trained.forecaster;
    forecast = { model: s.model, ...trained.summary };
    progress({ stage: 'train', done: 1, total: 1 });
  }
  return { pool, workload, history, forecaster, forecast, trainSeconds, appProfiles: appProfilesAtStart(pool, workload, s) };
}

export async function simulate(opts: SimulateOptions): Promise<SimulationResult> {
  const s = opts.scenario;
  const progress = opts.onProgress ?? (() => {});
  const { pool, workload, history, forecaster, forecast, trainSeconds, appProfiles } = await prepareWorkload(s, { train: opts.policies.includes('predictive'), pool: opts.pool, onProgress: opts.onProgress });
  const runs: PolicyRun[] = [];
  for (const policy of opts.policies) {
    const run = await runPolicy({
      policy,
      scenario: s,
      pool,
      workload,
      history,
      forecaster,
      appProfiles,
      timeline: opts.timeline,
      onStep: (done, total) => progress({ stage: 'run', policy, done, total }),
    });
    // the forecaster's training is part of what the predictive policy costs
    if (policy === 'predictive') run.seconds += trainSeconds;
    runs.push(run);
  }
  const bounds = opts.bounds ? referenceBounds(pool, workload, s, appProfiles) : undefined;
  return { scenario: describeScenario(s), workload: summarizeWorkload(pool, workload), forecast, runs, ...(bounds ? { bounds } : {}) };
}
