// Window sampling and weight initialisation repeat from a seed.
export { mulberry32 } from '../../../core/model/rng.js';
