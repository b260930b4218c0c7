// What every virtzone subcommand prints and how it exits.
//
// Exit codes (the same for every subcommand, for scripts):
//   0  ok
//   1  runtime error (libvirt, database, I/O failed while doing the work)
//   2  usage or bad input (unknown option, bad value, unknown VM, missing file)
//   3  daemon unreachable (no socket / connection refused / timeout / permission denied)
//   4  refused by the daemon's policy: `place` rejected by the overflow manager (retry later)
//
// Data goes to stdout: a table aligned like virsh's by default, JSON with --json.
// Errors go to stderr as one line "virtzone <command>: <message>".
import Table from 'cli-table3';

export const ExitCode = {
  OK: 0,
  RUNTIME: 1,
  USAGE: 2,
  UNREACHABLE: 3,
  REJECTED: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports as one line, exiting with its code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.RUNTIME,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string): CliError => new CliError(message, ExitCode.USAGE);

/** Pretty JSON on stdout; NaN and Infinity print as null (JSON has neither). */
export function printJson(value: unknown, out: NodeJS.WritableStream = process.stdout): void {
  out.write(JSON.stringify(value, null, 2) + '\n');
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

export type Cell = string | number | null | undefined;

/**
 * A table laid out like virsh's: a leading space, columns three spaces apart, a dashed
 * rule under the headers, no borders. Numbers align right when the column says so.
 */
export function renderTable(columns: readonly Column[], rows: readonly Cell[][]): string {
  const blank = {
    top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
    bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
    left: ' ', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '   ',
  };
  const table = new Table({
    head: columns.map((c) => c.header),
    chars: blank,
    colAligns: columns.map((c) => c.align ?? 'left'),
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
  });
  for (const r of rows) table.push(r.map((c) => (c === null || c === undefined ? '-' : String(c))));
  const lines = table.toString().split('\n').map((l) => l.trimEnd());
  const width = Math.max(...lines.map((l) => l.length)) + 1;
  // a header may span lines ("CPU\ncores"): the rule goes under its last line
  const headerLines = Math.max(1, ...columns.map((c) => c.header.split('\n').length));
  lines.splice(headerLines, 0, '-'.repeat(width));
  return lines.join('\n') + '\n';
}

export function printTable(columns: readonly Column[], rows: readonly Cell[][], out: NodeJS.WritableStream = process.stdout): void {
  out.write(renderTable(columns, rows));
}

/** A number with at most `digits` decimals ('-' for null/NaN). */
export function fmtNum(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  return Number(v.toFixed(digits)).toString();
}

/** Unix seconds as 'YYYY-MM-DD HH:MM:SS' in UTC ('-' for null). */
export function fmtTime(unixSeconds: number | null | undefined): string {
  if (unixSeconds === null || unixSeconds === undefined) return '-';
  return new Date(unixSeconds * 1000).toISOString().replace('T', ' ').slice(0, 19);
}

/** Unix seconds as ISO 8601 UTC, for JSON. */
export function isoTime(unixSeconds: number | null | undefined): string | null {
  if (unixSeconds === null || unixSeconds === undefined) return null;
  return new Date(unixSeconds * 1000).toISOString();
}

/** Bytes per second in B/s, KiB/s, MiB/s or GiB/s. */
export function fmtRate(bps: number | null | undefined): string {
  if (bps === null || bps === undefined || !Number.isFinite(bps)) return '-';
  const units = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s'];
  let v = bps;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${fmtNum(v, u === 0 ? 0 : 1)} ${units[u]}`;
}
