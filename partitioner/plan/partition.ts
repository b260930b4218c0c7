// partition(predictions, capacity, config) -> Plan: the pure heart of the partitioner
// (DESIGN.md step 3). Zone sizes come from the classes' forecast peaks; per-VM targets
// and the changes from the current state come from vm-targets when VMs are given.
import type { Config } from '../../core/config/schema.js';
import { GENERAL_ZONE_NAME, partitionOf, type LoadPrediction } from '../../core/model/types.js';
import { allocate } from './allocate.js';
import { checkFloors } from './capacity.js';
import { classDemands } from './demand.js';
import { RESOURCES, type ClassDemand, type PartitionAlgorithm, type Plan, type Resources, type VmView, type ZonePlan } from './types.js';
import { vmTargetsForPlan } from '../vm-targets/targets.js';

export type PartitionConfig = Pick<Config, 'classes' | 'partitioner' | 'apply'>;

export interface PartitionOptions {
  /** the host's domains; when given, the plan carries per-VM targets and changes */
  vms?: readonly VmView[];
  /**
   * Per-class use to size a class from when it has no forecast. When omitted and `vms`
   * is given, the members' current use is used (a forecast-free plan).
   */
  fallback?: Readonly<Record<string, Partial<Resources>>>;
}

/** The proportional partitioner (the one the daemon uses). */
export function partition(
  predictions: readonly LoadPrediction[],
  capacity: Resources,
  config: PartitionConfig,
  opts: PartitionOptions = {},
): Plan {
  return buildPlan(predictions, capacity, config, opts, 'proportional');
}

/** The seed behaviour, kept for comparison: stops at the first class that does not fit. */
export function partitionSeed(
  predictions: readonly LoadPrediction[],
  capacity: Resources,
  config: PartitionConfig,
  opts: PartitionOptions = {},
): Plan {
  return buildPlan(predictions, capacity, config, opts, 'seed');
}

/** Sum of the members' measured use per class (used when a class has no forecast). */
export function useByClass(vms: readonly VmView[]): Record<string, Partial<Resources>> {
  const out: Record<string, { cpuCores?: number; memoryMiB?: number }> = {};
  for (const vm of vms) {
    if (!vm.running) continue;
    const o = (out[vm.zone] ??= {});
    if (vm.usedCpuCores !== null) o.cpuCores = (o.cpuCores ?? 0) + vm.usedCpuCores;
    if (vm.usedMemoryMiB !== null) o.memoryMiB = (o.memoryMiB ?? 0) + vm.usedMemoryMiB;
  }
  return out;
}

/**
 * Sum of the running members' provisioned sizes per class (what a cold start keeps).
 * Members without a history record (historySeconds absent: a replay that holds its whole
 * trace) are left out, unless their class never shrinks.
 */
export function provisionedByClass(vms: readonly VmView[], neverShrink: ReadonlySet<string> = new Set()): Record<string, Resources> {
  const out: Record<string, Resources> = {};
  for (const vm of vms) {
    if (!vm.running) continue;
    if (vm.historySeconds === undefined && !neverShrink.has(vm.zone)) continue;
    const o = (out[vm.zone] ??= { cpuCores: 0, memoryMiB: 0 });
    o.cpuCores += vm.vcpus;
    o.memoryMiB += vm.memoryMiB;
  }
  return out;
}

function zonesFromDemands(demands: readonly ClassDemand[], capacity: Resources, algorithm: PartitionAlgorithm, neverShrink: ReadonlySet<string>): ZonePlan[] {
  const alloc: Record<string, number[]> = {};
  for (const r of RESOURCES) {
    alloc[r] = allocate(
      demands.map((d) => d.demand[r]),
      demands.map((d) => d.floor[r]),
      capacity[r],
      algorithm,
    );
  }
  const zones: ZonePlan[] = demands.map((d, i) => {
    const allocation = { cpuCores: alloc.cpuCores[i], memoryMiB: alloc.memoryMiB[i] };
    return {
      name: d.zone,
      rank: d.rank,
      partition: partitionOf(d.zone),
      allocation,
      demand: { ...d.demand },
      floor: { ...d.floor },
      peak: { ...d.peak },
      shortfall: {
        cpuCores: Math.max(0, d.demand.cpuCores - allocation.cpuCores),
        memoryMiB: Math.max(0, d.demand.memoryMiB - allocation.memoryMiB),
      },
      source: { ...d.source },
      ...(neverShrink.has(d.zone) ? { neverShrink: true } : {}),
    };
  });
  // General is exactly the remainder (never negative: allocate() never exceeds capacity).
  const used = { cpuCores: 0, memoryMiB: 0 };
  for (const z of zones) for (const r of RESOURCES) used[r] += z.allocation[r];
  zones.push({
    name: GENERAL_ZONE_NAME,
    rank: demands.length,
    partition: partitionOf(GENERAL_ZONE_NAME),
    allocation: { cpuCores: Math.max(0, capacity.cpuCores - used.cpuCores), memoryMiB: Math.max(0, capacity.memoryMiB - used.memoryMiB) },
    demand: { cpuCores: 0, memoryMiB: 0 },
    floor: { cpuCores: 0, memoryMiB: 0 },
    peak: { cpuCores: 0, memoryMiB: 0 },
    shortfall: { cpuCores: 0, memoryMiB: 0 },
    source: { cpuCores: 'floor', memoryMiB: 'floor' },
  });
  return zones;
}

function buildPlan(
  predictions: readonly LoadPrediction[],
  capacity: Resources,
  config: PartitionConfig,
  opts: PartitionOptions,
  algorithm: PartitionAlgorithm,
): Plan {
  for (const r of RESOURCES) {
    if (!Number.isFinite(capacity[r]) || capacity[r] < 0) throw new Error(`capacity.${r}: expected a finite number >= 0, got ${capacity[r]}`);
  }
  checkFloors(capacity, config);
  const fallback = opts.fallback ?? (opts.vms ? useByClass(opts.vms) : undefined);
  const neverShrink = new Set(config.classes.filter((c) => c.neverShrink === true).map((c) => c.name));
  const provisioned = opts.vms ? provisionedByClass(opts.vms, neverShrink) : undefined;
  const demands = classDemands(predictions, config, { fallback, ...(provisioned ? { provisioned } : {}) });
  const zones = zonesFromDemands(demands, capacity, algorithm, neverShrink);
  const warnings: string[] = [];
  for (const z of zones) {
    if (z.shortfall.cpuCores > 1e-6 || z.shortfall.memoryMiB > 1e-6) {
      warnings.push(
        `zone ${z.name}: allocation is short of demand by ${z.shortfall.cpuCores.toFixed(2)} cores and ${Math.round(z.shortfall.memoryMiB)} MiB`,
      );
    }
  }
  const plan: Plan = { algorithm, capacity: { ...capacity }, zones, vms: [], changes: [], warnings };
  if (opts.vms) {
    const t = vmTargetsForPlan(zones, opts.vms, config);
    plan.vms = t.targets;
    plan.changes = t.changes;
    plan.warnings.push(...t.warnings);
  }
  return plan;
}
