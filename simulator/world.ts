// The hypervisor the simulator replaces, and nothing more: what each VM actually gets
// in one moment, given what it demands (its trace), its own size and its zone's limits.
// The same world model as partitioner/autoscaler/replay.ts:
//   - a VM gets at most its vCPUs and its balloon: min(demand, vcpus), min(demand, memory);
//   - a zone's CPU quota (its allocation) caps its members together: when they want
//     more, each is throttled in proportion (as CFS bandwidth control does);
//   - memory is not capped per zone (the zone's cgroup limit never goes below its
//     balloons), but the host's memory is finite: when the guests together touch more
//     than the host can give, each gets the same share of what there is (the host swaps).
// What-if, not what the daemon does: with 'shared' zone CPU, a zone's allocation is a
// guaranteed share rather than a cap — CPU a zone leaves idle goes to zones that want
// more, in proportion to their allocations (as cpu.weight without cpu.max would do).
// The daemon writes cpu.max (partitioner/cgroups/layout.ts), so 'quota' is the default.
// Pure: arrays in, arrays out.

export interface WorldVm {
  /** index into the zones' CPU caps */
  zone: number;
  vcpus: number;
  memoryMiB: number;
  demandCpu: number;
  demandMemory: number;
}

/** How zone CPU allocations are enforced: hard quotas (the daemon), or work-conserving shares (what-if). */
export type ZoneCpuMode = 'quota' | 'shared';

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
 * CPU each zone gets. quota: min(want, cap). shared: the same first, then what zones
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
  if (mode === 'quota') return given;
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
