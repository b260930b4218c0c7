// How libvirt turns a resource partition path (/machine/virtzone-gold) into cgroup
// directories, and what zone-level limits look like in each cgroup version. Pure.
//
// Source: libvirt docs/cgroups.rst ("Using custom partitions") and src/util/vircgroup.c
// (virCgroupSetPartitionSuffix, virCgroupPartitionEscape, virCgroupNewMachineManual),
// src/util/virsystemd.c (virSystemdMakeSliceName, virSystemdEscapeName):
//
//   - without systemd (libvirt's "manual" cgroup layout), every path component except
//     a top-level machine/system/user gets a ".partition" suffix unless it already has
//     a dot, and a component that starts with '_', '.', "cgroup." or "<controller>." is
//     escaped with a leading '_':
//         /machine/virtzone-gold  ->  <mount>/machine/virtzone-gold.partition
//     in EVERY mounted v1 controller hierarchy (cpu, cpuacct, cpuset, memory, devices,
//     freezer, blkio, net_cls, perf_event; never name=systemd), or once in the v2
//     hierarchy. libvirt creates only /machine itself (create = path == "/machine");
//     a custom partition must exist before a domain starts in it, else the start fails.
//   - with systemd (machined), the partition is a slice: the path without its leading
//     '/' is escaped ('-' -> \x2d, '/' -> '-') and suffixed ".slice", nested under its
//     parent slices:
//         /machine/virtzone-gold  ->  machine-virtzone\x2dgold.slice
//         directory <root>/machine.slice/machine-virtzone\x2dgold.slice
//     systemd owns that tree: the slice is created/limited through a unit, never mkdir.
import type { Resources } from '../plan/types.js';
import { sharesFor } from '../vm-targets/targets.js';

/** Controllers libvirt knows on cgroup v1 (virCgroupV1Controller, minus name=systemd). */
export const LIBVIRT_V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'net_cls', 'perf_event'] as const;
/** Controllers virtzone enables for the zones on cgroup v2 (cpuacct and devices are implicit there). */
export const V2_ZONE_CONTROLLERS = ['cpu', 'cpuset', 'memory', 'io', 'pids'] as const;
/** Kernel controller names a partition component must not start with ("<name>."). */
const KERNEL_CONTROLLERS = [...LIBVIRT_V1_CONTROLLERS, 'pids', 'hugetlb', 'net_prio', 'rdma', 'misc', 'io'];

export const CPU_PERIOD_US = 100_000;

/** libvirt's virCgroupPartitionEscape for one path component. */
export function escapePartitionComponent(name: string, controllers: readonly string[] = KERNEL_CONTROLLERS): string {
  const needs =
    name.startsWith('cgroup.') || name.startsWith('_') || name.startsWith('.') || controllers.some((c) => name.startsWith(`${c}.`));
  return needs ? `_${name}` : name;
}

function componentsOf(partition: string): string[] {
  if (!partition.startsWith('/')) throw new Error(`partition ${JSON.stringify(partition)}: must start with '/'`);
  return partition.split('/').filter((c) => c.length > 0);
}

/** The cgroup path (relative to each hierarchy's mount) of a partition without systemd. */
export function cgroupfsPartitionPath(partition: string): string {
  const parts = componentsOf(partition).map((c, i) => {
    if (i === 0 && (c === 'machine' || c === 'system' || c === 'user')) return c;
    return escapePartitionComponent(c.includes('.') ? c : `${c}.partition`);
  });
  return '/' + parts.join('/');
}

/** systemd unit-name escaping as libvirt's virSystemdEscapeName does it. */
export function systemdEscape(name: string): string {
  const VALID = /[A-Za-z0-9:_.\\]/;
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i];
    const escape = () => {
      out += '\\x' + ch.charCodeAt(0).toString(16).padStart(2, '0');
    };
    if (i === 0 && ch === '.') escape();
    else if (ch === '/') out += '-';
    else if (ch === '-' || ch === '\\' || !VALID.test(ch)) escape();
    else out += ch;
  }
  return out;
}

/** The slice unit name libvirt asks machined for (virSystemdMakeSliceName). */
export function systemdSliceName(partition: string): string {
  return `${systemdEscape(componentsOf(partition).join('/'))}.slice`;
}

/** The slice's cgroup directory (relative to the v2 mount or the name=systemd hierarchy). */
export function systemdSlicePath(partition: string): string {
  const comps = componentsOf(partition);
  const dirs: string[] = [];
  for (let i = 1; i <= comps.length; i++) dirs.push(systemdSliceName('/' + comps.slice(0, i).join('/')));
  return '/' + dirs.join('/');
}

