// Reader for the Bitbrains (GWA-T-12) per-VM CSV traces: one file per VM per month,
// gzipped or plain, `;\t`-separated. It survives the quirks listed in the traces'
// README: "Timestamp [ms]" is really Unix seconds, repeated timestamps, gaps, usage
// above 100%, and rows with 0 cores / 0 capacity / 0 memory. Rows it cannot use are
// reported with a reason, never silently dropped.
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { basename, join } from 'node:path';

export interface TraceRow {
  ts: number; // unix seconds
  cores: number;
  capacityMhz: number;
  usageMhz: number;
  usagePct: number;
  memProvisionedKiB: number;
  memUsageKiB: number;
  diskReadKBps: number;
  diskWriteKBps: number;
  netRxKBps: number;
  netTxKBps: number;
}

export interface RowRejection {
  file: string;
  line: number;
  reason: string;
}

export interface TraceVm {
  /** the file id, e.g. "407" for 407.csv.gz; the VM is named bitbrains-<id> */
  id: string;
  /** every file of this VM (all months), sorted by path */
  files: string[];
}

const FILE_RE = /^(\d+)\.csv(\.gz)?$/;
const COLUMNS = 11;

/** Finds every VM's files below `dir` (recursively), merging months of the same id. */
export function listBitbrainsVms(dir: string): TraceVm[] {
  const byId = new Map<string, string[]>();
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() || (entry.isSymbolicLink() && statSync(p).isFile())) {
        const m = FILE_RE.exec(entry.name);
        if (m) byId.set(m[1], [...(byId.get(m[1]) ?? []), p]);
      }
    }
  };
  walk(dir);
  return [...byId.entries()]
    .map(([id, files]) => ({ id, files: files.sort() }))
    .sort((a, b) => Number(a.id) - Number(b.id));
}

export function vmNameOf(id: string): string {
  return `bitbrains-${id}`;
}

/** Cores actually in use: usage MHz / (capacity MHz per core); 0 when capacity or cores is 0. */
export function cpuCoresInUse(row: TraceRow): number {
  if (row.cores <= 0 || row.capacityMhz <= 0) return 0;
  const v = row.usageMhz / (row.capacityMhz / row.cores);
  return Number.isFinite(v) && v > 0 ? v : 0;
}

export function memoryMiBInUse(row: TraceRow): number {
  return row.memUsageKiB > 0 ? row.memUsageKiB / 1024 : 0;
}

/** Parses one data line; returns the row or the reason it was rejected. */
export function parseBitbrainsLine(line: string): TraceRow | string {
  const parts = line.split(';');
  if (parts.length !== COLUMNS) return `expected ${COLUMNS} fields, found ${parts.length}`;
  const v = new Array<number>(COLUMNS);
  for (let i = 0; i < COLUMNS; i++) {
    const s = parts[i].trim();
    if (s === '') return `field ${i + 1} is empty`;
    const n = Number(s);
    if (!Number.isFinite(n)) return `field ${i + 1} is not a number: ${JSON.stringify(s.slice(0, 20))}`;
    if (n < 0) return `field ${i + 1} is negative: ${n}`;
    v[i] = n;
  }
  // The header calls it milliseconds, but the values are Unix seconds. Accept real
  // milliseconds too, should a file ever use them.
  let ts = v[0];
  if (ts > 1e11) ts = Math.floor(ts / 1000);
  if (ts < 1e8) return `timestamp out of range: ${v[0]}`;
  return {
    ts: Math.floor(ts),
    cores: v[1],
    capacityMhz: v[2],
    usageMhz: v[3],
    usagePct: v[4],
    memProvisionedKiB: v[5],
    memUsageKiB: v[6],
    diskReadKBps: v[7],
    diskWriteKBps: v[8],
    netRxKBps: v[9],
    netTxKBps: v[10],
  };
}

export interface ReadResult {
  rows: TraceRow[];
  rejected: RowRejection[];
  linesRead: number;
}

/** Streams one file (gzip decided by its magic bytes, not its name). */
export async function readBitbrainsFile(file: string): Promise<ReadResult> {
  const rows: TraceRow[] = [];
  const rejected: RowRejection[] = [];
  let lineNo = 0;
  let linesRead = 0;
  const gz = await isGzip(file);
  const input = gz ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
  const rl = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of rl) {
      lineNo++;
      if (lineNo === 1 && /^\s*Timestamp/i.test(line)) continue; // header
      if (line.trim() === '') continue;
      linesRead++;
      const r = parseBitbrainsLine(line);
      if (typeof r === 'string') rejected.push({ file: basename(file), line: lineNo, reason: r });
      else rows.push(r);
    }
  } catch (err) {
    // A truncated gzip member keeps the rows read so far and reports the rest.
    rejected.push({ file: basename(file), line: lineNo + 1, reason: `unreadable: ${(err as Error).message}` });
  }
  return { rows, rejected, linesRead };
}

async function isGzip(file: string): Promise<boolean> {
  const { open } = await import('node:fs/promises');
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** All rows of one VM, all months merged, sorted by time (duplicates kept; callers decide). */
export async function readBitbrainsVm(vm: TraceVm): Promise<ReadResult> {
  const parts = await Promise.all(vm.files.map(readBitbrainsFile));
  const rows = parts.flatMap((p) => p.rows).sort((a, b) => a.ts - b.ts);
  return {
    rows,
    rejected: parts.flatMap((p) => p.rejected),
    linesRead: parts.reduce((s, p) => s + p.linesRead, 0),
  };
}
