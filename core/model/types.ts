// Domain records shared by the collector, store, forecaster, partitioner and router.

/** An amount of the two resources a zone divides: CPU in cores, memory in MiB. */
export interface Resources {
  cpuCores: number;
  memoryMiB: number;
}

export type Resource = keyof Resources;
export const RESOURCES: readonly Resource[] = ['cpuCores', 'memoryMiB'];

/** One collector observation of one VM (rates from deltas between ticks). */
export interface VmSample {
  vm: string; // domain name
  uuid: string;
  ts: number; // unix seconds
  cpuCores: number | null; // Δcpu.time/Δt; null on a new baseline
  memoryMiB: number | null; // balloon.current − balloon.unused, else rss
  vcpus: number | null;
  memoryCurrentMiB: number | null; // balloon.current
  netRxBps: number | null;
  netTxBps: number | null;
  blockRdBps: number | null;
  blockWrBps: number | null;
}

/** A 5-minute rollup of a series (per VM or per class). */
export interface Rollup {
  series: string; // 'vm:<name>' | 'class:<name>' | 'tenant:<t>' | 'app:<a>'
  ts: number; // bucket start, unix seconds, multiple of 300
  cpuMean: number;
  cpuMax: number;
  cpuP95: number;
  memMean: number;
  memMax: number;
  memP95: number;
  netBps: number;
  diskBps: number;
  samples: number;
}

export const ROLLUP_SECONDS = 300;

export type Horizon = '5m' | '30m' | '24h';
export const HORIZON_STEPS: Record<Horizon, number> = { '5m': 1, '30m': 6, '24h': 288 };
export const QUANTILES = [0.5, 0.9, 0.95, 0.99] as const;

/** Forecast of one resource of one series over one horizon (DESIGN.md, step 2). */
export interface LoadPrediction {
  series: string;
  resource: 'cpu' | 'memory'; // cores | MiB
  horizon: Horizon;
  origin: number; // unix seconds
  peakLoad: number; // the configured quantile of the peak
  averageLoad: number;
  trend: number; // units per hour, over the recent window
  distribution: Record<string, number>; // quantile ("0.5","0.9","0.95","0.99") -> peak
  model: string; // which model produced it (selected)
  /** 0..1; low when the history is short (widens the buffer) */
  confidence: number;
}

/** The general-purpose zone: what the classes' zones leave of the host. */
export const GENERAL_ZONE_NAME = 'general';

/** libvirt's own partition, where a domain without <resource> runs. */
export const DEFAULT_PARTITION = '/machine';

/** libvirt resource partition of a zone (a cgroup subtree under /machine). */
export function partitionOf(zone: string): string {
  return `/machine/virtzone-${zone}`;
}

/**
 * A zone as the router and the operator views see it at one moment: its allocation (from
 * the current plan), what its member VMs are provisioned with and actually use, and
 * whether the auto-scaler has run out of options for it.
 */
export interface ZoneState {
  name: string; // class name or 'general'
  /** 0 = highest priority; 'general' comes after every class */
  rank: number;
  partition: string;
  allocation: Resources;
  /** sum of member VMs' provisioned vCPUs and memory */
  provisioned: Resources;
  /** latest measured use of the member VMs */
  used: Resources;
  /** forecast peak over the planning horizon, when a forecast exists */
  forecastPeak?: Resources;
  /**
   * what the class's VMs use of what they are provisioned with: a high quantile over the
   * running members of use/provisioned, in [0.1, 1]; absent when no member has a use
   * sample (admission then assumes 1). Expected admission charges a request at its size x this.
   */
  useRatio?: { cpu: number; memory: number };
  /** provisioned size of running members that have no use sample yet (they count at their expected use) */
  unmeasured?: Resources;
  vms: string[];
  exhausted: boolean;
}
