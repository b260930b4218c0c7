// A reservation's life: created by a placement, bound to its domain (confirmed by the
// caller, or by the daemon once it started the domain), fulfilled when the zone monitor
// counts the domain in its zone, released by the caller, expired at its TTL, pruned a
// week after it ended. Every change runs in a transaction; what to reserve is decided
// elsewhere (placement/decide.ts).
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../core/log.js';
import { isLibvirtError } from '../../core/host/errors.js';
import { buildZoneMetadata, MetadataError, parseZoneMetadata, type ZoneMembership } from '../../core/host/metadata.js';
import { VIRTZONE_NS_URI, type DomainInfo, type HostAdapter } from '../../core/host/types.js';
import type { AuditLog } from '../../core/store/audit.js';
import type { ZoneState } from '../../core/model/types.js';
import type { AppReservations, ChargedTotals } from '../placement/decide.js';
import { placedAnswer } from '../placement/placed-answer.js';
import { hostRefusal } from '../placement/host-refusal.js';
import { refused, type Refusal, type ReservationResult } from '../placement/results.js';
import type { Reservation, ReservationStore, ZoneTotals } from './store.js';

/** ended reservations, and the idempotency keys on them, are kept this long */
const ENDED_RETENTION_MS = 7 * 24 * 3600 * 1000;

/** What a placement reserves; the lifecycle fills in the id, state and times. */
export interface NewReservation {
  zone: string;
  chargeZone: string;
  tenant: string;
  app: string;
  priority: string | null;
  name: string | null;
  vcpus: number;
  memoryMiB: number;
  /** the overflow grant's probability; null: admitted without overflow */
  probability: number | null;
  idempotencyKey: string;
  bodyHash: string;
  ttlMs: number;
  /**
   * store the answer with the key now (a plain placement); false while a domain is still
   * to be created (a retry is told "in progress" until bindCreated stores it)
   */
  answerNow: boolean;
  /** the domain the daemon is to create for it: its intent, stored with the reservation before anything touches the host */
  creation?: { domainUuid: string; template: string | null; rootVolume: string | null };
}

/** The reservations a decision reads, inside the transaction that records it. */
export interface ChargeSnapshot {
  totals: ReadonlyMap<string, ChargedTotals>;
  byApp: AppReservations[];
  /** unix ms when the first active reservation charged to the asked zone runs out */
  earliestExpiry: number | null;
}

export interface ReservationLifecycleOptions {
  store: ReservationStore;
  /** tags confirmed domains; absent: confirm binds without checking or tagging */
  host?: HostAdapter;
  now: () => number;
  logger?: Logger;
  audit?: AuditLog;
  /** see RouterDeps.onDomainTagged */
  onDomainTagged?: (uuid: string) => void;
}

/** What confirm found on the host, or why the domain cannot be bound. */
type ConfirmCheck = { kind: 'ok'; info: DomainInfo; running: boolean; tag: ZoneMembership } | Refusal;

export class ReservationLifecycle {
  constructor(private readonly o: ReservationLifecycleOptions) {}

  get store(): ReservationStore {
    return this.o.store;
  }

  /** Bound reservations whose domain the zone monitor now counts in its zone are fulfilled. Inside a transaction. */
  fulfillBound(zones: readonly ZoneState[], now: number): void {
    this.o.store.fulfillBound(() => vmsByZone(zones), now);
  }

  /** What a decision for `zone` reads of the reservations. Inside the transaction that records it. */
  chargeSnapshot(zone: string, withApps: boolean, now: number): ChargeSnapshot {
    const { store } = this.o;
    return { totals: store.totals(), byApp: withApps ? store.activeByApp() : [], earliestExpiry: store.earliestExpiry(zone, now) };
  }

  /** Records a placement's reservation. Inside the transaction that decided it. */
  create(n: NewReservation, now: number): Reservation {
    const r: Reservation = {
      id: uuidv7(now),
      zone: n.zone,
      chargeZone: n.chargeZone,
      tenant: n.tenant,
      app: n.app,
      priority: n.priority,
      name: n.name,
      vcpus: n.vcpus,
      memoryMiB: n.memoryMiB,
      overflow: n.probability !== null,
      probability: n.probability,
      state: 'reserved',
      domain: null,
      idempotencyKey: n.idempotencyKey,
      bodyHash: n.bodyHash,
      response: null,
      createdAt: now,
      expiresAt: now + n.ttlMs,
      endedAt: null,
      domainUuid: n.creation?.domainUuid ?? null,
      template: n.creation?.template ?? null,
      rootVolume: n.creation?.rootVolume ?? null,
      creation: n.creation ? 'intent' : null,
    };
    if (n.answerNow) r.response = JSON.stringify(placedAnswer(r));
    this.o.store.insert(r);
    return r;
  }

