// Imports a Bitbrains trace folder into the store as 5-minute history.
//
// Per VM (named bitbrains-<file id>, all months merged): rows the reader rejects are
// counted by reason; the rest are floored onto the 300 s grid and rows that land in the
// same bucket are averaged into one point; each bucket's point becomes a rollup through
// the same computeRollup() the collector uses (one point per bucket, so mean = max =
// p95). Class series are the per-bucket sums of the class's VMs, over the buckets where
// at least one of them has data (TickSums, as for the collector's ticks).
//
// Class assignment (deterministic): VMs in numeric id order; `classOf` (id -> class)
// wins, else `classForAll`, else round-robin over `classes` by position in that order
// (with gold, silver, bronze: the 1st, 4th, 7th VM are gold, the 2nd, 5th ... silver).
//
// Everything is written in one transaction: an import is all or nothing, and importing
// the same folder again replaces what the first import wrote. Imported rollups carry
// source 'import', which retention never deletes unless asked.
import { existsSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import {
  listBitbrainsVms,
  readBitbrainsVm,
  cpuCoresInUse,
  memoryMiBInUse,
  vmNameOf,
  type TraceVm,
  type RowRejection,
} from './bitbrains.js';
import { bucketOf, classSeries, computeRollup, TickSums, vmSeries, type UsagePoint } from '../store/rollup.js';
import type { Store, VmSize } from '../store/store.js';
import type { Rollup } from '../model/types.js';

export const WEEK_SECONDS = 7 * 86_400;
/** Bitbrains reports KB: taken as KiB, as memory is (memoryMiBInUse divides by 1024). */
const KB = 1024;

export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportError';
  }
}

export interface ImportOptions {
  dir: string;
  /** configured classes, highest first: the round-robin order */
  classes: readonly string[];
  /** one class for every VM (--class) */
  classForAll?: string;
  /** VM file id -> class (--class-of 407=gold) */
  classOf?: ReadonlyMap<string, string>;
  /** shift the trace by whole weeks so it ends in the 7 days before `now` */
  shiftToNow?: boolean;
  /** unix seconds; default the wall clock */
  now?: number;
  /** VMs read at once (gunzip runs off the main thread) */
  concurrency?: number;
  onVm?: (done: number, total: number, name: string) => void;
}

export interface RejectionSummary {
  reason: string;
  count: number;
  /** where it first happened, file:line */
  example: string;
}

export interface ImportReport {
  format: 'bitbrains';
  dir: string;
  vms: number;
  files: number;
  /** data lines read (headers and blank lines not counted) */
  rowsRead: number;
  rowsRejected: number;
  /** rows merged into another row of the same 5-minute bucket (averaged) */
  rowsMerged: number;
  /** per-VM 5-minute rollups written (rowsRead − rowsRejected − rowsMerged) */
  rowsStored: number;
  classRollupsStored: number;
  rejected: RejectionSummary[];
  /** first and last bucket stored (after any shift), unix seconds */
  from: number | null;
  until: number | null;
  shiftSeconds: number;
  classes: Record<string, string[]>;
  seconds: number;
}

/** One VM's trace on the 300 s grid: one averaged point per bucket. */
interface GridSeries {
  id: string;
  name: string;
  ts: Float64Array;
  cpu: Float64Array;
  mem: Float64Array;
  net: Float64Array;
  disk: Float64Array;
  sizes: VmSize[];
  rowsRead: number;
  rowsMerged: number;
  rejected: RowRejection[];
}

/** Floors rows (sorted by ts) onto the grid, averaging the rows of a bucket. */
async function readGrid(vm: TraceVm): Promise<GridSeries> {
  const { rows, rejected, linesRead } = await readBitbrainsVm(vm);
  const n = rows.length;
  const ts = new Float64Array(n);
  const cpu = new Float64Array(n);
  const mem = new Float64Array(n);
  const net = new Float64Array(n);
  const disk = new Float64Array(n);
  const sizes: VmSize[] = [];
  let k = -1;
  let inBucket = 0;
  for (const r of rows) {
    const b = bucketOf(r.ts);
    if (k < 0 || ts[k] !== b) {
      if (k >= 0 && inBucket > 1) divide(k, inBucket);
      k++;
      ts[k] = b;
      inBucket = 0;
    }
    inBucket++;
    cpu[k] += cpuCoresInUse(r);
    mem[k] += memoryMiBInUse(r);
    net[k] += (r.netRxKBps + r.netTxKBps) * KB;
    disk[k] += (r.diskReadKBps + r.diskWriteKBps) * KB;
    const vcpus = r.cores;
    const memoryMiB = r.memProvisionedKiB / 1024;
    const last = sizes.at(-1);
    if (!last || last.vcpus !== vcpus || last.memoryMiB !== memoryMiB) sizes.push({ ts: b, vcpus, memoryMiB });
  }
  if (k >= 0 && inBucket > 1) divide(k, inBucket);
  function divide(i: number, count: number): void {
    cpu[i] /= count;
    mem[i] /= count;
    net[i] /= count;
    disk[i] /= count;
  }
  const m = k + 1;
  return {
    id: vm.id,
    name: vmNameOf(vm.id),
    ts: ts.subarray(0, m),
    cpu: cpu.subarray(0, m),
    mem: mem.subarray(0, m),
    net: net.subarray(0, m),
    disk: disk.subarray(0, m),
    sizes,
    rowsRead: linesRead,
    rowsMerged: n - m,
    rejected,
  };
}

