// A periodic job that never overlaps itself and can be stopped between ticks: what
// "SIGTERM finishes the current tick" needs. stop() cancels the next tick and resolves
// once the tick in flight (if any) has finished, so the caller can then close the
// store and sockets without cutting a tick's transaction in half.
export interface TickLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface TickerOptions {
  /** name used in log lines (e.g. "collector") */
  name: string;
  intervalMs: number;
  /**
   * One unit of work; a rejection is logged and the next tick runs as usual. The signal
   * aborts when stop() is called: a long tick may end early at a safe point.
   */
  tick: (signal: AbortSignal) => Promise<void>;
  log: TickLog;
  /** run the first tick at once instead of after one interval (default true) */
  immediate?: boolean;
}

export interface Ticker {
  readonly ticking: boolean;
  /** number of ticks started so far */
  readonly count: number;
  /** Stops scheduling; resolves when the tick in flight is done. Idempotent. */
  stop(): Promise<void>;
}

export function startTicker(options: TickerOptions): Ticker {
  const { name, intervalMs, tick, log } = options;
  if (!(intervalMs > 0)) throw new RangeError(`ticker ${name}: intervalMs must be > 0, got ${intervalMs}`);
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let stopped = false;
  let count = 0;

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(run, Math.max(0, delayMs));
  }

  function run(): void {
    timer = undefined;
    if (stopped) return;
    const startedAt = Date.now();
    count += 1;
    inFlight = (async () => {
      try {
        await tick(abort.signal);
      } catch (err) {
        log.error({ err, ticker: name }, 'tick failed; the next tick runs as scheduled');
      }
    })().finally(() => {
      inFlight = undefined;
      const elapsed = Date.now() - startedAt;
      // fixed rate, no overlap: an overrunning tick is followed at once, missed ticks are skipped
      if (elapsed > intervalMs) log.warn({ ticker: name, elapsedMs: elapsed, intervalMs }, 'tick took longer than its interval');
      schedule(intervalMs - elapsed);
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
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      abort.abort();
      if (inFlight) await inFlight;
    },
  };
}
