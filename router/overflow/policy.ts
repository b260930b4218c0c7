// Overflow policies: what to do with a request that its zone — and what the
// auto-scaler could still free for it — cannot take. Pure functions of their input
// (the random draw is an argument), so they are tested and simulated without a server.
import type { Resources } from '../../core/model/types.js';
import type { Rng } from './rng.js';

export type { Resources };

export interface OverflowInput {
  /** zone the request maps to */
  zone: string;
  /** 0 = highest priority class; the general zone ranks after every class */
  rank: number;
  /** number of configured classes (general's rank equals it) */
  classCount: number;
  request: Resources;
  /**
   * capacity not in use (config overflow.scope: on the whole host, or in the zones the
   * request may draw on): allocation - measured use
   * - active reservations (admission already failed on allocation - provisioned; an
   * overflow grant over-commits provisioned capacity, betting on measured use)
   */
  free: Resources;
  /** allocation of those same zones: the free share is (free - request) / total */
  total: Resources;
  /**
   * expected change of load over the next 30 minutes (forecast expected load minus
   * current use) of the target zone; 0 when there is no forecast
   */
  expectedGrowth: Resources;
  /** overflow grants of this zone that are still holding capacity (quota policy) */
  overflowInUse: Resources;
}

export interface OverflowSettings {
  /** free share below which grants become uncertain (config overflow.threshold) */
  threshold: number;
  /** curve shape: p = (free/threshold)^(exponent / weight) (config overflow.exponent) */
  exponent: number;
}

export interface OverflowDecision {
  policy: 'probabilistic' | 'quota';
  grant: boolean;
  /** the grant probability (quota: 1 or 0) */
  probability: number;
  /** free share the decision saw, 0..1 */
  freeShare: number;
  /** threshold after the forecast moved it */
  threshold: number;
}

export interface OverflowPolicy {
  readonly name: 'probabilistic' | 'quota';
  decide(input: OverflowInput): OverflowDecision;
}

const clamp = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);

/** Resources the request does not ask for do not constrain it. */
function needs(input: OverflowInput, r: keyof Resources): boolean {
  return input.request[r] > 0;
}

const RESOURCES: (keyof Resources)[] = ['cpuCores', 'memoryMiB'];

/**
 * Free share: what would stay unused once the request is granted, for the scarcer of
 * the requested resources, as a fraction of the total the request may draw on — so a
 * request larger than what is unused gets 0. A resource with no allocation counts as taken.
 */
export function freeShare(input: OverflowInput): number {
  let share = 1;
  for (const r of RESOURCES) {
    if (!needs(input, r)) continue;
    const s = input.total[r] > 0 ? (input.free[r] - input.request[r]) / input.total[r] : 0;
    share = Math.min(share, s);
  }
  return clamp(share, 0, 1);
}

/**
 * Forecast pressure: expected load growth over the next 30 minutes as a share of the
 * total, the largest over the requested resources. Positive = load is rising, so the
 * free capacity seen now will shrink; negative = it is falling.
 */
function growthShare(input: OverflowInput): number {
  let g = -Infinity;
  for (const r of RESOURCES) {
    if (!needs(input, r)) continue;
    const s = input.total[r] > 0 ? input.expectedGrowth[r] / input.total[r] : 0;
    g = Math.max(g, s);
  }
  return Number.isFinite(g) ? clamp(g, -1, 1) : 0;
}

/**
 * Priority weight in (0, 1]: the highest class weighs 1, each lower class less, the
 * general zone least. A larger weight flattens the curve, so higher priorities keep a
 * higher grant probability at the same free share.
 */
export function priorityWeight(rank: number, classCount: number): number {
  const levels = classCount + 1; // classes + general
  const r = clamp(Math.trunc(rank), 0, classCount);
  return (levels - r) / levels;
}

/**
 * The curve: p(f) = 1 for f >= T, (f/T)^(k/w) below, 0 at f = 0 — with T and k moved by
 * the forecast: T' = clamp(T + g, 0, 1) (rising load raises the threshold by the share
 * it will take), k' = k * (1 + clamp(g, -0.5, 1)) (and makes the fall steeper).
 */
export function grantProbability(
  f: number,
  rank: number,
  classCount: number,
  growth: number,
  settings: OverflowSettings,
): { probability: number; threshold: number } {
  const threshold = clamp(settings.threshold + growth, 0, 1);
  if (f <= 0) return { probability: 0, threshold };
  if (f >= threshold) return { probability: 1, threshold };
  const exponent = settings.exponent * (1 + clamp(growth, -0.5, 1));
  const w = priorityWeight(rank, classCount);
  return { probability: clamp(Math.pow(f / threshold, exponent / w), 0, 1), threshold };
}

/** Probabilistic admission (the mechanism of US patent 8,667,499; see router/README.md). */
export function probabilisticPolicy(settings: OverflowSettings, rng: Rng): OverflowPolicy {
  return {
    name: 'probabilistic',
    decide(input) {
      const f = freeShare(input);
      const { probability, threshold } = grantProbability(f, input.rank, input.classCount, growthShare(input), settings);
      // p = 1 and p = 0 are decided without a draw: certain outcomes stay certain
      const grant = probability >= 1 ? true : probability <= 0 ? false : rng() < probability;
      return { policy: 'probabilistic', grant, probability, freeShare: f, threshold };
    },
  };
}

/**
 * Quota admission, deterministic and patent-free: each zone may hold overflow grants up
 * to quota = total x threshold x weight(priority) minus the load growth the forecast
 * expects over the next 30 minutes. A request is granted iff it fits in what is left
 * of its zone's quota for every resource it asks for.
 */
function quotaOf(input: OverflowInput, settings: OverflowSettings, r: keyof Resources): number {
  const w = priorityWeight(input.rank, input.classCount);
  return Math.max(0, input.total[r] * settings.threshold * w - Math.max(0, input.expectedGrowth[r]));
}

export function quotaPolicy(settings: OverflowSettings): OverflowPolicy {
  return {
    name: 'quota',
    decide(input) {
      const f = freeShare(input);
      let grant = true;
      for (const r of RESOURCES) {
        if (!needs(input, r)) continue;
        if (input.overflowInUse[r] + input.request[r] > quotaOf(input, settings, r)) grant = false;
      }
      const threshold = clamp(settings.threshold + growthShare(input), 0, 1);
      return { policy: 'quota', grant, probability: grant ? 1 : 0, freeShare: f, threshold };
    },
  };
}

export function overflowPolicy(
  name: 'probabilistic' | 'quota',
  settings: OverflowSettings,
  rng: Rng,
): OverflowPolicy {
  return name === 'quota' ? quotaPolicy(settings) : probabilisticPolicy(settings, rng);
}
