// Window sampling and weight initialisation repeat from a seed.
export { mulberry32 } from '../../../daemon/model/rng.js';
