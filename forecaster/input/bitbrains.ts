// Series from a Bitbrains trace folder, as the backtest protocol defines them:
// per VM, CPU cores in use and memory MiB in use on the 300 s grid, the months concatenated.
import { listBitbrainsVms, readBitbrainsVm, cpuCoresInUse, memoryMiBInUse, vmNameOf } from '../../core/trace/bitbrains.js';
import { toGrid, type LoadSeries } from './series.js';

export interface TraceSeriesOptions {
  /** only the first N VMs (by id) */
  limit?: number;
  onVm?: (done: number, total: number, id: string) => void;
}

/** Both series (cpu, memory) of every VM in the folder, VMs ordered by id. */
export async function loadBitbrainsSeries(dir: string, opts: TraceSeriesOptions = {}): Promise<LoadSeries[]> {
  let vms = listBitbrainsVms(dir);
  if (vms.length === 0) throw new Error(`--trace: no Bitbrains files (<id>.csv[.gz]) found under ${dir}`);
  if (opts.limit !== undefined) vms = vms.slice(0, opts.limit);
  const out: LoadSeries[] = [];
  let done = 0;
  for (const vm of vms) {
    // The protocol counts 0-core rows as 0 cores in use (a switched-off VM), so keep them.
    const { rows } = await readBitbrainsVm(vm, { keepUnprovisioned: true });
    const name = `vm:${vmNameOf(vm.id)}`;
    const cpu = toGrid(rows.map((r) => ({ ts: r.ts, value: cpuCoresInUse(r) })));
    const mem = toGrid(rows.map((r) => ({ ts: r.ts, value: memoryMiBInUse(r) })));
    out.push({ series: name, resource: 'cpu', start: cpu.start, step: 300, values: cpu.values });
    out.push({ series: name, resource: 'memory', start: mem.start, step: 300, values: mem.values });
    opts.onVm?.(++done, vms.length, vm.id);
  }
  return out;
}
