// App profiles: what a new VM of a tenant's app is expected to use, learned from the
// earlier VMs of the same tenant and app — the way VPA keys its recommendations by
// workload rather than by pod. A provisioning script that asks again for "web" gets
// charged at what "web" VMs really used, not at the busiest tenth of its class.
//
// An app's history is a histogram of its 5-minute use/size ratios in 1% buckets: the
// store builds it with one GROUP BY (weeks of rollups never cross into JavaScript one
// row at a time), and the quantile read from it is at most one bucket high — the
// conservative side. Pure: histograms in, profiles out.
import { USE_RATIO_MAX, USE_RATIO_MIN } from '../../partitioner/index.js';

export { appKey } from '../../core/model/app-key.js';

export interface UseRatio {
  cpu: number;
  memory: number;
}

export interface AppProfile extends UseRatio {
  /** 5-minute samples behind the ratios (the fewer of the two resources') */
  samples: number;
}

export type AppProfiles = ReadonlyMap<string, AppProfile>;

/** Buckets per unit ratio: bucket b holds ratios in [b/100, (b+1)/100); bucket 100 holds 1. */
export const RATIO_BUCKETS = 100;

/** Counts of 5-minute samples per ratio bucket, per resource (RATIO_BUCKETS + 1 each). */
export interface UseHistogram {
  cpu: Float64Array;
  memory: Float64Array;
}

export const emptyHistogram = (): UseHistogram => ({ cpu: new Float64Array(RATIO_BUCKETS + 1), memory: new Float64Array(RATIO_BUCKETS + 1) });

/** The bucket of a ratio (clamped to [0, 1]); -1 for no measurement. */
export function ratioBucket(ratio: number): number {
  if (!Number.isFinite(ratio)) return -1;
  return Math.min(RATIO_BUCKETS, Math.max(0, Math.floor(ratio * RATIO_BUCKETS + 1e-9)));
}

/** Adds one sample (NaN: that resource was not measured). */
export function addSample(h: UseHistogram, cpuRatio: number, memoryRatio: number, count = 1): void {
  const c = ratioBucket(cpuRatio);
  const m = ratioBucket(memoryRatio);
  if (c >= 0) h.cpu[c] += count;
  if (m >= 0) h.memory[m] += count;
}

const total = (counts: Float64Array) => counts.reduce((a, x) => a + x, 0);

/**
 * Nearest-rank quantile of a bucket histogram: the upper edge of the bucket that holds
 * the ceil(q x n)-th sample (1 for the last bucket). NaN when empty.
 */
export function histogramQuantile(counts: Float64Array, quantile: number): number {
  const n = total(counts);
  if (n <= 0) return NaN;
  const rank = Math.max(1, Math.ceil(quantile * n - 1e-9));
  let seen = 0;
  for (let b = 0; b < counts.length; b++) {
    seen += counts[b];
    if (seen >= rank) return Math.min(1, (b + 1) / RATIO_BUCKETS);
  }
  return 1;
}

/**
 * The app's expected use ratio per resource: the `quantile` of its samples, bounded to
 * [0.1, 1] as a class's ratio is; none with fewer than `minSamples` samples of either
 * resource (too little to go by: the class's ratio applies).
 */
export function appProfileOf(h: UseHistogram, quantile: number, minSamples: number): AppProfile | undefined {
  const n = Math.min(total(h.cpu), total(h.memory));
  if (n < minSamples || n <= 0) return undefined;
  const bound = (x: number) => Math.min(USE_RATIO_MAX, Math.max(USE_RATIO_MIN, x));
  return { cpu: bound(histogramQuantile(h.cpu, quantile)), memory: bound(histogramQuantile(h.memory, quantile)), samples: n };
}

/** Profiles of every app with enough samples. */
export function appProfiles(byApp: ReadonlyMap<string, UseHistogram>, quantile: number, minSamples: number): Map<string, AppProfile> {
  const out = new Map<string, AppProfile>();
  for (const [key, h] of byApp) {
    const p = appProfileOf(h, quantile, minSamples);
    if (p) out.set(key, p);
  }
  return out;
}
