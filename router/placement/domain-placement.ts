// Placements that bring their domain (domainXml): the XML and the host are checked
// before anything is reserved; once reserved, the domain is defined in the zone's
// partition, tagged and started (create-domain.ts) and the reservation bound to it —
// or, when that fails, released with its key forgotten. A placement cut off by a daemon
// stop half-way is settled when its request is retried.
import type { Logger } from '../../core/log.js';
import type { HostAdapter } from '../../core/host/types.js';
import { parseZoneMetadata } from '../../core/host/metadata.js';
import { partitionOf } from '../../core/model/types.js';
import { readDomainPartition } from '../../core/xml/domain-xml.js';
import type { EnsurePartition } from '../deps.js';
import type { ReservationLifecycle } from '../reservations/lifecycle.js';
import type { Reservation } from '../reservations/store.js';
import { createDomain, DomainCreateError } from './create-domain.js';
import { DomainXmlError, inspectDomainXml } from './domain-xml.js';
import { placedAnswer, type PlacedAnswer } from './placed-answer.js';
import { refused, type Refusal } from './results.js';

export interface DomainPlacementOptions {
  reservations: ReservationLifecycle;
  host?: HostAdapter;
  /** see RouterDeps.ensurePartition */
  ensurePartition?: EnsurePartition;
  logger?: Logger;
}

export class DomainPlacement {
  /** reservations whose domain this process is creating now (their key answers "in progress") */
  private readonly creating = new Set<string>();

  constructor(private readonly o: DomainPlacementOptions) {}

  /** Validates domainXml and the host before anything is reserved: the domain name in it, or why not. */
  async check(domainXml: string, name: string | undefined): Promise<{ kind: 'ok'; name: string } | Refusal> {
    let facts;
    try {
      facts = inspectDomainXml(domainXml).facts;
    } catch (err) {
      if (err instanceof DomainXmlError) return refused('invalid', `domainXml: ${err.message}`, 'domainXml');
      throw err;
    }
    if (!facts.name) return refused('invalid', 'domainXml: <domain> has no <name>', 'domainXml');
    if (name !== undefined && name !== facts.name) {
      return refused('invalid', `name ${JSON.stringify(name)} differs from the domain XML's <name> ${JSON.stringify(facts.name)}`, 'name');
    }
    const host = this.o.host;
    if (!host || !host.isAlive()) return refused('host-unavailable', 'no connection to libvirt: cannot create a domain now');
    // define() would silently redefine an existing domain: never touch someone else's VM
    const existing = await host.listDomains();
    if (existing.some((d) => d.name === facts.name)) return refused('conflict', `a domain named ${JSON.stringify(facts.name)} already exists`, 'domainXml');
    if (facts.uuid && existing.some((d) => d.uuid.toLowerCase() === facts.uuid!.toLowerCase())) {
      return refused('conflict', `a domain with uuid ${facts.uuid} already exists`, 'domainXml');
    }
    return { kind: 'ok', name: facts.name };
  }

  /** Marks a just-reserved placement as having its domain created by this process (inside the reserving transaction). */
  begin(reservationId: string): void {
    this.creating.add(reservationId);
  }

