// What the daemon does on the signals an operator or systemd sends it:
//   SIGHUP  (systemctl reload)  -> reload(): re-read the config; if it fails the running
//                                  config stays and the reason is logged. Reloads never
//                                  overlap: a SIGHUP during a reload queues one more.
//   SIGTERM (systemctl stop)    -> shutdown(): finish the current tick, close cleanly, exit 0.
//   SIGINT  (Ctrl-C by hand)    -> the same; a second Ctrl-C exits at once (130).
// The module only sequences; what reloading and shutting down mean is the caller's.
import type { Notifier } from './notify.js';
import type { Log } from '../../core/log.js';

export interface SignalHandlerOptions {
  /** Re-read and apply the configuration. A rejection is logged; the daemon goes on. */
  reload: () => Promise<void>;
  /** Stop accepting work, let the current tick finish, close stores and sockets. */
  shutdown: () => Promise<void>;
  log: Log;
  /** systemd notifications around reload and stop (RELOADING=1 / READY=1 / STOPPING=1). */
  notifier?: Pick<Notifier, 'reloading' | 'ready' | 'stopping'>;
  /** Ends the process; defaults to process.exit. */
  exit?: (code: number) => void;
  /**
   * Give up on a shutdown that has not finished after this long and exit 1. Default 0:
   * never (under systemd, TimeoutStopSec= and its SIGKILL are the backstop).
   */
  forceExitAfterMs?: number;
}

export interface SignalHandlers {
  /** true once SIGTERM/SIGINT arrived. */
  readonly shuttingDown: boolean;
  /** Runs the same reload a SIGHUP would (e.g. for an API endpoint); resolves when done. */
  reloadNow(): Promise<void>;
  /** Removes the listeners (tests; a second install). */
  uninstall(): void;
}

const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export function installSignalHandlers(options: SignalHandlerOptions): SignalHandlers {
  const { reload, shutdown, log, notifier } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let shuttingDown = false;
  let reloadRunning: Promise<void> | undefined;
  let reloadQueued = false;

  async function runReloads(): Promise<void> {
    do {
      reloadQueued = false;
      notifier?.reloading('reloading configuration');
      const started = Date.now();
      try {
        await reload();
      } catch (err) {
        log.error({ err }, 'configuration reload failed; the running configuration stays in effect');
      } finally {
        notifier?.ready('running');
      }
      log.info({ durationMs: Date.now() - started }, 'reload finished');
    } while (reloadQueued && !shuttingDown);
  }

  function requestReload(): Promise<void> {
    if (shuttingDown) {
      log.warn({}, 'reload requested during shutdown; ignored');
      return Promise.resolve();
    }
    if (reloadRunning) {
      // the file may have changed again after the running reload read it: read once more
      reloadQueued = true;
      return reloadRunning;
    }
    reloadRunning = runReloads().finally(() => {
      reloadRunning = undefined;
    });
    return reloadRunning;
  }

  const onHup = () => {
    log.info({ signal: 'SIGHUP' }, 'reloading configuration');
    void requestReload();
  };

  async function runShutdown(signal: string): Promise<void> {
    notifier?.stopping('shutting down');
    let forceTimer: NodeJS.Timeout | undefined;
    if (options.forceExitAfterMs && options.forceExitAfterMs > 0) {
      forceTimer = setTimeout(() => {
        log.error({ signal, afterMs: options.forceExitAfterMs }, 'shutdown did not finish in time; exiting anyway');
        exit(1);
      }, options.forceExitAfterMs);
      forceTimer.unref();
    }
    let code = 0;
    try {
      if (reloadRunning) await reloadRunning; // never close under a half-applied config
      await shutdown();
      log.info({ signal }, 'shut down cleanly');
    } catch (err) {
      code = 1;
      log.error({ err, signal }, 'shutdown failed');
    } finally {
      if (forceTimer) clearTimeout(forceTimer);
    }
    exit(code);
  }

  const onStop = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      if (signal === 'SIGINT') {
        log.warn({ signal }, 'second interrupt; exiting without waiting for the shutdown to finish');
        exit(130);
      } else {
        log.warn({ signal }, 'already shutting down');
      }
      return;
    }
    shuttingDown = true;
    log.info({ signal }, 'shutting down: finishing the current work');
    void runShutdown(signal);
  };

  process.on('SIGHUP', onHup);
  for (const s of STOP_SIGNALS) process.on(s, onStop);

  return {
    get shuttingDown() {
      return shuttingDown;
    },
    reloadNow: requestReload,
    uninstall() {
      process.off('SIGHUP', onHup);
      for (const s of STOP_SIGNALS) process.off(s, onStop);
    },
  };
}
