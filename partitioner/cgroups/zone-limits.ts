// Glue between zone allocations and their partitions on the host: computes each zone's
// limits from its allocation and its members, and makes the partitions exist.
import type { Config } from '../../core/config/schema.js';
import type { Resources } from '../plan/types.js';
import type { ZoneMember } from '../zones/zone-states.js';
import { zoneLimits, type ZoneLimits } from './layout.js';
import type { PartitionReport, ZonePartitions } from './partitions.js';

export function limitsForZones(
  allocations: Readonly<Record<string, Resources>>,
  members: readonly ZoneMember[],
  config: Pick<Config, 'zones'>,
): Record<string, ZoneLimits> {
  const prov = new Map<string, { mem: number; n: number }>();
  for (const m of members) {
    if (!m.running) continue;
    const p = prov.get(m.zone) ?? { mem: 0, n: 0 };
    p.mem += m.memoryMiB;
    p.n++;
    prov.set(m.zone, p);
  }
  const out: Record<string, ZoneLimits> = {};
  for (const [zone, allocation] of Object.entries(allocations)) {
    const p = prov.get(zone) ?? { mem: 0, n: 0 };
    out[zone] = zoneLimits({ allocation, provisionedMemoryMiB: p.mem, vmCount: p.n, vmOverheadMiB: config.zones.vmOverheadMiB, cpuLimit: config.zones.cpuLimit });
  }
  return out;
}

/** Creates every zone's partition (if missing) and sets its limits; call before any domain starts in a zone. */
export async function ensureZonePartitions(
  partitions: ZonePartitions,
  allocations: Readonly<Record<string, Resources>>,
  members: readonly ZoneMember[],
  config: Pick<Config, 'zones'>,
): Promise<PartitionReport[]> {
  const limits = limitsForZones(allocations, members, config);
  const out: PartitionReport[] = [];
  for (const [zone, l] of Object.entries(limits)) out.push(await partitions.ensure(zone, l));
  return out;
}
