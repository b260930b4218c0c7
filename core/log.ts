// The daemon's logger: pino JSON lines to stdout, which systemd hands to the journal.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * What every part of the daemon needs of a logger: pino's Logger is one (the composition
 * root hands out children of it), `silentLog` is the one a part uses when given none.
 */
export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };

export function createLogger(level: LevelWithSilent = 'info', name = 'virtzoned'): Logger {
  // synchronous writes: the last lines before an exit or a crash must reach the journal
  return pino(
    {
    name,
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: 1, sync: true }),
  );
}
