// Records of a partition plan: what the host can give (capacity), what each class
// asks for (demand), what each zone gets (allocation) and what changes per VM.

import type { Resource, Resources } from '../../core/model/types.js';
import type { ShrinkEvidence } from './evidence.js';
export { RESOURCES } from '../../core/model/types.js';
export type { Resource, Resources };

/**
 * Where a class's demand came from; 'provisioned': its members' provisioned total (no
 * forecast to size it below that, or a class that never shrinks).
 */
export type DemandSource = 'forecast' | 'fallback' | 'floor' | 'provisioned';

export interface ClassDemand {
  zone: string;
  rank: number;
  /** the predicted peak (forecast) or fallback use, before the buffer */
  peak: Resources;
  /** the buffer actually applied, after widening for low confidence */
  effectiveBuffer: Resources;
  /** max(floor, peak x (1 + effectiveBuffer)) */
  demand: Resources;
  floor: Resources;
  source: { cpuCores: DemandSource; memoryMiB: DemandSource };
}

export interface ZonePlan {
  name: string;
  /** 0 = highest priority; general = number of classes */
  rank: number;
  partition: string;
  allocation: Resources;
  demand: Resources;
  floor: Resources;
  /** forecast (or fallback) peak before the buffer; zero for general */
  peak: Resources;
  /** demand that the allocation does not cover (0 when it fits) */
  shortfall: Resources;
  source: { cpuCores: DemandSource; memoryMiB: DemandSource };
  /** the class never shrinks (config classes[].neverShrink); absent: false */
  neverShrink?: boolean;
}

/** The current state of one VM, as the plan sees it (historySeconds: see ShrinkEvidence). */
export interface VmView extends ShrinkEvidence {
  name: string;
  /** the zone it belongs to (its class from metadata, or 'general') */
  zone: string;
  /** false for domains without virtzone metadata: counted, never changed */
  managed: boolean;
  running: boolean;
  vcpus: number;
  maxVcpus: number;
  memoryMiB: number;
  maxMemoryMiB: number;
  /** current scheduler/memtune values when known */
  cpuShares?: number | null;
  vcpuQuota?: number | null;
  memorySoftLimitMiB?: number | null;
  /** recent (peak) use; null when there is no sample yet */
  usedCpuCores: number | null;
  usedMemoryMiB: number | null;
  /**
   * highest memory use over the last day; a plan sizes the balloon for it (the guest's
   * daily cycle brings it back). null or absent: not known, the recent use decides
   */
  peakMemoryMiB?: number | null;
  /** per-VM floors from its metadata (the config gives the defaults) */
  memoryFloorMiB?: number;
  minVcpus?: number;
}

/** What a VM should have. vcpuQuota is libvirt's per-vCPU quota in µs per 100 ms period, -1 = unlimited. */
export interface VmTarget {
  vm: string;
  zone: string;
  vcpus: number;
  memoryMiB: number;
  /** omitted: leave the VM's shares as they are (the auto-scaler's resizes) */
  cpuShares?: number;
  /** informational: the executor derives the quota from the vCPU shrink it performs */
  vcpuQuota?: number;
  /** omitted: leave memtune alone */
  memorySoftLimitMiB?: number;
  /** the lowest memory this VM may get: max(floor, use + margin) */
  minMemoryMiB: number;
  /** use known when the target was made (the executor re-checks against fresh stats) */
  usedMemoryMiB: number | null;
  memoryFloorMiB: number;
  reason: string;
}

export type VmField = 'vcpus' | 'memoryMiB' | 'cpuShares' | 'vcpuQuota' | 'memorySoftLimitMiB';

export interface VmChange {
  vm: string;
  zone: string;
  field: VmField;
  from: number | null;
  to: number;
  reason: string;
}

export type PartitionAlgorithm = 'proportional' | 'seed';

export interface Plan {
  algorithm: PartitionAlgorithm;
  capacity: Resources;
  /** classes in priority order, then 'general' last */
  zones: ZonePlan[];
  /** per-VM targets of managed, running VMs (empty when no VMs were given) */
  vms: VmTarget[];
  /** differences between the targets and the VMs' current values */
  changes: VmChange[];
  warnings: string[];
}

/** Raised when the configured floors alone do not fit the host (rejected at load). */
export class FloorsExceedCapacityError extends Error {
  constructor(
    readonly resource: Resource,
    readonly floors: number,
    readonly capacity: number,
  ) {
    super(
      `classes[*].floor.${resource}: the floors add up to ${round2(floors)} but the host offers ${round2(capacity)} ` +
        `(after host.reserve${resource === 'cpuCores' ? ' and host.cpuOvercommit' : ''}); lower the floors or the reserve`,
    );
    this.name = 'FloorsExceedCapacityError';
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
