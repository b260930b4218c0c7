// The hypervisor the simulator replaces, and nothing more: what each VM actually gets
// in one moment, given what it demands (its trace), its own size and its zone's limits.
// The same world model as partitioner/autoscaler/replay.ts:
//   - a VM gets at most its vCPUs and its balloon: min(demand, vcpus), min(demand, memory);
//   - a zone's CPU quota (its allocation) caps its members together: when they want
//     more, each is throttled in proportion (as CFS bandwidth control does);
//   - memory is not capped per zone (the zone's cgroup limit never goes below its
//     balloons), but the host's memory is finite: when the guests together touch more
//     than the host can give, each gets the same share of what there is (the host swaps).
// Pure: arrays in, arrays out.

export interface WorldVm {
  /** index into the zones' CPU caps */
  zone: number;
  vcpus: number;
  memoryMiB: number;
  demandCpu: number;
  demandMemory: number;
}

export interface Delivered {
  cpu: Float64Array;
  memory: Float64Array;
}

/**
 * What every VM gets. zoneCpuCaps[z] is zone z's CPU allocation in cores; hostMemoryMiB
 * is the memory the guests may share. Writes into `out` (sized vms.length) and returns it.
 */
export function deliver(vms: readonly WorldVm[], zoneCpuCaps: ArrayLike<number>, hostMemoryMiB: number, out?: Delivered): Delivered {
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
  const throttle = new Float64Array(zoneCpuCaps.length);
  for (let z = 0; z < zoneCpuCaps.length; z++) {
    const cap = Math.max(0, zoneCpuCaps[z]);
    throttle[z] = want[z] > cap ? cap / want[z] : 1;
  }
  const memScale = memWant > hostMemoryMiB && memWant > 0 ? Math.max(0, hostMemoryMiB) / memWant : 1;
  for (let i = 0; i < n; i++) {
    res.cpu[i] *= throttle[vms[i].zone];
    res.memory[i] *= memScale;
  }
  return res;
}
