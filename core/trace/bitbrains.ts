// Reader for the Bitbrains (GWA-T-12) per-VM CSV traces: one file per VM per month,
// gzipped or plain, `;\t`-separated. It survives the quirks listed in the traces'
// README: "Timestamp [ms]" is really Unix seconds, repeated timestamps, gaps, usage
// above 100%, and rows with 0 cores / 0 capacity / 0 memory. Rows it cannot use are
// reported with a reason, never silently dropped.
import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { gunzip, constants as zlibConstants } from 'node:zlib';
import { promisify } from 'node:util';
import { join } from 'node:path';

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
  /** the file's path as listed (listBitbrainsVms joins it onto the folder given) */
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
/** Column names as the files' header spells them (for rejection reasons). */
const BITBRAINS_COLUMNS = [
  'Timestamp [ms]',
  'CPU cores',
  'CPU capacity provisioned [MHZ]',
  'CPU usage [MHZ]',
  'CPU usage [%]',
  'Memory capacity provisioned [KB]',
  'Memory usage [KB]',
  'Disk read throughput [KB/s]',
  'Disk write throughput [KB/s]',
  'Network received throughput [KB/s]',
  'Network transmitted throughput [KB/s]',
] as const;

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

/**
 * Why a parsed row is not a measurement, or null when it is one. Rows with 0 cores and
 * 0 MHz capacity carry no CPU figure at all (VMs 44, 45, 48 report only such rows until
 * they are provisioned, and some September files interleave them with real rows at the
 * same timestamps): kept, they would read as "idle" and halve averages of duplicates.
 * 0 memory *usage* alone is kept: it is what those VMs report.
 */
function unusableReason(row: TraceRow): string | null {
  if (row.cores <= 0 && row.capacityMhz <= 0 && row.memProvisionedKiB <= 0) return 'VM not provisioned (0 cores, 0 MHz, 0 KB memory)';
  if (row.cores <= 0 || row.capacityMhz <= 0) return 'no CPU provisioned (0 cores or 0 MHz capacity)';
  return null;
}

/**
 * Options of the readers. `keepUnprovisioned` keeps the 0-core / 0-capacity rows that are
 * otherwise rejected: the backtest protocol counts them as 0 cores in use (a
 * switched-off VM), and its cross-check numbers were computed that way.
 */
export interface ReadOptions {
  keepUnprovisioned?: boolean;
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * The number in line[a, b). Fast path for the common plain decimal ("2126.399715594"):
 * with at most 15 digits the mantissa is an exact integer and one division by an exact
 * power of ten is correctly rounded, so the result is bit-identical to Number(). Anything
 * else (exponents, signs, 16+ digits, junk) goes through Number() on the trimmed text.
 * Returns NaN for an empty field.
 */
function fieldNumber(line: string, a: number, b: number): number {
  while (a < b && (line.charCodeAt(a) === 9 || line.charCodeAt(a) === 32)) a++;
  let m = 0;
  let decimals = 0;
  let digits = 0;
  let dot = false;
  let i = a;
  for (; i < b; i++) {
    const c = line.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (dot) decimals++;
    } else if (c === 46 && !dot) dot = true;
    else break;
  }
  if (i === b && digits > 0 && digits <= 15) return decimals === 0 ? m : m / POW10[decimals];
  const text = line.slice(a, b).trim();
  return text === '' ? NaN : Number(text);
}

/** Parses one data line; returns the row or the reason it was rejected. */
export function parseBitbrainsLine(line: string, opts: ReadOptions = {}): TraceRow | string {
  const v = new Array<number>(COLUMNS);
  let a = 0;
  for (let i = 0; i < COLUMNS; i++) {
    let b = line.indexOf(';', a);
    if (b < 0) {
      if (i < COLUMNS - 1) return `expected ${COLUMNS} fields, found ${i + 1}`;
      b = line.length;
    } else if (i === COLUMNS - 1) {
      return `expected ${COLUMNS} fields, found ${line.split(';').length}`;
    }
    const n = fieldNumber(line, a, b);
    if (Number.isNaN(n) && line.slice(a, b).trim() === '') return `field ${i + 1} (${BITBRAINS_COLUMNS[i]}) is empty`;
    if (!Number.isFinite(n)) return `field ${i + 1} (${BITBRAINS_COLUMNS[i]}) is not a number: ${JSON.stringify(line.slice(a, b).trim().slice(0, 20))}`;
    if (n < 0) return `field ${i + 1} (${BITBRAINS_COLUMNS[i]}) is negative: ${n}`;
    v[i] = n;
    a = b + 1;
  }
  // The header calls it milliseconds, but the values are Unix seconds. Accept real
  // milliseconds too, should a file ever use them.
  let ts = v[0];
  if (ts > 1e11) ts = Math.floor(ts / 1000);
  if (ts < 1e8) return `timestamp out of range: ${v[0]}`;
  const row: TraceRow = {
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
  return (opts.keepUnprovisioned ? null : unusableReason(row)) ?? row;
}

export interface ReadResult {
  rows: TraceRow[];
  rejected: RowRejection[];
  linesRead: number;
}

const gunzipAsync = promisify(gunzip);

/**
 * The text of one file, gunzipped when it starts with the gzip magic (whatever its
 * name). A truncated or corrupt gzip yields what could be decompressed plus an error.
 */
async function readText(file: string): Promise<{ text: string; error?: string }> {
  const buf = await readFile(file);
  if (!(buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b)) return { text: buf.toString('utf8') };
  try {
    return { text: (await gunzipAsync(buf)).toString('utf8') };
  } catch (err) {
    // decompress again without insisting on a complete stream, to keep what is there
    let partial = '';
    try {
      partial = (await gunzipAsync(buf, { finishFlush: zlibConstants.Z_SYNC_FLUSH })).toString('utf8');
    } catch {
      /* nothing recoverable */
    }
    return { text: partial, error: (err as Error).message };
  }
}

/** Reads one file (gzip decided by its magic bytes, not its name). */
export async function readBitbrainsFile(file: string, opts: ReadOptions = {}): Promise<ReadResult> {
  const rows: TraceRow[] = [];
  const rejected: RowRejection[] = [];
  let linesRead = 0;
  const { text, error } = await readText(file);
  const lines = text.split('\n');
  // a partial last line of a truncated file is not a row
  if (error !== undefined && lines.length > 0) lines.pop();
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1); // CRLF
    if (i === 0 && /^\s*Timestamp/i.test(line)) continue; // header
    if (line.trim() === '') continue;
    linesRead++;
    const r = parseBitbrainsLine(line, opts);
    if (typeof r === 'string') rejected.push({ file, line: i + 1, reason: r });
    else rows.push(r);
  }
  if (error !== undefined) {
    rejected.push({ file, line: lines.length + 1, reason: `unreadable: ${error}` });
  }
  return { rows, rejected, linesRead };
}

/** All rows of one VM, all months merged, sorted by time (duplicates kept; callers decide). */
export async function readBitbrainsVm(vm: TraceVm, opts: ReadOptions = {}): Promise<ReadResult> {
  const parts = await Promise.all(vm.files.map((f) => readBitbrainsFile(f, opts)));
  const rows = parts.flatMap((p) => p.rows).sort((a, b) => a.ts - b.ts);
  return {
    rows,
    rejected: parts.flatMap((p) => p.rejected),
    linesRead: parts.reduce((s, p) => s + p.linesRead, 0),
  };
}
