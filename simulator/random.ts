// Seeded randomness for the simulator. Every random choice draws from a named stream
// derived from the one --seed, so adding draws to one part (say, the overflow manager)
// never shifts another (the request stream): the same seed gives the same workload for
// every policy, and the same numbers run after run.
import { mulberry32, type Rng } from '../router/index.js';

export type { Rng };

/** FNV-1a over the text, for deriving stream seeds from names. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The seed of the named stream: a splitmix32 finalizer over (seed, name). */
function deriveSeed(seed: number, name: string): number {
  let z = (Math.trunc(seed) ^ fnv1a(name)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

export function streamRng(seed: number, name: string): Rng {
  return mulberry32(deriveSeed(seed, name));
}

/** An exponentially distributed draw with the given mean. */
export function exponential(rng: Rng, mean: number): number {
  // 1 - u is in (0, 1]: never log(0)
  return -Math.log(1 - rng()) * mean;
}

/** An index drawn with probability proportional to weights[i] (weights >= 0, sum > 0). */
export function weightedIndex(rng: Rng, weights: readonly number[]): number {
  const total = weights.reduce((s, w) => s + w, 0);
  let u = rng() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i];
    if (u < 0) return i;
  }
  // rounding left u at 0: the last index with a positive weight
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
  return 0;
}

/** A uniform integer in [0, n). */
export function uniformInt(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(rng() * n));
}
