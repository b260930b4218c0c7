// SQLite's own consistency checks on a database file: quick_check before the daemon
// trusts its database, integrity_check on a finished backup copy. A damaged file is
// reported as DatabaseCorruptError with SQLite's own words, so the operator learns which
// file it is and what is wrong instead of a stack trace from the first query that
// happens to touch a bad page.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';

export type IntegrityCheck = 'quick_check' | 'integrity_check';

/** How many problems a check reports at most (SQLite's default is 100; one screen is enough). */
const MAX_PROBLEMS = 20;

export class DatabaseCorruptError extends Error {
  constructor(
    readonly path: string,
    readonly check: IntegrityCheck,
    /** what SQLite said: the check's rows, or the error it raised while reading the file */
    readonly problems: readonly string[],
  ) {
    super(`the database ${path} is damaged (${check}: ${problems.join('; ')})`);
    this.name = 'DatabaseCorruptError';
  }
}

// SQLite result codes that mean the bytes of the file are wrong, not that it could not be opened
const DAMAGE_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_VTAB', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_INDEX']);

/**
 * Runs PRAGMA quick_check (or integrity_check) on an open connection; [] when the
 * database is intact, else SQLite's findings. A file too damaged to be read at all
 * (SQLITE_CORRUPT, SQLITE_NOTADB) counts as one finding; any other error is thrown.
 */
export function integrityProblems(db: Database.Database, check: IntegrityCheck = 'quick_check'): string[] {
  try {
    const rows = db.pragma(`${check}(${MAX_PROBLEMS})`, { simple: false }) as Array<Record<string, string>>;
    const findings = rows.map((r) => String(Object.values(r)[0]));
    return findings.length === 1 && findings[0] === 'ok' ? [] : findings;
  } catch (err) {
    if (DAMAGE_CODES.has((err as { code?: string }).code ?? '')) return [(err as Error).message];
    throw err;
  }
}

/**
 * Throws DatabaseCorruptError when the database file at `path` fails `check`. A file that
 * does not exist yet is fine (it is about to be created). Opened read-write on purpose: a
 * WAL left by a killed process is recovered first, so what is checked is what the daemon
 * would read. Errors that are not damage (permissions, a missing directory) are thrown
 * as they are.
 *
 * Cost: quick_check reads every page once (it skips integrity_check's comparison of
 * each index with its table). Measured on a 102 MB database (25,000 pages, 380,000 rows
 * and an index) on a 2-core VM with a virtio disk: 0.16-0.22 s with the file in the page
 * cache, 1.6-2.0 s cold (after dropping the caches, as at boot). Once per start, that is
 * cheap next to serving from a damaged file.
 */
export function assertDatabaseIntact(path: string, check: IntegrityCheck = 'quick_check'): void {
  if (path === ':memory:' || !existsSync(path)) return;
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: true });
  } catch (err) {
    if (DAMAGE_CODES.has((err as { code?: string }).code ?? '')) throw new DatabaseCorruptError(path, check, [(err as Error).message]);
    throw err;
  }
  try {
    db.pragma('busy_timeout = 5000');
    const problems = integrityProblems(db, check);
    if (problems.length > 0) throw new DatabaseCorruptError(path, check, problems);
  } finally {
    db.close();
  }
}
