// The zone monitor: what each zone has (its allocation in force, moved by the auto-scaler
// since the plan) against what its VMs use (the host's domains and the collector's latest
// use). It reads; it never acts. Its views feed decide() and the router's zone states.
import type { ZoneState } from '../../core/model/types.js';
import { allocationsOf } from '../plan/zone-allocations.js';
import type { Plan, Resources } from '../plan/types.js';
import type { Inventory, InventoryVm } from '../vm-targets/inventory.js';
import { buildZoneStates, type LatestUse } from '../zones/zone-states.js';
import type { ScalerDecision, ScalerZone } from './decide.js';
import { scalerZones, type ScaledVm } from './scaler-zones.js';

export type LatestUseSource = () => ReadonlyMap<string, LatestUse> | Promise<ReadonlyMap<string, LatestUse>>;

export class ZoneMonitor {
  private plan: Plan;
  private allocations: Record<string, Resources>;
  private exhausted: Record<string, boolean> = {};
  private vms: InventoryVm[] = [];
  private use: ReadonlyMap<string, LatestUse> = new Map();

  constructor(
    private readonly inventory: Inventory,
    private readonly latestUse: LatestUseSource,
    plan: Plan,
  ) {
    this.plan = plan;
    this.allocations = allocationsOf(plan);
  }

  /** A new plan (re-partition) replaces the allocations the auto-scaler moved. */
  setPlan(plan: Plan): void {
    this.plan = plan;
    this.allocations = allocationsOf(plan);
  }

  /** The plan's zones, in priority order. */
  zoneNames(): string[] {
    return this.plan.zones.map((z) => z.name);
  }

  /** The domains as last read. */
  get members(): readonly InventoryVm[] {
    return this.vms;
  }

  allocationsInForce(): Record<string, Resources> {
    return structuredClone(this.allocations);
  }

  exhaustedZones(): Record<string, boolean> {
    return { ...this.exhausted };
  }

  /** Reads the latest use and the domains (or takes the domains just read by the caller). */
  async observe(vms?: InventoryVm[]): Promise<void> {
    this.use = await this.latestUse();
    this.vms = vms ?? (await this.inventory.read(this.use));
  }

  /** Reads the domains again with the same use: membership changed (a pool member came or went). */
  async rereadMembers(): Promise<void> {
    this.vms = await this.inventory.read(this.use);
  }

  /**
   * The zones as decide() reads them: running members only, without those on their way
   * out (`leaving`), each zone with its pool when it has one.
   */
  scalerView(pools: Readonly<Record<string, ScalerZone['pool'] | undefined>>, leaving: ReadonlySet<string>): ScalerZone[] {
    const acting = this.vms.filter((v) => v.running && !leaving.has(v.name)).map(scaledVm);
    return scalerZones(this.plan.zones, acting, { allocations: this.allocations, pools });
  }

  /** What a decision moved: the allocations and the exhausted flags from now on. */
  adopt(decision: Pick<ScalerDecision, 'allocations' | 'exhausted'>): void {
    this.allocations = decision.allocations;
    this.exhausted = decision.exhausted;
  }

  /** The zones as the router sees them, from the last view of the host. */
  zoneStates(useRatioQuantile: number): ZoneState[] {
    return buildZoneStates(this.plan, this.vms, this.use, this.exhausted, this.allocations, useRatioQuantile);
  }
}

/** A domain as the auto-scaler sees it; only members it created for this zone's pool count as pool members. */
export function scaledVm(v: InventoryVm): ScaledVm {
  return { ...v, poolMember: v.membership.poolMember && v.membership.pool === v.zone };
}
