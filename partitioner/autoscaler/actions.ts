// What the auto-scaler's decided actions mean for the VMs: which way each moves a zone,
// the VM targets its resizes ask for, and the bounded steps those targets take. Pure:
// the routine hands the targets to the executor (which reads the domains back itself),
// the simulator applies the steps to its model of the VMs.
import type { Config } from '../../core/config/schema.js';
import { planSteps, type DomainSnapshot, type StepPlan } from '../apply/steps.js';
import type { VmTarget } from '../plan/types.js';
import { memoryMinimum } from '../vm-targets/targets.js';
import type { ScalerAction } from './decide.js';
import type { ScaledVm } from './scaler-zones.js';

/** The auto-scaler moves a VM by one bounded step per tick: the next tick sees the result. */
export const RESIZE_STEPS_PER_TICK = 1;

export type ResizeAction = Extract<ScalerAction, { kind: 'resize-vm' }>;

export type ResizeConfig = Pick<Config, 'partitioner'> & Partial<Pick<Config, 'zones'>>;

export function resizeActions(actions: readonly ScalerAction[]): ResizeAction[] {
  return actions.filter((a): a is ResizeAction => a.kind === 'resize-vm');
}

/** Which zone an action grows (+1) or shrinks (−1); transfers count for both ends. */
export function actionDirections(a: ScalerAction): Array<{ zone: string; dir: 1 | -1 }> {
  switch (a.kind) {
    case 'transfer':
      return [
        { zone: a.to, dir: 1 },
        { zone: a.from, dir: -1 },
      ];
    case 'resize-vm':
      return [{ zone: a.zone, dir: a.direction === 'grow' ? 1 : -1 }];
    case 'add-pool-member':
      return [{ zone: a.zone, dir: 1 }];
    case 'remove-pool-member':
      return [{ zone: a.zone, dir: -1 }];
    case 'set-exhausted':
      return [];
  }
}

/**
 * The targets of the actions' VM resizes. Each keeps its VM's own memory floor (its
 * metadata's, else partitioner.vmMemoryFloorMiB) and minimum vCPUs; the soft limit
 * follows the balloon (plus zones.vmOverheadMiB) when the config has zones. A resize of
 * a VM not in `vms` is dropped (it left between the decision and now).
 */
export function resizeTargets(actions: readonly ScalerAction[], vms: readonly ScaledVm[], config: ResizeConfig): VmTarget[] {
  const byName = new Map(vms.map((v) => [v.name, v]));
  const p = config.partitioner;
  const targets: VmTarget[] = [];
  for (const a of resizeActions(actions)) {
    const v = byName.get(a.vm);
    if (!v) continue;
    const floor = v.memoryFloorMiB ?? p.vmMemoryFloorMiB;
    targets.push({
      vm: a.vm,
      zone: a.zone,
      vcpus: Math.max(a.vcpus, v.minVcpus ?? 0),
      memoryMiB: a.memoryMiB,
      ...(config.zones ? { memorySoftLimitMiB: a.memoryMiB + config.zones.vmOverheadMiB } : {}),
      minMemoryMiB: memoryMinimum(v.usedMemoryMiB, v.memoryMiB, floor, p),
      usedMemoryMiB: v.usedMemoryMiB,
      memoryFloorMiB: floor,
      reason: a.reason,
    });
  }
  return targets;
}

/**
 * The steps the actions' resizes take this tick, from the VMs as they are (a model of
 * the host: running, no scheduler or memtune parameters to read), by the executor's
 * own step rules, one bounded step per VM.
 */
export function stepsForActions(actions: readonly ScalerAction[], vms: readonly ScaledVm[], config: ResizeConfig & Pick<Config, 'apply'>): StepPlan {
  const targets = resizeTargets(actions, vms, config);
  if (targets.length === 0) return { steps: [], skipped: [] };
  const wanted = new Set(targets.map((t) => t.vm));
  const snapshots = new Map<string, DomainSnapshot>();
  for (const v of vms) {
    if (!wanted.has(v.name)) continue;
    snapshots.set(v.name, { name: v.name, running: true, vcpus: v.vcpus, maxVcpus: v.maxVcpus, memoryMiB: v.memoryMiB, maxMemoryMiB: v.maxMemoryMiB, usedMemoryMiB: v.usedMemoryMiB, sched: null, memtune: null });
  }
  return planSteps(targets, snapshots, config, { maxStepsPerVm: RESIZE_STEPS_PER_TICK });
}
