// 5-minute rollups: the one function that turns the points of a bucket into a Rollup,
// used for the collector's raw samples and for imported traces alike, plus the per-tick
// group sums that class (tenant, app) series are built from. Pure: no SQL here.
import { GENERAL_ZONE_NAME, ROLLUP_SECONDS, type Rollup } from '../model/types.js';

/** Where a rollup came from: the collector's own ticks, or an imported trace. */
export type RollupSource = 'collector' | 'import';

/** What one VM (or one group at one tick) used at one instant. null = not measured. */
export interface UsagePoint {
  cpuCores: number | null;
  memoryMiB: number | null;
  /** rx + tx bytes/s */
  netBps: number | null;
  /** read + write bytes/s */
  diskBps: number | null;
}

/** Start of the 5-minute bucket that holds `ts` (unix seconds). */
export function bucketOf(ts: number): number {
  return Math.floor(ts / ROLLUP_SECONDS) * ROLLUP_SECONDS;
}

/**
 * p95 by nearest rank on ascending values: the smallest value with at least 95% of the
 * values at or below it (index ceil(0.95·n) − 1). No interpolation, so the p95 is always
 * an observed value, never above the max.
 */
export function nearestRank(sortedAsc: ArrayLike<number>, q: number): number {
  const n = sortedAsc.length;
  if (n === 0) return NaN;
  const i = Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
  return sortedAsc[i];
}

interface Stats {
  mean: number;
  max: number;
  p95: number;
}

function statsOf(values: number[]): Stats {
  if (values.length === 0) return { mean: NaN, max: NaN, p95: NaN };
  let sum = 0;
  for (const v of values) sum += v;
  const sorted = Float64Array.from(values).sort();
  return { mean: sum / values.length, max: sorted[sorted.length - 1], p95: nearestRank(sorted, 0.95) };
}

function meanOf(values: number[]): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/**
 * The rollup of one series over one bucket. Statistics are taken over the points where
 * the resource was measured; a resource measured nowhere in the bucket is NaN (stored as
 * NULL). A bucket where neither CPU nor memory was measured has no rollup (null).
 * `samples` counts the points that measured CPU or memory.
 */
export function computeRollup(series: string, bucketTs: number, points: readonly UsagePoint[]): Rollup | null {
  if (points.length === 1) return rollupOfOne(series, bucketTs, points[0]);
  const cpu: number[] = [];
  const mem: number[] = [];
  const net: number[] = [];
  const disk: number[] = [];
  let samples = 0;
  for (const p of points) {
    if (p.cpuCores !== null) cpu.push(p.cpuCores);
    if (p.memoryMiB !== null) mem.push(p.memoryMiB);
    if (p.netBps !== null) net.push(p.netBps);
    if (p.diskBps !== null) disk.push(p.diskBps);
    if (p.cpuCores !== null || p.memoryMiB !== null) samples++;
  }
  if (samples === 0) return null;
  const c = statsOf(cpu);
  const m = statsOf(mem);
  return {
    series,
    ts: bucketOf(bucketTs),
    cpuMean: c.mean,
    cpuMax: c.max,
    cpuP95: c.p95,
    memMean: m.mean,
    memMax: m.max,
    memP95: m.p95,
    netBps: meanOf(net),
    diskBps: meanOf(disk),
    samples,
  };
}

/** computeRollup of a single point, without the intermediate arrays (bulk imports). */
function rollupOfOne(series: string, bucketTs: number, p: UsagePoint): Rollup | null {
  if (p.cpuCores === null && p.memoryMiB === null) return null;
  const cpu = p.cpuCores ?? NaN;
  const mem = p.memoryMiB ?? NaN;
  return {
    series,
    ts: bucketOf(bucketTs),
    cpuMean: cpu,
    cpuMax: cpu,
    cpuP95: cpu,
    memMean: mem,
    memMax: mem,
    memP95: mem,
    netBps: p.netBps ?? NaN,
    diskBps: p.diskBps ?? NaN,
    samples: 1,
  };
}

