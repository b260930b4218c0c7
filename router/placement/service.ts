// The placement service: maps a request to a zone, decides (admission, then the
// overflow policy), records the reservation durably, and — with domainXml — creates the
// domain. The decision and the insert happen in one IMMEDIATE transaction that reads
// the current reservation totals, so concurrent requests can never over-commit.
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../../core/config/schema.js';
import type { HostAdapter } from '../../core/host/types.js';
import { partitionOf, type ZoneState } from '../../core/model/types.js';
import type { AppProfileProvider, EnsurePartition, ForecastProvider, ZoneProvider } from '../deps.js';
import type { OverflowDecision, OverflowPolicy, Resources } from '../overflow/policy.js';
import { ProblemError, conflict, notFound, unavailable, unprocessable } from '../problem.js';
import type { Reservation, ReservationStore } from '../reservations/store.js';
import { admit, candidateZones, overflowView, zoneCapacityOf, type ZoneCapacity } from './admission.js';
import { appKey, type AppProfiles } from './app-profile.js';
import { parseZoneMetadata } from '../../core/host/metadata.js';
import { createDomain, DomainCreateError, virtzoneMetadata } from './create-domain.js';
import { DomainXmlError, inspectDomainXml } from './domain-xml.js';
import { mapToZone } from './mapping.js';

export interface PlacementRequest {
  tenant: string;
  app: string;
  priority?: string;
  vcpus: number;
  memoryMiB: number;
  name?: string;
  domainXml?: string;
  ttlSeconds?: number;
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
  /** true for a problem (error or rejection) body */
  problem?: boolean;
}

export type DecisionOutcome = 'placed' | 'borrowed' | 'overflow' | 'rejected' | 'replayed' | 'failed';

export interface PlacementServiceOptions {
  store: ReservationStore;
  config: Config;
  zones: ZoneProvider;
  forecasts: ForecastProvider;
  /** see RouterDeps.appProfiles */
  appProfiles?: AppProfileProvider;
  policy: OverflowPolicy;
  host?: HostAdapter;
  /** see RouterDeps.ensurePartition */
  ensurePartition?: EnsurePartition;
  now: () => number;
  logger?: Logger;
  onDecision?: (zone: string, outcome: DecisionOutcome) => void;
}

/** Canonical JSON (sorted keys) so the same body always hashes the same. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

export const bodyHash = (body: unknown): string => createHash('sha256').update(canonical(body)).digest('base64url');

/** ended reservations, and the idempotency keys on them, are kept this long */
export const ENDED_RETENTION_MS = 7 * 24 * 3600 * 1000;
const ZERO: Resources = { cpuCores: 0, memoryMiB: 0 };
const NO_PROFILES: AppProfiles = new Map();
const iso = (ms: number) => new Date(ms).toISOString();

/** The 201 answer of a placement, from its reservation (the domain is added once it runs). */
export function placementAnswer(r: Reservation): Record<string, unknown> {
  const body: Record<string, unknown> = {
    decision: 'placed',
    zone: r.zone,
    reservationId: r.id,
    partition: partitionOf(r.zone),
    expiresAt: iso(r.expiresAt),
    overflow: r.overflow,
  };
  if (r.probability !== null) body.probability = r.probability;
  if (r.chargeZone !== r.zone) body.borrowedFrom = r.chargeZone;
  return body;
}

export function reservationView(r: Reservation, now: number): Record<string, unknown> {
  const active = r.state === 'reserved' || r.state === 'bound';
  const view: Record<string, unknown> = {
    id: r.id,
    // an active row past its TTL is expired even before the sweep marks it
    state: active && r.expiresAt <= now ? 'expired' : r.state,
    zone: r.zone,
    chargeZone: r.chargeZone,
    partition: partitionOf(r.zone),
    tenant: r.tenant,
    app: r.app,
    vcpus: r.vcpus,
    memoryMiB: r.memoryMiB,
    overflow: r.overflow,
    createdAt: iso(r.createdAt),
    expiresAt: iso(r.expiresAt),
  };
  if (r.priority !== null) view.priority = r.priority;
  if (r.name !== null) view.name = r.name;
  if (r.probability !== null) view.probability = r.probability;
  if (r.domain !== null) view.domain = r.domain;
  if (r.endedAt !== null) view.endedAt = iso(r.endedAt);
  return view;
}

