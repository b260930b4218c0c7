// The series table: each series key ('vm:x', 'class:gold', ...) has a small integer id
// that rollups refer to. Ids never change, so they are cached for the store's lifetime.
import type { Db } from './open.js';
import { PreparedStatements } from './statements.js';

export class SeriesKeys {
  private readonly ids = new Map<string, number>();
  private readonly stmts: PreparedStatements;

  constructor(db: Db) {
    this.stmts = new PreparedStatements(db);
  }

  /** The id of a series, creating the series if it is new. */
  idOf(key: string): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      this.stmts.get(`INSERT OR IGNORE INTO series (key) VALUES (?)`).run(key);
      id = (this.stmts.get(`SELECT id FROM series WHERE key = ?`).get(key) as { id: number }).id;
      this.ids.set(key, id);
    }
    return id;
  }

  /** The id of a series that exists; undefined (and nothing written) otherwise. */
  existingId(key: string): number | undefined {
    const cached = this.ids.get(key);
    if (cached !== undefined) return cached;
    const row = this.stmts.get(`SELECT id FROM series WHERE key = ?`).get(key) as { id: number } | undefined;
    if (row) this.ids.set(key, row.id);
    return row?.id;
  }
}
