// The daemon's logger: pino JSON lines to stdout, which systemd hands to the journal.
// When stdout is the journal (JOURNAL_STREAM names it), each line starts with its
// syslog priority, <3> for an error and so on, as sd-daemon(3) describes: journald
// strips the prefix and files the line at that priority, so `journalctl -p err` shows
// errors and fatal lines, and `journalctl -o cat` still gives the bare JSON.
import { fstatSync } from 'node:fs';
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

/** syslog priorities of pino's levels (sd-daemon.h: SD_CRIT 2 ... SD_DEBUG 7). */
const PRIORITY: Record<string, number> = { fatal: 2, error: 3, warn: 4, info: 6, debug: 7, trace: 7 };

/**
 * Whether fd 1 is the stream systemd connected to the journal: JOURNAL_STREAM is
 * "device:inode" of it, and a child whose stdout was redirected elsewhere inherits the
 * variable but not the stream, so both numbers must match fd 1.
 */
export function stdoutIsJournal(env: NodeJS.ProcessEnv = process.env, fd = 1): boolean {
  const m = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? '');
  if (!m) return false;
  try {
    const st = fstatSync(fd, { bigint: true });
    return st.dev === BigInt(m[1]) && st.ino === BigInt(m[2]);
  } catch {
    return false;
  }
}

/** "<N>" + the line, N from the line's level (it comes first: formatters.level below). */
export function withPriority(line: string): string {
  const m = /^\{"level":"(\w+)"/.exec(line);
  return `<${(m && PRIORITY[m[1]]) ?? 6}>${line}`;
}

export function createLogger(level: LevelWithSilent = 'info', name = 'virtzoned', opts: { journal?: boolean } = {}): Logger {
  const journal = opts.journal ?? stdoutIsJournal();
  // synchronous writes: the last lines before an exit or a crash must reach the journal
  return pino(
    {
      name,
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      ...(journal ? { hooks: { streamWrite: withPriority } } : {}),
    },
    pino.destination({ dest: 1, sync: true }),
  );
}

/**
 * An error line for stderr (a start-up refusal, before or instead of the logger): with
 * the journal on stderr it is filed as an error (<3>), so `journalctl -p err` shows why
 * the daemon did not start.
 */
export function writeErrorLine(text: string): void {
  process.stderr.write(`${stdoutIsJournal(process.env, 2) ? '<3>' : ''}${text}\n`);
}
