// Runs the collector every collect.intervalSeconds, and the store's retention every few
// ticks. A failed tick is logged and the next one runs on schedule: nothing thrown by a
// tick or by retention leaves the loop. The loop is a grid-cadence ticker: ticks never
// overlap and stay on the interval grid (a slow tick skips slots rather than drifting).
import type { Collector, TickReport } from './collector.js';
import { silentLog, type Log } from '../core/log.js';
import type { RetentionResult, Store } from '../core/store/store.js';
import { realTimer, startTicker, type Ticker, type Timer } from '../core/ticker.js';

export type { Timer } from '../core/ticker.js';

export interface CollectorRoutineOptions {
  collector: Pick<Collector, 'tick'>;
  intervalSeconds: number;
  /** retention runs after every `retentionEveryTicks` ticks (0 = never); default ~ every 5 min */
  store?: Pick<Store, 'runRetention'>;
  retentionEveryTicks?: number;
  log?: Log;
  /** default realTimer: a pending tick does not hold the process open */
  timer?: Timer;
  clock?: () => number;
  onTick?: (r: TickReport) => void;
  onError?: (err: unknown) => void;
}

export class CollectorRoutine {
  private ticker: Ticker | null = null;
  private running = false;
  private ticks = 0;
  private consecutiveFailures = 0;
  private intervalMs: number;
  private readonly timer: Timer;
  private readonly clock: () => number;
  private readonly log: Log;
  private retentionEvery: number;

  constructor(private readonly opts: CollectorRoutineOptions) {
    if (!(opts.intervalSeconds > 0)) throw new RangeError(`collect.intervalSeconds must be > 0, got ${opts.intervalSeconds}`);
    this.intervalMs = opts.intervalSeconds * 1000;
    this.timer = opts.timer ?? realTimer;
    this.clock = opts.clock ?? Date.now;
    this.log = opts.log ?? silentLog;
    this.retentionEvery = opts.store ? (opts.retentionEveryTicks ?? Math.max(1, Math.round(300 / opts.intervalSeconds))) : 0;
  }

  /**
   * A reloaded collect.intervalSeconds: the next tick runs now and the loop keeps the new
   * interval from there (a wait of the old, maybe long, interval would delay it).
   */
  setIntervalSeconds(seconds: number): void {
    if (!(seconds > 0)) throw new RangeError(`collect.intervalSeconds must be > 0, got ${seconds}`);
    if (seconds * 1000 === this.intervalMs) return;
    this.intervalMs = seconds * 1000;
    if (this.opts.store && this.opts.retentionEveryTicks === undefined) this.retentionEvery = Math.max(1, Math.round(300 / seconds));
    this.ticker?.setIntervalMs(this.intervalMs);
  }

  get failuresInARow(): number {
    return this.consecutiveFailures;
  }

  /** Starts ticking: the first tick runs right away. */
  start(): void {
    if (this.ticker) return;
    this.ticker = startTicker({
      name: 'collector',
      intervalMs: this.intervalMs,
      cadence: 'grid',
      timer: this.timer,
      clock: this.clock,
      log: this.log,
      tick: () => this.runOnce(),
    });
  }

  /** Stops the loop and waits for a tick in progress to end. */
  async stop(): Promise<void> {
    const ticker = this.ticker;
    this.ticker = null;
    await ticker?.stop();
  }

  /** One tick (and retention when due); never rejects. The ticker schedules the next. */
  async runOnce(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const startedAt = this.clock();
    try {
      const report = await this.opts.collector.tick(startedAt);
      if (this.consecutiveFailures > 0) this.log.info({ after: this.consecutiveFailures }, 'collector recovered');
      this.consecutiveFailures = 0;
      this.opts.onTick?.(report);
    } catch (err) {
      this.consecutiveFailures++;
      // first failure and then every 10th: a long libvirt outage should not flood the log
      if (this.consecutiveFailures === 1 || this.consecutiveFailures % 10 === 0) {
        this.log.warn({ err: errText(err), failures: this.consecutiveFailures }, 'collector tick failed; retrying next interval');
      }
      this.opts.onError?.(err);
    }
    this.ticks++;
    if (this.retentionEvery > 0 && this.ticks % this.retentionEvery === 0) this.retention();
    this.running = false;
  }

  private retention(): RetentionResult | null {
    try {
      const r = this.opts.store!.runRetention(Math.floor(this.clock() / 1000));
      if (r.samplesDeleted + r.rollupsDeleted > 0) this.log.debug({ retention: r }, 'retention');
      return r;
    } catch (err) {
      this.log.warn({ err: errText(err) }, 'retention failed; retrying later');
      return null;
    }
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
