// The placement service: maps a request to a zone, gathers what the decision reads
// (zones, forecast, app profiles), decides (decide.ts) and records the reservation in one
// group-committed IMMEDIATE transaction that reads the current reservation totals — so
// concurrent requests can never over-commit — and, with domainXml, creates the domain.
// It answers in domain terms (results.ts); plugins/placements.ts speaks HTTP.
import type { Logger } from '../../core/log.js';
import type { Config } from '../../core/config/schema.js';
import type { HostAdapter } from '../../core/host/types.js';
import type { ZoneState } from '../../core/model/types.js';
import type { AppProfileProvider, EnsurePartition, ForecastProvider, ZoneProvider } from '../deps.js';
import type { OverflowPolicy, Resources } from '../overflow/policy.js';
import { ReservationLifecycle } from '../reservations/lifecycle.js';
import type { ReservationStore, ZoneTotals } from '../reservations/store.js';
import type { AppProfiles } from './app-profile.js';
import { admissionZones, decidePlacement, freeRoom, placementConfigOf, type ForecastPoint, type PlacementConfig } from './decide.js';
import { DomainPlacement } from './domain-placement.js';
import { GroupCommit } from './group-commit.js';
import { bodyHash, replayOf } from './idempotency.js';
import { mapToZone } from './mapping.js';
import { placedAnswer } from './placed-answer.js';
import { refused, type PlaceResult, type ReservationResult } from './results.js';

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

/** A zone with the reservations charged to it and the room admission sees in it. */
export interface ZoneRoom {
  zone: ZoneState;
  rank: number;
  totals: ZoneTotals | undefined;
  /** the room the next admission check sees (config router.admission, app profiles included) */
  free: Resources;
}

const NO_PROFILES: AppProfiles = new Map();

export class PlacementService {
  private decisionConfig: PlacementConfig;
  private readonly reservations: ReservationLifecycle;
  private readonly domains: DomainPlacement;
  private readonly commit: GroupCommit;

  constructor(private o: PlacementServiceOptions) {
    this.decisionConfig = placementConfigOf(o.config);
    this.reservations = new ReservationLifecycle({ store: o.store, host: o.host, now: o.now, logger: o.logger });
    this.domains = new DomainPlacement({ reservations: this.reservations, host: o.host, ensurePartition: o.ensurePartition, logger: o.logger });
    this.commit = new GroupCommit(o.store, o.now);
  }