/** Zone-level limits, in the units the kernel files take. */
export interface ZoneLimits {
  /** CPU quota per period in µs; null = unlimited */
  cpuQuotaUs: number | null;
  cpuPeriodUs: number;
  /** v1 cpu.shares (1024 per core) */
  cpuShares: number;
  /** v2 cpu.weight, the same weight as libvirt converts shares (1..10000) */
  cpuWeight: number;
  /** memory limit in bytes; null = unlimited */
  memoryLimitBytes: number | null;
}

export interface ZoneLimitInput {
  allocation: Resources;
  /** sum of the balloon sizes (MiB) of the VMs in the zone */
  provisionedMemoryMiB: number;
  vmCount: number;
  /** per-VM QEMU overhead added to the memory limit */
  vmOverheadMiB: number;
  /** config zones.cpuLimit: shares = no CPU cap, weight only (work-conserving); quota = capped at the allocation */
  cpuLimit?: 'shares' | 'quota';
}

/** libvirt's conversion of cpu_shares to cgroup v2 cpu.weight. */
export function sharesToWeight(shares: number): number {
  return Math.max(1, Math.min(10_000, Math.round(1 + ((shares - 2) * 9999) / 262_142)));
}

/**
 * The zone's limits. CPU: the weight (cpu.weight / cpu.shares) is always in proportion
 * to the allocation, so under contention every zone gets at least its allocation; with
 * cpuLimit 'quota' the allocation is also a hard cap (cpu.max), with 'shares' there is
 * no cap, so CPU one zone leaves idle goes to zones that want more instead of nobody
 * (a quota throttles a busy bronze zone while gold idles). The memory limit is
 * never below what the zone's VMs already hold plus their QEMU overhead, with room for
 * one more VM's overhead — a cgroup memory limit under a guest's resident memory gets
 * that guest OOM-killed, and virtzone never hurts a guest to enforce a zone.
 */
export function zoneLimits(input: ZoneLimitInput): ZoneLimits {
  const { allocation, provisionedMemoryMiB, vmCount, vmOverheadMiB, cpuLimit = 'quota' } = input;
  const cpuQuotaUs = cpuLimit === 'shares' ? null : Math.max(1000, Math.round(allocation.cpuCores * CPU_PERIOD_US));
  const shares = sharesFor(Math.max(allocation.cpuCores, 0.01));
  const memMiB = Math.max(allocation.memoryMiB + vmOverheadMiB * (vmCount + 1), provisionedMemoryMiB + vmOverheadMiB * (vmCount + 1));
  return {
    cpuQuotaUs,
    cpuPeriodUs: CPU_PERIOD_US,
    cpuShares: shares,
    cpuWeight: sharesToWeight(shares),
    memoryLimitBytes: Math.round(memMiB * 1024 * 1024),
  };
}

export interface LimitWrite {
  /** v1: the controller whose hierarchy holds the file; v2: '' */
  controller: string;
  file: string;
  value: string;
}

export function limitWrites(version: 'v1' | 'v2', l: ZoneLimits): LimitWrite[] {
  if (version === 'v2') {
    return [
      { controller: '', file: 'cpu.max', value: `${l.cpuQuotaUs ?? 'max'} ${l.cpuPeriodUs}` },
      { controller: '', file: 'cpu.weight', value: String(l.cpuWeight) },
      { controller: '', file: 'memory.max', value: l.memoryLimitBytes === null ? 'max' : String(l.memoryLimitBytes) },
    ];
  }
  return [
    { controller: 'cpu', file: 'cpu.cfs_period_us', value: String(l.cpuPeriodUs) },
    { controller: 'cpu', file: 'cpu.cfs_quota_us', value: String(l.cpuQuotaUs ?? -1) },
    { controller: 'cpu', file: 'cpu.shares', value: String(l.cpuShares) },
    { controller: 'memory', file: 'memory.limit_in_bytes', value: l.memoryLimitBytes === null ? '-1' : String(l.memoryLimitBytes) },
  ];
}

/** systemd properties for the slice (as `systemctl set-property` and [Slice] take them). */
export function sliceProperties(l: ZoneLimits): Record<string, string> {
  return {
    CPUQuota: l.cpuQuotaUs === null ? '' : `${Math.round((l.cpuQuotaUs / l.cpuPeriodUs) * 100)}%`,
    CPUWeight: String(l.cpuWeight),
    MemoryMax: l.memoryLimitBytes === null ? 'infinity' : String(l.memoryLimitBytes),
  };
}
