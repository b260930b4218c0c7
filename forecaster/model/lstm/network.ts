// The network: an LSTM over the last 48 hours (hourly max/mean/min + calendar), joined
// with dense features of the last hour, and a multi-horizon, multi-quantile head.
// The head is monotone by construction: for each horizon
//   q0.5 = sum_i softmax(m)_i anchor_i + a,  q0.9 = q0.5 + softplus(b),  q0.95 = q0.9 + softplus(c), ...
// where the anchors are the peaks simple rules forecast (last window, yesterday, mean and
// max of the last 7 days; features.ts). The network decides, per window, which rule to
// trust and how far to correct it — so an untrained network already starts at an average
// of the baselines, and the seasonal ones are one softmax away (a mixture-of-experts head).
import { tf } from './backend.js';
import { DENSE_FEATURES, N_ANCHORS, N_HORIZONS, SEQ_FEATURES, SEQ_HOURS } from './features.js';
import { LEVELS } from '../forecaster.js';

export interface NetworkConfig {
  units: number; // LSTM units
  hidden: number; // dense units after the join
  seed: number;
}

export const DEFAULT_NETWORK: NetworkConfig = { units: 32, hidden: 64, seed: 7 };
const K = LEVELS.length;
/** head outputs per horizon: anchor logits, a shift, K-1 quantile steps */
const PER_H = N_ANCHORS + 1 + (K - 1);

/** [seq, dense] -> raw head outputs (N_HORIZONS x K per row). */
export function buildNetwork(cfg: NetworkConfig): tf.LayersModel {
  const seq = tf.input({ shape: [SEQ_HOURS, SEQ_FEATURES], name: 'seq' });
  const dense = tf.input({ shape: [DENSE_FEATURES], name: 'dense' });
  const h = tf.layers
    .lstm({
      units: cfg.units,
      kernelInitializer: tf.initializers.glorotUniform({ seed: cfg.seed }),
      recurrentInitializer: tf.initializers.glorotUniform({ seed: cfg.seed + 1 }),
      name: 'lstm',
    })
    .apply(seq) as tf.SymbolicTensor;
  const joined = tf.layers.concatenate({ name: 'join' }).apply([h, dense]) as tf.SymbolicTensor;
  const hidden = tf.layers
    .dense({ units: cfg.hidden, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: cfg.seed + 2 }), name: 'hidden' })
    .apply(joined) as tf.SymbolicTensor;
  const raw = tf.layers
    .dense({
      units: N_HORIZONS * PER_H,
      // small initial weights: start near "anchor + softplus(0) steps"
      kernelInitializer: tf.initializers.randomUniform({ minval: -0.01, maxval: 0.01, seed: cfg.seed + 3 }),
      name: 'head',
    })
    .apply(hidden) as tf.SymbolicTensor;
  return tf.model({ inputs: [seq, dense], outputs: raw, name: 'virtzone_forecaster' });
}

/** Raw head outputs [B, H*PER_H] + anchors [B, H*N_ANCHORS] -> monotone quantiles [B, H, K] (z units). */
export function quantilesFromRaw(raw: tf.Tensor2D, anchors: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const r = raw.reshape([-1, N_HORIZONS, PER_H]) as tf.Tensor3D;
    const mix = tf.softmax(r.slice([0, 0, 0], [-1, -1, N_ANCHORS]));
    const a = anchors.reshape([-1, N_HORIZONS, N_ANCHORS]);
    const base = mix.mul(a).sum(2, true).add(r.slice([0, 0, N_ANCHORS], [-1, -1, 1]));
    const steps = tf.softplus(r.slice([0, 0, N_ANCHORS + 1], [-1, -1, K - 1]));
    const parts: tf.Tensor[] = [base];
    let acc: tf.Tensor = base;
    for (let j = 0; j < K - 1; j++) {
      acc = acc.add(steps.slice([0, 0, j], [-1, -1, 1]));
      parts.push(acc);
    }
    return tf.concat(parts, 2) as tf.Tensor3D;
  });
}

/**
 * Weighted pinball loss: targets [B, H] (z units), weights [B, H] (0 where a target is
 * unknown), quantiles [B, H, K]. Mean over levels, weighted mean over rows and horizons.
 */
export function pinballLoss(q: tf.Tensor3D, targets: tf.Tensor2D, weights: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const taus = tf.tensor1d(LEVELS as number[]).reshape([1, 1, K]);
    const diff = targets.reshape([-1, N_HORIZONS, 1]).sub(q);
    const loss = tf.maximum(diff.mul(taus), diff.mul(taus.sub(1)));
    const perRow = loss.mean(2).mul(weights);
    return perRow.sum().div(weights.sum().add(1e-8)) as tf.Scalar;
  });
}
