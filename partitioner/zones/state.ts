// ZoneState[] for the router and the surfaces: a pure join of the current plan (zone
// allocations, possibly moved by the auto-scaler since), the domains and their latest
// use, and the auto-scaler's exhausted flags.
import { GENERAL_ZONE_NAME, partitionOf, type ZoneState } from '../../daemon/model/types.js';
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
}

export function buildZoneStates(
  plan: Pick<Plan, 'zones'>,
  domains: readonly ZoneMember[],
  usage: ReadonlyMap<string, LatestUse>,
  exhausted: Readonly<Record<string, boolean>> = {},
  /** allocations moved by the auto-scaler since the plan */
  allocations: Readonly<Record<string, Resources>> = {},
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
  for (const d of domains) {
    // A VM of a class that is no longer configured counts in general, as the plan does.
    const s = states.get(d.zone) ?? general;
    if (!s) continue;
    s.vms.push(d.name);
    if (!d.running) continue;
    s.provisioned.cpuCores += d.vcpus;
    s.provisioned.memoryMiB += d.memoryMiB;
    const u = usage.get(d.name);
    if (u?.cpuCores != null) s.used.cpuCores += u.cpuCores;
    if (u?.memoryMiB != null) s.used.memoryMiB += u.memoryMiB;
  }
  for (const s of states.values()) s.vms.sort();
  return [...states.values()].sort((a, b) => a.rank - b.rank);
}

/** A ZoneState for a zone that has no plan yet (daemon start before the first plan). */
export function emptyZoneState(name: string, rank: number): ZoneState {
  return {
    name,
    rank,
    partition: partitionOf(name),
    allocation: { cpuCores: 0, memoryMiB: 0 },
    provisioned: { cpuCores: 0, memoryMiB: 0 },
    used: { cpuCores: 0, memoryMiB: 0 },
    vms: [],
    exhausted: false,
  };
}
