// The daemon's logger: pino JSON lines to stdout, which systemd hands to the journal.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

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
