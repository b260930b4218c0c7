// Replays demand series through the auto-scaler in virtual time, without a hypervisor:
// the daemon's own decide(), scalerZones() and stepsForActions() (the executor's step
// rules), and a small world model —
//   - a VM delivers min(demand, its vCPUs) cores and min(demand, its balloon) memory;
//   - a zone's cgroup quota caps its VMs' CPU at the zone's allocation (throttled
//     proportionally), so an under-sized zone shows as 100% used, as on a real host.
import type { Config } from '../../core/config/schema.js';
import { decide, emptyMemory, type ScalerAction } from '../../partitioner/autoscaler/decide.js';
import { scalerZones, type ScaledVm } from '../../partitioner/autoscaler/scaler-zones.js';
import { stepsForActions } from '../../partitioner/autoscaler/actions.js';
import type { Resources, ZonePlan } from '../../partitioner/plan/types.js';

export interface ReplayVm {
  name: string;
  zone: string;
  vcpus: number;
  maxVcpus: number;
  memoryMiB: number;
  maxMemoryMiB: number;
  memoryFloorMiB?: number;
  /** what the VM would use at this tick if nothing held it back */
  demand: (tick: number) => Resources;
}

export interface ReplayOptions {
  zones: Array<Pick<ZonePlan, 'name' | 'rank' | 'allocation' | 'floor'>>;
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

export function replay(opts: ReplayOptions): ReplayResult {
  const { config } = opts;
  const interval = config.autoscaler.intervalSeconds;
  const start = opts.start ?? 0;
  const alloc: Record<string, Resources> = Object.fromEntries(opts.zones.map((z) => [z.name, { ...z.allocation }]));
  const vms = opts.vms.map((v) => ({ ...v }));
  let memory = emptyMemory();
  const result: ReplayResult = { actions: [], ticks: [], vms: {} };

  for (let tick = 0; tick < opts.ticks; tick++) {
    // The world: what each VM gets this tick.
    const used = new Map<string, Resources>();
    const unmet = new Map<string, Resources>();
    for (const z of opts.zones) {
      const want = vms
        .filter((v) => v.zone === z.name)
        .map((v) => {
          const d = v.demand(tick);
          return { v, d, cpu: Math.min(Math.max(0, d.cpuCores), v.vcpus), mem: Math.min(Math.max(0, d.memoryMiB), v.memoryMiB) };
        });
      const cpuSum = want.reduce((s, w) => s + w.cpu, 0);
      const cap = alloc[z.name].cpuCores;
      const throttle = cpuSum > cap && cpuSum > 0 ? cap / cpuSum : 1;
      let un = { cpuCores: 0, memoryMiB: 0 };
      for (const w of want) {
        const got = { cpuCores: w.cpu * throttle, memoryMiB: w.mem };
        used.set(w.v.name, got);
        un = { cpuCores: un.cpuCores + Math.max(0, w.d.cpuCores - got.cpuCores), memoryMiB: un.memoryMiB + Math.max(0, w.d.memoryMiB - got.memoryMiB) };
      }
      unmet.set(z.name, un);
    }
    const scaled: ScaledVm[] = vms.map((v) => ({
      name: v.name,
      zone: v.zone,
      vcpus: v.vcpus,
      maxVcpus: v.maxVcpus,
      memoryMiB: v.memoryMiB,
      maxMemoryMiB: v.maxMemoryMiB,
      usedCpuCores: used.get(v.name)!.cpuCores,
      usedMemoryMiB: used.get(v.name)!.memoryMiB,
      ...(v.memoryFloorMiB !== undefined ? { memoryFloorMiB: v.memoryFloorMiB } : {}),
    }));
    const d = decide(scalerZones(opts.zones, scaled, { allocations: alloc }), memory, config, start + tick * interval);
    memory = d.memory;
    for (const [name, a] of Object.entries(d.allocations)) alloc[name] = { ...a };
    for (const action of d.actions) result.actions.push({ tick, action });

    // VM resizes: one bounded step per tick, by the executor's rules.
    for (const s of stepsForActions(d.actions, scaled, config).steps) {
      const v = vms.find((x) => x.name === s.vm)!;
      // The host refuses what the domain cannot take (above its maximum).
      if (s.kind === 'vcpus' && s.to.vcpus <= v.maxVcpus) v.vcpus = s.to.vcpus;
      if (s.kind === 'memory' && s.to.memoryMiB <= v.maxMemoryMiB) v.memoryMiB = s.to.memoryMiB;
    }
    const snapshot: ReplayTick = { tick, zones: {} };
    for (const z of opts.zones) {
      const u = vms
        .filter((v) => v.zone === z.name)
        .reduce((s, v) => ({ cpuCores: s.cpuCores + used.get(v.name)!.cpuCores, memoryMiB: s.memoryMiB + used.get(v.name)!.memoryMiB }), { cpuCores: 0, memoryMiB: 0 });
      snapshot.zones[z.name] = { allocation: { ...alloc[z.name] }, used: u, unmet: unmet.get(z.name)!, exhausted: d.exhausted[z.name] ?? false };
    }
    result.ticks.push(snapshot);
  }
  for (const v of vms) result.vms[v.name] = { vcpus: v.vcpus, memoryMiB: v.memoryMiB };
  return result;
}
