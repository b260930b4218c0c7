// What the placement service answers, in its own terms: the route plugin
// (plugins/placements.ts) turns these into HTTP statuses and bodies.
import type { OverflowDecision, Resources } from '../overflow/policy.js';
import type { Reservation } from '../reservations/store.js';
import type { PlacedAnswer } from './placed-answer.js';

/**
 * Why a request was not carried out:
 *  - invalid: it cannot be carried out as asked (unknown priority or template, a size outside the template, reused key, refused domain XML, no such domain);
 *  - forbidden: this host does not allow what it asks (raw domain XML when provisioning.rawDomainXml is off), or the caller may not (another tenant, a zone outside its classes);
 *  - over-quota: the tenant would hold more than a quota allows (extensions name the quota);
 *  - in-progress: a request with the same key is still being carried out; retry soon;
 *  - conflict: it clashes with what exists (a domain of that name, a reservation in another state);
 *  - not-found: no such reservation;
 *  - host-unavailable: no connection to libvirt now;
 *  - partition-failed: the zone's resource partition could not be prepared;
 *  - host-failed: libvirt failed to create, start or tag the domain (its message is logged, not sent).
 */
export type RefusalReason = 'invalid' | 'forbidden' | 'over-quota' | 'in-progress' | 'conflict' | 'not-found' | 'host-unavailable' | 'partition-failed' | 'host-failed';

export interface Refusal {
  kind: 'refused';
  reason: RefusalReason;
  detail: string;
  /** the request field at fault (body field, header or path parameter), when one is */
  field?: string;
  /** more about the refusal, for the caller's program (the quota and its numbers) */
  extensions?: Record<string, unknown>;
}

export const refused = (reason: RefusalReason, detail: string, field?: string, extensions?: Record<string, unknown>): Refusal => ({
  kind: 'refused',
  reason,
  detail,
  ...(field === undefined ? {} : { field }),
  ...(extensions === undefined ? {} : { extensions }),
});

export type PlaceResult =
  /** reserved now (and, with domainXml, the domain runs) */
  | { kind: 'placed'; outcome: 'placed' | 'borrowed' | 'overflow'; reservation: Reservation; answer: PlacedAnswer }
  /** a retry of a placement already made: its first answer */
  | { kind: 'replayed'; answer: PlacedAnswer }
  /** nothing had room and the overflow manager did not grant it */
  | { kind: 'rejected'; zone: string; request: Resources; overflow: OverflowDecision; retryAfterSeconds: number }
  | Refusal;

export type ReservationResult = { kind: 'reservation'; reservation: Reservation } | Refusal;
