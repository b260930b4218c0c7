// The simulated host: the VMs running on it (their sizes, what they demand and what they
// got), the zones it is cut into (the last plan, the allocations, the auto-scaler's
// exhausted flags, the router's pending reservations) and its capacity. It keeps state and answers questions about it; what
// to do with that state is decided by the policies (policies/), the router's admission
// (placement.ts) and the auto-scaler (autoscale.ts), and what each VM gets in a moment
// by the world model (world.ts).
import type { Config } from '../core/config/schema.js';
import { GENERAL_ZONE_NAME } from '../core/model/types.js';
import type { Resources, VmView, Plan } from '../partitioner/index.js';
import { PendingReservations } from './reservations.js';
import { useAt, type VmSpec, type Workload } from './stream.js';
import { DAY_STEPS, STEP_SECONDS, type TracePool } from './trace-pool.js';
import { deliver, type Delivered, type WorldVm } from './world.js';

/** The zone a host without zones runs everything in: the whole host, no partitions. */
export const HOST_POOL = 'host';
/** A zone allocation change smaller than this is not a resize (the auto-scaler's own minimum). */
const MIN_ZONE_CPU_CHANGE = 0.05;

export const ZERO = (): Resources => ({ cpuCores: 0, memoryMiB: 0 });

export interface HostVm {
  spec: VmSpec;
  /** class the request asked for (metrics) */
  cls: string;
  /** zone it runs in (the class; the host pool when the host has no zones) */
  zone: number;
  /** on the host from the start (not a request a policy admitted) */
  initial: boolean;
  vcpus: number;
  memoryMiB: number;
  maxVcpus: number;
  maxMemoryMiB: number;
  demandCpu: number;
  demandMemory: number;
  usedCpu: number | null;
  usedMemory: number | null;
  gotCpu: number;
  gotMemory: number;
  /** memory it got in each of its last DAY_STEPS steps (a ring), for its day peak */
  memoryDay: Float64Array;
  /** the highest of memoryDay: what the daemon reads from its rollups as the VM's day peak; null before a day is seen */
  peakMemory: number | null;
  /** steps of memoryDay filled */
  memorySteps: number;
  /** world view, kept in step with the fields above */
  world: WorldVm;
}

/** A VM's size and use as the daemon's inventory reports them (the plan's and the auto-scaler's view). */
export function sizeAndUse(v: HostVm) {
  return {
    name: v.spec.id,
    vcpus: v.vcpus,
    maxVcpus: v.maxVcpus,
    memoryMiB: v.memoryMiB,
    maxMemoryMiB: v.maxMemoryMiB,
    usedCpuCores: v.usedCpu,
    usedMemoryMiB: v.usedMemory,
    peakMemoryMiB: v.peakMemory,
  };
}

const dayPeak = (ring: Float64Array): number => ring.reduce((a, x) => (x > a ? x : a), 0);

export interface HostOptions {
  /** the zones, in the order the world model indexes them */
  zones: readonly string[];
  /** the classes + general: what a VM's class is counted as */
  classZones: readonly string[];
  capacity: Resources;
  pool: TracePool;
  workload: Workload;
  /** config apply.minChangeMemoryMiB: a smaller memory change is not a zone resize */
  minChangeMemoryMiB: number;
}

export class SimulatedHost {
  readonly zones: readonly string[];
  readonly capacity: Resources;
  readonly vms: HostVm[] = [];
  /** each zone's allocation, indexed as `zones` */
  readonly alloc: Resources[];
  /** the last partition() plan (zone names, ranks, forecast peaks): the router's zone view */
  plan: Pick<Plan, 'zones'> = { zones: [] };
  /** the auto-scaler's last exhausted flags */
  exhausted: Record<string, boolean> = {};
  /** the router's reservations not yet fulfilled */
  readonly reservations = new PendingReservations();
  private readonly zoneIndex: Map<string, number>;
  private readonly pooled: boolean;
  private delivered: Delivered = { cpu: new Float64Array(0), memory: new Float64Array(0) };

  constructor(private readonly o: HostOptions) {
    this.zones = o.zones;
    this.capacity = o.capacity;
    this.zoneIndex = new Map(o.zones.map((z, i) => [z, i]));
    this.pooled = o.zones.length === 1 && o.zones[0] === HOST_POOL;
    // one pool is the whole host; zones start empty until a policy sizes them
    this.alloc = this.pooled ? [{ ...o.capacity }] : o.zones.map(() => ZERO());
  }

  /** Unix seconds of `seconds` after the simulation start. */
  unixSecondsAt(seconds: number): number {
    return this.o.pool.start + this.o.workload.startIndex * STEP_SECONDS + seconds;
  }

  /** The class a request is counted in: its own when configured, else general. */
  classOf(spec: VmSpec): string {
    return this.o.classZones.includes(spec.zone) ? spec.zone : GENERAL_ZONE_NAME;
  }