/** The VM -> class assignment described at the top of this file. */
export function assignClasses(
  ids: readonly string[],
  opts: Pick<ImportOptions, 'classes' | 'classForAll' | 'classOf'>,
): Map<string, string> {
  if (!opts.classForAll && opts.classes.length === 0) throw new ImportError('no classes to assign VMs to');
  const sorted = [...ids].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
  return new Map(
    sorted.map((id, i) => [id, opts.classOf?.get(id) ?? opts.classForAll ?? opts.classes[i % opts.classes.length]]),
  );
}

/**
 * The whole-week shift that moves the last bucket (start `lastBucket`) into the 7 days
 * ending at `now`, with the bucket complete by `now`: lastBucket + shift + 300 <= now
 * and > now − 7 days. A multiple of 7 days, so time-of-day and weekday stay aligned.
 */
export function shiftToNowSeconds(lastBucket: number, now: number): number {
  const weeks = Math.floor((now - 300 - lastBucket) / WEEK_SECONDS);
  return weeks * WEEK_SECONDS;
}

/** Collapses rejections into one line per reason (the offending value left out). */
function summarizeRejections(rejected: readonly RowRejection[], dir?: string): RejectionSummary[] {
  const by = new Map<string, RejectionSummary>();
  for (const r of rejected) {
    const reason = r.reason.startsWith('unreadable') ? r.reason : r.reason.replace(/:\s.*$/, '');
    const s = by.get(reason);
    if (s) s.count++;
    else by.set(reason, { reason, count: 1, example: `${dir ? relative(dir, r.file) : r.file}:${r.line}` });
  }
  return [...by.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

export async function importBitbrains(store: Store, opts: ImportOptions): Promise<ImportReport> {
  const started = performance.now();
  if (!existsSync(opts.dir) || !statSync(opts.dir).isDirectory()) throw new ImportError(`trace folder not found: ${opts.dir}`);
  const vms = listBitbrainsVms(opts.dir);
  if (vms.length === 0) throw new ImportError(`no Bitbrains files (<id>.csv or <id>.csv.gz) found under ${opts.dir}`);
  const ids = new Set(vms.map((v) => v.id));
  for (const id of opts.classOf?.keys() ?? []) {
    if (!ids.has(id)) throw new ImportError(`--class-of: no VM with id ${id} (file ${id}.csv[.gz]) under ${opts.dir}`);
  }
  const classOfVm = assignClasses([...ids], opts);

  // read (gunzip in the thread pool, parsing here), a few VMs at a time
  const grids: GridSeries[] = new Array(vms.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < vms.length) {
      const i = next++;
      grids[i] = await readGrid(vms[i]);
      opts.onVm?.(++done, vms.length, grids[i].name);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 2) }, worker));

  let lastBucket = -Infinity;
  for (const g of grids) if (g.ts.length > 0) lastBucket = Math.max(lastBucket, g.ts[g.ts.length - 1]);
  const shift = opts.shiftToNow && Number.isFinite(lastBucket) ? shiftToNowSeconds(lastBucket, opts.now ?? Math.floor(Date.now() / 1000)) : 0;

  let rowsStored = 0;
  let classRollupsStored = 0;
  let from = Infinity;
  let until = -Infinity;
  store.transaction(() => {
    const classSums = new TickSums();
    for (const g of grids) {
      const cls = classOfVm.get(g.id)!;
      const n = g.ts.length;
      if (n === 0) continue; // every row rejected: nothing to store
      const series = vmSeries(g.name);
      const group = classSeries(cls);
      const rollups: Rollup[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const ts = g.ts[i] + shift;
        const point: UsagePoint = { cpuCores: g.cpu[i], memoryMiB: g.mem[i], netBps: g.net[i], diskBps: g.disk[i] };
        rollups[i] = computeRollup(series, ts, [point])!;
        classSums.add(group, ts, point);
      }
      from = Math.min(from, g.ts[0] + shift);
      until = Math.max(until, g.ts[n - 1] + shift);
      store.upsertImportedVm({
        name: g.name,
        class: cls,
        firstSeen: g.ts[0] + shift,
        lastSeen: g.ts[n - 1] + shift,
        sizes: g.sizes.map((s) => ({ ...s, ts: s.ts + shift })),
        latest: { ts: g.ts[n - 1] + shift, cpuCores: g.cpu[n - 1], memoryMiB: g.mem[n - 1] },
      });
      rowsStored += store.writeRollups(rollups, 'import');
    }
    // one tick per bucket: the class point of a bucket is the sum of its VMs' points
    const classRollups: Rollup[] = [];
    for (const [key, ticks] of classSums.result()) {
      for (const { ts, point } of ticks) {
        const r = computeRollup(key, ts, [point]);
        if (r) classRollups.push(r);
      }
    }
    classRollupsStored = store.writeRollups(classRollups, 'import');
  });

  const rejected = grids.flatMap((g) => g.rejected);
  const classes: Record<string, string[]> = {};
  for (const v of vms) (classes[classOfVm.get(v.id)!] ??= []).push(vmNameOf(v.id));
  return {
    format: 'bitbrains',
    dir: opts.dir,
    vms: vms.length,
    files: vms.reduce((s, v) => s + v.files.length, 0),
    rowsRead: grids.reduce((s, g) => s + g.rowsRead, 0),
    rowsRejected: rejected.length,
    rowsMerged: grids.reduce((s, g) => s + g.rowsMerged, 0),
    rowsStored,
    classRollupsStored,
    rejected: summarizeRejections(rejected, opts.dir),
    from: Number.isFinite(from) ? from : null,
    until: Number.isFinite(until) ? until : null,
    shiftSeconds: shift,
    classes,
    seconds: (performance.now() - started) / 1000,
  };
}
