// Retention: deletes raw samples and collector rollups past their age, in small batches
// (each its own short transaction) so one call never holds the database for long.
import type { Db } from './open.js';
import { PreparedStatements } from './statements.js';

export interface RetentionOptions {
  /** raw samples older than this are deleted by retention (config store.rawRetentionHours) */
  rawRetentionHours?: number;
  /** collector rollups older than this are deleted (config store.rollupRetentionDays) */
  rollupRetentionDays?: number;
}

export interface RetentionResult {
  samplesDeleted: number;
  rollupsDeleted: number;
  /** false when the batch budget ran out before everything old was gone */
  complete: boolean;
}

const DAY = 86_400;

export class Retention {
  readonly rawRetentionSeconds: number;
  readonly rollupRetentionSeconds: number;
  private readonly stmts: PreparedStatements;

  constructor(db: Db, opts: RetentionOptions = {}) {
    this.rawRetentionSeconds = (opts.rawRetentionHours ?? 48) * 3600;
    this.rollupRetentionSeconds = (opts.rollupRetentionDays ?? 90) * DAY;
    this.stmts = new PreparedStatements(db);
  }

  /**
   * Deletes raw samples older than the raw retention and collector rollups older than
   * the rollup retention, in batches of `batchSize` rows, at most `maxBatches` batches
   * per call, so a call stays cheap; call it again later if `complete` is false.
   * Imported history is kept unless `includeImported`.
   */
  run(now: number, opts: { batchSize?: number; maxBatches?: number; includeImported?: boolean } = {}): RetentionResult {
    const batchSize = opts.batchSize ?? 5000;
    let budget = opts.maxBatches ?? 20;
    const rawCutoff = now - this.rawRetentionSeconds;
    const rollupCutoff = now - this.rollupRetentionSeconds;
    const delSamples = this.stmts.get(
      `DELETE FROM samples WHERE (ts, vm_id) IN (SELECT ts, vm_id FROM samples WHERE ts < ? ORDER BY ts LIMIT ?)`,
    );
    const delRollups = this.stmts.get(
      opts.includeImported
        ? `DELETE FROM rollups WHERE (series_id, ts) IN (SELECT series_id, ts FROM rollups WHERE ts < ? LIMIT ?)`
        : `DELETE FROM rollups WHERE (series_id, ts) IN (SELECT series_id, ts FROM rollups INDEXED BY rollups_retention WHERE source <> 'import' AND ts < ? LIMIT ?)`,
    );
    let samplesDeleted = 0;
    let rollupsDeleted = 0;
    let samplesDone = false;
    let rollupsDone = false;
    while (budget > 0 && !(samplesDone && rollupsDone)) {
      budget--;
      if (!samplesDone) {
        const n = delSamples.run(rawCutoff, batchSize).changes;
        samplesDeleted += n;
        samplesDone = n < batchSize;
      } else {
        const n = delRollups.run(rollupCutoff, batchSize).changes;
        rollupsDeleted += n;
        rollupsDone = n < batchSize;
      }
    }
    return { samplesDeleted, rollupsDeleted, complete: samplesDone && rollupsDone };
  }
}
