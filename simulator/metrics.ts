// The numbers a policy is judged by, as pure functions plus one recorder that the
// engine feeds step by step:
//   - rejection rate: rejected / requests, overall and per class;
//   - SLO violation: the share of VM-5-minute steps in which a VM got less than it
//     demanded (mean over the step's auto-scaler ticks, beyond a tolerance that absorbs
//     rounding), weighted by class — the overflow manager's priority weights, so a gold
//     step counts (n+1)/(n+1), a bronze one fewer, general least;
//   - slack: (allocated - used) / allocated, summed over every zone that holds VMs and
//     every step (an allocation-weighted mean), per resource and their mean;
//   - resize actions per VM per day: VM resize steps (vCPU, balloon) plus zone
//     resizes (auto-scaler transfers, re-partition changes), over the VM-days simulated;
//   - VM-days: every VM's time on the host (vmDays), and the admitted requests' alone
//     (admittedVmDays: what a policy's admissions bought);
//   - utilization: what the host's VMs got over the run / the host's capacity, per resource.
import type { Resources } from '../core/model/types.js';
import { priorityWeight } from '../router/index.js';

export type { Resources };

/** A VM-step counts as violated when it got less than (1 - SLO_TOLERANCE) of its demand. */
export const SLO_TOLERANCE = 0.01;
/** ... and the shortfall is at least this much (noise of a fraction of a core or a few MiB is not a violation). */
const MIN_SHORTFALL: Resources = { cpuCores: 0.01, memoryMiB: 1 };

export function violated(demand: Resources, got: Resources, tolerance = SLO_TOLERANCE): boolean {
  for (const r of ['cpuCores', 'memoryMiB'] as const) {
    const short = demand[r] - got[r];
    if (short > MIN_SHORTFALL[r] && got[r] < demand[r] * (1 - tolerance)) return true;
  }
  return false;
}

export interface WeightedCount {
  weight: number;
  violated: number;
  steps: number;
}

/** sum(w x violated) / sum(w x steps); 0 when there were no steps. */
export function weightedShare(classes: readonly WeightedCount[]): number {
  let num = 0;
  let den = 0;
  for (const c of classes) {
    num += c.weight * c.violated;
    den += c.weight * c.steps;
  }
  return den > 0 ? num / den : 0;
}

/** Allocation-weighted slack: sum(max(0, alloc - used)) / sum(alloc); 0 when nothing was allocated. */
export function slackOf(pairs: ReadonlyArray<{ allocated: number; used: number }>): number {
  let free = 0;
  let alloc = 0;
  for (const p of pairs) {
    free += Math.max(0, p.allocated - p.used);
    alloc += Math.max(0, p.allocated);
  }
  return alloc > 0 ? free / alloc : 0;
}

export function rate(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}

/** actions / VM-days, VM-days from VM-steps of `stepSeconds`. */
export function perVmDay(actions: number, vmSteps: number, stepSeconds = 300): number {
  const days = (vmSteps * stepSeconds) / 86_400;
  return days > 0 ? actions / days : 0;
}

export interface ClassMetrics {
  requests: number;
  rejected: number;
  rejectionRate: number;
  /** admitted by the overflow manager (not by room in a zone) */
  overflowGrants: number;
  vmSteps: number;
  violatedSteps: number;
  /** unweighted share of this class's VM-steps that were violated */
  sloViolation: number;
  weight: number;
}

export interface PolicyMetrics {
  rejectionRate: number;
  sloViolation: number;
  slack: number;
  actionsPerVmDay: number;
  perClass: Record<string, ClassMetrics>;
  requests: number;
  rejected: number;
  overflowGrants: number;
  slackCpu: number;
  slackMemory: number;
  /** VM-days on the host, the initial VMs' included */
  vmDays: number;
  /** VM-days of the requests admitted: sum over admitted VMs of their time on the host */
  admittedVmDays: number;
  /** mean host use / capacity over the run (what the VMs got, not what they wanted) */
  utilization: { cpu: number; memory: number };
  actions: { vmResizeSteps: number; zoneResizes: number };
  /** violated VM-steps by the resource that fell short (a step may count for both) */
  violations: { cpu: number; memory: number };
}

interface Tally {
  requests: number;
  rejected: number;
  overflow: number;
  steps: number;
  violated: number;
}

