// lstm: one network trained across all series (each window on its own location/scale),
// with a pinball loss directly on the normalized peak targets of all three horizons.
import { HolidayCalendar } from '../../input/calendar.js';
import type { LoadSeries } from '../../input/series.js';
import { seasonalScale } from '../../logic/scale.js';
import { LEVELS, seriesKey, type FitOptions, type Forecaster, type ModelState } from '../forecaster.js';
import { initTensorflow, tf } from './backend.js';
import {
  DENSE_FEATURES,
  HISTORY_STEPS,
  HORIZON_LIST,
  N_ANCHORS,
  N_HORIZONS,
  SEQ_FEATURES,
  SEQ_HOURS,
  allocBatch,
  safeScale,
  writeTargets,
  writeWindow,
  type SeriesFeatureContext,
  type WindowBatch,
} from './features.js';
import { DEFAULT_NETWORK, buildNetwork, pinballLoss, quantilesFromRaw, type NetworkConfig } from './network.js';
import { mulberry32 } from './rng.js';

const LSTM_STATE_VERSION = 1;

export interface LstmOptions {
  epochs: number;
  windowsPerEpoch: number;
  batchSize: number;
  learningRate: number;
  /** the loss weight of a window is min(maxWeight, its scale / the series' M5 scale) */
  maxWeight: number;
  network: NetworkConfig;
  /**
   * Weight each horizon's loss by 1 / (its loss at the start, the last-window anchor's),
   * so that the 24 h peaks, whose scaled losses are several times larger, do not drown
   * the 5 and 30 minute heads (multi-task loss balancing).
   */
  balanceHorizons: boolean;
  country: string;
  region?: string;
  seed: number;
}

const DEFAULT_LSTM: LstmOptions = {
  epochs: 16,
  windowsPerEpoch: 8192,
  batchSize: 256,
  learningRate: 2e-3,
  maxWeight: 10,
  network: DEFAULT_NETWORK,
  balanceHorizons: true,
  country: 'NL',
  seed: 11,
};

const K = LEVELS.length;

/**
 * Horizon weights, mean 1, inversely proportional to each horizon's weighted absolute
 * error of the last-window anchor (the loss an untrained head starts from).
 */
function balance(batch: WindowBatch, targets: Float32Array, weights: Float32Array): number[] {
  const err = new Array<number>(N_HORIZONS).fill(0);
  const wsum = new Array<number>(N_HORIZONS).fill(0);
  for (let i = 0; i < batch.n; i++) {
    for (let j = 0; j < N_HORIZONS; j++) {
      const w = weights[i * N_HORIZONS + j];
      if (w === 0) continue;
      err[j] += w * Math.abs(targets[i * N_HORIZONS + j] - batch.anchors[(i * N_HORIZONS + j) * N_ANCHORS]);
      wsum[j] += w;
    }
  }
  const inv = err.map((e, j) => (e > 0 && wsum[j] > 0 ? wsum[j] / e : 1));
  const mean = inv.reduce((a, b) => a + b, 0) / inv.length;
  return inv.map((v) => v / mean);
}

export class LstmForecaster implements Forecaster {
  readonly name = 'lstm' as const;
  readonly ownQuantiles = true;
  readonly options: LstmOptions;
  private model?: tf.LayersModel;
  private readonly m5 = new Map<string, number>();
  private readonly holidays: HolidayCalendar;
  /** mean training loss per epoch */
  readonly lossHistory: number[] = [];
  trainedOn?: { series: number; windows: number; from: number; to: number };

  constructor(options: Partial<LstmOptions> = {}) {
    this.options = { ...DEFAULT_LSTM, ...options, network: { ...DEFAULT_LSTM.network, ...options.network } };
    this.holidays = new HolidayCalendar(this.options.country, this.options.region);
  }

  private context(s: LoadSeries): SeriesFeatureContext {
    let m5 = this.m5.get(seriesKey(s));
    if (m5 === undefined) m5 = safeScale(seasonalScale(s.values), s.values); // a series the model was not trained on
    return { series: s, m5, holidays: this.holidays };
  }

