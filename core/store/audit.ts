// The audit table: one row for every action virtzone takes (or decides not to take) on
// a VM or a zone — what, why, the values before and after, and how it ended. It is
// append-only; operators read it with `virtzone history`/the API, and the e2e checks
// read it to prove what the daemon did.
import type { Database } from 'better-sqlite3';
import { migrate, type Migration } from './migrate.js';

export const AUDIT_RESULTS = ['ok', 'failed', 'rolled_back', 'skipped'] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];

export interface AuditEntry {
  /** unix seconds (fractional allowed) */
  ts: number;
  /** who acted: 'apply', 'autoscaler', 'cli', 'router', ... */
  actor: string;
  /** domain name, or a zone as 'zone:<name>' for zone-level actions */
  vm: string;
  /** e.g. 'setVcpus', 'setMemory', 'setSchedulerParams', 'setMemoryParams', 'zone-limits' */
  action: string;
  reason: string;
  before: unknown;
  after: unknown;
  result: AuditResult;
  error?: string | null;
}

export interface AuditRow extends AuditEntry {
  id: number;
  error: string | null;
}

export interface AuditQuery {
  vm?: string;
  actor?: string;
  action?: string;
  result?: AuditResult;
  /** unix seconds, inclusive */
  since?: number;
  until?: number;
  /** newest first; default 100, at most 10,000 */
  limit?: number;
}

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'audit table',
    up: (db) => {
      db.exec(`CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        ts REAL NOT NULL,
        actor TEXT NOT NULL,
        vm TEXT NOT NULL,
        action TEXT NOT NULL,
        reason TEXT NOT NULL,
        before TEXT NOT NULL,
        after TEXT NOT NULL,
        result TEXT NOT NULL CHECK (result IN ('ok', 'failed', 'rolled_back', 'skipped')),
        error TEXT
      ) STRICT;
      CREATE INDEX audit_vm_ts ON audit (vm, ts);
      CREATE INDEX audit_ts ON audit (ts);`);
    },
  },
];

/** JSON that survives BigInt (64-bit libvirt values) by writing them as decimal strings. */
function toJson(v: unknown): string {
  return JSON.stringify(v ?? null, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
}

export class AuditLog {
  private readonly insert;

  constructor(private readonly db: Database) {
    migrate(db, 'audit', MIGRATIONS);
    this.insert = db.prepare(
      `INSERT INTO audit (ts, actor, vm, action, reason, before, after, result, error)
       VALUES (@ts, @actor, @vm, @action, @reason, @before, @after, @result, @error)`,
    );
  }

  append(e: AuditEntry): number {
    if (!AUDIT_RESULTS.includes(e.result)) throw new Error(`audit: result ${JSON.stringify(e.result)} is not one of ${AUDIT_RESULTS.join(', ')}`);
    const info = this.insert.run({
      ts: e.ts,
      actor: e.actor,
      vm: e.vm,
      action: e.action,
      reason: e.reason,
      before: toJson(e.before),
      after: toJson(e.after),
      result: e.result,
      error: e.error ?? null,
    });
    return Number(info.lastInsertRowid);
  }

  /** Appends many entries in one transaction. */
  appendAll(entries: readonly AuditEntry[]): void {
    this.db.transaction(() => entries.forEach((e) => this.append(e)))();
  }

  list(q: AuditQuery = {}): AuditRow[] {
    const where: string[] = [];
    const args: Record<string, unknown> = {};
    if (q.vm !== undefined) (where.push('vm = @vm'), (args.vm = q.vm));
    if (q.actor !== undefined) (where.push('actor = @actor'), (args.actor = q.actor));
    if (q.action !== undefined) (where.push('action = @action'), (args.action = q.action));
    if (q.result !== undefined) (where.push('result = @result'), (args.result = q.result));
    if (q.since !== undefined) (where.push('ts >= @since'), (args.since = q.since));
    if (q.until !== undefined) (where.push('ts <= @until'), (args.until = q.until));
    const limit = Math.max(1, Math.min(10_000, Math.floor(q.limit ?? 100)));
    const sql = `SELECT * FROM audit ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY ts DESC, id DESC LIMIT ${limit}`;
    return (this.db.prepare(sql).all(args) as Array<Record<string, unknown>>).map((r) => ({
      id: r.id as number,
      ts: r.ts as number,
      actor: r.actor as string,
      vm: r.vm as string,
      action: r.action as string,
      reason: r.reason as string,
      before: JSON.parse(r.before as string),
      after: JSON.parse(r.after as string),
      result: r.result as AuditResult,
      error: (r.error as string | null) ?? null,
    }));
  }

  /** Count of rows per result, e.g. for `virtzone status` and tests. */
  countByResult(q: Pick<AuditQuery, 'since' | 'actor'> = {}): Record<AuditResult, number> {
    const out: Record<AuditResult, number> = { ok: 0, failed: 0, rolled_back: 0, skipped: 0 };
    const rows = this.db
      .prepare(
        `SELECT result, COUNT(*) AS n FROM audit WHERE ts >= @since ${q.actor !== undefined ? 'AND actor = @actor' : ''} GROUP BY result`,
      )
      .all(q.actor !== undefined ? { since: q.since ?? 0, actor: q.actor } : { since: q.since ?? 0 }) as Array<{ result: AuditResult; n: number }>;
    for (const r of rows) out[r.result] = r.n;
    return out;
  }
}
