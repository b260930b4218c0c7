// Admission: does a request fit its zone, or a zone the auto-scaler can borrow from
// for it? Pure arithmetic over capacities; the reservation store runs it inside the
// transaction that then records the outcome, so the numbers it sees are current.
import type { ZoneState } from '../../core/model/types.js';
import type { Resources } from '../overflow/policy.js';
import type { UseRatio } from './app-profile.js';

/**
 * What admission charges a zone's members and a request at:
 *  - provisioned: their full provisioned sizes (a zone is full when its members'
 *    vCPUs and memory add up to its allocation, however idle they are);
 *  - expected: their expected use — members at max(measured use, the zone's forecast
 *    peak), a request or an active reservation at its size x the zone's use ratio. For
 *    zones sized from use (forecast peak + buffer) this is the measure their
 *    allocation is in; provisioned sizes there make zones look full while mostly idle.
 */
export type AdmissionMode = 'provisioned' | 'expected';

export interface ZoneCapacity {
  name: string;
  rank: number;
  /** allocation: the zone's share of capacityOf(), whose CPU already includes host.cpuOvercommit */
  capacity: Resources;
  /** what member VMs are provisioned with */
  provisioned: Resources;
  /** latest measured use of the member VMs */
  used: Resources;
  /** active reservations charged to this zone */
  reserved: Resources;
  /** true when the auto-scaler can do nothing more for this zone */
  exhausted: boolean;
  /** expected mode: the forecast peak of the members over the planning horizon */
  forecastPeak?: Resources;
  /** expected mode: the zone's use/provisioned ratio (ZoneState.useRatio); absent = 1 */
  useRatio?: { cpu: number; memory: number };
  /** expected mode: provisioned size of members with no use sample yet */
  unmeasured?: Resources;
  /**
   * expected mode: the active reservations at what each was charged (its app's ratio,
   * or this zone's); absent: `reserved` x the zone's ratio
   */
  reservedCharge?: Resources;
}

/** A zone as admission sees it, from the zone monitor's state and its active reservations. */
export function zoneCapacityOf(z: ZoneState, rank: number, reserved: Resources): ZoneCapacity {
  return {
    name: z.name,
    rank,
    capacity: { ...z.allocation },
    provisioned: z.provisioned,
    used: z.used,
    reserved,
    exhausted: z.exhausted,
    ...(z.forecastPeak ? { forecastPeak: z.forecastPeak } : {}),
    ...(z.useRatio ? { useRatio: z.useRatio } : {}),
    ...(z.unmeasured ? { unmeasured: z.unmeasured } : {}),
  };
}

/** Room by provisioned size: allocation - members' provisioned sizes - active reservations. */
export const room = (z: ZoneCapacity): Resources => ({
  cpuCores: z.capacity.cpuCores - z.provisioned.cpuCores - z.reserved.cpuCores,
  memoryMiB: z.capacity.memoryMiB - z.provisioned.memoryMiB - z.reserved.memoryMiB,
});

const ratioOf = (z: ZoneCapacity): Resources => ({ cpuCores: z.useRatio?.cpu ?? 1, memoryMiB: z.useRatio?.memory ?? 1 });

/**
 * Room by expected use: allocation - max(members' measured use (+ unmeasured members
 * at the ratio), forecast peak) - active reservations x the zone's ratio. A reservation
 * is counted at the ratio of the zone it is charged to, so every request drawn on a
 * zone is charged at least that (expectedCharge), and the room a decision sees never
 * promises what an earlier one took: concurrent admission stays exact.
 */
export function expectedRoom(z: ZoneCapacity): Resources {
  const r = ratioOf(z);
  const members = (k: keyof Resources) => Math.max(z.used[k] + (z.unmeasured?.[k] ?? 0) * r[k], z.forecastPeak?.[k] ?? 0);
  const reserved = (k: keyof Resources) => z.reservedCharge?.[k] ?? z.reserved[k] * r[k];
  return {
    cpuCores: z.capacity.cpuCores - members('cpuCores') - reserved('cpuCores'),
    memoryMiB: z.capacity.memoryMiB - members('memoryMiB') - reserved('memoryMiB'),
  };
}

/**
 * What a request of the class of `target` is charged in zone `z` by expected use: its
 * size x its app's ratio when the app has a profile (app-profile.ts), else x the higher
 * of the two zones' ratios (its own class's, and the one z counts its reservations at).
 */
export function expectedCharge(request: Resources, target: ZoneCapacity, z: ZoneCapacity, appRatio?: UseRatio): Resources {
  // the app's own history says more about this VM than its class does; the caller then
  // counts its reservation at the same ratio (reservedCharge), so the two stay in step
  if (appRatio) return { cpuCores: request.cpuCores * appRatio.cpu, memoryMiB: request.memoryMiB * appRatio.memory };
  const a = ratioOf(target);
  const b = ratioOf(z);
  return { cpuCores: request.cpuCores * Math.max(a.cpuCores, b.cpuCores), memoryMiB: request.memoryMiB * Math.max(a.memoryMiB, b.memoryMiB) };
}

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
 * with the candidates' summed unused capacity and allocation. `candidates[0]` is the
 * request's own zone (as candidateZones() orders them).
 */
/** Summed unused capacity and allocation of `zones`: what an overflow decision sees of them. */
export function unusedOf(zones: readonly ZoneCapacity[]): { free: Resources; total: Resources } {
  const free = { cpuCores: 0, memoryMiB: 0 };
  const total = { cpuCores: 0, memoryMiB: 0 };
  for (const z of zones) {
    const u = unused(z);
    free.cpuCores += Math.max(0, u.cpuCores);
    free.memoryMiB += Math.max(0, u.memoryMiB);
    total.cpuCores += z.capacity.cpuCores;
    total.memoryMiB += z.capacity.memoryMiB;
  }
  return { free, total };
}

/**
 * What the overflow policy is shown when nothing has room (config overflow.scope): the
 * candidates' unused capacity (zones), or every zone's (host).
 */
export function overflowView(full: Extract<Admission, { kind: 'full' }>, all: readonly ZoneCapacity[], scope: 'host' | 'zones'): { free: Resources; total: Resources } {
  return scope === 'host' ? unusedOf(all) : { free: full.free, total: full.total };
}

export function admit(request: Resources, candidates: readonly ZoneCapacity[], mode: AdmissionMode = 'provisioned', appRatio?: UseRatio): Admission {
  for (const z of candidates) {
    const ok = mode === 'expected' ? fits(expectedCharge(request, candidates[0], z, appRatio), expectedRoom(z)) : fits(request, room(z));
    if (ok) return { kind: 'fits', chargeZone: z.name };
  }
  return { kind: 'full', ...unusedOf(candidates) };
}
