// The record of a successful placement: what the caller is told, and what is stored with
// the request's Idempotency-Key and told again to a retry (also after a restart, so its
// shape is part of the database's contents).
import { partitionOf } from '../../core/model/types.js';
import type { Reservation } from '../reservations/store.js';

export interface PlacedAnswer {
  decision: 'placed';
  zone: string;
  reservationId: string;
  partition: string;
  /** ISO 8601 */
  expiresAt: string;
  overflow: boolean;
  /** the grant probability (overflow only) */
  probability?: number;
  /** the zone whose room holds the reservation until the auto-scaler re-partitions */
  borrowedFrom?: string;
  /** the domain defined and started from domainXml */
  domain?: string;
}

/** The answer of a placement, from its reservation (the domain is added once it runs). */
export function placedAnswer(r: Reservation): PlacedAnswer {
  const answer: PlacedAnswer = {
    decision: 'placed',
    zone: r.zone,
    reservationId: r.id,
    partition: partitionOf(r.zone),
    expiresAt: new Date(r.expiresAt).toISOString(),
    overflow: r.overflow,
  };
  if (r.probability !== null) answer.probability = r.probability;
  if (r.chargeZone !== r.zone) answer.borrowedFrom = r.chargeZone;
  return answer;
}
