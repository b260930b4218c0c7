// Schema migrations with a version table. Each component (store, reservations,
// models, ...) owns its tables and its own ordered migration list, so components can
// evolve their schema independently: schema_version has one row per component.
import type { Database } from 'better-sqlite3';

export interface Migration {
  version: number; // 1, 2, 3, ... in order
  description: string;
  up: (db: Database) => void;
}

export function migrate(db: Database, component: string, migrations: readonly Migration[]): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    component TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`);
  const current =
    (db.prepare('SELECT version FROM schema_version WHERE component = ?').get(component) as { version: number } | undefined)
      ?.version ?? 0;
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  sorted.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`${component}: migrations must be numbered 1..n, found ${m.version} at ${i + 1}`);
  });
  const latest = sorted.length;
  if (current > latest) {
    throw new Error(`${component}: database schema version ${current} is newer than this virtzone (${latest}); refusing to run`);
  }
  for (const m of sorted.slice(current)) {
    db.transaction(() => {
      m.up(db);
      db.prepare(
        `INSERT INTO schema_version (component, version, applied_at) VALUES (?, ?, unixepoch())
         ON CONFLICT(component) DO UPDATE SET version = excluded.version, applied_at = excluded.applied_at`,
      ).run(component, m.version);
    })();
  }
  return latest;
}
