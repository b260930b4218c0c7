// Group commit: placement decisions that arrive in the same event-loop turn run one
// after the other inside ONE write transaction, and every caller is answered only after
// that transaction has committed. Each decision still reads the totals its predecessors
// wrote, so admission is exactly as if serial; the batch only shares the cost of
// BEGIN/COMMIT (the WAL write), which dominates. No savepoint per decision is needed: a
// decision does all its checks first and then at most one INSERT (atomic with its
// triggers), so one that throws has written nothing that must be undone.
import type { ReservationStore } from '../reservations/store.js';

interface Queued {
  fn: () => unknown;
  resolve: (v: any) => void;
  reject: (e: unknown) => void;
}

export class GroupCommit {
  private queue: Queued[] = [];

  constructor(
    private readonly store: Pick<ReservationStore, 'transaction' | 'expireDue'>,
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
            results.push({ ok: true, value: item.fn() });
          } catch (error) {
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