  get(id: string): ReservationResult {
    const r = this.o.store.get(id);
    return r ? { kind: 'reservation', reservation: r } : refused('not-found', `no reservation ${id}`, 'id');
  }

  /**
   * Binds a reservation to the domain the caller created and tags it — live and in its
   * persistent definition, so a running VM joins its zone at the next collector tick —
   * keeping the floors an operator set in an existing tag of the same class. Refused: a
   * domain larger than the reservation (what runs is what is charged), one that already
   * belongs to another zone, reservation or pool.
   */
  /**
   * `claimed`: the caller is not an admin, so the domain must show it was
   * defined for this reservation — its virtzone tag names it (class and reservation) —
   * or any untagged domain on the host could be pulled into a zone by naming it.
   */
  async confirm(id: string, domain: string, opts: { claimed?: boolean } = {}): Promise<ReservationResult> {
    const { store, now } = this.o;
    const r = store.get(id);
    if (!r) return refused('not-found', `no reservation ${id}`, 'id');
    const t = now();
    if (r.state === 'bound' || r.state === 'fulfilled') {
      if (r.domain === domain) return { kind: 'reservation', reservation: r };
      return refused('conflict', `reservation ${id} is already bound to domain ${JSON.stringify(r.domain)}`, 'domain');
    }
    if (r.state !== 'reserved' || r.expiresAt <= t) {
      return refused('conflict', `reservation ${id} is ${r.state === 'reserved' ? 'expired' : r.state}; place again`, 'id');
    }
    if (r.creation !== null) return refused('conflict', `reservation ${id} is creating its own domain; it cannot be confirmed`, 'id');
    const host = this.o.host;
    let tagged: ZoneMembership | null = null;
    if (host) {
      const checked = await this.checkConfirmable(host, r, domain, opts.claimed === true);
      if (checked.kind === 'refused') return checked;
      tagged = checked.tag;
      try {
        await host.setMetadata(domain, buildZoneMetadata(tagged), { live: checked.running, config: checked.info.persistent });
      } catch (err) {
        return hostRefusal(err, `tag domain ${JSON.stringify(domain)}`);
      }
      this.o.onDomainTagged?.(checked.info.uuid);
    }
    const bound = store.transaction(() => {
      const cur = store.get(id)!;
      if (cur.state !== 'reserved' || cur.expiresAt <= now()) return cur;
      store.bind(id, domain);
      return store.get(id)!;
    });
    if (bound.domain !== domain) return refused('conflict', `reservation ${id} changed while confirming (now ${bound.state})`, 'id');
    this.o.audit?.append({ ts: t / 1000, actor: 'router', vm: domain, action: 'confirm', reason: `reservation ${id} confirmed`, before: null, after: tagged ?? { class: r.zone, tagged: false }, result: 'ok', error: null });
    this.o.logger?.info(
      { vm: domain, zone: r.zone, action: 'tag', why: `reservation ${id} confirmed`, before: null, after: tagged, tagged: host !== undefined },
      `${domain} bound to reservation ${id} in zone ${r.zone}`,
    );
    return { kind: 'reservation', reservation: bound };
  }

