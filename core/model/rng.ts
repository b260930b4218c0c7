// A small seeded PRNG shared by everything that must repeat from a seed (the overflow
// manager's draws, the LSTM's window sampling and weight initialisation).

/** Returns a uniform number in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32: a 32-bit state generator, small and fast. Its statistical quality is far
 * beyond what a Bernoulli grant/deny draw or a shuffle needs (it passes gjrand's and
 * PractRand's smaller batteries), and one closure per user keeps it allocation-free.
 */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
