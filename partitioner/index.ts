// The partitioner's public surface, for the daemon, the router, the CLI and the
// simulator. Pure parts: plan/, vm-targets/targets+membership, apply/steps,
// autoscaler/decide+scaler-zones+actions (the glue the simulator shares with the
// routine), zones/, views/. Effects: apply/executor (HostAdapter), cgroups/partitions
// (cgroupfs / systemd), vm-targets/inventory+partition-sync (HostAdapter), autoscaler/routine
// with its zone monitor, action executor and pool members (all of them).
export type { Plan, ZonePlan, VmTarget, VmChange, VmView, Resources, ClassDemand } from './plan/types.js';
export { FloorsExceedCapacityError } from './plan/types.js';
export { partition, partitionSeed, useByClass, provisionedByClass, type PartitionOptions } from './plan/partition.js';
export { capacityOf, checkFloors, floorsOf } from './plan/capacity.js';
export { classDemands, effectiveBuffer } from './plan/demand.js';
export { shrinkVerdict, hoursOf, type ShrinkEvidence, type ShrinkVerdict } from './plan/evidence.js';
export { vmTargetsForPlan, memoryMinimum } from './vm-targets/targets.js';
export { membershipOf, partitionStatus, withPartition, withMetadata, zoneOf, type Membership, type PartitionStatus } from './vm-targets/membership.js';
export { Inventory, type InventoryVm } from './vm-targets/inventory.js';
export { syncPartitions } from './vm-targets/partition-sync.js';
export { planSteps, type Step, type StepPlan, type DomainSnapshot } from './apply/steps.js';
export { applyTargets, executeSteps, describeStep, type ApplyReport, type ApplyOptions, type StepOutcome } from './apply/executor.js';
export { readSnapshots } from './apply/snapshot.js';
export { applyPlan, type PlanApplyReport, type PlanApplyOptions } from './apply/plan.js';
export { cgroupfsPartitionPath, systemdSliceName, systemdSlicePath, zoneLimits, type ZoneLimits } from './cgroups/layout.js';
export { detectCgroupSystem, ZonePartitions, type CgroupSystem, type PartitionReport } from './cgroups/partitions.js';
export { ensureZonePartitions, limitsForZones } from './cgroups/zone-limits.js';
export { decide, emptyMemory, type ScalerAction, type ScalerZone, type ScalerMemory, type ScalerDecision } from './autoscaler/decide.js';
export { scalerZones, type ScaledVm, type ScaledZoneSpec, type ScalerZonesOptions } from './autoscaler/scaler-zones.js';
export { actionDirections, resizeActions, resizeTargets, stepsForActions, RESIZE_STEPS_PER_TICK, type ResizeAction, type ResizeConfig } from './autoscaler/actions.js';
export { ZoneAutoscaler, type AutoscalerDeps, type TickReport } from './autoscaler/routine.js';
export { renderPoolMember, templateSize } from './autoscaler/pool.js';
export { buildZoneStates, type LatestUse, type ZoneMember } from './zones/zone-states.js';
export { allocationsOf } from './plan/zone-allocations.js';
export { zoneRows, planDiff, registerZoneGauges, zoneCondition, type ZoneRow, type PlanDiff } from './views/zone-view.js';
export { runSystemctl } from './cgroups/partitions.js';
export { type ZoneDiffRow } from './views/zone-view.js';
export { USE_RATIO_MAX, USE_RATIO_MIN } from './zones/zone-states.js';
export { ModeControl, MODE_AUDIT_ACTION } from './mode/mode-control.js';
export { classReadiness, type ClassEvidence, type ClassReadiness } from './mode/readiness.js';
export { ZoneEnforcement } from './mode/zone-enforcement.js';
export { modeReportOf, type Mode, type ModeRecord } from './mode/mode.js';
export { type ObservedTick } from './autoscaler/routine.js';