  private async checkConfirmable(host: HostAdapter, r: Reservation, domain: string, claimed: boolean): Promise<ConfirmCheck> {
    if (!host.isAlive()) return refused('host-unavailable', 'no connection to libvirt: cannot check the domain now');
    let info: DomainInfo;
    try {
      info = await host.lookup(domain);
    } catch (err) {
      if (isLibvirtError(err, 'VIR_ERR_NO_DOMAIN')) return refused('invalid', `no domain named ${JSON.stringify(domain)} on this host`, 'domain');
      return hostRefusal(err, `look up domain ${JSON.stringify(domain)}`);
    }
    // what runs is what is charged: the domain may not be larger than its reservation
    // (<memory>, not the balloon: a guest may refuse to give memory back)
    if (info.vcpusCurrent > r.vcpus) {
      return refused('invalid', `domain ${domain} runs ${info.vcpusCurrent} vCPUs, more than the ${r.vcpus} reservation ${r.id} holds`, 'domain');
    }
    const memoryMiB = Math.ceil(info.maxMemoryKiB / 1024);
    if (memoryMiB > r.memoryMiB) {
      return refused('invalid', `domain ${domain} has ${memoryMiB} MiB of memory, more than the ${r.memoryMiB} MiB reservation ${r.id} holds`, 'domain');
    }
    const running = info.id >= 0;
    let existing: ZoneMembership | null = null;
    try {
      const meta = await host.getMetadata(domain, running ? { live: true } : { config: true });
      existing = meta === null ? null : parseZoneMetadata(meta);
    } catch (err) {
      if (err instanceof MetadataError) return refused('conflict', `domain ${domain} carries a virtzone tag that does not parse; fix or remove it first`, 'domain');
      return hostRefusal(err, `read the tag of domain ${JSON.stringify(domain)}`);
    }
    if (existing?.pool !== undefined) return refused('conflict', `domain ${domain} is a member of zone ${existing.class}'s pool`, 'domain');
    if (existing && existing.class !== r.zone) return refused('conflict', `domain ${domain} already belongs to zone ${existing.class}`, 'domain');
    if (existing?.reservation !== undefined && existing.reservation !== r.id) {
      return refused('conflict', `domain ${domain} already belongs to reservation ${existing.reservation}`, 'domain');
    }
    if (claimed && existing?.reservation !== r.id) {
      return refused(
        'forbidden',
        `domain ${domain} does not carry reservation ${r.id}'s tag: only an admin may confirm a domain that was not defined for the reservation (<virtzone:zone xmlns:virtzone="${VIRTZONE_NS_URI}" class="${r.zone}" reservation="${r.id}"/> in its <metadata>)`,
        'domain',
      );
    }
    // an operator's floors on a domain tagged for this zone are kept
    const tag: ZoneMembership = { class: r.zone, tenant: r.tenant, app: r.app, reservation: r.id };
    if (existing?.memoryFloorMiB !== undefined) tag.memoryFloorMiB = existing.memoryFloorMiB;
    if (existing?.minVcpus !== undefined) tag.minVcpus = existing.minVcpus;
    return { kind: 'ok', info, running, tag };
  }

  /** Releases a reservation (idempotent: an ended one is reported as it is). */
  release(id: string): ReservationResult {
    const { store, now } = this.o;
    const r = store.transaction(() => {
      const t = now();
      const cur = store.get(id);
      if (!cur) return undefined;
      if (cur.state === 'reserved' || cur.state === 'bound') store.end(id, cur.expiresAt <= t ? 'expired' : 'released', t);
      return store.get(id);
    });
    if (!r) return refused('not-found', `no reservation ${id}`, 'id');
    this.o.logger?.debug({ reservation: id, state: r.state }, 'reservation released');
    return { kind: 'reservation', reservation: r };
  }

  /** Binds a reservation to the domain the daemon created for it and stores the answer for its key; false when it is no longer active. */
  bindCreated(id: string, domain: string, answer: object): boolean {
    const { store } = this.o;
    return store.transaction(() => {
      if (!store.bind(id, domain, JSON.stringify(answer))) return false;
      if (store.get(id)?.creation != null) store.setCreation(id, 'done');
      return true;
    });
  }

  /** Releases a placement that did not complete and forgets its key, so a retry is decided afresh. */
  releaseUnfinished(id: string): void {
    const { store, now } = this.o;
    store.transaction(() => {
      store.end(id, 'released', now());
      store.forgetKey(id);
    });
  }

  /**
   * Periodic housekeeping: expire what ran out; delete reservations that ended more
   * than a week ago (their idempotency keys go with them).
   */
  sweep(): { expired: number; pruned: number } {
    const { store, now } = this.o;
    return store.transaction(() => {
      const t = now();
      return { expired: store.expireDue(t), pruned: store.pruneEnded(t - ENDED_RETENTION_MS) };
    });
  }

  /** Active reservations per charged zone (expired ones dropped first). */
  totalsInForce(): Map<string, ZoneTotals> {
    const { store, now } = this.o;
    return store.transaction(() => {
      store.expireDue(now());
      return store.totals();
    });
  }
}

/**
 * A UUIDv7 (RFC 9562): 48-bit unix ms, version 7, then random bits (taken from a v4
 * UUID, whose variant bits are already right). Ids that grow with time are appended at
 * the right edge of the primary-key index instead of dirtying a random page each.
 */
function uuidv7(ms: number): string {
  const t = (Math.max(0, Math.floor(ms)) % 2 ** 48).toString(16).padStart(12, '0');
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${randomUUID().slice(15)}`;
}

function vmsByZone(zones: readonly ZoneState[]): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  for (const z of zones) m.set(z.name, new Set(z.vms));
  return m;
}