interface Queued {
  fn: () => unknown;
  resolve: (v: any) => void;
  reject: (e: unknown) => void;
}

export class PlacementService {
  private classes: string[];
  /** reservations whose domain this process is creating now (their key answers "in progress") */
  private readonly creating = new Set<string>();
  private queue: Queued[] = [];

  constructor(private o: PlacementServiceOptions) {
    this.classes = o.config.classes.map((c) => c.name);
  }

  /** A reloaded configuration (SIGHUP): the next decision uses it and the policy built from it. */
  reconfigure(config: Config, policy: OverflowPolicy): void {
    this.o = { ...this.o, config, policy };
    this.classes = config.classes.map((c) => c.name);
  }

  /**
   * Group commit: placement decisions that arrive in the same event-loop turn run one
   * after the other inside ONE write transaction, and every caller is answered only
   * after that transaction has committed. Each decision still reads the totals its
   * predecessors wrote, so admission is exactly as if serial; the batch only shares the
   * cost of BEGIN/COMMIT (the WAL write), which dominates. No savepoint per decision is
   * needed: a decision does all its checks first and then at most one INSERT (atomic
   * with its triggers), so one that throws has written nothing that must be undone.
   */
  private decideInBatch<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    const { store, now } = this.o;
    const results: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      store.transaction(() => {
        store.expireDue(now());
        for (const item of batch) {
          try {
            results.push({ ok: true, value: item.fn() });
          } catch (error) {
            results.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // the commit itself failed: nothing of the batch was stored
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const r = results[i];
      if (r.ok) item.resolve(r.value);
      else item.reject(r.error);
    });
  }

  private rankOf(zone: string): number {
    const i = this.classes.indexOf(zone);
    return i < 0 ? this.classes.length : i;
  }

  /**
   * Capacities as admission sees them: zone allocation (its CPU already includes
   * host.cpuOvercommit: the partitioner shares out capacityOf(), so it is not applied
   * again here), members' provisioned size and use, active reservations.
   */
  private capacities(zones: readonly ZoneState[], targetName: string, profiles: AppProfiles): ZoneCapacity[] {
    const totals = this.o.store.totals();
    const out: ZoneCapacity[] = zones.map((z) => zoneCapacityOf(z, this.rankOf(z.name), totals.get(z.name)?.reserved ?? ZERO));
    if (profiles.size > 0) {
      // each active reservation counts at what it was charged: its app's ratio when the
      // app has a profile, else its zone's ratio (as expectedRoom() counts it without one)
      const byZone = new Map(out.map((z) => [z.name, z]));
      for (const r of this.o.store.activeByApp()) {
        const z = byZone.get(r.zone);
        if (!z) continue;
        const ratio = profiles.get(appKey(r.tenant, r.app)) ?? { cpu: z.useRatio?.cpu ?? 1, memory: z.useRatio?.memory ?? 1 };
        const c = (z.reservedCharge ??= { cpuCores: 0, memoryMiB: 0 });
        c.cpuCores += r.reserved.cpuCores * ratio.cpu;
        c.memoryMiB += r.reserved.memoryMiB * ratio.memory;
      }
    }
    // a zone the monitor does not report (no plan yet) has no capacity
    if (!out.some((z) => z.name === targetName)) {
      out.push({ name: targetName, rank: this.rankOf(targetName), capacity: ZERO, provisioned: ZERO, used: ZERO, reserved: totals.get(targetName)?.reserved ?? ZERO, exhausted: true });
    }
    return out;
  }

  /** The app profiles, or none when they cannot be read (a placement never fails for them). */
  private async appProfiles(): Promise<AppProfiles> {
    if (!this.o.appProfiles || this.o.config.router.appHistoryDays <= 0) return NO_PROFILES;
    try {
      return await this.o.appProfiles();
    } catch (err) {
      this.o.logger?.warn({ err }, 'app profiles unavailable; charging requests at their class ratio');
      return NO_PROFILES;
    }
  }

  /** Expected load change over the next 30 minutes for the zone's class series; 0 without a forecast. */
  private async expectedGrowth(zone: ZoneState | undefined): Promise<Resources> {
    if (!zone) return ZERO;
    let preds;
    try {
      preds = await this.o.forecasts(`class:${zone.name}`);
    } catch (err) {
      this.o.logger?.warn({ err, zone: zone.name }, 'forecast unavailable for overflow decision; assuming no change');
      return ZERO;
    }
    const expected = (resource: 'cpu' | 'memory') => preds.find((p) => p.horizon === '30m' && p.resource === resource)?.averageLoad;
    const cpu = expected('cpu');
    const mem = expected('memory');
    return {
      cpuCores: cpu === undefined ? 0 : cpu - zone.used.cpuCores,
      memoryMiB: mem === undefined ? 0 : mem - zone.used.memoryMiB,
    };
  }

  private replay(key: string, hash: string): Answer | undefined {
    const earlier = this.o.store.getByKey(key);
    if (!earlier) return undefined;
    if (earlier.bodyHash !== hash) {
      throw unprocessable(`Idempotency-Key ${JSON.stringify(key)} was already used with a different request body`, 'Idempotency-Key');
    }
    if (earlier.response === null) {
      throw new ProblemError(409, 'in-progress', 'Request in progress', `a request with Idempotency-Key ${JSON.stringify(key)} is still being carried out; retry later`, {
        field: 'Idempotency-Key',
        headers: { 'retry-after': '1' },
      });
    }
    return { status: 201, body: JSON.parse(earlier.response), headers: { 'idempotent-replayed': 'true' } };
  }

  async place(req: PlacementRequest, key: string): Promise<Answer> {
    const { store, config, now } = this.o;
    const hash = bodyHash(req);
    // a replayed domainXml placement must not be checked against the host again (its
    // domain exists now); plain placements are checked for replay in the transaction only
    if (req.domainXml !== undefined) {
      await this.settleInterrupted(key, hash);
      const earlier = this.replay(key, hash);
      if (earlier) {
        this.o.onDecision?.(String(earlier.body.zone ?? 'unknown'), 'replayed');
        return earlier;
      }
    }
    const mapped = mapToZone(req, this.classes, config.rules);
    if (!mapped.ok) throw unprocessable(mapped.detail, mapped.field);
    const zoneName = mapped.zone;

    // With domainXml everything that can be checked before reserving is checked first.
    let domainName: string | undefined;
    if (req.domainXml !== undefined) domainName = await this.checkDomainRequest(req);

    const zones = await this.o.zones();
    const target = zones.find((z) => z.name === zoneName);
    const growth = await this.expectedGrowth(target);
    const profiles = await this.appProfiles();
    // charged at what this app's earlier VMs used, when the daemon has seen enough of them
    const appRatio = config.router.admission === 'expected' ? profiles.get(appKey(req.tenant, req.app)) : undefined;
    const request: Resources = { cpuCores: req.vcpus, memoryMiB: req.memoryMiB };
    const ttlMs = (req.ttlSeconds ?? config.api.defaultTtlSeconds) * 1000;

    const outcome = await this.decideInBatch(() => {
      // a concurrent request with the same key may have finished while we awaited
      const again = this.replay(key, hash);
      if (again) return { kind: 'replay' as const, answer: again };
      const t = now();
      store.fulfillBound(() => vmsByZone(zones), t);
      const caps = this.capacities(zones, zoneName, profiles);
      const targetCap = caps.find((z) => z.name === zoneName)!;
      const admission = admit(request, candidateZones(targetCap, caps), config.router.admission, appRatio);
      let decision: OverflowDecision | undefined;
      let chargeZone: string;
      if (admission.kind === 'fits') {
        chargeZone = admission.chargeZone;
      } else {
        const seen = overflowView(admission, caps, config.overflow.scope);
        decision = this.o.policy.decide({
          zone: zoneName,
          rank: targetCap.rank,
          classCount: this.classes.length,
          request,
          free: seen.free,
          total: seen.total,
          expectedGrowth: growth,
          overflowInUse: store.totals().get(zoneName)?.overflow ?? ZERO,
        });
        if (!decision.grant) {
          const earliest = store.earliestExpiry(zoneName, t);
          const untilFree = earliest === null ? Infinity : Math.ceil((earliest - t) / 1000);
          const retryAfterSeconds = Math.max(1, Math.min(config.overflow.retryAfterSeconds, untilFree));
          return { kind: 'rejected' as const, decision, retryAfterSeconds };
        }
        chargeZone = zoneName;
      }
      const r: Reservation = {
        id: uuidv7(t),
        zone: zoneName,
        chargeZone,
        tenant: req.tenant,
        app: req.app,
        priority: req.priority ?? null,
        name: req.name ?? domainName ?? null,
        vcpus: req.vcpus,
        memoryMiB: req.memoryMiB,
        overflow: decision !== undefined,
        probability: decision?.probability ?? null,
        state: 'reserved',
        domain: null,
        idempotencyKey: key,
        bodyHash: hash,
        response: null,
        createdAt: t,
        expiresAt: t + ttlMs,
        endedAt: null,
      };
      const body = placementAnswer(r);
      // with domainXml the answer is stored once the domain runs (until then: 409 in progress)
      if (req.domainXml === undefined) r.response = JSON.stringify(body);
      store.insert(r);
      if (req.domainXml !== undefined) this.creating.add(r.id);
      return { kind: 'placed' as const, reservation: r, body, decision };
    });

    if (outcome.kind === 'replay') {
      this.o.onDecision?.(zoneName, 'replayed');
      return outcome.answer;
    }
    if (outcome.kind === 'rejected') {
      const d = outcome.decision;
      this.o.onDecision?.(zoneName, 'rejected');
      this.o.logger?.debug({ zone: zoneName, tenant: req.tenant, app: req.app, probability: d.probability, freeShare: d.freeShare, policy: d.policy }, 'placement rejected');
      return {
        status: 429,
        problem: true,
        headers: { 'retry-after': String(outcome.retryAfterSeconds) },
        body: {
          type: 'https://virtzone.dev/problems/zone-full',
          title: 'Zone full',
          status: 429,
          detail: `zone ${zoneName} has no room for ${req.vcpus} vCPUs / ${req.memoryMiB} MiB and the ${d.policy} overflow policy did not grant it (free share ${d.freeShare.toFixed(3)}, probability ${d.probability.toFixed(3)})`,
          decision: 'rejected',
          zone: zoneName,
          policy: d.policy,
          probability: d.probability,
          retryAfterSeconds: outcome.retryAfterSeconds,
        },
      };
    }
    const { reservation, body, decision } = outcome;
    const kind: DecisionOutcome = decision ? 'overflow' : reservation.chargeZone !== zoneName ? 'borrowed' : 'placed';
    this.o.onDecision?.(zoneName, kind);
    this.o.logger?.debug({ zone: zoneName, via: mapped.via, reservation: reservation.id, outcome: kind, probability: decision?.probability }, 'placement decided');
    if (req.domainXml === undefined) return { status: 201, body };
    try {
      return await this.finishWithDomain(req, reservation, body);
    } finally {
      this.creating.delete(reservation.id);
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
  private async settleInterrupted(key: string, hash: string): Promise<void> {
    const { store, now } = this.o;
    const r = store.getByKey(key);
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
          const xml = await host.getXml(d.name, { inactive: true }).catch(() => '');
          ours = /<resource>\s*<partition>([^<]*)<\/partition>/.exec(xml)?.[1] === partitionOf(r.zone);
        }
        domain = { running, ours };
      }
    }
    if (domain?.ours && domain.running && (r.state === 'reserved' || r.state === 'bound')) {
      const answer = JSON.stringify({ ...placementAnswer(r), domain: r.name });
      if (store.transaction(() => store.bind(r.id, r.name!, answer))) {
        this.o.logger?.info({ reservation: r.id, domain: r.name }, 'placement cut off by a daemon stop: its domain runs; bound');
        return;
      }
    }
    if (domain?.ours) {
      await host.destroy(r.name!).catch(() => undefined);
      await host.undefine(r.name!).catch(() => undefined);
    }
    store.transaction(() => {
      store.end(r.id, 'released', now());
      store.forgetKey(r.id);
    });
    this.o.logger?.info({ reservation: r.id, domain: r.name, removedDomain: domain?.ours ?? false }, 'placement cut off by a daemon stop: released; the retry places afresh');
  }