  /** Starts a VM of `spec` at step `tick`, in its class's zone (general when none; the pool when no zones). */
  addVm(spec: VmSpec, tick: number): HostVm {
    const zone = this.pooled ? 0 : (this.zoneIndex.get(spec.zone) ?? this.zoneIndex.get(GENERAL_ZONE_NAME)!);
    const vm: HostVm = {
      spec,
      cls: this.classOf(spec),
      zone,
      initial: false,
      vcpus: spec.vcpus,
      memoryMiB: spec.memoryMiB,
      maxVcpus: spec.vcpus,
      maxMemoryMiB: spec.memoryMiB,
      demandCpu: 0,
      demandMemory: 0,
      usedCpu: null,
      usedMemory: null,
      gotCpu: 0,
      gotMemory: 0,
      memoryDay: new Float64Array(DAY_STEPS),
      peakMemory: null,
      memorySteps: 0,
      world: { zone, vcpus: spec.vcpus, memoryMiB: spec.memoryMiB, demandCpu: 0, demandMemory: 0 },
    };
    this.setDemand(vm, tick);
    this.vms.push(vm);
    return vm;
  }

  /** A VM running at the start: the daemon's store already holds its day before the start. */
  addInitialVm(spec: VmSpec): HostVm {
    const v = this.addVm(spec, 0);
    v.initial = true;
    for (let j = 1; j <= DAY_STEPS; j++) v.memoryDay[(DAY_STEPS - j) % DAY_STEPS] = useAt(this.o.pool, spec, this.o.workload.startIndex, -j).memory;
    v.memorySteps = DAY_STEPS;
    v.peakMemory = dayPeak(v.memoryDay);
    return v;
  }

  /** VMs whose lifetime is over at step `tick` leave; true when any did. */
  removeEnded(tick: number): boolean {
    const before = this.vms.length;
    for (let i = this.vms.length - 1; i >= 0; i--) if (this.vms[i].spec.endTick <= tick) this.vms.splice(i, 1);
    return this.vms.length !== before;
  }

  /** Every VM's demand at step `tick` (its trace), and nothing got yet. */
  beginStep(tick: number): void {
    for (const v of this.vms) {
      this.setDemand(v, tick);
      v.gotCpu = 0;
      v.gotMemory = 0;
    }
  }

  private setDemand(vm: HostVm, tick: number): void {
    const u = useAt(this.o.pool, vm.spec, this.o.workload.startIndex, tick);
    vm.demandCpu = u.cpu;
    vm.demandMemory = u.memory;
    vm.world.demandCpu = vm.demandCpu;
    vm.world.demandMemory = vm.demandMemory;
  }

  /** The VMs of zone `z` (an index into `zones`). */
  members(z: number): HostVm[] {
    return this.vms.filter((v) => v.zone === z);
  }

  /** Every VM as the plan sees it (managed, running, in its zone). */
  vmViews(): VmView[] {
    return this.vms.map((v) => ({ ...sizeAndUse(v), zone: this.zones[v.zone], managed: true, running: true }));
  }

  /** Measured use of every VM together. */
  used(): Resources {
    return { cpuCores: this.vms.reduce((a, v) => a + (v.usedCpu ?? 0), 0), memoryMiB: this.vms.reduce((a, v) => a + (v.usedMemory ?? 0), 0) };
  }

  /** Sets every zone's allocation (zones not named get none); returns how many changed by a resize's worth. */
  setAllocations(next: Readonly<Record<string, Resources>>): number {
    let changed = 0;
    this.zones.forEach((z, i) => {
      const a = next[z] ?? ZERO();
      const cur = this.alloc[i];
      if (Math.abs(a.cpuCores - cur.cpuCores) >= MIN_ZONE_CPU_CHANGE || Math.abs(a.memoryMiB - cur.memoryMiB) >= Math.max(1, this.o.minChangeMemoryMiB)) changed++;
      this.alloc[i] = { cpuCores: a.cpuCores, memoryMiB: a.memoryMiB };
    });
    return changed;
  }

  /** One auto-scaler tick of the hypervisor: every VM gets what the world model gives it. */
  runTick(cpuLimit: Config['zones']['cpuLimit']): void {
    const vms = this.vms;
    if (this.delivered.cpu.length < vms.length) this.delivered = { cpu: new Float64Array(vms.length * 2), memory: new Float64Array(vms.length * 2) };
    const d = deliver(
      vms.map((v) => v.world),
      this.alloc.map((a) => a.cpuCores),
      this.capacity.memoryMiB,
      this.delivered,
      cpuLimit,
    );
    vms.forEach((v, i) => {
      v.usedCpu = d.cpu[i];
      v.usedMemory = d.memory[i];
      v.gotCpu += d.cpu[i];
      v.gotMemory += d.memory[i];
    });
  }

  /** Records the memory a VM got over a step in its day ring (its day peak, once a day is seen). */
  recordDay(v: HostVm, tick: number, memoryMiB: number): void {
    v.memoryDay[tick % DAY_STEPS] = memoryMiB;
    v.memorySteps++;
    if (v.memorySteps >= DAY_STEPS) v.peakMemory = dayPeak(v.memoryDay);
  }

  /** Hot-plugs vCPUs; the host refuses what the domain cannot take (above its maximum). False when nothing changed. */
  setVcpus(v: HostVm, vcpus: number): boolean {
    if (vcpus > v.maxVcpus || vcpus === v.vcpus) return false;
    v.vcpus = vcpus;
    v.world.vcpus = vcpus;
    return true;
  }

  /** Moves the balloon; the host refuses what the domain cannot take (above its maximum). False when nothing changed. */
  setMemory(v: HostVm, memoryMiB: number): boolean {
    if (memoryMiB > v.maxMemoryMiB || memoryMiB === v.memoryMiB) return false;
    v.memoryMiB = memoryMiB;
    v.world.memoryMiB = memoryMiB;
    return true;
  }
}
