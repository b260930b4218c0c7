// Confidence from the length of a series' history, as VPA's recommender scales its
// bounds by how many days of history it has: a zone sized on two days of data gets a
// wider buffer than one sized on a month. The partitioner turns confidence into a buffer
// multiplier (config partitioner.lowConfidenceBufferMultiplier).
import { ROLLUP_SECONDS } from '../../core/model/types.js';

/** Days of history at which confidence reaches 1. */
const FULL_CONFIDENCE_DAYS = 28;

/** 0..1: known (non-NaN) history in days over FULL_CONFIDENCE_DAYS. */
export function confidenceFromHistory(knownSteps: number, stepSeconds = ROLLUP_SECONDS): number {
  const days = (knownSteps * stepSeconds) / 86_400;
  return Math.max(0, Math.min(1, days / FULL_CONFIDENCE_DAYS));
}

/**
 * The factor a zone's buffer is multiplied by: 1 at full confidence, rising linearly to
 * `lowConfidenceMultiplier` at zero confidence.
 */
export function bufferMultiplier(confidence: number, lowConfidenceMultiplier: number): number {
  const c = Math.max(0, Math.min(1, Number.isFinite(confidence) ? confidence : 0));
  return 1 + (lowConfidenceMultiplier - 1) * (1 - c);
}

export function knownSteps(values: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) n++;
  return n;
}
