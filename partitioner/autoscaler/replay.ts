// Replays demand series through the auto-scaler's decisions, in virtual time, without a
// hypervisor: the same decide() the daemon runs, the same bounded step rules as the
// executor (planSteps), and a small world model —
//   - a VM delivers min(demand, its vCPUs) cores and min(demand, its balloon) memory;
//   - a zone's cgroup quota caps its VMs' CPU at the zone's allocation (throttled
//     proportionally), so an under-sized zone shows as 100% used, as on a real host.
// Used by the simulation test and available to the trace simulator.
import type { Config } from '../../core/config/schema.js';
import type { Resources, VmTarget } from '../plan/types.js';
import { planSteps, type DomainSnapshot } from '../apply/steps.js';
import { memoryMinimum } from '../vm-targets/targets.js';
import { decide, emptyMemory, type ScalerAction, type ScalerZone } from './decide.js';

export interface ReplayVm {
  name: string;
  zone: string;
  vcpus: number;
  maxVcpus: number;
  memoryMiB: number;
  maxMemoryMiB: number;
  /** what the VM would use at this tick if nothing held it back */
  demand: (tick: number) => Resources;
}

export interface ReplayZone {
  name: string;
  rank: number;
  allocation: Resources;
  floor: Resources;
}

export interface ReplayOptions {
  zones: ReplayZone[];
  vms: ReplayVm[];
  ticks: number;
  config: Pick<Config, 'autoscaler' | 'apply' | 'partitioner'>;
  /** unix seconds of tick 0 */
  start?: number;
}

export interface ReplayTick {
  tick: number;
  /** per zone: allocation, delivered use, unmet demand */
  zones: Record<string, { allocation: Resources; used: Resources; unmet: Resources; exhausted: boolean }>;
}

export interface ReplayResult {
  actions: Array<{ tick: number; action: ScalerAction }>;
  ticks: ReplayTick[];
  /** final VM sizes */
  vms: Record<string, { vcpus: number; memoryMiB: number }>;
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

export function replay(opts: ReplayOptions): ReplayResult {
  const { config } = opts;
  const interval = config.autoscaler.intervalSeconds;
  const start = opts.start ?? 0;
  const alloc = new Map(opts.zones.map((z) => [z.name, { ...z.allocation }]));
  const vms = opts.vms.map((v) => ({ ...v }));
  let memory = emptyMemory();
  const result: ReplayResult = { actions: [], ticks: [], vms: {} };

  for (let tick = 0; tick < opts.ticks; tick++) {
    // The world: what each VM gets this tick.
    const used = new Map<string, Resources>();
    const unmet = new Map<string, Resources>();
    for (const z of opts.zones) {
      const members = vms.filter((v) => v.zone === z.name);
      const want = members.map((v) => {
        const d = v.demand(tick);
        return { v, d, cpu: Math.min(Math.max(0, d.cpuCores), v.vcpus), mem: Math.min(Math.max(0, d.memoryMiB), v.memoryMiB) };
      });
      const cpuSum = want.reduce((s, w) => s + w.cpu, 0);
      const cap = alloc.get(z.name)!.cpuCores;
      const throttle = cpuSum > cap && cpuSum > 0 ? cap / cpuSum : 1;
      let un = { cpuCores: 0, memoryMiB: 0 };
      for (const w of want) {
        const got = { cpuCores: w.cpu * throttle, memoryMiB: w.mem };
        used.set(w.v.name, got);
        un = { cpuCores: un.cpuCores + Math.max(0, w.d.cpuCores - got.cpuCores), memoryMiB: un.memoryMiB + Math.max(0, w.d.memoryMiB - got.memoryMiB) };
      }
      unmet.set(z.name, un);
    }
    const zones: ScalerZone[] = opts.zones.map((z) => ({
      name: z.name,
      rank: z.rank,
      allocation: { ...alloc.get(z.name)! },
      floor: z.floor,
      vms: vms
        .filter((v) => v.zone === z.name)
        .map((v) => ({
          name: v.name,
          vcpus: v.vcpus,
          maxVcpus: v.maxVcpus,
          memoryMiB: v.memoryMiB,
          maxMemoryMiB: v.maxMemoryMiB,
          usedCpuCores: used.get(v.name)!.cpuCores,
          usedMemoryMiB: used.get(v.name)!.memoryMiB,
          poolMember: false,
        })),
    }));
    const now = start + tick * interval;
    const d = decide(zones, memory, config, now);
    memory = d.memory;
    for (const [name, a] of Object.entries(d.allocations)) alloc.set(name, { ...a });
    for (const action of d.actions) result.actions.push({ tick, action });

    // VM resizes go through the executor's step rules: one bounded step per tick.
    const targets: VmTarget[] = [];
    const snaps = new Map<string, DomainSnapshot>();
    for (const a of d.actions) {
      if (a.kind !== 'resize-vm') continue;
      const v = vms.find((x) => x.name === a.vm)!;
      const u = used.get(v.name)!;
      const floor = config.partitioner.vmMemoryFloorMiB;
      targets.push({ vm: v.name, zone: v.zone, vcpus: a.vcpus, memoryMiB: a.memoryMiB, minMemoryMiB: memoryMinimum(u.memoryMiB, v.memoryMiB, floor, config.partitioner), usedMemoryMiB: u.memoryMiB, memoryFloorMiB: floor, reason: a.reason });
      snaps.set(v.name, { name: v.name, running: true, vcpus: v.vcpus, maxVcpus: v.maxVcpus, memoryMiB: v.memoryMiB, maxMemoryMiB: v.maxMemoryMiB, usedMemoryMiB: u.memoryMiB, sched: null, memtune: null });
    }
    if (targets.length > 0) {
      const { steps } = planSteps(targets, snaps, config, { maxStepsPerVm: 1 });
      for (const s of steps) {
        const v = vms.find((x) => x.name === s.vm)!;
        // The host refuses what the domain cannot take (above its maximum).
        if (s.kind === 'vcpus' && s.to.vcpus <= v.maxVcpus) v.vcpus = s.to.vcpus;
        if (s.kind === 'memory' && s.to.memoryMiB <= v.maxMemoryMiB) v.memoryMiB = s.to.memoryMiB;
      }
    }
    const snapshot: ReplayTick = { tick, zones: {} };
    for (const z of opts.zones) {
      const u = vms.filter((v) => v.zone === z.name).reduce((s, v) => ({ cpuCores: s.cpuCores + used.get(v.name)!.cpuCores, memoryMiB: s.memoryMiB + used.get(v.name)!.memoryMiB }), { cpuCores: 0, memoryMiB: 0 });
      snapshot.zones[z.name] = { allocation: { ...alloc.get(z.name)! }, used: u, unmet: unmet.get(z.name)!, exhausted: d.exhausted[z.name] ?? false };
    }
    result.ticks.push(snapshot);
  }
  for (const v of vms) result.vms[v.name] = { vcpus: v.vcpus, memoryMiB: v.memoryMiB };
  return result;
}
