// The replay engine: one policy over one workload, in virtual time. It puts together the
// simulated host (host.ts), the policy (policies/), the auto-scaler (autoscale.ts) when
// the policy runs it, and the step loop (steps.ts) that records the metrics and the
// hourly timeline (hourly.ts). Everything that decides is the daemon's own code; only
// the hypervisor is replaced (world.ts).
import type { Config } from '../core/config/schema.js';
import { GENERAL_ZONE_NAME } from '../core/model/types.js';
import { capacityOf } from '../partitioner/index.js';
import type { AppProfile } from '../router/index.js';
import { SimulatedAutoscaler } from './autoscale.js';
import type { ClassForecaster } from './forecast.js';
import { cloneHistory, type ClassHistory } from './history.js';
import { HOST_POOL, SimulatedHost } from './host.js';
import { HourlyTimeline, type TimelineHour } from './hourly.js';
import { MetricsRecorder, type PolicyMetrics } from './metrics.js';
import { configFor, policyFor } from './policies/index.js';
import { substepsOf, type PolicyName, type Scenario } from './scenario.js';
import { runSteps } from './steps.js';
import type { Workload } from './stream.js';
import { STEP_SECONDS, type TracePool } from './trace-pool.js';

export { HOST_POOL } from './host.js';
export type { TimelineHour, ZonePoint } from './hourly.js';

export interface EngineInput {
  policy: PolicyName;
  scenario: Scenario;
  pool: TracePool;
  workload: Workload;
  /** the class history (history.ts); the engine appends the measured use to it */
  history: ClassHistory;
  /** the router's app profiles at the start (app-history.ts); absent or empty: class ratios only */
  appProfiles?: ReadonlyMap<string, AppProfile>;
  /** the trained forecaster (predictive only) */
  forecaster?: ClassForecaster;
  /** the config the policy runs with instead of configFor(policy, scenario.config): a sweep's knobs */
  config?: Config;
  /** record an hourly timeline (for --plot) */
  timeline?: boolean;
  onStep?: (tick: number, ticks: number) => void;
}

export interface PolicyRun extends PolicyMetrics {
  policy: PolicyName;
  /** wall time of this run (the predictive one includes training, when it trained) */
  seconds: number;
  zones: string[];
  timeline?: TimelineHour[];
}

export async function runPolicy(input: EngineInput): Promise<PolicyRun> {
  const started = performance.now();
  const { scenario: s, pool, workload } = input;
  // this run's own copy: the engine appends what it measures, and runs must not share that
  const history = cloneHistory(input.history);
  const config = input.config ?? configFor(input.policy, s.config);
  const classes = config.classes.map((c) => c.name);
  const classZones = [...classes, GENERAL_ZONE_NAME];
  const policy = policyFor(input.policy, { scenario: s, config, classes, pool, workload, history, forecaster: input.forecaster, appProfiles: input.appProfiles });
  const zones = policy.zoned ? classZones : [HOST_POOL];
  const host = new SimulatedHost({
    zones,
    classZones,
    capacity: capacityOf({ cpus: s.cpus, memoryKiB: s.memoryGiB * 1024 * 1024 }, config),
    pool,
    workload,
    minChangeMemoryMiB: config.apply.minChangeMemoryMiB,
  });
  const metrics = new MetricsRecorder(classZones, classes.length);
  const timeline = input.timeline ? new HourlyTimeline(zones) : undefined;

  for (const spec of workload.initial) host.addInitialVm(spec);
  runSteps({
    config,
    classes,
    host,
    policy,
    autoscaler: policy.autoscales ? new SimulatedAutoscaler(config, classes, zones) : undefined,
    workload,
    startUnix: pool.start + workload.startIndex * STEP_SECONDS,
    substeps: substepsOf(config),
    metrics,
    history,
    timeline,
    onStep: input.onStep,
  });

  return {
    policy: input.policy,
    ...metrics.result(),
    seconds: (performance.now() - started) / 1000,
    zones,
    ...(timeline ? { timeline: timeline.hours } : {}),
  };
}