  /** A reloaded configuration (SIGHUP): the next decision uses it and the policy built from it. */
  reconfigure(config: Config, policy: OverflowPolicy): void {
    this.o = { ...this.o, config, policy };
    this.decisionConfig = placementConfigOf(config);
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

  /** The zone's class forecast, for the overflow curve's growth term; none when it cannot be read. */
  private async forecastOf(zone: ZoneState | undefined): Promise<readonly ForecastPoint[]> {
    if (!zone) return [];
    try {
      return await this.o.forecasts(`class:${zone.name}`);
    } catch (err) {
      this.o.logger?.warn({ err, zone: zone.name }, 'forecast unavailable for overflow decision; assuming no change');
      return [];
    }
  }

  async place(req: PlacementRequest, key: string): Promise<PlaceResult> {
    const { config, now } = this.o;
    const hash = bodyHash(req);
    // a replayed domainXml placement must not be checked against the host again (its
    // domain exists now); plain placements are checked for replay in the transaction only
    if (req.domainXml !== undefined) {
      await this.domains.settleInterrupted(key, hash);
      const earlier = replayOf(this.o.store, key, hash);
      if (earlier) {
        if (earlier.kind === 'replayed') this.o.onDecision?.(earlier.answer.zone ?? 'unknown', 'replayed');
        return earlier;
      }
    }
    const mapped = mapToZone(req, this.decisionConfig.classes, config.rules);
    if (!mapped.ok) return refused('invalid', mapped.detail, mapped.field);
    const zoneName = mapped.zone;

    // With domainXml everything that can be checked before reserving is checked first.
    let domainName: string | undefined;
    if (req.domainXml !== undefined) {
      const checked = await this.domains.check(req.domainXml, req.name);
      if (checked.kind === 'refused') return checked;
      domainName = checked.name;
    }

    const zones = await this.o.zones();
    const forecast = await this.forecastOf(zones.find((z) => z.name === zoneName));
    const appProfiles = await this.appProfiles();
    const resources: Resources = { cpuCores: req.vcpus, memoryMiB: req.memoryMiB };
    const ttlMs = (req.ttlSeconds ?? config.api.defaultTtlSeconds) * 1000;
    const decisionConfig = this.decisionConfig;
    const policy = this.o.policy;

    const outcome = await this.commit.run(() => {
      // a concurrent request with the same key may have finished while we awaited
      const again = replayOf(this.o.store, key, hash);
      if (again) return again;
      const t = now();
      this.reservations.fulfillBound(zones, t);
      const charged = this.reservations.chargeSnapshot(zoneName, appProfiles.size > 0, t);
      const decision = decidePlacement({ zones, ...charged, appProfiles, forecast, now: t }, { zone: zoneName, tenant: req.tenant, app: req.app, resources }, decisionConfig, policy);
      if (decision.kind === 'rejected') {
        // the service always has an overflow policy, so a rejection carries its decision
        return { kind: 'rejected' as const, zone: zoneName, request: resources, overflow: decision.overflow!, retryAfterSeconds: decision.retryAfterSeconds };
      }
      const reservation = this.reservations.create(
        {
          zone: zoneName,
          chargeZone: decision.chargeZone,
          tenant: req.tenant,
          app: req.app,
          priority: req.priority ?? null,
          name: req.name ?? domainName ?? null,
          vcpus: req.vcpus,
          memoryMiB: req.memoryMiB,
          probability: decision.kind === 'overflow' ? decision.probability : null,
          idempotencyKey: key,
          bodyHash: hash,
          ttlMs,
          // with domainXml the answer is stored once the domain runs (until then: in progress)
          answerNow: req.domainXml === undefined,
        },
        t,
      );
      if (req.domainXml !== undefined) this.domains.begin(reservation.id);
      return { kind: 'placed' as const, outcome: decision.kind, reservation, answer: placedAnswer(reservation) };
    });

    if (outcome.kind === 'replayed') {
      this.o.onDecision?.(zoneName, 'replayed');
      return outcome;
    }
    if (outcome.kind === 'refused') return outcome;
    if (outcome.kind === 'rejected') {
      const d = outcome.overflow;
      this.o.onDecision?.(zoneName, 'rejected');
      this.o.logger?.debug({ zone: zoneName, tenant: req.tenant, app: req.app, probability: d.probability, freeShare: d.freeShare, policy: d.policy }, 'placement rejected');
      return outcome;
    }
    const { reservation } = outcome;
    this.o.onDecision?.(zoneName, outcome.outcome);
    this.o.logger?.debug({ zone: zoneName, via: mapped.via, reservation: reservation.id, outcome: outcome.outcome, probability: reservation.probability ?? undefined }, 'placement decided');
    if (req.domainXml === undefined) return outcome;
    let created;
    try {
      created = await this.domains.create(req.domainXml, reservation, outcome.answer);
    } catch (err) {
      this.o.onDecision?.(zoneName, 'failed');
      throw err;
    }
    if (created.kind === 'refused') {
      this.o.onDecision?.(zoneName, 'failed');
      return created;
    }
    return { ...outcome, answer: created.answer };
  }

  get(id: string): ReservationResult {
    return this.reservations.get(id);
  }

  confirm(id: string, domain: string): Promise<ReservationResult> {
    return this.reservations.confirm(id, domain);
  }

  release(id: string): ReservationResult {
    return this.reservations.release(id);
  }

  /** Periodic housekeeping: expire what ran out, prune what ended a week ago. */
  sweep(): { expired: number; pruned: number } {
    return this.reservations.sweep();
  }

  /** Active reservations per charged zone (expired ones dropped first), for the metrics. */
  reservedByZone(): Map<string, ZoneTotals> {
    return this.reservations.totalsInForce();
  }

  /**
   * Every zone with its reservations and the room admission sees in it now, computed
   * as a decision computes it (admissionZones + freeRoom): for GET /v1/zones.
   */
  async zoneRooms(): Promise<ZoneRoom[]> {
    const zones = await this.o.zones();
    const appProfiles = await this.appProfiles();
    const { store, now } = this.o;
    const { classes, admission } = this.decisionConfig;
    return store.transaction(() => {
      // as a decision reads them: expired reservations dropped, bound ones whose domain
      // the zone counts now fulfilled (else they would count twice)
      const t = now();
      store.expireDue(t);
      this.reservations.fulfillBound(zones, t);
      const totals = store.totals();
      const byApp = appProfiles.size > 0 ? store.activeByApp() : [];
      const capacities = admissionZones({ zones, totals, byApp, appProfiles }, classes);
      return zones.map((zone, i) => ({ zone, rank: capacities[i].rank, totals: totals.get(zone.name), free: freeRoom(capacities[i], admission) }));
    });
  }
}
