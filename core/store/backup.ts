// An online copy of a database with SQLite's backup API, safe while the daemon runs and
// writes: the pages are copied in one step, inside one read transaction, so the copy is
// the database as of one commit (in WAL mode a reader blocks no writer; it only keeps a
// checkpoint from going past its snapshot while it copies). The copy is written under a
// temporary name in the target's directory, checked with integrity_check, synced and only
// then renamed: a file with the final name is always a whole, checked backup.
import Database from 'better-sqlite3';
import { basename, dirname, join, resolve } from 'node:path';
import { closeSync, existsSync, fsyncSync, openSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import type { Db } from './open.js';
import { integrityProblems } from './integrity.js';

export interface BackupResult {
  /** the backup file written (absolute) */
  file: string;
  pages: number;
  pageSize: number;
  bytes: number;
  /** integrity_check of the copy: always 'ok' (a copy that fails it is not kept) */
  integrity: 'ok';
  seconds: number;
}

export class BackupError extends Error {
  constructor(
    message: string,
    /** exists: the target is there and overwriting was not asked for; target: it cannot be written; copy: the copy failed its check */
    readonly kind: 'exists' | 'same-file' | 'target' | 'copy',
  ) {
    super(message);
    this.name = 'BackupError';
  }
}

/** Pages per backup step: all that remain, so the copy is taken in one read transaction. */
const ALL_PAGES = 0x7fffffff;

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

function fsyncPath(path: string, flags: 'r' | 'r+' = 'r'): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Copies the database open on `source` (its file at `sourcePath`) to `target`. Refuses an
 * existing target unless `overwrite`, and never the source file itself. The copy is in
 * rollback-journal mode (one self-contained file: restore it by putting it where
 * store.path points while the daemon is stopped).
 */
export async function backupDatabase(source: Db, sourcePath: string, target: string, opts: { overwrite?: boolean } = {}): Promise<BackupResult> {
  const file = resolve(target);
  const dir = dirname(file);
  if (sameFile(file, sourcePath)) throw new BackupError(`${target} is the database being backed up`, 'same-file');
  if (!existsSync(dir)) throw new BackupError(`cannot write ${target}: directory ${dir} does not exist`, 'target');
  if (!statSync(dir).isDirectory()) throw new BackupError(`cannot write ${target}: ${dir} is not a directory`, 'target');
  if (existsSync(file)) {
    if (statSync(file).isDirectory()) throw new BackupError(`cannot write ${target}: it is a directory`, 'target');
    if (!opts.overwrite) throw new BackupError(`${target} exists`, 'exists');
  }
  const started = process.hrtime.bigint();
  const partial = join(dir, `.${basename(file)}.partial-${process.pid}`);
  const removePartial = () => {
    for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(partial + suffix, { force: true });
  };
  removePartial();
  try {
    let pages: number;
    try {
      pages = (await source.backup(partial, { progress: () => ALL_PAGES })).totalPages;
    } catch (err) {
      throw new BackupError(`cannot write ${target}: ${(err as Error).message}`, 'target');
    }
    const copy = new Database(partial, { fileMustExist: true });
    let pageSize: number;
    try {
      // the copy keeps the source's WAL flag in its header: make it one self-contained file
      copy.pragma('journal_mode = DELETE');
      const problems = integrityProblems(copy, 'integrity_check');
      if (problems.length > 0) throw new BackupError(`the copy failed integrity_check (${problems.join('; ')}); nothing was written to ${target}`, 'copy');
      pageSize = copy.pragma('page_size', { simple: true }) as number;
    } finally {
      copy.close();
    }
    fsyncPath(partial, 'r+');
    renameSync(partial, file);
    fsyncPath(dir); // the rename itself survives a power loss
    return {
      file,
      pages,
      pageSize,
      bytes: statSync(file).size,
      integrity: 'ok',
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    };
  } catch (err) {
    removePartial();
    if (err instanceof BackupError) throw err;
    throw new BackupError(`cannot write ${target}: ${(err as Error).message}`, 'target');
  }
}
