// virtzone audit [--since T] [--until T] [--vm NAME] [--actor A] [--action X] [--result R]
// [--limit N] [--json]: what virtzone did (or decided not to do), why, and the values
// before and after, newest first (GET /v1/audit).
import { Option, type Command } from 'commander';
import { parseTimeArg } from '../args.js';
import { addConnectionOptions, DaemonClient, type ConnectionOptions } from '../client.js';
import { fmtTime, isoTime, printJson, renderTable, usageError } from '../output.js';

import { AUDIT_RESULTS, type AuditRow } from '../../core/store/audit.js';

const LIMIT_MAX = 10_000;

/** One row as GET /v1/audit answers (router/schemas/audit.ts AuditRowView): the table's row. */
export type AuditRowReply = AuditRow;

export interface AuditFilter {
  since?: number;
  until?: number;
  vm?: string;
  actor?: string;
  action?: string;
  result?: string;
  limit?: number;
}

/**
 * A time for --since/--until: what `virtzone history` accepts (ISO 8601, -2h, now, unix
 * seconds), and a bare duration ("1h", "7d") meaning that long ago.
 */
export function parseAuditTime(value: string, option: string, nowSeconds?: number): number {
  const ago = /^\s*(\d+(?:\.\d+)?[smhdw])\s*$/.exec(value);
  return parseTimeArg(ago ? `-${ago[1]}` : value, option, nowSeconds);
}

/** --limit: a whole number 1..10000. */
export function parseLimit(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || Number(value) > LIMIT_MAX) {
    throw usageError(`--limit: ${JSON.stringify(value)} is not a whole number from 1 to ${LIMIT_MAX}`);
  }
  return Number(value);
}

export function fetchAudit(client: DaemonClient, f: AuditFilter): Promise<AuditRowReply[]> {
  return client.get<AuditRowReply[]>('/v1/audit', { query: { ...f } });
}

const MAX_VALUE = 40;
const MAX_CHANGE = 72;

const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A value in a few characters: '-' for nothing, strings bare, anything else compact JSON. */
function brief(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'string') return clip(v, MAX_VALUE);
  return clip(JSON.stringify(v), MAX_VALUE);
}

/**
 * before → after in one short line. Two objects show only the keys that changed
 * ("vcpus 2→4, memoryMiB 2048→1024"; "source=api" for a key only the after has),
 * anything else the two values.
 */
export function describeChange(before: unknown, after: unknown): string {
  let text: string;
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    const changed = keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    // a key only the after names (what a switch recorded besides the change) as key=value
    const part = (k: string) => (k in before ? `${k} ${brief(before[k])}→${brief(after[k])}` : `${k}=${brief(after[k])}`);
    text = changed.length ? changed.map(part).join(', ') : 'no change';
  } else {
    text = `${brief(before)} → ${brief(after)}`;
  }
  return clip(text, MAX_CHANGE);
}

export function renderAudit(rows: readonly AuditRowReply[]): string {
  return renderTable(
    [{ header: 'Time (UTC)' }, { header: 'Actor' }, { header: 'VM' }, { header: 'Action' }, { header: 'Result' }, { header: 'Before → after' }, { header: 'Reason' }],
    rows.map((r) => [fmtTime(Math.floor(r.ts)), r.actor, r.vm, r.action, r.result, describeChange(r.before, r.after), r.error ? `${r.reason} (error: ${r.error})` : r.reason]),
  );
}

/** Rows for --json: the daemon's, each with its time as ISO 8601 too. */
export const auditJson = (rows: readonly AuditRowReply[]) => rows.map((r) => ({ ...r, time: isoTime(r.ts) }));

interface AuditOptions extends ConnectionOptions {
  since?: string;
  until?: string;
  vm?: string;
  actor?: string;
  action?: string;
  result?: string;
  limit?: string;
  json?: boolean;
}

export function registerAudit(program: Command): void {
  const cmd = program
    .command('audit')
    .description('show what virtzone did or decided not to do: who, to which VM, why, before and after (newest first)')
    .option('--since <time>', 'from this time: 1h / 7d (that long ago), ISO 8601, -2h, now, unix seconds')
    .option('--until <time>', 'up to (including) this time, same forms as --since')
    .option('--vm <name>', 'only rows about this VM ("host" for mode switches, "zone:NAME" for zones)')
    .option('--actor <name>', 'only rows by this actor (config, autoscaler, apply, router, a credential name, ...)')
    .option('--action <name>', 'only rows of this action (set-mode, setVcpus, setMemory, zone-limits, ...)')
    .addOption(new Option('--result <result>', 'only rows that ended so').choices(AUDIT_RESULTS))
    .option('--limit <n>', `at most N rows, 1..${LIMIT_MAX} (default 100)`)
    .option('--json', 'print JSON (the rows, with before/after in full) instead of a table');
  addConnectionOptions(cmd)
    .addHelpText(
      'after',
      `
Every change virtzone makes to a VM or a zone, and every switch of the mode, is kept in the
audit table with its reason, the values before and after, and how it ended (ok, failed,
rolled_back, skipped).

Examples:
  virtzone audit                                  the latest 100 rows
  virtzone audit --since 1h --result failed       what failed in the last hour
  virtzone audit --vm web-01 --limit 20
  virtzone audit --action set-mode --json | jq '.[0].after'`,
    )
    .action(async (opts: AuditOptions) => {
      const since = opts.since !== undefined ? parseAuditTime(opts.since, '--since') : undefined;
      const until = opts.until !== undefined ? parseAuditTime(opts.until, '--until') : undefined;
      if (since !== undefined && until !== undefined && until < since) throw usageError(`--until (${isoTime(until)}) is before --since (${isoTime(since)})`);
      const limit = parseLimit(opts.limit);
      for (const [option, v] of [['--vm', opts.vm], ['--actor', opts.actor], ['--action', opts.action]] as const) {
        if (v !== undefined && v.trim() === '') throw usageError(`${option}: empty`);
      }
      const rows = await fetchAudit(DaemonClient.fromOptions(opts), { since, until, vm: opts.vm, actor: opts.actor, action: opts.action, result: opts.result, limit });
      if (opts.json) return printJson(auditJson(rows));
      process.stdout.write(renderAudit(rows));
      if (rows.length === 0) process.stderr.write('virtzone audit: no rows match\n');
    });
}
