import type { Log } from './log.js';
// A periodic job that never overlaps itself and can be stopped between ticks: what
// "SIGTERM finishes the current tick" needs. stop() cancels the next tick and resolves
// once the tick in flight (if any) has finished, so the caller can then close the
// store and sockets without cutting a tick's transaction in half. Every periodic loop
// of the daemon runs on it (collector, plan refresh, auto-scaler).
/** setTimeout/clearTimeout, injectable so tests drive time. */
export interface Timer {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Node's timers, unref'd: a pending tick does not hold the process open on its own (the
 * daemon's sockets do), so an exiting process never waits out an interval.
 */
export const realTimer: Timer = {
  setTimeout: (fn, ms) => {
    const h = setTimeout(fn, ms);
    h.unref?.();
    return h;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Node's timers as they are: a pending tick keeps the process alive (the ticker's default). */
export const keepAliveTimer: Timer = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * When the next tick starts, after a tick that took `elapsedMs`:
 * - 'fixed-rate': one interval after the previous start; a tick that overran its interval
 *   is followed at once.
 * - 'grid': on the next slot of the grid start + k·interval; a tick that overran skips the
 *   slots it missed instead of drifting (a 25 s tick every 10 s: the next one at 30 s).
 */
export type TickCadence = 'fixed-rate' | 'grid';

export interface TickerOptions {
  /** name used in log lines (e.g. "collector") */
  name: string;
  intervalMs: number;
  /**
   * One unit of work; a rejection is logged and the next tick runs as usual. The signal
   * aborts when stop() is called: a long tick may end early at a safe point.
   */
  tick: (signal: AbortSignal) => Promise<void>;
  log: Log;
  /** run the first tick at once instead of after one interval (default true) */
  immediate?: boolean;
  /** default 'fixed-rate' */
  cadence?: TickCadence;
  /** default keepAliveTimer; realTimer for a loop that must not hold the process open */
  timer?: Timer;
  /** unix ms, measures how long a tick took (default Date.now) */
  clock?: () => number;
}

export interface Ticker {
  readonly ticking: boolean;
  /** number of ticks started so far */
  readonly count: number;
  readonly intervalMs: number;
  /**
   * A new interval (e.g. a reloaded configuration). A pending wait is replaced by a tick
   * now, and the new interval holds from there: waiting out the old (maybe long) interval
   * would delay it. A tick in flight is followed after the new interval. The same
   * interval changes nothing.
   */
  setIntervalMs(intervalMs: number): void;
  /** Stops scheduling; resolves when the tick in flight is done. Idempotent. */
  stop(): Promise<void>;
}

/** The wait before the next tick, after one that took `elapsedMs` (see TickCadence). */
export function nextTickDelayMs(cadence: TickCadence, intervalMs: number, elapsedMs: number): number {
  // a clock stepped back during the tick reads as a tick that took no time
  const elapsed = Math.max(0, elapsedMs);
  if (cadence === 'grid') return intervalMs - (elapsed % intervalMs);
  return Math.max(0, intervalMs - elapsed);
}

export function startTicker(options: TickerOptions): Ticker {
  const { name, tick, log } = options;
  const timer = options.timer ?? keepAliveTimer;
  const clock = options.clock ?? Date.now;
  const cadence = options.cadence ?? 'fixed-rate';
  let intervalMs = checkedInterval(name, options.intervalMs);
  const abort = new AbortController();
  let handle: unknown;
  let waiting = false;
  let inFlight: Promise<void> | undefined;
  let stopped = false;
  let count = 0;

  function schedule(delayMs: number): void {
    if (stopped) return;
    waiting = true;
    handle = timer.setTimeout(run, Math.max(0, delayMs));
  }

  function cancelWait(): void {
    if (!waiting) return;
    waiting = false;
    timer.clearTimeout(handle);
    handle = undefined;
  }

  function run(): void {
    waiting = false;
    handle = undefined;
    if (stopped) return;
    const startedAt = clock();
    count += 1;
    inFlight = (async () => {
      try {
        await tick(abort.signal);
      } catch (err) {
        log.error({ err, ticker: name }, 'tick failed; the next tick runs as scheduled');
      }
    })().finally(() => {
      inFlight = undefined;
      const elapsed = clock() - startedAt;
      // no overlap: the next tick is scheduled only once this one has ended
      if (elapsed > intervalMs) log.warn({ ticker: name, elapsedMs: elapsed, intervalMs }, 'tick took longer than its interval');
      schedule(nextTickDelayMs(cadence, intervalMs, elapsed));
    });
  }

  schedule(options.immediate === false ? intervalMs : 0);

  return {
    get ticking() {
      return inFlight !== undefined;
    },
    get count() {
      return count;
    },
    get intervalMs() {
      return intervalMs;
    },
    setIntervalMs(next: number) {
      const ms = checkedInterval(name, next);
      if (ms === intervalMs) return;
      intervalMs = ms;
      if (waiting) {
        cancelWait();
        schedule(0);
      }
    },
    async stop() {
      stopped = true;
      cancelWait();
      abort.abort();
      if (inFlight) await inFlight;
    },
  };
}

function checkedInterval(name: string, intervalMs: number): number {
  if (!(intervalMs > 0)) throw new RangeError(`ticker ${name}: intervalMs must be > 0, got ${intervalMs}`);
  return intervalMs;
}
