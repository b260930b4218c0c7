// What differs between the simulated policies, as one strategy interface: how the host
// is cut (zones per class, or one pool), how zones are sized and when they are sized
// again, whether the auto-scaler runs, and how a request is decided (which admission,
// which overflow policy). The step loop (steps.ts) calls these hooks and nothing else
// policy-specific.
import type { Config } from '../../core/config/schema.js';
import type { AppProfile } from '../../router/index.js';
import type { ClassForecaster } from '../forecast.js';
import type { ClassHistory } from '../history.js';
import type { SimulatedHost } from '../host.js';
import type { RequestOutcome } from '../placement.js';
import type { PolicyName, Scenario } from '../scenario.js';
import type { VmSpec, Workload } from '../stream.js';
import type { TracePool } from '../trace-pool.js';

/** What a policy is built from: the run's inputs. */
export interface PolicySetup {
  scenario: Scenario;
  /** the config the policy runs with (configFor()) */
  config: Config;
  classes: readonly string[];
  pool: TracePool;
  workload: Workload;
  /** this run's class history: what the daemon's store holds up to now */
  history: ClassHistory;
  forecaster?: ClassForecaster;
  appProfiles?: ReadonlyMap<string, AppProfile>;
}

/** The host as a policy sees it, and where it reports what it changed. */
export interface PolicyContext {
  host: SimulatedHost;
  /** a zone resize the policy made (counted in actionsPerVmDay) */
  countZoneResizes(n: number): void;
}

export interface ZonePolicy {
  readonly name: PolicyName;
  /** true: one zone per class and general; false: the whole host is one pool */
  readonly zoned: boolean;
  /** the auto-scaler runs every tick */
  readonly autoscales: boolean;
  /** sizes the zones before the first step (the initial VMs are on the host) */
  start(ctx: PolicyContext): void;
  /** a VM arrived or left */
  membersChanged(ctx: PolicyContext): void;
  /** at each step, after departures: forecasts and re-partitioning when due */
  beforeStep(ctx: PolicyContext, tick: number): void;
  /** a placement request */
  decide(ctx: PolicyContext, spec: VmSpec): RequestOutcome;
}

/** The config a policy runs with: the oracle and static size zones exactly (no buffer). */
export function configFor(policy: PolicyName, config: Config): Config {
  if (policy !== 'oracle' && policy !== 'static') return config;
  return { ...config, classes: config.classes.map((c) => ({ ...c, buffer: 0 })) };
}
