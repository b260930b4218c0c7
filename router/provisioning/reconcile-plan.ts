// What the reconciler would do, decided from facts alone: the reservations whose domain
// the daemon began and did not finish creating, the bound reservations, and the domains
// on the host with the reservation each is tagged with. Pure, so the dry run shows
// exactly what an apply does. A running guest is never removed: at most reported.
import type { Reservation } from '../reservations/store.js';

/** A domain on the host, as the reconciler sees it. */
export interface HostDomainFacts {
  name: string;
  uuid: string;
  running: boolean;
  persistent: boolean;
  /** the reservation id in its virtzone tag; null: untagged; 'unreadable': a tag that does not parse */
  taggedReservation: string | null;
}

export type ReconcileAction =
  /** a creation cut off after its domain started: bind the reservation to it and store the placement's answer */
  | { kind: 'bind'; reservation: string; domain: string; why: string }
  /** a creation cut off before its domain ran: remove what it made (domain by uuid, root volume), release the reservation, forget its key */
  | { kind: 'remove'; reservation: string; domain: string | null; uuid: string; rootVolume: string | null; why: string }
  /** a reservation whose domain is gone: release it */
  | { kind: 'release'; reservation: string; domain: string | null; why: string }
  /** a guest that runs (or is defined) without a reservation of its own: reported and audited, left as it is */
  | { kind: 'report'; reservation: string | null; domain: string; why: string };

export interface ReconcileFacts {
  /** reservations with an unfinished creation that no request of this process is carrying out */
  unfinished: readonly Reservation[];
  /** active reservations bound to a domain */
  bound: readonly Reservation[];
  domains: readonly HostDomainFacts[];
  /** a tagged reservation by id (undefined: not in the database) */
  reservation: (id: string) => Reservation | undefined;
  /** reservations this process is creating a domain for now: not touched */
  inFlight: ReadonlySet<string>;
}

const active = (r: Reservation) => r.state === 'reserved' || r.state === 'bound';

export function planReconcile(f: ReconcileFacts): ReconcileAction[] {
  const actions: ReconcileAction[] = [];
  const byUuid = new Map(f.domains.map((d) => [d.uuid.toLowerCase(), d]));
  const byName = new Map(f.domains.map((d) => [d.name, d]));
  const settled = new Set<string>(); // domains an action above already covers

  for (const r of f.unfinished) {
    if (f.inFlight.has(r.id)) continue;
    const d = r.domainUuid ? byUuid.get(r.domainUuid.toLowerCase()) : undefined;
    if (d) settled.add(d.name);
    if (d?.running) {
      if (active(r)) actions.push({ kind: 'bind', reservation: r.id, domain: d.name, why: `its creation stopped at '${r.creation}' with the domain running` });
      else actions.push({ kind: 'report', reservation: r.id, domain: d.name, why: `runs, but its reservation was ${r.state} before the creation finished` });
      continue;
    }
    actions.push({
      kind: 'remove',
      reservation: r.id,
      domain: d?.name ?? null,
      uuid: r.domainUuid ?? '',
      rootVolume: r.rootVolume,
      why: d ? `its creation stopped at '${r.creation}' before the domain ran` : `its creation stopped at '${r.creation}' with no domain on the host`,
    });
  }

  for (const r of f.bound) {
    if (f.inFlight.has(r.id) || r.domain === null) continue;
    const d = (r.domainUuid ? byUuid.get(r.domainUuid.toLowerCase()) : undefined) ?? byName.get(r.domain);
    if (!d) actions.push({ kind: 'release', reservation: r.id, domain: r.domain, why: `domain ${r.domain} is no longer on the host` });
  }

  for (const d of f.domains) {
    if (settled.has(d.name) || d.taggedReservation === null) continue;
    if (d.taggedReservation === 'unreadable') continue; // not provably ours: the zone monitor reports bad tags
    const r = f.reservation(d.taggedReservation);
    if (r && f.inFlight.has(r.id)) continue;
    if (!r) {
      actions.push({ kind: 'report', reservation: d.taggedReservation, domain: d.name, why: `tagged with reservation ${d.taggedReservation}, which is not in the database (pruned a week after it ended, or made by another host)` });
    } else if (r.domain !== d.name) {
      actions.push({ kind: 'report', reservation: r.id, domain: d.name, why: `tagged with reservation ${r.id} (${r.state}), which was never bound to it` });
    }
  }
  return actions;
}
