// The forecaster inside the daemon: nightly training on a cron schedule (croner,
// config forecast.schedule), run in a worker_thread; `trainNow()` for `virtzone train`;
// progress as events; predictions refreshed every forecast.refreshMinutes from the last
// good model without retraining. A failed run is logged, recorded and exposed, and the
// last good model stays in use.
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Cron } from 'croner';
import { realTimer, startTicker, type Ticker } from '../../core/ticker.js';
import { startModuleWorker } from '../../core/worker/start.js';
import type { LoadPrediction, Rollup } from '../../core/model/types.js';
import type { ModelCheckpoints, RunRecord } from '../checkpoint/checkpoint.js';
import type { LoadSeries } from '../input/series.js';
import { rollupsToSeries, type RollupReader } from '../input/store.js';
import type { Forecaster } from '../model/forecaster.js';
import { LstmForecaster, type LstmOptions } from '../model/lstm/lstm.js';
import { predictAll, restoreModels } from '../predict.js';
import type { TrainedForecast } from '../train.js';
import type { TrainRequest, WorkerMessage } from './messages.js';
import type { Log } from '../../core/log.js';

/** rollups read per synchronous store call (one day = 288 rows of a series) */
const READ_CHUNK_SECONDS = 86_400;

export interface ForecastRoutineOptions {
  checkpoints: ModelCheckpoints;
  reader: RollupReader;
  log: Log;
  /** cron expression, local time (config forecast.schedule) */
  schedule: string;
  refreshMinutes: number;
  /** LSTM options (epochs from config forecast.epochs, country/region for holidays) */
  lstm: Partial<LstmOptions> | false;
  /** level of LoadPrediction.peakLoad (config partitioner.quantile) */
  quantile: number;
  /** series key prefixes to forecast (default: every series the store has) */
  prefixes?: readonly string[];
  /** days of history a run trains on (default 35: 4 weeks of training + 1 of validation) */
  trainingDays?: number;
  /** days of history a refresh reads (the LSTM looks back 7 days) */
  refreshDays?: number;
  now?: () => number;
}

export interface TrainProgress {
  runId: number;
  model: string;
  phase: string;
  done: number;
  total: number;
  detail?: Record<string, number>;
}

export interface RoutineStatus {
  running: { runId: number; startedAt: number; trigger: string; progress: TrainProgress | null } | null;
  lastGood: RunRecord | null;
  lastFailure: RunRecord | null;
  /** the run whose models make the current predictions */
  modelRunId: number | null;
  nextRun: number | null;
  predictionsAt: number | null;
  predictions: number;
}

