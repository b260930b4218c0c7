// A placement request on the simulated host. On a host cut into zones it is decided by
// the router's own decidePlacement() — mapping to a zone, admission into it or a zone
// it may borrow from, the overflow policy when nothing has room — over the router's
// zone view built as the daemon builds it (buildZoneStates: the plan, the auto-scaler's
// allocations and exhausted flags, members and their latest use) and the reservations
// still pending (reservations.ts). The allocations are shares of capacityOf(), whose
// CPU already includes the overcommit.
import type { LoadPrediction, ZoneState } from '../core/model/types.js';
import { buildZoneStates, type LatestUse, type ZoneMember } from '../partitioner/index.js';
import { decidePlacement, mapToZone, rankOf, type AppProfiles, type ForecastPoint, type OverflowPolicy, type PlacementConfig } from '../router/index.js';
import { SIMULATOR_TENANT } from './app-history.js';
import { ZERO, type SimulatedHost } from './host.js';
import type { VmSpec } from './stream.js';

/** What became of a request. */
export interface RequestOutcome {
  admitted: boolean;
  /** admitted by an overflow grant (over-committing) */
  overflow: boolean;
}

export interface ZonedPlacement {
  /** the decision's settings (placementConfigOf(), or a policy's own admission) */
  config: PlacementConfig;
  /** config router.useRatioQuantile: the zones' use ratios */
  useRatioQuantile: number;
  /** the overflow policy asked when nothing has room; null: rejected */
  overflow: OverflowPolicy | null;
  /** what the router knows of each app's earlier VMs (empty: class ratios only) */
  appProfiles: AppProfiles;
  /** the latest predictions (the target class's series give the expected growth) */
  predictions: readonly LoadPrediction[];
}

/** The zones as the router sees them on the simulated host. */
export function zoneStates(host: SimulatedHost, useRatioQuantile: number): ZoneState[] {
  const domains: ZoneMember[] = host.vms.map((v) => ({ name: v.spec.id, zone: host.zones[v.zone], running: true, vcpus: v.vcpus, memoryMiB: v.memoryMiB }));
  const usage = new Map<string, LatestUse>(host.vms.map((v) => [v.spec.id, { cpuCores: v.usedCpu, memoryMiB: v.usedMemory }]));
  const allocations = Object.fromEntries(host.zones.map((z, i) => [z, host.alloc[i]]));
  return buildZoneStates(host.plan, domains, usage, host.exhausted, allocations, useRatioQuantile);
}

/** The predictions of a zone's class series, as the decision reads them. */
function forecastOf(zone: string, predictions: readonly LoadPrediction[]): ForecastPoint[] {
  return predictions.filter((p) => p.series === `class:${zone}`).map((p) => ({ horizon: p.horizon, resource: p.resource, averageLoad: p.averageLoad }));
}

/** A request to a host cut into zones, decided by the router's decidePlacement(). */
export function placeInZones(host: SimulatedHost, spec: VmSpec, how: ZonedPlacement): RequestOutcome {
  // every simulated request asks as one tenant, its trace source as its app (app-history.ts)
  const ask = { tenant: SIMULATOR_TENANT, app: spec.sourceName, priority: spec.zone };
  const mapped = mapToZone(ask, how.config.classes, []);
  if (!mapped.ok) throw new Error(`request ${spec.id}: ${mapped.detail}`);
  const resources = { cpuCores: spec.vcpus, memoryMiB: spec.memoryMiB };
  const d = decidePlacement(
    {
      zones: zoneStates(host, how.useRatioQuantile),
      totals: host.reservations.totals(),
      byApp: [],
      appProfiles: how.appProfiles,
      forecast: forecastOf(mapped.zone, how.predictions),
      now: host.unixSecondsAt(spec.at) * 1000,
      earliestExpiry: null,
    },
    { zone: mapped.zone, tenant: ask.tenant, app: ask.app, resources },
    how.config,
    how.overflow,
  );
  if (d.kind === 'overflow') host.reservations.holdOverflow(d.chargeZone, resources);
  return { admitted: d.kind !== 'rejected', overflow: d.kind === 'overflow' };
}

/** A request to a host without zones: the overflow policy alone, on what is not in use on the whole host. */
export function placeOnHost(host: SimulatedHost, classes: readonly string[], spec: VmSpec, overflow: OverflowPolicy): RequestOutcome {
  const request = { cpuCores: spec.vcpus, memoryMiB: spec.memoryMiB };
  const used = host.used();
  const { capacity } = host;
  const d = overflow.decide({
    zone: spec.zone,
    rank: rankOf(spec.zone, classes),
    classCount: classes.length,
    request,
    free: { cpuCores: Math.max(0, capacity.cpuCores - used.cpuCores), memoryMiB: Math.max(0, capacity.memoryMiB - used.memoryMiB) },
    total: { ...capacity },
    expectedGrowth: ZERO(),
    overflowInUse: ZERO(),
  });
  return { admitted: d.grant, overflow: d.grant };
}