  async fit(train: readonly LoadSeries[], opts: FitOptions): Promise<void> {
    await initTensorflow();
    const o = this.options;
    const rand = mulberry32(o.seed);
    // Usable origins per series: a full 48 h of history, a known value at the origin and
    // at least the 5-minute target inside the training part.
    const pools = train.map((s) => {
      this.m5.set(seriesKey(s), safeScale(seasonalScale(s.values), s.values));
      const origins: number[] = [];
      for (let t = HISTORY_STEPS; t <= s.values.length - 2; t++) if (!Number.isNaN(s.values[t])) origins.push(t);
      return { s, origins };
    }).filter((p) => p.origins.length > 0);
    if (pools.length === 0) throw new Error(`lstm: no series has ${HISTORY_STEPS + 2} steps (2 days) of history to train on`);

    this.model?.dispose();
    const model = buildNetwork(o.network);
    this.model = model;
    const optimizer = tf.train.adam(o.learningRate);
    const n = o.windowsPerEpoch;
    const batch = allocBatch(n);
    const targets = new Float32Array(n * N_HORIZONS);
    const weights = new Float32Array(n * N_HORIZONS);
    this.lossHistory.length = 0;
    let horizonWeights = new Array<number>(N_HORIZONS).fill(1);
    try {
      for (let epoch = 0; epoch < o.epochs; epoch++) {
        // cosine decay of the learning rate over the run
        (optimizer as unknown as { learningRate: number }).learningRate =
          o.learningRate * (0.1 + 0.9 * 0.5 * (1 + Math.cos((Math.PI * epoch) / Math.max(1, o.epochs - 1))));
        // Fresh windows every epoch: every series equally often, origins uniformly.
        for (let i = 0; i < n; i++) {
          const p = pools[Math.floor(rand() * pools.length)];
          const t = p.origins[Math.floor(rand() * p.origins.length)];
          const ctx = this.context(p.s);
          writeWindow(batch, i, ctx, t);
          writeTargets(targets, i, p.s.values, t, p.s.values.length, batch.norms[i]);
          const w = Math.min(o.maxWeight, batch.norms[i].scl / ctx.m5);
          for (let j = 0; j < N_HORIZONS; j++) {
            const idx = i * N_HORIZONS + j;
            if (Number.isNaN(targets[idx])) {
              targets[idx] = 0;
              weights[idx] = 0;
            } else weights[idx] = w;
          }
        }
        if (epoch === 0 && o.balanceHorizons) horizonWeights = balance(batch, targets, weights);
        for (let i = 0; i < n * N_HORIZONS; i++) weights[i] *= horizonWeights[i % N_HORIZONS];
        let lossSum = 0;
        let batches = 0;
        for (let b0 = 0; b0 < n; b0 += o.batchSize) {
          if (opts.signal?.aborted) throw new Error('lstm: training aborted');
          const b1 = Math.min(n, b0 + o.batchSize);
          const rows = b1 - b0;
          const loss = tf.tidy(() => {
            const seq = tf.tensor3d(batch.seq.subarray(b0 * SEQ_HOURS * SEQ_FEATURES, b1 * SEQ_HOURS * SEQ_FEATURES), [rows, SEQ_HOURS, SEQ_FEATURES]);
            const dense = tf.tensor2d(batch.dense.subarray(b0 * DENSE_FEATURES, b1 * DENSE_FEATURES), [rows, DENSE_FEATURES]);
            const anchors = tf.tensor2d(batch.anchors.subarray(b0 * N_HORIZONS * N_ANCHORS, b1 * N_HORIZONS * N_ANCHORS), [rows, N_HORIZONS * N_ANCHORS]);
            const y = tf.tensor2d(targets.subarray(b0 * N_HORIZONS, b1 * N_HORIZONS), [rows, N_HORIZONS]);
            const w = tf.tensor2d(weights.subarray(b0 * N_HORIZONS, b1 * N_HORIZONS), [rows, N_HORIZONS]);
            return optimizer.minimize(() => {
              const raw = model.apply([seq, dense], { training: true }) as tf.Tensor2D;
              return pinballLoss(quantilesFromRaw(raw, anchors), y, w);
            }, true) as tf.Scalar;
          });
          lossSum += (await loss.data())[0];
          loss.dispose();
          batches++;
          opts.onProgress?.({ model: this.name, phase: `epoch ${epoch + 1}/${o.epochs}`, done: b1, total: n });
          // yield between batches: progress reaches the parent, aborts are seen
          await new Promise((r) => setImmediate(r));
        }
        const mean = lossSum / Math.max(1, batches);
        if (!Number.isFinite(mean)) throw new Error(`lstm: training diverged (loss ${mean}) in epoch ${epoch + 1}`);
        this.lossHistory.push(mean);
        opts.onProgress?.({ model: this.name, phase: 'epoch', done: epoch + 1, total: o.epochs, detail: { loss: mean } });
      }
    } finally {
      optimizer.dispose();
    }
    this.trainedOn = {
      series: pools.length,
      windows: n * o.epochs,
      from: Math.min(...train.map((s) => s.start)),
      to: Math.max(...train.map((s) => s.start + s.values.length * s.step)),
    };
  }