  /** Validates domainXml and the host before anything is reserved; returns the domain name in it. */
  private async checkDomainRequest(req: PlacementRequest): Promise<string> {
    let facts;
    try {
      facts = inspectDomainXml(req.domainXml!).facts;
    } catch (err) {
      if (err instanceof DomainXmlError) throw unprocessable(`domainXml: ${err.message}`, 'domainXml');
      throw err;
    }
    if (!facts.name) throw unprocessable('domainXml: <domain> has no <name>', 'domainXml');
    if (req.name !== undefined && req.name !== facts.name) {
      throw unprocessable(`name ${JSON.stringify(req.name)} differs from the domain XML's <name> ${JSON.stringify(facts.name)}`, 'name');
    }
    const host = this.o.host;
    if (!host || !host.isAlive()) throw unavailable('no connection to libvirt: cannot create a domain now');
    // define() would silently redefine an existing domain: never touch someone else's VM
    const existing = await host.listDomains();
    if (existing.some((d) => d.name === facts.name)) throw conflict(`a domain named ${JSON.stringify(facts.name)} already exists`, 'domainXml');
    if (facts.uuid && existing.some((d) => d.uuid.toLowerCase() === facts.uuid!.toLowerCase())) {
      throw conflict(`a domain with uuid ${facts.uuid} already exists`, 'domainXml');
    }
    return facts.name;
  }

