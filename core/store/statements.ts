// Prepared statements of one part of the store, each prepared once, on first use: every
// part owns the SQL it runs, and a read-only store never prepares the writers' statements.
import type { Statement } from 'better-sqlite3';
import type { Db } from './open.js';

export class PreparedStatements {
  private readonly cache = new Map<string, Statement>();

  constructor(private readonly db: Db) {}

  get(sql: string): Statement {
    let s = this.cache.get(sql);
    if (!s) this.cache.set(sql, (s = this.db.prepare(sql)));
    return s;
  }
}
