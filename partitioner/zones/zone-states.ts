// ZoneState[] for the router and the views: a pure join of the current plan (zone
// allocations, possibly moved by the auto-scaler since), the domains and their latest
// use, and the auto-scaler's exhausted flags.
import { GENERAL_ZONE_NAME, partitionOf, type ZoneState } from '../../core/model/types.js';
import type { Plan, Resources } from '../plan/types.js';

export interface ZoneMember {
  name: string;
  zone: string;
  running: boolean;
  vcpus: number;
  memoryMiB: number;
}

export interface LatestUse {
  cpuCores: number | null;
  memoryMiB: number | null;
  /** highest memory use over the last day; null: seen for less than a day (ScalerVm.peakMemoryMiB) */
  peakMemoryMiB?: number | null;
  /** seconds between the VM's first and latest sample in the store (absent: none) */
  historySeconds?: number | null;
}

export function buildZoneStates(
  plan: Pick<Plan, 'zones'>,
  domains: readonly ZoneMember[],
  usage: ReadonlyMap<string, LatestUse>,
  exhausted: Readonly<Record<string, boolean>> = {},
  /** allocations moved by the auto-scaler since the plan */
  allocations: Readonly<Record<string, Resources>> = {},
  /** quantile of the members' use/provisioned taken as the class's useRatio (config router.useRatioQuantile) */
  useRatioQuantile = 0.9,
): ZoneState[] {
  const states = new Map<string, ZoneState>();
  for (const z of plan.zones) {
    const alloc = allocations[z.name] ?? z.allocation;
    const hasForecast = z.name !== GENERAL_ZONE_NAME && (z.source.cpuCores === 'forecast' || z.source.memoryMiB === 'forecast');
    states.set(z.name, {
      name: z.name,
      rank: z.rank,
      partition: z.partition,
      allocation: { cpuCores: alloc.cpuCores, memoryMiB: alloc.memoryMiB },
      provisioned: { cpuCores: 0, memoryMiB: 0 },
      used: { cpuCores: 0, memoryMiB: 0 },
      ...(hasForecast ? { forecastPeak: { cpuCores: z.peak.cpuCores, memoryMiB: z.peak.memoryMiB } } : {}),
      vms: [],
      exhausted: exhausted[z.name] ?? false,
    });
  }
  const general = states.get(GENERAL_ZONE_NAME);
  const ratios = new Map<ZoneState, { cpu: number[]; memory: number[] }>();
  for (const d of domains) {
    // A VM of a class that is no longer configured counts in general, as the plan does.
    const s = states.get(d.zone) ?? general;
    if (!s) continue;
    s.vms.push(d.name);
    if (!d.running) continue;
    s.provisioned.cpuCores += d.vcpus;
    s.provisioned.memoryMiB += d.memoryMiB;
    const u = usage.get(d.name);
    const r = ratios.get(s) ?? { cpu: [], memory: [] };
    ratios.set(s, r);
    if (u?.cpuCores != null) {
      s.used.cpuCores += u.cpuCores;
      if (d.vcpus > 0) r.cpu.push(u.cpuCores / d.vcpus);
    } else addUnmeasured(s, 'cpuCores', d.vcpus);
    if (u?.memoryMiB != null) {
      s.used.memoryMiB += u.memoryMiB;
      if (d.memoryMiB > 0) r.memory.push(u.memoryMiB / d.memoryMiB);
    } else addUnmeasured(s, 'memoryMiB', d.memoryMiB);
  }
  for (const [s, r] of ratios) {
    if (r.cpu.length > 0 || r.memory.length > 0) s.useRatio = { cpu: useRatioOf(r.cpu, useRatioQuantile), memory: useRatioOf(r.memory, useRatioQuantile) };
  }
  // general takes VMs of any class (borrowed room is charged there): without measured
  // members of its own it counts at the ratio over all the host's measured VMs
  if (general && !general.useRatio) {
    const all = [...ratios.values()];
    const cpu = all.flatMap((r) => r.cpu);
    const memory = all.flatMap((r) => r.memory);
    if (cpu.length > 0 || memory.length > 0) general.useRatio = { cpu: useRatioOf(cpu, useRatioQuantile), memory: useRatioOf(memory, useRatioQuantile) };
  }
  for (const s of states.values()) s.vms.sort();
  return [...states.values()].sort((a, b) => a.rank - b.rank);
}

function addUnmeasured(s: ZoneState, key: 'cpuCores' | 'memoryMiB', amount: number): void {
  s.unmeasured ??= { cpuCores: 0, memoryMiB: 0 };
  s.unmeasured[key] += amount;
}

/** Bounds of a class's use ratio: never trust a class to use less than a tenth, never more than all. */
export const USE_RATIO_MIN = 0.1;
export const USE_RATIO_MAX = 1;

/**
 * The use/provisioned ratio a new VM of a class is expected to have: the nearest-rank
 * `quantile` of its running members' ratios (a high quantile: a newcomer is assumed to
 * be as busy as the busier members, not the average one), bounded to [0.1, 1]; 1 (no
 * knowledge: its full size) when there is no sample. Pure.
 */
export function useRatioOf(ratios: readonly number[], quantile: number): number {
  const finite = ratios.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (finite.length === 0) return USE_RATIO_MAX;
  const i = Math.min(finite.length - 1, Math.max(0, Math.ceil(quantile * finite.length) - 1));
  return Math.min(USE_RATIO_MAX, Math.max(USE_RATIO_MIN, finite[i]));
}

