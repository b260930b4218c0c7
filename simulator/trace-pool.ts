// The real traces as the simulator replays them: every trace VM on one common 5-minute
// grid — CPU cores in use, memory MiB in use, and its provisioned cores and memory —
// read with the daemon's own Bitbrains reader. A trace VM can stand behind several
// simulated VMs at once by being read whole weeks apart (a "source" is a trace VM plus
// a shift in weeks), so time of day and day of week stay aligned with the simulation.
import { listBitbrainsVms, readBitbrainsVm, cpuCoresInUse, memoryMiBInUse, vmNameOf } from '../core/trace/bitbrains.js';
import { ROLLUP_SECONDS } from '../core/model/types.js';
import { toGrid } from '../forecaster/index.js';

export const STEP_SECONDS = ROLLUP_SECONDS;
export const WEEK_STEPS = (7 * 86_400) / STEP_SECONDS;
export const DAY_STEPS = 86_400 / STEP_SECONDS;

export interface TraceVmSeries {
  id: string;
  name: string;
  /** cores in use per step; NaN = no measurement (gap, or not provisioned) */
  cpu: Float64Array;
  /** MiB in use per step; NaN = no measurement */
  memory: Float64Array;
  /** provisioned cores per step; NaN where the VM was not provisioned */
  cores: Float64Array;
  /** provisioned memory (MiB) per step; NaN where the VM was not provisioned */
  memoryProvisionedMiB: Float64Array;
}

export interface TracePool {
  dir: string;
  /** unix seconds of index 0 */
  start: number;
  step: number;
  length: number;
  vms: TraceVmSeries[];
}

/** A trace VM read `shift` steps (a whole number of weeks) away from simulated time. */
export interface TraceSource {
  /** index into pool.vms */
  vm: number;
  /** trace index = simulated index + shift */
  shift: number;
}

export interface LoadPoolOptions {
  /** only the first N trace VMs (by id) */
  limit?: number;
  onVm?: (done: number, total: number, id: string) => void;
}

function align(grid: { start: number; values: Float64Array }, start: number, length: number, step: number): Float64Array {
  const out = new Float64Array(length).fill(NaN);
  const offset = Math.round((grid.start - start) / step);
  for (let i = 0; i < grid.values.length; i++) {
    const j = i + offset;
    if (j >= 0 && j < length) out[j] = grid.values[i];
  }
  return out;
}

/**
 * Reads every VM of a Bitbrains folder. Rows without provisioned CPU are left out (the
 * reader's rule): where a VM was not provisioned, its steps are NaN — a simulated VM
 * following it there demands nothing, and no request takes its size from there.
 */
export async function loadTracePool(dir: string, opts: LoadPoolOptions = {}): Promise<TracePool> {
  let listed = listBitbrainsVms(dir);
  if (listed.length === 0) throw new Error(`--trace: no Bitbrains files (<id>.csv[.gz]) found under ${dir}`);
  if (opts.limit !== undefined) listed = listed.slice(0, opts.limit);
  const step = STEP_SECONDS;
  const grids: Array<{ id: string; cpu: ReturnType<typeof toGrid>; memory: ReturnType<typeof toGrid>; cores: ReturnType<typeof toGrid>; prov: ReturnType<typeof toGrid> }> = [];
  let done = 0;
  for (const vm of listed) {
    const { rows } = await readBitbrainsVm(vm);
    grids.push({
      id: vm.id,
      cpu: toGrid(rows.map((r) => ({ ts: r.ts, value: cpuCoresInUse(r) }))),
      memory: toGrid(rows.map((r) => ({ ts: r.ts, value: memoryMiBInUse(r) }))),
      cores: toGrid(rows.map((r) => ({ ts: r.ts, value: r.cores }))),
      prov: toGrid(rows.filter((r) => r.memProvisionedKiB > 0).map((r) => ({ ts: r.ts, value: r.memProvisionedKiB / 1024 }))),
    });
    opts.onVm?.(++done, listed.length, vm.id);
  }
  const withData = grids.filter((g) => g.cpu.values.length > 0);
  if (withData.length === 0) throw new Error(`--trace: no usable rows in the Bitbrains files under ${dir}`);
  const start = Math.min(...withData.map((g) => g.cpu.start));
  const end = Math.max(...withData.map((g) => g.cpu.start + g.cpu.values.length * step));
  const length = Math.round((end - start) / step);
  return {
    dir,
    start,
    step,
    length,
    vms: withData.map((g) => ({
      id: g.id,
      name: vmNameOf(g.id),
      cpu: align(g.cpu, start, length, step),
      memory: align(g.memory, start, length, step),
      cores: align(g.cores, start, length, step),
      memoryProvisionedMiB: align(g.prov, start, length, step),
    })),
  };
}

/** The value at a trace index; 0 outside the trace or in a gap (the VM demands nothing there). */
export function valueAt(series: Float64Array, index: number): number {
  if (index < 0 || index >= series.length) return 0;
  const v = series[index];
  return Number.isNaN(v) ? 0 : v;
}

/** The provisioned size of a trace VM at a trace index, or null where it was not provisioned. */
export function provisionedAt(vm: TraceVmSeries, index: number): { cpuCores: number; memoryMiB: number } | null {
  if (index < 0 || index >= vm.cores.length) return null;
  const cores = vm.cores[index];
  const mem = vm.memoryProvisionedMiB[index];
  if (!(cores > 0) || !(mem > 0)) return null;
  return { cpuCores: Math.round(cores), memoryMiB: Math.round(mem) };
}
