// What one simulation is: the host, the workload and the timeline. Defaults are the
// scenario the comparison in BENCHMARKS.md was run with (see simulator/README.md for why
// these numbers); every option is checked here, and a bad one is reported by its name.
import type { Config } from '../core/config/schema.js';
import { defaultConfig } from '../core/config/load.js';
import { GENERAL_ZONE_NAME } from '../core/model/types.js';

// ratio comes last: the order of the existing policies in `--policy all` output stays as it was
export const POLICIES = ['static', 'reactive', 'predictive', 'oracle', 'ratio'] as const;
export type PolicyName = (typeof POLICIES)[number];

export type ModelChoice = 'baselines' | 'lstm';

export interface Scenario {
  /** Bitbrains trace folder */
  trace: string;
  seed: number;
  /** simulated hours */
  hours: number;
  /** day of the trace at which the simulation starts; the days before are history */
  startDay: number;
  /** days of history (before startDay) the forecaster trains on */
  trainDays: number;
  /** host CPUs and memory (the host keeps config.host.reserve for itself) */
  cpus: number;
  memoryGiB: number;
  /** VMs on the host when the simulation starts (trace VMs, classes in turn) */
  initialVms: number;
  /** mean placement requests per hour (the daily pattern moves it up and down) */
  rate: number;
  /** 0 = flat; 0.5 = the rate swings between 0.5x and 1.5x the mean over the day */
  dailyAmplitude: number;
  /** UTC hour at which requests peak */
  peakHourUtc: number;
  /** mean VM lifetime (exponential); the initial VMs' remaining lifetimes too */
  lifetimeHours: number;
  /** share of requests per class (and optionally 'general'); normalized */
  mix: Record<string, number>;
  /** hours between two re-partitions of the predictive and oracle policies */
  repartitionHours: number;
  /** forecaster for the predictive policy */
  model: ModelChoice;
  /** LSTM epochs when model = lstm */
  epochs: number;
  /** ratio policy: provisioned vCPUs admitted up to this many times the host's cores (after the reserve) */
  cpuRatio: number;
  /** ratio policy: provisioned memory admitted up to this many times the host's memory (after the reserve) */
  ramRatio: number;
  /** the daemon's configuration (classes, partitioner, auto-scaler, overflow, host reserve) */
  config: Config;
}

/**
 * The default scenario (see simulator/README.md, "Choosing the scenario"): a host of this
 * size under this request rate makes the reactive policy reject more than 10% of requests.
 */
export const DEFAULT_SCENARIO: Omit<Scenario, 'trace' | 'config'> = {
  seed: 1,
  hours: 168,
  startDay: 35,
  trainDays: 35,
  cpus: 96,
  memoryGiB: 384,
  initialVms: 64,
  rate: 4,
  dailyAmplitude: 0.5,
  peakHourUtc: 12,
  lifetimeHours: 24,
  mix: { gold: 0.3, silver: 0.3, bronze: 0.4 },
  repartitionHours: 1,
  model: 'baselines',
  epochs: 8,
  // OpenStack Nova's default allocation ratios (cpu_allocation_ratio, ram_allocation_ratio)
  cpuRatio: 4,
  ramRatio: 1,
};

/** A bad option, named as the command line spells it (e.g. "--rate"). */
export class ScenarioError extends Error {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`${option}: ${message}`);
    this.name = 'ScenarioError';
  }
}

const num = (option: string, v: number, lo: number, hi: number, integer = false): void => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ScenarioError(option, `expected a number, got ${JSON.stringify(v)}`);
  if (integer && !Number.isInteger(v)) throw new ScenarioError(option, `expected a whole number, got ${v}`);
  if (v < lo || v > hi) throw new ScenarioError(option, `expected ${lo} to ${hi}, got ${v}`);
};

const positive = (option: string, v: number): void => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ScenarioError(option, `expected a number, got ${JSON.stringify(v)}`);
  if (!(v > 0)) throw new ScenarioError(option, `expected a positive number, got ${v}`);
};

