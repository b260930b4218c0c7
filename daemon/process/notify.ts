// systemd's service notification protocol (sd_notify(3)) for a Type=notify unit:
// readiness, reload and stop announcements, status text, start-timeout extension and
// watchdog keep-alives. Outside systemd ($NOTIFY_SOCKET unset) every call is a no-op,
// so the daemon runs the same way by hand, in tests and under the unit.
//
// The transport is one unix datagram per message; Node cannot send those, so a
// small C addon (native/sd_notify.c) does the sendto(2). All protocol logic is here.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Log } from '../../core/log.js';

export interface Notifier {
  /** true when running under a Type=notify unit ($NOTIFY_SOCKET is set). */
  readonly enabled: boolean;
  /** Ping period when systemd's watchdog is armed for this process (half of WatchdogSec), else undefined. */
  readonly watchdogIntervalMs: number | undefined;
  /** READY=1: startup (or a reload) finished; systemd marks the unit active. */
  ready(status?: string): boolean;
  /** RELOADING=1 (with MONOTONIC_USEC, as Type=notify-reload wants); end it with ready(). */
  reloading(status?: string): boolean;
  /** STOPPING=1: shutdown has begun. */
  stopping(status?: string): boolean;
  /** STATUS=...: one line shown by `systemctl status`. */
  status(text: string): boolean;
  /** EXTEND_TIMEOUT_USEC: the current start/stop step needs up to `ms` more. */
  extendTimeout(ms: number): boolean;
  /** WATCHDOG=1: one keep-alive. */
  watchdog(): boolean;
  /**
   * Pings the watchdog from a timer on the event loop, so a stuck loop (a blocking
   * bug) stops the pings and systemd restarts the daemon. No-op when not armed.
   * Returns a function that stops the pings.
   */
  startWatchdog(): () => void;
}

export type NotifySend = (socketPath: string, message: string) => void;

export class NotifyUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotifyUnavailableError';
  }
}

const ADDON_NAME = 'virtzone_sd_notify.node';

function packageRoot(from: string): string | undefined {
  let dir = from;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'virtzone') return dir;
      } catch {
        // not ours; keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Where the addon may be: its own node-gyp build, or merged into the root build. */
export function sdNotifyAddonCandidates(): string[] {
  const root = packageRoot(dirname(fileURLToPath(import.meta.url)));
  if (!root) return [];
  return [
    join(root, 'daemon', 'process', 'native', 'build', 'Release', ADDON_NAME),
    join(root, 'build', 'Release', ADDON_NAME),
  ];
}

let loadedSend: NotifySend | undefined;

/** Loads the native transport; throws NotifyUnavailableError naming how to build it. */
export function loadSdNotifySend(): NotifySend {
  if (loadedSend) return loadedSend;
  const candidates = sdNotifyAddonCandidates();
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new NotifyUnavailableError(
      `NOTIFY_SOCKET is set (systemd Type=notify) but the sd_notify addon is not built; ` +
        `run "npm run build:native" (looked in: ${candidates.join(', ') || 'no package root found'})`,
    );
  }
  const addon = createRequire(import.meta.url)(found) as { send: NotifySend };
  loadedSend = addon.send;
  return loadedSend;
}

function oneLine(text: string): string {
  // each line of a notification is one VAR=value assignment: a newline would start a new one
  return text.replace(/[\r\n]+/g, ' ').trim();
}

/** CLOCK_MONOTONIC in µs: libuv's hrtime reads CLOCK_MONOTONIC on Linux, as systemd does. */
function monotonicUsec(): bigint {
  return process.hrtime.bigint() / 1000n;
}

/**
 * The watchdog period for this process from $WATCHDOG_USEC / $WATCHDOG_PID, as
 * sd_watchdog_enabled(3) reads them: undefined when unset, invalid, or meant for
 * another PID. The returned interval is half the timeout, as systemd recommends.
 */
export function watchdogIntervalFromEnv(env: NodeJS.ProcessEnv, pid = process.pid): number | undefined {
  const usecText = env.WATCHDOG_USEC;
  if (!usecText || !/^\d+$/.test(usecText)) return undefined;
  const usec = Number(usecText);
  if (!Number.isSafeInteger(usec) || usec <= 0) return undefined;
  const pidText = env.WATCHDOG_PID;
  if (pidText !== undefined && pidText !== '' && Number(pidText) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2 / 1000));
}

export interface NotifierOptions {
  env?: NodeJS.ProcessEnv;
  log?: Log;
  /** the datagram transport; defaults to the native addon, loaded only when NOTIFY_SOCKET is set */
  send?: NotifySend;
}

/**
 * Builds the notifier from the environment systemd gives a Type=notify service.
 * Throws NotifyUnavailableError when NOTIFY_SOCKET is set but the addon is missing:
 * failing at once beats systemd waiting TimeoutStartSec for a READY=1 that never comes.
 */
export function createNotifier(options: NotifierOptions = {}): Notifier {
  const env = options.env ?? process.env;
  const log = options.log;
  const socketPath = env.NOTIFY_SOCKET && env.NOTIFY_SOCKET.length > 0 ? env.NOTIFY_SOCKET : undefined;
  const transport = socketPath ? (options.send ?? loadSdNotifySend()) : undefined;
  const watchdogIntervalMs = socketPath ? watchdogIntervalFromEnv(env) : undefined;
  let lastFailure: string | undefined;

  function notify(lines: string[]): boolean {
    if (!socketPath || !transport) return false;
    try {
      transport(socketPath, lines.join('\n'));
      lastFailure = undefined;
      return true;
    } catch (err) {
      // log a failure once per distinct cause, not once per watchdog ping
      const cause = `${(err as NodeJS.ErrnoException).code ?? ''} ${(err as Error).message}`;
      if (cause !== lastFailure) {
        lastFailure = cause;
        log?.warn({ err, socket: socketPath, message: lines[0] }, 'sd_notify failed');
      }
      return false;
    }
  }

  const withStatus = (first: string[], status?: string) =>
    status === undefined ? first : [...first, `STATUS=${oneLine(status)}`];

  return {
    enabled: socketPath !== undefined,
    watchdogIntervalMs,
    ready: (status) => notify(withStatus(['READY=1'], status)),
    reloading: (status) => notify(withStatus(['RELOADING=1', `MONOTONIC_USEC=${monotonicUsec()}`], status)),
    stopping: (status) => notify(withStatus(['STOPPING=1'], status)),
    status: (text) => notify([`STATUS=${oneLine(text)}`]),
    extendTimeout: (ms) => notify([`EXTEND_TIMEOUT_USEC=${Math.max(0, Math.round(ms * 1000))}`]),
    watchdog: () => notify(['WATCHDOG=1']),
    startWatchdog() {
      if (watchdogIntervalMs === undefined) return () => {};
      const timer = setInterval(() => notify(['WATCHDOG=1']), watchdogIntervalMs);
      timer.unref(); // the pings must not keep an otherwise finished process alive
      notify(['WATCHDOG=1']);
      return () => clearInterval(timer);
    },
  };
}