export class MetricsRecorder {
  private readonly tallies = new Map<string, Tally>();
  private freeCpu = 0;
  private allocCpu = 0;
  private freeMem = 0;
  private allocMem = 0;
  private vmSteps = 0;
  private admittedVmSteps = 0;
  private usedCpu = 0;
  private capacityCpu = 0;
  private usedMemory = 0;
  private capacityMemory = 0;
  vmResizeSteps = 0;
  zoneResizes = 0;
  private cpuViolations = 0;
  private memoryViolations = 0;

  /** zones in priority order: the classes, then general (its weight is the lowest) */
  constructor(private readonly zones: readonly string[], private readonly classCount: number) {
    for (const z of zones) this.tallies.set(z, { requests: 0, rejected: 0, overflow: 0, steps: 0, violated: 0 });
  }

  private tally(zone: string): Tally {
    const t = this.tallies.get(zone);
    if (!t) throw new Error(`metrics: unknown zone ${zone}`);
    return t;
  }

  request(zone: string, admitted: boolean, overflow: boolean): void {
    const t = this.tally(zone);
    t.requests++;
    if (!admitted) t.rejected++;
    else if (overflow) t.overflow++;
  }

  /** One VM over one step; `admitted`: it is a request a policy admitted (not one on the host from the start). */
  vmStep(zone: string, demand: Resources, got: Resources, admitted = false): boolean {
    const t = this.tally(zone);
    t.steps++;
    this.vmSteps++;
    if (admitted) this.admittedVmSteps++;
    const bad = violated(demand, got);
    if (bad) {
      t.violated++;
      if (violated({ cpuCores: demand.cpuCores, memoryMiB: 0 }, { cpuCores: got.cpuCores, memoryMiB: 0 })) this.cpuViolations++;
      if (violated({ cpuCores: 0, memoryMiB: demand.memoryMiB }, { cpuCores: 0, memoryMiB: got.memoryMiB })) this.memoryViolations++;
    }
    return bad;
  }

  /** One zone (that holds VMs) over one step: mean allocation and mean use. */
  zoneStep(allocated: Resources, used: Resources): void {
    this.freeCpu += Math.max(0, allocated.cpuCores - used.cpuCores);
    this.allocCpu += Math.max(0, allocated.cpuCores);
    this.freeMem += Math.max(0, allocated.memoryMiB - used.memoryMiB);
    this.allocMem += Math.max(0, allocated.memoryMiB);
  }

  /** The whole host over one step: what its VMs got (mean over the step) and its capacity. */
  hostStep(used: Resources, capacity: Resources): void {
    this.usedCpu += used.cpuCores;
    this.capacityCpu += capacity.cpuCores;
    this.usedMemory += used.memoryMiB;
    this.capacityMemory += capacity.memoryMiB;
  }

  result(): PolicyMetrics {
    const perClass: Record<string, ClassMetrics> = {};
    let requests = 0;
    let rejected = 0;
    let overflow = 0;
    const weighted: WeightedCount[] = [];
    this.zones.forEach((z, rank) => {
      const t = this.tally(z);
      const weight = priorityWeight(rank, this.classCount);
      requests += t.requests;
      rejected += t.rejected;
      overflow += t.overflow;
      weighted.push({ weight, violated: t.violated, steps: t.steps });
      perClass[z] = {
        requests: t.requests,
        rejected: t.rejected,
        rejectionRate: rate(t.rejected, t.requests),
        overflowGrants: t.overflow,
        vmSteps: t.steps,
        violatedSteps: t.violated,
        sloViolation: rate(t.violated, t.steps),
        weight,
      };
    });
    const slackCpu = rate(this.freeCpu, this.allocCpu);
    const slackMemory = rate(this.freeMem, this.allocMem);
    const actions = this.vmResizeSteps + this.zoneResizes;
    return {
      rejectionRate: rate(rejected, requests),
      sloViolation: weightedShare(weighted),
      slack: (slackCpu + slackMemory) / 2,
      actionsPerVmDay: perVmDay(actions, this.vmSteps),
      perClass,
      requests,
      rejected,
      overflowGrants: overflow,
      slackCpu,
      slackMemory,
      vmDays: (this.vmSteps * 300) / 86_400,
      admittedVmDays: (this.admittedVmSteps * 300) / 86_400,
      utilization: { cpu: rate(this.usedCpu, this.capacityCpu), memory: rate(this.usedMemory, this.capacityMemory) },
      actions: { vmResizeSteps: this.vmResizeSteps, zoneResizes: this.zoneResizes },
      violations: { cpu: this.cpuViolations, memory: this.memoryViolations },
    };
  }
}
