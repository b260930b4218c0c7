// Admission: does a request fit its zone, or a zone the auto-scaler can borrow from
// for it? Pure arithmetic over capacities; the reservation store runs it inside the
// transaction that then records the outcome, so the numbers it sees are current.
import type { Resources } from '../overflow/policy.js';

export interface ZoneCapacity {
  name: string;
  rank: number;
  /** allocation, CPU already multiplied by the host's cpuOvercommit */
  capacity: Resources;
  /** what member VMs are provisioned with */
  provisioned: Resources;
  /** latest measured use of the member VMs */
  used: Resources;
  /** active reservations charged to this zone */
  reserved: Resources;
  /** true when the auto-scaler can do nothing more for this zone */
  exhausted: boolean;
}

export const room = (z: ZoneCapacity): Resources => ({
  cpuCores: z.capacity.cpuCores - z.provisioned.cpuCores - z.reserved.cpuCores,
  memoryMiB: z.capacity.memoryMiB - z.provisioned.memoryMiB - z.reserved.memoryMiB,
});

export const fits = (req: Resources, r: Resources): boolean => req.cpuCores <= r.cpuCores && req.memoryMiB <= r.memoryMiB;

/**
 * The zones a request for `target` may draw on, in order: the target itself, then —
 * while the auto-scaler is not exhausted for it — the zones it may borrow from, as the
 * auto-scaler would: the general zone first, then lower-priority classes, lowest first.
 * Higher-priority zones are never borrowed from.
 */
export function candidateZones(target: ZoneCapacity, zones: readonly ZoneCapacity[]): ZoneCapacity[] {
  if (target.exhausted) return [target];
  const donors = zones.filter((z) => z.name !== target.name && z.rank > target.rank).sort((a, b) => b.rank - a.rank);
  return [target, ...donors];
}

/**
 * What is not in use: allocation - measured use - active reservations (a reserved VM
 * has not started yet, so it counts at its full size). This, not room(), is what an
 * overflow grant draws on: provisioned vCPUs and memory are mostly not busy at once.
 */
export const unused = (z: ZoneCapacity): Resources => ({
  cpuCores: z.capacity.cpuCores - z.used.cpuCores - z.reserved.cpuCores,
  memoryMiB: z.capacity.memoryMiB - z.used.memoryMiB - z.reserved.memoryMiB,
});

export type Admission =
  | { kind: 'fits'; chargeZone: string }
  | { kind: 'full'; free: Resources; total: Resources };

/**
 * The first candidate with room for the whole request is charged for it (a request is
 * never split across zones). When none has room, the caller asks the overflow policy,
 * with the candidates' summed unused capacity and allocation.
 */
export function admit(request: Resources, candidates: readonly ZoneCapacity[]): Admission {
  for (const z of candidates) {
    if (fits(request, room(z))) return { kind: 'fits', chargeZone: z.name };
  }
  const free = { cpuCores: 0, memoryMiB: 0 };
  const total = { cpuCores: 0, memoryMiB: 0 };
  for (const z of candidates) {
    const u = unused(z);
    free.cpuCores += Math.max(0, u.cpuCores);
    free.memoryMiB += Math.max(0, u.memoryMiB);
    total.cpuCores += z.capacity.cpuCores;
    total.memoryMiB += z.capacity.memoryMiB;
  }
  return { kind: 'full', free, total };
}
