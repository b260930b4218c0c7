// Whether the database still takes writes. On a full disk (or a read-only or failing
// one) SQLite keeps answering reads, so a read probe cannot tell; the daemon's writers
// (the collector every tick) report their outcome here, and /healthz shows it. A later
// successful write clears the failure: the store is healthy again once space is back.

/** SQLite result codes that mean "the storage cannot take writes" (not a bug in a query). */
const STORAGE_CODES = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|CORRUPT|NOTADB)/;

/** True for a better-sqlite3 error that comes from the storage (disk full, I/O error, ...). */
export function isStorageError(err: unknown): boolean {
  return STORAGE_CODES.test(sqliteCode(err) ?? '');
}

function sqliteCode(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : null;
}

export interface WriteHealthStatus {
  ok: boolean;
  detail: string;
}

export class StoreWriteHealth {
  private failure: { at: number; code: string; message: string; count: number } | null = null;
  private lastOkAt: number | null = null;

  constructor(private readonly clock: () => number = Date.now) {}

  /** A write committed. */
  ok(): void {
    this.failure = null;
    this.lastOkAt = this.clock();
  }

  /**
   * A write failed; only storage errors count. Returns true when this one starts a run
   * of failures (the caller logs the first one loudly).
   */
  failed(err: unknown): boolean {
    if (!isStorageError(err)) return false;
    const first = this.failure === null;
    this.failure = { at: this.failure?.at ?? this.clock(), code: sqliteCode(err)!, message: (err as Error).message, count: (this.failure?.count ?? 0) + 1 };
    return first;
  }

  status(): WriteHealthStatus {
    const f = this.failure;
    if (f) {
      return {
        ok: false,
        detail: `writes failing since ${new Date(f.at).toISOString()} (${f.count}x): ${f.code}: ${f.message}`,
      };
    }
    return { ok: true, detail: this.lastOkAt === null ? 'no write yet' : `last write ${new Date(this.lastOkAt).toISOString()}` };
  }
}
