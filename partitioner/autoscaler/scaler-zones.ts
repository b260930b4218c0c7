// The auto-scaler's view of the zones: each zone's allocation, floor and pool with its
// running members' sizes and use, as decide() reads them. Pure, so the daemon's routine
// and the simulator build exactly the same view.
import type { Resources, ZonePlan } from '../plan/types.js';
import type { ShrinkEvidence } from '../plan/evidence.js';
import type { ScalerVm, ScalerZone } from './decide.js';

/** A VM as the auto-scaler sees it: its size, its use, its own floors, its zone and its history span. */
export interface ScaledVm extends ShrinkEvidence {
  name: string;
  zone: string;
  vcpus: number;
  maxVcpus: number;
  memoryMiB: number;
  maxMemoryMiB: number;
  usedCpuCores: number | null;
  usedMemoryMiB: number | null;
  /** the day's peak memory use (see ScalerVm.peakMemoryMiB) */
  peakMemoryMiB?: number | null;
  /** per-VM floors from its metadata (the config gives the defaults) */
  memoryFloorMiB?: number;
  minVcpus?: number;
  /** created by the auto-scaler for this zone's pool (absent: false) */
  poolMember?: boolean;
}

/** A zone as the plan made it. */
export type ScaledZoneSpec = Pick<ZonePlan, 'name' | 'rank' | 'allocation' | 'floor' | 'neverShrink'>;

export interface ScalerZonesOptions {
  /** the allocations in force when earlier ticks moved them; a zone absent here keeps its own */
  allocations?: Readonly<Record<string, Resources>>;
  /** each zone's pool of auto-scaler-created members; absent: the zone has no pool */
  pools?: Readonly<Record<string, ScalerZone['pool'] | undefined>>;
}

/**
 * The zones decide() reads, in the order given (priority order). `vms` are the VMs the
 * auto-scaler may act on — running, and not on their way out; each goes to its zone.
 */
export function scalerZones(zones: readonly ScaledZoneSpec[], vms: readonly ScaledVm[], opts: ScalerZonesOptions = {}): ScalerZone[] {
  const byZone = new Map<string, ScalerVm[]>();
  for (const v of vms) {
    let list = byZone.get(v.zone);
    if (!list) byZone.set(v.zone, (list = []));
    list.push(scalerVm(v));
  }
  return zones.map((z) => {
    const pool = opts.pools?.[z.name];
    return {
      name: z.name,
      rank: z.rank,
      allocation: { ...(opts.allocations?.[z.name] ?? z.allocation) },
      floor: { ...z.floor },
      vms: byZone.get(z.name) ?? [],
      ...(pool ? { pool } : {}),
      ...(z.neverShrink ? { neverShrink: true } : {}),
    };
  });
}

function scalerVm(v: ScaledVm): ScalerVm {
  return {
    name: v.name,
    vcpus: v.vcpus,
    maxVcpus: v.maxVcpus,
    memoryMiB: v.memoryMiB,
    maxMemoryMiB: v.maxMemoryMiB,
    usedCpuCores: v.usedCpuCores,
    usedMemoryMiB: v.usedMemoryMiB,
    ...(v.peakMemoryMiB !== undefined ? { peakMemoryMiB: v.peakMemoryMiB } : {}),
    ...(v.historySeconds !== undefined ? { historySeconds: v.historySeconds } : {}),
    poolMember: v.poolMember ?? false,
    ...(v.memoryFloorMiB !== undefined ? { memoryFloorMiB: v.memoryFloorMiB } : {}),
  };
}
