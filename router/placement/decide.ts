// The placement decision, whole and pure: zone capacities as admission sees them, then
// admission (own zone, then the zones the auto-scaler may borrow from), then — when
// nothing has room — the overflow policy with the forecast's growth term. Every input
// is an argument (no store, clock, logger or forecaster is read here) and the only
// randomness is the overflow policy's own draw, so the daemon, the simulator and the
// tests reach the same decision from the same state.
import type { Config } from '../../core/config/schema.js';
import type { Horizon, ZoneState } from '../../core/model/types.js';
import type { OverflowDecision, OverflowPolicy, Resources } from '../overflow/policy.js';
import { admit, candidateZones, expectedRoom, overflowView, room, zoneCapacityOf, type AdmissionMode, type ZoneCapacity } from './admission.js';
import { appKey, type AppProfiles } from './app-profile.js';

/** Active reservations summed per zone they are charged to. */
export interface ChargedTotals {
  reserved: Resources;
  /** the part of `reserved` granted by the overflow manager */
  overflow: Resources;
}

/** Active reservations of one tenant's app charged to one zone, summed. */
export interface AppReservations {
  /** the zone charged (the reservation's charge zone) */
  zone: string;
  tenant: string;
  app: string;
  reserved: Resources;
}

/** One point of a class forecast: its expected load at a horizon. */
export interface ForecastPoint {
  horizon: Horizon;
  resource: 'cpu' | 'memory';
  averageLoad: number;
}

/** Everything a decision reads, captured at one instant (inside the transaction that records it). */
export interface PlacementState {
  /** the zone monitor's zones (allocation, members' provisioned size and use, exhausted) */
  zones: readonly ZoneState[];
  /** active reservations per charged zone; a zone absent here holds none */
  totals: ReadonlyMap<string, ChargedTotals>;
  /**
   * active reservations per charged zone, tenant and app: each is counted at its app's
   * ratio when the app has a profile. Needed only when `appProfiles` is not empty.
   */
  byApp: readonly AppReservations[];
  /** what earlier VMs of each tenant's app used (empty: everything at its class's ratio) */
  appProfiles: AppProfiles;
  /** latest predictions of the target zone's class series ('class:<zone>'); [] when none */
  forecast: readonly ForecastPoint[];
  /** unix ms */
  now: number;
  /** unix ms when the first active reservation charged to the target zone runs out; null: none */
  earliestExpiry: number | null;
}

/** What is asked for, already mapped to its zone (mapping.ts). */
export interface PlacementAsk {
  zone: string;
  tenant: string;
  app: string;
  resources: Resources;
}

export interface PlacementConfig {
  /** class names, highest priority first: a class's rank is its index, any other zone ranks after them all */
  classes: readonly string[];
  admission: AdmissionMode;
  /** what the overflow policy sees of the host (config overflow.scope) */
  overflowScope: 'host' | 'zones';
  /** the longest retry hint of a rejection (config overflow.retryAfterSeconds) */
  retryAfterSeconds: number;
}

export type PlacementDecision =
  /** fits in its own zone, charged there */
  | { kind: 'placed'; zone: string; chargeZone: string }
  /** fits in a zone the auto-scaler can borrow from, charged there until it re-partitions */
  | { kind: 'borrowed'; zone: string; chargeZone: string }
  /** nothing had room; the overflow manager granted it, charged to its own zone */
  | { kind: 'overflow'; zone: string; chargeZone: string; probability: number; overflow: OverflowDecision }
  | {
      kind: 'rejected';
      zone: string;
      /** no-room-no-overflow: nothing had room and no overflow policy was given */
      reason: 'overflow-denied' | 'no-room-no-overflow';
      /** the grant probability the request had (0 without an overflow policy) */
      probability: number;
      /** the overflow manager's decision; absent without an overflow policy */
      overflow?: OverflowDecision;
      /** seconds until a retry may find room: at most retryAfterSeconds, sooner when the zone's first reservation runs out */
      retryAfterSeconds: number;
    };

const ZERO: Resources = { cpuCores: 0, memoryMiB: 0 };

/** The decision settings of a configuration. */
export function placementConfigOf(config: Pick<Config, 'classes' | 'router' | 'overflow'>): PlacementConfig {
  return {
    classes: config.classes.map((c) => c.name),
    admission: config.router.admission,
    overflowScope: config.overflow.scope,
    retryAfterSeconds: config.overflow.retryAfterSeconds,
  };
}

export function rankOf(zone: string, classes: readonly string[]): number {
  const i = classes.indexOf(zone);
  return i < 0 ? classes.length : i;
}