  private async finishWithDomain(req: PlacementRequest, r: Reservation, body: Record<string, unknown>): Promise<Answer> {
    const { store, now } = this.o;
    try {
      const ensure = this.o.ensurePartition;
      const domain = await createDomain(
        this.o.host!,
        req.domainXml!,
        partitionOf(r.zone),
        { zone: r.zone, tenant: r.tenant, app: r.app, reservationId: r.id },
        ensure ? () => ensure(r.zone, { vcpus: r.vcpus, memoryMiB: r.memoryMiB }) : undefined,
      );
      const final = { ...body, domain };
      store.transaction(() => store.bind(r.id, domain, JSON.stringify(final)));
      this.o.logger?.info(
        { vm: domain, zone: r.zone, action: 'define+start', why: `placement ${r.id} (tenant ${r.tenant}, app ${r.app})`, before: null, after: { state: 'running', partition: partitionOf(r.zone), vcpus: r.vcpus, memoryMiB: r.memoryMiB } },
        `${domain} defined and started in ${partitionOf(r.zone)}`,
      );
      return { status: 201, body: final };
    } catch (err) {
      // release what we reserved and forget the key, so a retry starts afresh
      store.transaction(() => {
        store.end(r.id, 'released', now());
        store.forgetKey(r.id);
      });
      this.o.onDecision?.(r.zone, 'failed');
      if (err instanceof DomainCreateError) {
        this.o.logger?.warn(
          { zone: r.zone, action: 'define+start', why: `placement ${r.id} (tenant ${r.tenant}, app ${r.app})`, before: null, after: null, stage: err.stage, err: err.cause, reservation: r.id },
          `domain creation failed at ${err.stage}; undone, reservation released`,
        );
        if (err.stage === 'define') throw unprocessable(`libvirt rejected the domain XML: ${err.message}`, 'domainXml');
        if (err.stage === 'partition') {
          throw new ProblemError(502, 'partition-failed', 'Zone partition unavailable', `the resource partition ${partitionOf(r.zone)} of zone ${r.zone} could not be prepared: ${err.message}; the domain was removed and the reservation released`);
        }
        throw new ProblemError(502, 'host-failed', 'Hypervisor failed', `libvirt failed to ${err.stage === 'start' ? 'start' : 'tag'} the domain: ${err.message}; the reservation was released`);
      }
      throw err;
    }
  }

