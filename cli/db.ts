// Opens the store for the CLI's offline commands (--db FILE), turning a missing or
// foreign file into a usage error (exit 2) that names the file.
import { Store, StoreError } from '../core/store/store.js';
import { CliError, ExitCode } from './output.js';

export function openStoreForReading(path: string): Store {
  try {
    return Store.openReadOnly(path);
  } catch (err) {
    if (err instanceof StoreError) {
      throw new CliError(`--db: ${err.message}`, err.kind === 'unreadable' ? ExitCode.RUNTIME : ExitCode.USAGE);
    }
    throw err;
  }
}