  predict(s: LoadSeries, origins: readonly number[], horizons: readonly number[]): Float64Array[] {
    const model = this.model;
    if (!model) throw new Error('lstm: predict before fit or load');
    const hIdx = horizons.map((h) => {
      const i = HORIZON_LIST.indexOf(h);
      if (i < 0) throw new Error(`lstm: horizon of ${h} steps is not one of ${HORIZON_LIST.join(', ')}`);
      return i;
    });
    const ctx = this.context(s);
    // one forward pass per distinct origin serves every horizon asked for
    const uniq = [...new Set(origins)];
    const rowOf = new Map(uniq.map((t, i) => [t, i]));
    const all = horizons.map(() => new Float64Array(uniq.length * K));
    const CHUNK = 2048;
    for (let c0 = 0; c0 < uniq.length; c0 += CHUNK) {
      const rows = Math.min(CHUNK, uniq.length - c0);
      const batch = allocBatch(rows);
      for (let i = 0; i < rows; i++) writeWindow(batch, i, ctx, uniq[c0 + i]);
      const q = this.quantiles(model, batch);
      for (let i = 0; i < rows; i++) {
        const { loc, scl } = batch.norms[i];
        hIdx.forEach((hi, j) => {
          for (let k = 0; k < K; k++) {
            // z back to load units; loads are never negative (max keeps the order)
            all[j][(c0 + i) * K + k] = Math.max(0, loc + scl * q[(i * N_HORIZONS + hi) * K + k]);
          }
        });
      }
    }
    return all.map((a) => {
      const out = new Float64Array(origins.length * K);
      origins.forEach((t, i) => out.set(a.subarray(rowOf.get(t)! * K, rowOf.get(t)! * K + K), i * K));
      return out;
    });
  }

  private quantiles(model: tf.LayersModel, b: WindowBatch): Float32Array {
    return tf.tidy(() => {
      const seq = tf.tensor3d(b.seq, [b.n, SEQ_HOURS, SEQ_FEATURES]);
      const dense = tf.tensor2d(b.dense, [b.n, DENSE_FEATURES]);
      const anchors = tf.tensor2d(b.anchors, [b.n, N_HORIZONS * N_ANCHORS]);
      const raw = model.predict([seq, dense]) as tf.Tensor2D;
      return quantilesFromRaw(raw, anchors).dataSync() as Float32Array;
    });
  }

  state(): ModelState {
    if (!this.model) throw new Error('lstm: no trained model to save');
    const ws = this.model.getWeights();
    const shapes = ws.map((w) => w.shape);
    const total = ws.reduce((a, w) => a + w.size, 0);
    const flat = new Float32Array(total);
    let off = 0;
    for (const w of ws) {
      flat.set(w.dataSync() as Float32Array, off);
      off += w.size;
    }
    return {
      name: this.name,
      version: LSTM_STATE_VERSION,
      params: {
        options: this.options,
        shapes,
        m5: Object.fromEntries(this.m5),
        lossHistory: this.lossHistory,
        trainedOn: this.trainedOn,
      },
      weights: new Uint8Array(flat.buffer),
    };
  }

  static async fromState(state: ModelState): Promise<LstmForecaster> {
    if (state.name !== 'lstm') throw new Error(`checkpoint: expected an lstm state, got ${state.name}`);
    if (state.version !== LSTM_STATE_VERSION) throw new Error(`checkpoint: lstm state version ${state.version}, this virtzone reads ${LSTM_STATE_VERSION}`);
    if (!state.weights) throw new Error('checkpoint: lstm state has no weights');
    await initTensorflow();
    const p = state.params as { options: LstmOptions; shapes: number[][]; m5: Record<string, number>; lossHistory: number[]; trainedOn?: LstmForecaster['trainedOn'] };
    const f = new LstmForecaster(p.options);
    const model = buildNetwork(p.options.network);
    // copy: the blob's byte offset need not be 4-aligned
    const bytes = Uint8Array.from(state.weights);
    const flat = new Float32Array(bytes.buffer, 0, bytes.byteLength / 4);
    let off = 0;
    const tensors = p.shapes.map((shape) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const t = tf.tensor(flat.subarray(off, off + size), shape);
      off += size;
      return t;
    });
    if (off !== flat.length) throw new Error(`checkpoint: lstm weights hold ${flat.length} values, the network needs ${off}`);
    model.setWeights(tensors);
    tensors.forEach((t) => t.dispose());
    f.model = model;
    for (const [k, v] of Object.entries(p.m5)) f.m5.set(k, v);
    f.lossHistory.push(...p.lossHistory);
    f.trainedOn = p.trainedOn;
    return f;
  }

  dispose(): void {
    this.model?.dispose();
    this.model = undefined;
  }
}