  get(id: string): Answer {
    const r = this.o.store.get(id);
    if (!r) throw notFound(`no reservation ${id}`, 'id');
    return { status: 200, body: reservationView(r, this.o.now()) };
  }

  async confirm(id: string, domain: string): Promise<Answer> {
    const { store, now } = this.o;
    const r = store.get(id);
    if (!r) throw notFound(`no reservation ${id}`, 'id');
    const t = now();
    if (r.state === 'bound' || r.state === 'fulfilled') {
      if (r.domain === domain) return { status: 200, body: reservationView(r, t) };
      throw conflict(`reservation ${id} is already bound to domain ${JSON.stringify(r.domain)}`, 'domain');
    }
    if (r.state !== 'reserved' || r.expiresAt <= t) {
      throw conflict(`reservation ${id} is ${r.state === 'reserved' ? 'expired' : r.state}; place again`, 'id');
    }
    const host = this.o.host;
    if (host) {
      if (!host.isAlive()) throw unavailable('no connection to libvirt: cannot check the domain now');
      const exists = (await host.listDomains()).some((d) => d.name === domain);
      if (!exists) throw unprocessable(`no domain named ${JSON.stringify(domain)} on this host`, 'domain');
      // tag it so the zone monitor counts it in its zone
      await host.setMetadata(domain, virtzoneMetadata({ zone: r.zone, tenant: r.tenant, app: r.app, reservationId: r.id }), { config: true });
    }
    const bound = store.transaction(() => {
      const cur = store.get(id)!;
      if (cur.state !== 'reserved' || cur.expiresAt <= now()) return cur;
      store.bind(id, domain);
      return store.get(id)!;
    });
    if (bound.domain !== domain) throw conflict(`reservation ${id} changed while confirming (now ${bound.state})`, 'id');
    this.o.logger?.info({ vm: domain, zone: r.zone, action: 'tag', why: `reservation ${id} confirmed`, before: null, after: { class: r.zone, tenant: r.tenant, app: r.app, reservation: id }, tagged: host !== undefined }, `${domain} bound to reservation ${id} in zone ${r.zone}`);
    return { status: 200, body: reservationView(bound, now()) };
  }

  release(id: string): Answer {
    const { store, now } = this.o;
    const r = store.transaction(() => {
      const t = now();
      const cur = store.get(id);
      if (!cur) return undefined;
      if (cur.state === 'reserved' || cur.state === 'bound') store.end(id, cur.expiresAt <= t ? 'expired' : 'released', t);
      return store.get(id);
    });
    if (!r) throw notFound(`no reservation ${id}`, 'id');
    this.o.logger?.debug({ reservation: id, state: r.state }, 'reservation released');
    return { status: 200, body: reservationView(r, now()) };
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

  /** Active reservations per charged zone (expired ones dropped first), for /v1/zones and the metrics. */
  reservedByZone(): Map<string, { reserved: Resources; overflow: Resources; count: number }> {
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
export function uuidv7(ms: number): string {
  const t = (Math.max(0, Math.floor(ms)) % 2 ** 48).toString(16).padStart(12, '0');
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${randomUUID().slice(15)}`;
}

function vmsByZone(zones: readonly ZoneState[]): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  for (const z of zones) m.set(z.name, new Set(z.vms));
  return m;
}

