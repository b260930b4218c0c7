// Group commit: placement decisions that arrive in the same event-loop turn run one
// after the other inside ONE write transaction, and every caller is answered only after
// that transaction has committed. Each decision still reads the totals its predecessors
// wrote, so admission is exactly as if serial; the batch only shares the cost of
// BEGIN/COMMIT (the WAL write), which dominates. Each decision runs in a SAVEPOINT of
// the batch: one that throws has all its writes rolled back (ROLLBACK TO) and is answered
// with its error, while the others of the batch commit. So a failing decision can never
// leave half of itself in the batch, whatever it wrote before it threw.
import type { ReservationStore } from '../reservations/store.js';

interface Queued {
  fn: () => unknown;
  resolve: (v: any) => void;
  reject: (e: unknown) => void;
}

export class GroupCommit {
  private queue: Queued[] = [];

  constructor(
    private readonly store: Pick<ReservationStore, 'transaction' | 'savepoint' | 'inTransaction' | 'expireDue'>,
    private readonly now: () => number,
  ) {}

  /**
   * Runs fn inside the next batch's IMMEDIATE transaction (after reservations past their
   * TTL were expired in it); resolves with its value once the batch has committed.
   */
  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    const results: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.store.transaction(() => {
        this.store.expireDue(this.now());
        for (const item of batch) {
          try {
            results.push({ ok: true, value: this.store.savepoint(item.fn) });
          } catch (error) {
            // SQLite rolled the whole transaction back (a full disk, an I/O error): nothing
            // of the batch is stored, and what follows must not run outside it
            if (!this.store.inTransaction) throw error;
            results.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // the commit itself failed: nothing of the batch was stored
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const r = results[i];
      if (r.ok) item.resolve(r.value);
      else item.reject(r.error);
    });
  }
}