/** Events: 'progress' (TrainProgress), 'trained' (RunRecord), 'failed' ({runId, error}), 'predictions' (LoadPrediction[]). */
export class ForecastRoutine extends EventEmitter {
  private cron?: Cron;
  private refreshTicker?: Ticker;
  private worker?: Worker;
  private running: RoutineStatus['running'] = null;
  private runPromise?: Promise<number>;
  private trained?: TrainedForecast;
  private models: Map<string, Forecaster> = new Map();
  private modelRunId: number | null = null;
  private current: LoadPrediction[] = [];
  private predictionsAt: number | null = null;
  private refreshing?: Promise<void>;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly opts: ForecastRoutineOptions) {
    super();
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    // validate the schedule now: a bad cron expression is a config error, not a 3 a.m. surprise
    try {
      new Cron(opts.schedule, { paused: true }).stop();
    } catch (err) {
      throw new Error(`forecast.schedule: ${JSON.stringify(opts.schedule)} is not a cron expression: ${(err as Error).message}`);
    }
    if (!(opts.refreshMinutes > 0)) throw new Error(`forecast.refreshMinutes: must be > 0, got ${opts.refreshMinutes}`);
  }

  /** Loads the last good model, schedules training and refreshes, makes a first prediction. */
  async start(): Promise<void> {
    const interrupted = this.opts.checkpoints.recoverInterrupted(this.now());
    if (interrupted) this.opts.log.warn({ runs: interrupted }, 'forecast: training runs interrupted by a restart were marked failed');
    await this.reloadModels();
    this.cron = new Cron(this.opts.schedule, { protect: true }, () => {
      void this.trainNow('schedule').catch((err: Error) => this.opts.log.error({ err: err.message }, 'forecast: scheduled training could not start'));
    });
    await this.refresh().catch(() => {});
    this.refreshTicker = startTicker({
      name: 'forecast refresh',
      intervalMs: this.opts.refreshMinutes * 60_000,
      tick: () => this.refresh().catch(() => {}),
      log: this.opts.log,
      immediate: false,
      timer: realTimer, // a refresh must not keep the process alive on its own
    });
  }

  /** Stops the schedule and any run in flight (the run is recorded as failed). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cron?.stop();
    await this.refreshTicker?.stop();
    if (this.worker) await this.worker.terminate();
    await this.runPromise?.catch(() => {});
    await this.refreshing?.catch(() => {});
  }

  /**
   * Starts a training run now (or joins the one in flight) and resolves with its run id
   * once it has started; `done(runId)` resolves when it has finished.
   */
  async trainNow(trigger: 'schedule' | 'manual' = 'manual'): Promise<number> {
    if (this.running) return this.running.runId;
    if (this.stopped) throw new Error('forecast: the routine is stopped');
    const startedAt = this.now();
    const runId = this.opts.checkpoints.beginRun(trigger, startedAt);
    this.running = { runId, startedAt, trigger, progress: null };
    this.opts.log.info({ runId, trigger }, 'forecast: training started');
    this.runPromise = this.run(runId).finally(() => {
      this.running = null;
      this.worker = undefined;
    });
    this.runPromise.catch(() => {});
    return runId;
  }

  /** Resolves when the run in flight (if any) has finished: its id, or rejects with its error. */
  async done(): Promise<number | undefined> {
    return this.runPromise;
  }

  private async run(runId: number): Promise<number> {
    try {
      const days = this.opts.trainingDays ?? 35;
      const series = await this.loadSeries(this.now() - days * 86_400);
      if (series.length === 0) throw new Error('no series with history in the store yet');
      const trained = await this.inWorker({ series, lstm: this.opts.lstm, now: this.now() }, runId);
      this.opts.checkpoints.saveGood(runId, trained, this.now());
      this.opts.checkpoints.prune();
      const record = this.opts.checkpoints.runs(1)[0];
      this.opts.log.info({ runId, seconds: trained.seconds, series: Object.keys(trained.series).length, scores: trained.scores }, 'forecast: training finished');
      await this.reloadModels();
      await this.refresh().catch(() => {});
      this.emit('trained', record);
      return runId;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.opts.checkpoints.fail(runId, message, this.now());
      this.opts.log.error({ runId, err: message }, 'forecast: training failed; the last good model stays in use');
      this.emit('failed', { runId, error: message });
      throw err;
    }
  }

  private inWorker(req: TrainRequest, runId: number): Promise<TrainedForecast> {
    return new Promise((resolve, reject) => {
      const transfer = req.series.map((s) => s.values.buffer as ArrayBuffer);
      const worker = startTrainWorker(req, transfer);
      this.worker = worker;
      let settled = false;
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'progress') {
          const p: TrainProgress = { runId, model: m.model, phase: m.phase, done: m.done, total: m.total, ...(m.detail ? { detail: m.detail } : {}) };
          if (this.running) this.running.progress = p;
          this.emit('progress', p);
        } else if (m.type === 'done') {
          settled = true;
          resolve(m.trained);
        } else if (m.type === 'error') {
          settled = true;
          reject(new Error(m.message));
        }
      });
      worker.on('error', (err) => {
        if (!settled) reject(err);
        settled = true;
      });
      worker.on('exit', (code) => {
        if (!settled) reject(new Error(this.stopped ? 'stopped with the daemon' : `training worker exited with code ${code}`));
        settled = true;
      });
    });
  }

  /**
   * Reads every series from the store a day of rollups at a time, yielding between reads:
   * SQLite reads are synchronous, and a month of one series in one call would hold the
   * API's event loop for tens of milliseconds.
   */
  private async loadSeries(from: number): Promise<LoadSeries[]> {
    const prefixes = this.opts.prefixes ?? [''];
    const keys = [...new Set(prefixes.flatMap((p) => this.opts.reader.listSeries(p).map((s) => s.series)))];
    const to = this.now() + 300;
    const out: LoadSeries[] = [];
    for (const key of keys) {
      const rows: Rollup[] = [];
      for (let a = from; a < to; a += READ_CHUNK_SECONDS) {
        for (const r of this.opts.reader.readRollups(key, a, Math.min(to, a + READ_CHUNK_SECONDS))) rows.push(r);
        await new Promise((r) => setImmediate(r));
      }
      out.push(...rollupsToSeries(key, rows));
    }
    return out;
  }

  private async reloadModels(): Promise<void> {
    const latestId = this.opts.checkpoints.latestGoodId();
    if (latestId === undefined || latestId === this.modelRunId) return;
    const latest = this.opts.checkpoints.latestGood();
    if (!latest) return;
    try {
      const models = await restoreModels(latest.trained.models);
      const old = this.models.get('lstm');
      if (old instanceof LstmForecaster) old.dispose(); // frees its tensors
      this.models = models;
      this.trained = latest.trained;
      this.modelRunId = latest.run.id;
    } catch (err) {
      this.opts.log.error({ runId: latest.run.id, err: (err as Error).message }, 'forecast: could not load the trained models; keeping the previous ones');
    }
  }

  /** Recomputes the predictions from the current models and the latest history. */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const series = await this.loadSeries(this.now() - (this.opts.refreshDays ?? 8) * 86_400);
        const models = this.models.size ? this.models : await restoreModels([]); // baselines until a first run
        // one series key (cpu + memory) at a time, yielding in between: a refresh of a
        // hundred series must not hold the API's event loop for its whole duration
        const byKey = new Map<string, LoadSeries[]>();
        for (const s of series) byKey.set(s.series, [...(byKey.get(s.series) ?? []), s]);
        const next: LoadPrediction[] = [];
        for (const group of byKey.values()) {
          next.push(...predictAll(this.trained, models, group, { quantile: this.opts.quantile }));
          await new Promise((r) => setImmediate(r));
        }
        this.current = next;
        this.predictionsAt = this.now();
        this.emit('predictions', this.current);
      } catch (err) {
        this.opts.log.warn({ err: (err as Error).message }, 'forecast: refreshing predictions failed; keeping the previous ones');
        throw err;
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  predictions(filter: { series?: string; resource?: string; horizon?: string } = {}): LoadPrediction[] {
    return this.current.filter(
      (p) => (!filter.series || p.series === filter.series) && (!filter.resource || p.resource === filter.resource) && (!filter.horizon || p.horizon === filter.horizon),
    );
  }

  status(): RoutineStatus {
    const runs = this.opts.checkpoints.runs(50);
    const next = this.cron?.nextRun();
    return {
      running: this.running ? { ...this.running } : null,
      lastGood: runs.find((r) => r.status === 'good') ?? null,
      lastFailure: runs.find((r) => r.status === 'failed') ?? null,
      modelRunId: this.modelRunId,
      nextRun: next ? Math.floor(next.getTime() / 1000) : null,
      predictionsAt: this.predictionsAt,
      predictions: this.current.length,
    };
  }
}

/** The training worker (train-worker.ts), compiled or from the source tree. */
function startTrainWorker(req: TrainRequest, transfer: ArrayBuffer[]): Worker {
  return startModuleWorker(new URL('./train-worker', import.meta.url), { workerData: req, transferList: transfer as never });
}