/**
 * Zones as admission sees them: zone allocation (its CPU already includes
 * host.cpuOvercommit: the partitioner shares out capacityOf(), so it is not applied
 * again here), members' provisioned size and use, active reservations — each counted,
 * when app profiles are known, at what it was charged: its app's ratio when the app has
 * a profile, else its zone's ratio (as expectedRoom() counts it without one).
 */
export function admissionZones(state: Pick<PlacementState, 'zones' | 'totals' | 'byApp' | 'appProfiles'>, classes: readonly string[]): ZoneCapacity[] {
  const out = state.zones.map((z) => zoneCapacityOf(z, rankOf(z.name, classes), state.totals.get(z.name)?.reserved ?? ZERO));
  if (state.appProfiles.size > 0) {
    const byZone = new Map(out.map((z) => [z.name, z]));
    for (const r of state.byApp) {
      const z = byZone.get(r.zone);
      if (!z) continue;
      const ratio = state.appProfiles.get(appKey(r.tenant, r.app)) ?? { cpu: z.useRatio?.cpu ?? 1, memory: z.useRatio?.memory ?? 1 };
      const c = (z.reservedCharge ??= { cpuCores: 0, memoryMiB: 0 });
      c.cpuCores += r.reserved.cpuCores * ratio.cpu;
      c.memoryMiB += r.reserved.memoryMiB * ratio.memory;
    }
  }
  return out;
}

/** The room admission sees in a zone in the configured mode: what GET /v1/zones reports as free. */
export function freeRoom(z: ZoneCapacity, mode: AdmissionMode): Resources {
  return mode === 'expected' ? expectedRoom(z) : room(z);
}

/** Expected load change of the zone over the next 30 minutes (forecast expected load - current use); 0 without a forecast. */
export function expectedGrowth(used: Resources, forecast: readonly ForecastPoint[]): Resources {
  const expected = (resource: 'cpu' | 'memory') => forecast.find((p) => p.horizon === '30m' && p.resource === resource)?.averageLoad;
  const cpu = expected('cpu');
  const mem = expected('memory');
  return {
    cpuCores: cpu === undefined ? 0 : cpu - used.cpuCores,
    memoryMiB: mem === undefined ? 0 : mem - used.memoryMiB,
  };
}

/** How long a rejected request should wait: the configured hint, or less when the zone's first reservation runs out sooner (at least 1 s). */
export function retryAfterSeconds(now: number, earliestExpiry: number | null, longest: number): number {
  const untilFree = earliestExpiry === null ? Infinity : Math.ceil((earliestExpiry - now) / 1000);
  return Math.max(1, Math.min(longest, untilFree));
}

/**
 * Decides one request. `policy` is the overflow manager (it holds the random source);
 * null means no overflow: what nothing has room for is rejected.
 */
export function decidePlacement(state: PlacementState, ask: PlacementAsk, config: PlacementConfig, policy: OverflowPolicy | null): PlacementDecision {
  const zones = admissionZones(state, config.classes);
  let target = zones.find((z) => z.name === ask.zone);
  const monitored = target !== undefined;
  if (!target) {
    // a zone the monitor does not report (no plan yet) has no capacity
    target = { name: ask.zone, rank: rankOf(ask.zone, config.classes), capacity: ZERO, provisioned: ZERO, used: ZERO, reserved: state.totals.get(ask.zone)?.reserved ?? ZERO, exhausted: true };
    zones.push(target);
  }
  // charged at what this app's earlier VMs used, when there is a profile of it
  const appRatio = config.admission === 'expected' ? state.appProfiles.get(appKey(ask.tenant, ask.app)) : undefined;
  const admission = admit(ask.resources, candidateZones(target, zones), config.admission, appRatio);
  if (admission.kind === 'fits') {
    return { kind: admission.chargeZone === ask.zone ? 'placed' : 'borrowed', zone: ask.zone, chargeZone: admission.chargeZone };
  }
  const retryAfter = retryAfterSeconds(state.now, state.earliestExpiry, config.retryAfterSeconds);
  if (!policy) return { kind: 'rejected', zone: ask.zone, reason: 'no-room-no-overflow', probability: 0, retryAfterSeconds: retryAfter };
  const seen = overflowView(admission, zones, config.overflowScope);
  const overflow = policy.decide({
    zone: ask.zone,
    rank: target.rank,
    classCount: config.classes.length,
    request: ask.resources,
    free: seen.free,
    total: seen.total,
    expectedGrowth: monitored ? expectedGrowth(target.used, state.forecast) : ZERO,
    overflowInUse: state.totals.get(ask.zone)?.overflow ?? ZERO,
  });
  if (overflow.grant) return { kind: 'overflow', zone: ask.zone, chargeZone: ask.zone, probability: overflow.probability, overflow };
  return { kind: 'rejected', zone: ask.zone, reason: 'overflow-denied', probability: overflow.probability, overflow, retryAfterSeconds: retryAfter };
}
