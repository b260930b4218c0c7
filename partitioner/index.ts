// The partitioner's public surface, for the daemon, the router, the CLI and the
// simulator. Pure parts: plan/, vm-targets/targets+membership, apply/steps,
// autoscaler/decide+replay, zones/, surfaces/. Effects: apply/executor (HostAdapter),
// cgroups/partitions (cgroupfs / systemd), vm-targets/inventory+placement (HostAdapter),
// autoscaler/routine (all of them).
export type { Plan, ZonePlan, VmTarget, VmChange, VmView, Resources, ClassDemand } from './plan/types.js';
export { FloorsExceedCapacityError } from './plan/types.js';
export { partition, partitionSeed, useByClass, type PartitionOptions } from './plan/partition.js';
export { capacityOf, checkFloors, floorsOf } from './plan/capacity.js';
export { classDemands, effectiveBuffer } from './plan/demand.js';
export { vmTargetsForPlan, memoryMinimum } from './vm-targets/targets.js';
export { membershipOf, placementStatus, withPartition, withMetadata, zoneOf, type Membership, type PlacementStatus } from './vm-targets/membership.js';
export { Inventory, type InventoryVm } from './vm-targets/inventory.js';
export { reconcilePlacement } from './vm-targets/placement.js';
export { planSteps, type Step, type DomainSnapshot } from './apply/steps.js';
export { applyTargets, executeSteps, describeStep, type ApplyReport, type ApplyOptions, type StepOutcome } from './apply/executor.js';
export { readSnapshots } from './apply/snapshot.js';
export { applyPlan, type PlanApplyReport, type PlanApplyOptions } from './apply/plan.js';
export { cgroupfsPartitionPath, systemdSliceName, systemdSlicePath, zoneLimits, type ZoneLimits } from './cgroups/layout.js';
export { detectCgroupSystem, ZonePartitions, type CgroupSystem, type PartitionReport } from './cgroups/partitions.js';
export { ensureZonePartitions, limitsForZones } from './cgroups/zones.js';
export { decide, emptyMemory, type ScalerAction, type ScalerZone, type ScalerMemory, type ScalerDecision } from './autoscaler/decide.js';
export { replay, actionDirections, type ReplayVm, type ReplayZone, type ReplayResult } from './autoscaler/replay.js';
export { ZoneAutoscaler, type AutoscalerDeps, type TickReport } from './autoscaler/routine.js';
export { renderPoolMember, templateSize } from './autoscaler/pool.js';
export { buildZoneStates, type LatestUse, type ZoneMember } from './zones/state.js';
export { zoneRows, planDiff, allocationsOf, registerZoneGauges, zoneCondition, type ZoneRow, type PlanDiff } from './surfaces/zones.js';
