// The knobs `virtzone simulate --sweep` turns, one grid per policy, and how a point of
// the grid becomes the scenario and config a run uses. Each policy is swept on its own
// setting only, the rest of the scenario fixed:
//   - ratio: the CPU and RAM allocation ratios (scenario cpuRatio x ramRatio);
//   - reactive: the overflow manager's curve (config overflow.threshold x exponent);
//   - predictive: the zones' headroom over the forecast peak (every class's buffer) x
//     the forecast quantile the zones are sized for (partitioner.quantile);
//   - oracle: the buffer (its predictions are the truth, so there is no quantile);
//   - static: nothing to turn (one point).
// Pure: values in, values out.
import type { Config } from '../../core/config/schema.js';
import { configFor } from '../policies/index.js';
import type { PolicyName, Scenario } from '../scenario.js';

export type Quantile = Config['partitioner']['quantile'];

/** A point's settings by name (cpuRatio, ramRatio, threshold, exponent, buffer, quantile). */
export type Knobs = Readonly<Record<string, number>>;

export interface SweepPoint {
  policy: PolicyName;
  knobs: Knobs;
}

export interface SweepGrid {
  ratio: { cpuRatio: readonly number[]; ramRatio: readonly number[] };
  reactive: { threshold: readonly number[]; exponent: readonly number[] };
  predictive: { buffer: readonly number[]; quantile: readonly Quantile[] };
  oracle: { buffer: readonly number[] };
}

/** The default grid: 36 ratio points, 13 reactive, 20 predictive, 5 oracle, 1 static (a week of the default scenario: about a minute). */
export const DEFAULT_SWEEP_GRID: SweepGrid = {
  ratio: { cpuRatio: [1, 2, 3, 4, 6, 8], ramRatio: [0.8, 1, 1.5, 2, 3, 4] },
  reactive: { threshold: [0, 0.1, 0.2, 0.3, 0.5], exponent: [1, 2, 4] },
  predictive: { buffer: [0, 0.1, 0.2, 0.4, 0.8], quantile: [0.5, 0.9, 0.95, 0.99] },
  oracle: { buffer: [0, 0.1, 0.2, 0.4, 0.8] },
};

/** Every point of the grid for `policies`, in the order given, each grid in row order. */
export function gridPoints(policies: readonly PolicyName[], grid: SweepGrid = DEFAULT_SWEEP_GRID): SweepPoint[] {
  const out: SweepPoint[] = [];
  for (const policy of policies) {
    switch (policy) {
      case 'static':
        out.push({ policy, knobs: {} });
        break;
      case 'ratio':
        for (const cpuRatio of grid.ratio.cpuRatio) for (const ramRatio of grid.ratio.ramRatio) out.push({ policy, knobs: { cpuRatio, ramRatio } });
        break;
      case 'reactive':
        for (const threshold of grid.reactive.threshold) {
          // at threshold 0 every grant is certain while anything is free: the exponent shapes nothing, one point
          const exponents = threshold === 0 ? grid.reactive.exponent.slice(0, 1) : grid.reactive.exponent;
          for (const exponent of exponents) out.push({ policy, knobs: { threshold, exponent } });
        }
        break;
      case 'predictive':
        for (const buffer of grid.predictive.buffer) for (const quantile of grid.predictive.quantile) out.push({ policy, knobs: { buffer, quantile } });
        break;
      case 'oracle':
        for (const buffer of grid.oracle.buffer) out.push({ policy, knobs: { buffer } });
        break;
    }
  }
  return out;
}

const withBuffer = (config: Config, buffer: number): Config => ({ ...config, classes: config.classes.map((c) => ({ ...c, buffer })) });

/**
 * The scenario and the config a point runs with: the policy's own config (configFor())
 * with the point's knobs set on it. A knob the point does not name keeps its value.
 */
export function applyKnobs(point: SweepPoint, scenario: Scenario): { scenario: Scenario; config: Config } {
  const k = point.knobs;
  let config = configFor(point.policy, scenario.config);
  let s = scenario;
  switch (point.policy) {
    case 'ratio':
      s = { ...scenario, cpuRatio: k.cpuRatio ?? scenario.cpuRatio, ramRatio: k.ramRatio ?? scenario.ramRatio };
      break;
    case 'reactive':
      config = { ...config, overflow: { ...config.overflow, threshold: k.threshold ?? config.overflow.threshold, exponent: k.exponent ?? config.overflow.exponent } };
      break;
    case 'predictive':
      if (k.buffer !== undefined) config = withBuffer(config, k.buffer);
      if (k.quantile !== undefined) config = { ...config, partitioner: { ...config.partitioner, quantile: k.quantile as Quantile } };
      break;
    case 'oracle':
      if (k.buffer !== undefined) config = withBuffer(config, k.buffer);
      break;
    case 'static':
      break;
  }
  return { scenario: s, config };
}

/** "cpuRatio=4 ramRatio=1"; "-" for no knobs. */
export function knobsLabel(knobs: Knobs): string {
  const e = Object.entries(knobs);
  return e.length === 0 ? '-' : e.map(([k, v]) => `${k}=${v}`).join(' ');
}