/** Fills defaults and checks every field; throws ScenarioError naming the option. */
export function makeScenario(input: Partial<Scenario> & { trace: string }): Scenario {
  const s: Scenario = { ...DEFAULT_SCENARIO, config: input.config ?? defaultConfig(), ...stripUndefined(input) } as Scenario;
  if (!s.trace) throw new ScenarioError('--trace', 'a trace folder is required');
  num('--seed', s.seed, 0, 2 ** 32 - 1, true);
  num('--hours', s.hours, 0.05, 24 * 60);
  num('--start-day', s.startDay, 0, 365);
  num('--train-days', s.trainDays, 0, 365);
  if (s.trainDays > s.startDay) throw new ScenarioError('--train-days', `expected at most --start-day (${s.startDay}), got ${s.trainDays}`);
  num('--cpus', s.cpus, 1, 4096, true);
  num('--memory-gib', s.memoryGiB, 1, 65536);
  num('--initial-vms', s.initialVms, 0, 10000, true);
  num('--rate', s.rate, 0, 100000);
  num('--daily-amplitude', s.dailyAmplitude, 0, 1);
  num('--peak-hour', s.peakHourUtc, 0, 24);
  num('--lifetime-hours', s.lifetimeHours, 0.05, 24 * 365);
  num('--repartition-hours', s.repartitionHours, 0.05, 24 * 30);
  num('--epochs', s.epochs, 1, 1000, true);
  positive('--cpu-ratio', s.cpuRatio);
  positive('--ram-ratio', s.ramRatio);
  if (s.model !== 'baselines' && s.model !== 'lstm') throw new ScenarioError('--model', `expected baselines or lstm, got ${JSON.stringify(s.model)}`);
  const zones = [...s.config.classes.map((c) => c.name), GENERAL_ZONE_NAME];
  const entries = Object.entries(s.mix);
  if (entries.length === 0) throw new ScenarioError('--mix', 'expected at least one class=weight');
  for (const [name, w] of entries) {
    if (!zones.includes(name)) throw new ScenarioError('--mix', `${JSON.stringify(name)} is not a configured class: expected one of ${zones.join(', ')}`);
    if (!(Number.isFinite(w) && w >= 0)) throw new ScenarioError('--mix', `weight of ${name} must be a number >= 0, got ${w}`);
  }
  if (!(entries.reduce((a, [, w]) => a + w, 0) > 0)) throw new ScenarioError('--mix', 'the weights add up to 0');
  const interval = s.config.autoscaler.intervalSeconds;
  if (interval > 300) throw new ScenarioError('--config', `autoscaler.intervalSeconds is ${interval}; the simulator runs the auto-scaler at least once per 5-minute trace step`);
  return s;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The config with the command line's overrides of zones.cpuLimit (--zone-cpu-limit) and
 * router.admission (--admission) applied; throws ScenarioError naming the option.
 */
export function withOverrides(config: Config, o: { zoneCpuLimit?: string; admission?: string }): Config {
  let c = config;
  if (o.zoneCpuLimit !== undefined) {
    if (o.zoneCpuLimit !== 'shares' && o.zoneCpuLimit !== 'quota') throw new ScenarioError('--zone-cpu-limit', `expected shares or quota, got ${JSON.stringify(o.zoneCpuLimit)}`);
    c = { ...c, zones: { ...c.zones, cpuLimit: o.zoneCpuLimit } };
  }
  if (o.admission !== undefined) {
    if (o.admission !== 'expected' && o.admission !== 'provisioned') throw new ScenarioError('--admission', `expected expected or provisioned, got ${JSON.stringify(o.admission)}`);
    c = { ...c, router: { ...c.router, admission: o.admission } };
  }
  return c;
}

/** Parses "gold=0.3,silver=0.3,bronze=0.4". */
export function parseMix(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z][a-z0-9-]*)=(\d+(?:\.\d+)?)$/.exec(part);
    if (!m) throw new ScenarioError('--mix', `${JSON.stringify(part)} is not CLASS=WEIGHT (e.g. gold=0.3)`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

/** Auto-scaler ticks per 5-minute trace step (the daemon's interval, 30 s by default: 10). */
export function substepsOf(config: Pick<Config, 'autoscaler'>): number {
  return Math.max(1, Math.round(300 / config.autoscaler.intervalSeconds));
}

/** The part of a scenario that goes into the JSON output (everything but the config). */
export function describeScenario(s: Scenario): Record<string, unknown> {
  const { config, ...rest } = s;
  return {
    ...rest,
    classes: config.classes.map((c) => c.name),
    reserve: config.host.reserve,
    overflow: { policy: config.overflow.policy, threshold: config.overflow.threshold, exponent: config.overflow.exponent },
    partitioner: { horizon: config.partitioner.horizon, quantile: config.partitioner.quantile },
    autoscalerIntervalSeconds: config.autoscaler.intervalSeconds,
    zoneCpuLimit: config.zones.cpuLimit,
    admission: config.router.admission,
  };
}