/** Adds b into a (null + x = x; null + null = null). */
function addInto(a: UsagePoint, b: UsagePoint): void {
  if (b.cpuCores !== null) a.cpuCores = (a.cpuCores ?? 0) + b.cpuCores;
  if (b.memoryMiB !== null) a.memoryMiB = (a.memoryMiB ?? 0) + b.memoryMiB;
  if (b.netBps !== null) a.netBps = (a.netBps ?? 0) + b.netBps;
  if (b.diskBps !== null) a.diskBps = (a.diskBps ?? 0) + b.diskBps;
}

export interface GroupedPoint {
  /** the instant (tick) the point was measured at */
  ts: number;
  /** series key of the group, e.g. 'class:gold' */
  group: string;
  point: UsagePoint;
}

export interface TickPoint {
  ts: number;
  point: UsagePoint;
}

/**
 * Per-tick sums per group: all VMs of a group measured at the same tick are added up,
 * so a group's rollup max is the max of the per-tick sums (the load the group really put
 * on the host at once), not the sum of each VM's max. A VM not measured at a tick adds
 * nothing to that tick's sum.
 */
export class TickSums {
  private readonly byGroup = new Map<string, Map<number, UsagePoint>>();

  add(group: string, ts: number, point: UsagePoint): void {
    let ticks = this.byGroup.get(group);
    if (!ticks) this.byGroup.set(group, (ticks = new Map()));
    const sum = ticks.get(ts);
    if (sum) addInto(sum, point);
    else ticks.set(ts, { ...point });
  }

  /** group -> its per-tick sums in time order */
  result(): Map<string, TickPoint[]> {
    const out = new Map<string, TickPoint[]>();
    for (const [group, ticks] of this.byGroup) {
      out.set(
        group,
        [...ticks.entries()].sort((a, b) => a[0] - b[0]).map(([ts, point]) => ({ ts, point })),
      );
    }
    return out;
  }
}

/** TickSums over a list of points. */
export function sumPerTick(points: Iterable<GroupedPoint>): Map<string, TickPoint[]> {
  const sums = new TickSums();
  for (const { ts, group, point } of points) sums.add(group, ts, point);
  return sums.result();
}

/**
 * Collects one bucket's points as they arrive (per VM, and per-tick sums per class,
 * tenant and app) and turns them into that bucket's rollups. The collector's store keeps
 * one open while a bucket fills, so closing it needs no read of the raw samples.
 */
export class BucketAccumulator {
  private readonly perVm = new Map<string, UsagePoint[]>();
  private readonly groups = new TickSums();

  constructor(readonly bucket: number) {}

  /** A VM's point at tick `ts`; `cls` null counts towards the general zone. */
  add(vm: string, cls: string | null, tenant: string | null, app: string | null, ts: number, point: UsagePoint): void {
    const key = vmSeries(vm);
    const pts = this.perVm.get(key);
    if (pts) pts.push(point);
    else this.perVm.set(key, [point]);
    this.groups.add(classSeries(cls ?? GENERAL_ZONE_NAME), ts, point);
    if (tenant) this.groups.add(tenantSeries(tenant), ts, point);
    if (app) this.groups.add(appSeries(app), ts, point);
  }

  rollups(out: Rollup[] = []): Rollup[] {
    for (const [key, pts] of this.perVm) {
      const r = computeRollup(key, this.bucket, pts);
      if (r) out.push(r);
    }
    for (const [key, ticks] of this.groups.result()) {
      const r = computeRollup(key, this.bucket, ticks.map((t) => t.point));
      if (r) out.push(r);
    }
    return out;
  }
}

export const vmSeries = (name: string): string => `vm:${name}`;
export const classSeries = (name: string): string => `class:${name}`;
const tenantSeries = (name: string): string => `tenant:${name}`;
const appSeries = (name: string): string => `app:${name}`;