  /**
   * Defines, tags and starts the domain of a reservation begun with begin(); binds the
   * reservation to it and stores the final answer. On failure the domain is undone and
   * the reservation released with its key forgotten.
   */
  async create(domainXml: string, r: Reservation, answer: PlacedAnswer): Promise<{ kind: 'created'; answer: PlacedAnswer } | Refusal> {
    const { reservations } = this.o;
    try {
      const ensure = this.o.ensurePartition;
      const domain = await createDomain(
        this.o.host!,
        domainXml,
        partitionOf(r.zone),
        { zone: r.zone, tenant: r.tenant, app: r.app, reservationId: r.id },
        ensure ? () => ensure(r.zone, { vcpus: r.vcpus, memoryMiB: r.memoryMiB }) : undefined,
      );
      const final: PlacedAnswer = { ...answer, domain };
      reservations.bindCreated(r.id, domain, final);
      this.o.logger?.info(
        { vm: domain, zone: r.zone, action: 'define+start', why: `placement ${r.id} (tenant ${r.tenant}, app ${r.app})`, before: null, after: { state: 'running', partition: partitionOf(r.zone), vcpus: r.vcpus, memoryMiB: r.memoryMiB } },
        `${domain} defined and started in ${partitionOf(r.zone)}`,
      );
      return { kind: 'created', answer: final };
    } catch (err) {
      // release what we reserved and forget the key, so a retry starts afresh
      reservations.releaseUnfinished(r.id);
      if (!(err instanceof DomainCreateError)) throw err;
      this.o.logger?.warn(
        { zone: r.zone, action: 'define+start', why: `placement ${r.id} (tenant ${r.tenant}, app ${r.app})`, before: null, after: null, stage: err.stage, err: err.cause, reservation: r.id },
        `domain creation failed at ${err.stage}; undone, reservation released`,
      );
      if (err.stage === 'define') return refused('invalid', `libvirt rejected the domain XML: ${err.message}`, 'domainXml');
      if (err.stage === 'partition') {
        return refused('partition-failed', `the resource partition ${partitionOf(r.zone)} of zone ${r.zone} could not be prepared: ${err.message}; the domain was removed and the reservation released`);
      }
      return refused('host-failed', `libvirt failed to ${err.stage === 'start' ? 'start' : 'tag'} the domain: ${err.message}; the reservation was released`);
    } finally {
      this.creating.delete(r.id);
    }
  }

  /**
   * A domainXml placement whose key has a reservation without an answer, and that no
   * request of this process is carrying out, was cut off: the daemon stopped (crashed,
   * was killed) while creating its domain. Its retry must not wait for ever on "in
   * progress", so the leftover is settled first: a domain that came up running, tagged
   * with this reservation, is bound to it and its answer stored (the retry gets the 201
   * the first request would have got); otherwise the domain we had defined is removed,
   * the reservation released and the key forgotten, and the retry places afresh.
   * "We had defined": tagged with this reservation, or — cut off between define and
   * tagging — not running, untagged, with the reservation's name and its zone's
   * partition (the name was checked free before reserving).
   */
  async settleInterrupted(key: string, hash: string): Promise<void> {
    const { reservations } = this.o;
    const r = reservations.store.getByKey(key);
    if (!r || r.response !== null || r.bodyHash !== hash || this.creating.has(r.id)) return;
    const host = this.o.host;
    if (!host || !host.isAlive()) return; // cannot look now: the retry is told "in progress"
    let domain: { running: boolean; ours: boolean } | null = null;
    if (r.name !== null) {
      const d = (await host.listDomains()).find((x) => x.name === r.name);
      if (d) {
        let meta: string | null = null;
        let tagged: string | undefined;
        try {
          meta = await host.getMetadata(d.name);
          tagged = meta === null ? undefined : parseZoneMetadata(meta).reservation;
        } catch {
          tagged = 'unreadable'; // not provably ours
        }
        const running = d.state === 'running' || d.state === 'blocked' || d.state === 'paused';
        let ours = tagged === r.id;
        if (!ours && meta === null && !running && d.persistent) {
          const xml = await host.getXml(d.name, { inactive: true }).catch(() => null);
          try {
            ours = xml !== null && readDomainPartition(xml) === partitionOf(r.zone);
          } catch {
            ours = false; // unreadable: not provably ours
          }
        }
        domain = { running, ours };
      }
    }
    if (domain?.ours && domain.running && (r.state === 'reserved' || r.state === 'bound')) {
      if (reservations.bindCreated(r.id, r.name!, { ...placedAnswer(r), domain: r.name! })) {
        this.o.logger?.info({ reservation: r.id, domain: r.name }, 'placement cut off by a daemon stop: its domain runs; bound');
        return;
      }
    }
    if (domain?.ours) {
      await host.destroy(r.name!).catch(() => undefined);
      await host.undefine(r.name!).catch(() => undefined);
    }
    reservations.releaseUnfinished(r.id);
    this.o.logger?.info({ reservation: r.id, domain: r.name, removedDomain: domain?.ours ?? false }, 'placement cut off by a daemon stop: released; the retry places afresh');
  }
}
