// Idempotency keys: a placement request's key and the hash of its body live on the
// reservation it made, with the answer it got; a retry with the same key and body gets
// that answer again and never reserves twice. Only successful placements are remembered.
import { createHash } from 'node:crypto';
import type { ReservationStore } from '../reservations/store.js';
import type { PlacedAnswer } from './placed-answer.js';
import type { Refusal } from './results.js';

/** Canonical JSON (sorted keys) so the same body always hashes the same. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

export const bodyHash = (body: unknown): string => createHash('sha256').update(canonical(body)).digest('base64url');

export type Replay = { kind: 'replayed'; answer: PlacedAnswer } | Refusal;

/**
 * What an earlier request with this key settles: its stored answer (same body), a
 * refusal (different body, or still being carried out), or nothing (a new key).
 */
export function replayOf(store: ReservationStore, key: string, hash: string): Replay | undefined {
  const earlier = store.getByKey(key);
  if (!earlier) return undefined;
  if (earlier.bodyHash !== hash) {
    return { kind: 'refused', reason: 'invalid', detail: `Idempotency-Key ${JSON.stringify(key)} was already used with a different request body`, field: 'Idempotency-Key' };
  }
  if (earlier.response === null) {
    return {
      kind: 'refused',
      reason: 'in-progress',
      detail: `a request with Idempotency-Key ${JSON.stringify(key)} is still being carried out; retry later`,
      field: 'Idempotency-Key',
    };
  }
  return { kind: 'replayed', answer: JSON.parse(earlier.response) as PlacedAnswer };
}
