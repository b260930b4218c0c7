// The overflow manager's random source. Decisions draw from an injectable Rng so that
// tests (and a reproducible simulation) can seed it; production seeds from crypto.
import { randomBytes } from 'node:crypto';

import { mulberry32, type Rng } from '../../core/model/rng.js';

export { mulberry32, type Rng };

/** A generator seeded from the OS entropy pool (the daemon's default). */
export function randomlySeededRng(): Rng {
  return mulberry32(randomBytes(4).readUInt32LE(0));
}
