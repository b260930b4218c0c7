// The hypervisor the simulator replaces, and nothing more: what each VM actually gets
// in one moment, given what it demands (its trace), its own size and its zone's limits.
// The model:
//   - a VM gets at most its vCPUs and its balloon: min(demand, vcpus), min(demand, memory);
//   - zone CPU follows config zones.cpuLimit, as partitioner/cgroups/layout.ts writes it:
//     'quota' (cpu.max) caps the members together at the allocation — when they want
//     more, each is throttled in proportion (as CFS bandwidth control does); 'shares'
//     (cpu.weight only) guarantees each zone its allocation and gives what zones leave
//     idle to zones that want more, in proportion to their allocations;
//   - memory is not capped per zone (the zone's cgroup limit never goes below its
//     balloons), but the host's memory is finite: when the guests together touch more
//     than the host can give, each gets the same share of what there is (the host swaps).
// Pure: arrays in, arrays out.

import type { Config } from '../core/config/schema.js';

export interface WorldVm {
  /** index into the zones' CPU caps */
  zone: number;
  vcpus: number;
  memoryMiB: number;
  demandCpu: number;
  demandMemory: number;
}

/** How zone CPU allocations are enforced: config zones.cpuLimit. */
export type ZoneCpuMode = Config['zones']['cpuLimit'];

export interface Delivered {
  cpu: Float64Array;
  memory: Float64Array;
}

/**
 * What every VM gets. zoneCpuCaps[z] is zone z's CPU allocation in cores; hostMemoryMiB
 * is the memory the guests may share. Writes into `out` (sized vms.length) and returns it.
 */
export function deliver(vms: readonly WorldVm[], zoneCpuCaps: ArrayLike<number>, hostMemoryMiB: number, out?: Delivered, mode: ZoneCpuMode = 'quota'): Delivered {
  const n = vms.length;
  const res = out ?? { cpu: new Float64Array(n), memory: new Float64Array(n) };
  const want = new Float64Array(zoneCpuCaps.length);
  let memWant = 0;
  for (let i = 0; i < n; i++) {
    const v = vms[i];
    const c = Math.min(Math.max(0, v.demandCpu), v.vcpus);
    const m = Math.min(Math.max(0, v.demandMemory), v.memoryMiB);
    res.cpu[i] = c;
    res.memory[i] = m;
    want[v.zone] += c;
    memWant += m;
  }
  const given = zoneCpu(want, zoneCpuCaps, mode);
  const throttle = new Float64Array(zoneCpuCaps.length);
  for (let z = 0; z < zoneCpuCaps.length; z++) throttle[z] = want[z] > 0 ? given[z] / want[z] : 1;
  const memScale = memWant > hostMemoryMiB && memWant > 0 ? Math.max(0, hostMemoryMiB) / memWant : 1;
  for (let i = 0; i < n; i++) {
    res.cpu[i] *= throttle[vms[i].zone];
    res.memory[i] *= memScale;
  }
  return res;
}

/**
 * CPU each zone gets. quota: min(want, cap). shares: the same first, then what zones
 * leave idle is shared among zones that want more, in proportion to their caps, never
 * more than they want (a water-fill over at most one pass per zone).
 */
export function zoneCpu(want: ArrayLike<number>, caps: ArrayLike<number>, mode: ZoneCpuMode): Float64Array {
  const n = caps.length;
  const given = new Float64Array(n);
  let spare = 0;
  for (let z = 0; z < n; z++) {
    const cap = Math.max(0, caps[z]);
    given[z] = Math.min(want[z], cap);
    spare += cap - given[z];
  }
  if (mode !== 'shares') return given;
  for (let pass = 0; pass < n && spare > 1e-12; pass++) {
    let weight = 0;
    for (let z = 0; z < n; z++) if (want[z] - given[z] > 1e-12) weight += Math.max(caps[z], 1e-9);
    if (weight === 0) break;
    let used = 0;
    for (let z = 0; z < n; z++) {
      const short = want[z] - given[z];
      if (short <= 1e-12) continue;
      const extra = Math.min(short, (spare * Math.max(caps[z], 1e-9)) / weight);
      given[z] += extra;
      used += extra;
    }
    spare -= used;
  }
  return given;
}
