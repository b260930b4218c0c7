// virtzone backup FILE [--db FILE] [--config FILE] [--force] [--json]: an online copy of
// the daemon's database (SQLite's backup API, core/store/backup.ts), safe while the
// daemon runs. The database is the config's store.path unless --db names one.
import type { Command } from 'commander';
import { ConfigError, loadConfigFile } from '../../core/config/load.js';
import { backupDatabase, BackupError, type BackupResult } from '../../core/store/backup.js';
import { openStoreForReading } from '../db.js';
import { CliError, ExitCode, printJson, usageError } from '../output.js';

interface BackupOptions {
  db?: string;
  config?: string;
  force?: boolean;
  json?: boolean;
}

/** The database to copy: --db, else store.path of the config (--config, else /etc/virtzone/virtzoned.yaml, else the default). */
function databasePath(opts: BackupOptions): string {
  if (opts.db !== undefined) return opts.db;
  try {
    return loadConfigFile(opts.config).store.path;
  } catch (err) {
    if (err instanceof ConfigError) throw usageError(`--config: ${err.message}`);
    throw err;
  }
}

function mebibytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description("copy the daemon's database to FILE, online (safe while virtzoned runs)")
    .argument('<file>', 'backup file to write (refused if it exists, unless --force)')
    .option('--db <file>', 'database to back up (default: store.path of the config)')
    .option('--config <file>', 'virtzoned config whose store.path is backed up (default: /etc/virtzone/virtzoned.yaml if present, else /var/lib/virtzone/virtzone.db)')
    .option('--force', 'replace FILE if it exists')
    .option('--json', 'print what was written as JSON')
    .addHelpText(
      'after',
      `
The copy is written next to FILE under a temporary name, checked with SQLite's
integrity_check and only then renamed to FILE. To restore: stop virtzoned, copy the
backup to store.path (removing any -wal and -shm files next to it), start virtzoned.

Examples:
  virtzone backup /var/backups/virtzone-$(date +%F).db
  virtzone backup --db /srv/virtzone/virtzone.db /mnt/usb/virtzone.db --force --json`,
    )
    .action(async (file: string, opts: BackupOptions) => {
      if (opts.db !== undefined && opts.config !== undefined) throw usageError('give either --db FILE or --config FILE (whose store.path is used), not both');
      const db = databasePath(opts);
      let store;
      try {
        store = openStoreForReading(db);
      } catch (err) {
        // the file came from the config, not from --db: say so
        if (err instanceof CliError && opts.db === undefined) throw new CliError(err.message.replace(/^--db: /, `store.path: `) + ' (pass --db FILE to name the database)', err.exitCode);
        throw err;
      }
      let result: BackupResult;
      try {
        result = await backupDatabase(store.db, db, file, { overwrite: opts.force === true });
      } catch (err) {
        if (err instanceof BackupError) {
          if (err.kind === 'exists') throw usageError(`${err.message}: pass --force to replace it`);
          if (err.kind === 'same-file') throw usageError(err.message);
          throw new CliError(err.message, ExitCode.RUNTIME);
        }
        throw err;
      } finally {
        store.close();
      }
      if (opts.json) {
        printJson({ source: db, ...result, seconds: Number(result.seconds.toFixed(3)) });
        return;
      }
      process.stdout.write(
        `backed up ${db} to ${result.file}: ${result.pages} pages of ${result.pageSize} bytes, ${result.bytes} bytes (${mebibytes(result.bytes)}), integrity ok, ${result.seconds.toFixed(2)} s\n`,
      );
    });
}
