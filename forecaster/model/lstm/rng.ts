// Window sampling and weight initialisation repeat from a seed: the same seeded PRNG
// (mulberry32) the overflow manager uses.
export { mulberry32 } from '../../../router/overflow/rng.js';
