// Trained forecasts in SQLite (component 'models'): one row per training run with its
// status, the data range it saw, its validation scores and the per-series calibration,
// plus one row per fitted model with its parameters and weights. A failed run is
// recorded with its error and never replaces the last good one: latestGood() is what
// the daemon predicts with.
import type { Database } from 'better-sqlite3';
import { migrate, type Migration } from '../../core/store/migrate.js';
import type { ModelState } from '../model/forecaster.js';
import type { TrainedForecast } from '../train.js';

const MODELS_COMPONENT = 'models';

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'forecast runs and fitted model states',
    up: (db) => {
      db.exec(`
        CREATE TABLE forecast_runs (
          id INTEGER PRIMARY KEY,
          started_at INTEGER NOT NULL,
          finished_at INTEGER,
          status TEXT NOT NULL CHECK (status IN ('running', 'good', 'failed')),
          trigger TEXT NOT NULL,
          format INTEGER,
          data_from INTEGER,
          data_to INTEGER,
          series INTEGER,
          scores TEXT,
          meta TEXT,
          error TEXT
        ) STRICT;
        CREATE INDEX forecast_runs_status ON forecast_runs (status, id);
        CREATE TABLE forecast_model_states (
          run_id INTEGER NOT NULL REFERENCES forecast_runs (id) ON DELETE CASCADE,
          model TEXT NOT NULL,
          version INTEGER NOT NULL,
          params TEXT NOT NULL,
          weights BLOB,
          PRIMARY KEY (run_id, model)
        ) STRICT;
      `);
    },
  },
];

export type RunStatus = 'running' | 'good' | 'failed';

export interface RunRecord {
  id: number;
  startedAt: number;
  finishedAt: number | null;
  status: RunStatus;
  trigger: string;
  dataFrom: number | null;
  dataTo: number | null;
  series: number | null;
  scores: Record<string, Record<string, number>> | null;
  error: string | null;
}

interface RunRow {
  id: number;
  started_at: number;
  finished_at: number | null;
  status: RunStatus;
  trigger: string;
  data_from: number | null;
  data_to: number | null;
  series: number | null;
  scores: string | null;
  error: string | null;
}

const toRecord = (r: RunRow): RunRecord => ({
  id: r.id,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  status: r.status,
  trigger: r.trigger,
  dataFrom: r.data_from,
  dataTo: r.data_to,
  series: r.series,
  scores: r.scores ? (JSON.parse(r.scores) as RunRecord['scores']) : null,
  error: r.error,
});

export class ModelCheckpoints {
  constructor(private readonly db: Database) {
    migrate(db, MODELS_COMPONENT, MIGRATIONS);
  }

  /**
   * Marks runs left 'running' by a process that died as failed (call once at startup,
   * before any run of this process begins).
   */
  recoverInterrupted(now: number): number {
    return this.db
      .prepare(`UPDATE forecast_runs SET status = 'failed', finished_at = ?, error = 'interrupted (the process stopped during training)' WHERE status = 'running'`)
      .run(now).changes;
  }

  beginRun(trigger: string, now: number): number {
    return Number(this.db.prepare(`INSERT INTO forecast_runs (started_at, status, trigger) VALUES (?, 'running', ?)`).run(now, trigger).lastInsertRowid);
  }

  /** Stores the trained forecast and marks the run good, atomically. */
  saveGood(runId: number, trained: TrainedForecast, now: number): void {
    const { models, ...meta } = trained;
    const insert = this.db.prepare(`INSERT INTO forecast_model_states (run_id, model, version, params, weights) VALUES (?, ?, ?, ?, ?)`);
    this.db.transaction(() => {
      for (const m of models) {
        insert.run(runId, m.name, m.version, JSON.stringify(m.params), m.weights ? Buffer.from(m.weights.buffer, m.weights.byteOffset, m.weights.byteLength) : null);
      }
      const changed = this.db
        .prepare(
          `UPDATE forecast_runs SET status = 'good', finished_at = ?, format = ?, data_from = ?, data_to = ?, series = ?, scores = ?, meta = ?
           WHERE id = ? AND status = 'running'`,
        )
        .run(now, trained.format, trained.dataRange.from, trained.dataRange.to, Object.keys(trained.series).length, JSON.stringify(trained.scores), JSON.stringify(meta), runId).changes;
      if (changed !== 1) throw new Error(`checkpoint: run ${runId} is not running (already finished or unknown)`);
    })();
  }

  fail(runId: number, error: string, now: number): void {
    this.db.prepare(`UPDATE forecast_runs SET status = 'failed', finished_at = ?, error = ? WHERE id = ? AND status = 'running'`).run(now, error.slice(0, 4000), runId);
  }

  /** The newest good run with its model states, or undefined. */
  latestGood(): { run: RunRecord; trained: TrainedForecast } | undefined {
    const row = this.db.prepare(`SELECT * FROM forecast_runs WHERE status = 'good' ORDER BY id DESC LIMIT 1`).get() as (RunRow & { meta: string }) | undefined;
    if (!row) return undefined;
    return { run: toRecord(row), trained: this.load(row) };
  }

  /** The id of the newest good run (cheap: to see whether a reload is needed). */
  latestGoodId(): number | undefined {
    return (this.db.prepare(`SELECT id FROM forecast_runs WHERE status = 'good' ORDER BY id DESC LIMIT 1`).get() as { id: number } | undefined)?.id;
  }

  runs(limit = 20): RunRecord[] {
    return (this.db.prepare(`SELECT * FROM forecast_runs ORDER BY id DESC LIMIT ?`).all(limit) as RunRow[]).map(toRecord);
  }

  /** Keeps the newest `keepGood` good runs' states and the newest `keepFailed` failures. */
  prune(keepGood = 3, keepFailed = 20): number {
    return this.db.transaction(() => {
      const a = this.db
        .prepare(`DELETE FROM forecast_runs WHERE status = 'good' AND id NOT IN (SELECT id FROM forecast_runs WHERE status = 'good' ORDER BY id DESC LIMIT ?)`)
        .run(keepGood).changes;
      const b = this.db
        .prepare(`DELETE FROM forecast_runs WHERE status = 'failed' AND id NOT IN (SELECT id FROM forecast_runs WHERE status = 'failed' ORDER BY id DESC LIMIT ?)`)
        .run(keepFailed).changes;
      return a + b;
    })();
  }

  private load(row: RunRow & { meta: string }): TrainedForecast {
    const states = this.db.prepare(`SELECT model, version, params, weights FROM forecast_model_states WHERE run_id = ? ORDER BY model`).all(row.id) as Array<{
      model: string;
      version: number;
      params: string;
      weights: Buffer | null;
    }>;
    const meta = JSON.parse(row.meta) as Omit<TrainedForecast, 'models'>;
    const models: ModelState[] = states.map((s) => ({
      name: s.model as ModelState['name'],
      version: s.version,
      params: JSON.parse(s.params) as unknown,
      ...(s.weights ? { weights: new Uint8Array(s.weights.buffer, s.weights.byteOffset, s.weights.byteLength) } : {}),
    }));
    return { ...meta, models };
  }
}
