// The placement service: maps a request to a zone, gathers what the decision reads
// (zones, forecast, app profiles), decides (decide.ts) and records the reservation in one
// group-committed IMMEDIATE transaction that reads the current reservation totals — so
// concurrent requests can never over-commit — and, with a template (or allowed raw
// domain XML), stores the creation's intent with it and creates the domain
// (provisioning/provisioner.ts).
// It answers in domain terms (results.ts); plugins/placements.ts speaks HTTP.
import type { Logger } from '../../core/log.js';
import type { Config } from '../../core/config/schema.js';
import type { HostAdapter } from '../../core/host/types.js';
import type { ZoneState } from '../../core/model/types.js';
import type { AuditLog } from '../../core/store/audit.js';
import type { Caller } from '../access/access.js';
import { mayActFor, mayAskFor } from '../access/principal.js';
import { HostUnavailableError, isLibvirtError } from '../../core/host/errors.js';
import type { AppProfileProvider, EnsurePartition, ForecastProvider, VmProvider, ZoneProvider } from '../deps.js';
import { Provisioner, type CreatingRequest, type DomainPlan } from '../provisioning/provisioner.js';
import { Reconciler } from '../provisioning/reconciler.js';
import { loadTemplates, type TemplateCatalog } from '../provisioning/templates.js';
import type { OverflowPolicy, Resources } from '../overflow/policy.js';
import { ReservationLifecycle } from '../reservations/lifecycle.js';
import type { ReservationStore, ZoneTotals } from '../reservations/store.js';
import { TenantHoldings, type RunningUse } from '../reservations/tenant-holdings.js';
import type { AppProfiles } from './app-profile.js';
import { admissionZones, decidePlacement, freeRoom, placementConfigOf, type ForecastPoint, type PlacementConfig } from './decide.js';
import { GroupCommit } from './group-commit.js';
import { bodyHash, replayOf } from './idempotency.js';
import { hostRefusal } from './host-refusal.js';
import { mapToZone } from './mapping.js';
import { exceededQuota, quotaOf } from './quota.js';
import { placedAnswer } from './placed-answer.js';
import { refused, type PlaceResult, type ReservationResult } from './results.js';

export interface PlacementRequest extends CreatingRequest {
  priority?: string;
  ttlSeconds?: number;
}

/** Whether the placement creates its domain (a template, or raw domain XML). */
const createsDomain = (req: PlacementRequest) => req.template !== undefined || req.domainXml !== undefined;

export type DecisionOutcome = 'placed' | 'borrowed' | 'overflow' | 'rejected' | 'replayed' | 'failed';

export interface PlacementServiceOptions {
  store: ReservationStore;
  config: Config;
  zones: ZoneProvider;
  forecasts: ForecastProvider;
  /** the host's VMs with their tags (tenant) and sizes: what a tenant runs counts to its quotas */
  vms: VmProvider;
  /** see RouterDeps.appProfiles */
  appProfiles?: AppProfileProvider;
  policy: OverflowPolicy;
  host?: HostAdapter;
  /** see RouterDeps.ensurePartition */
  ensurePartition?: EnsurePartition;
  /** see RouterDeps.enforcing */
  enforcing?: () => boolean;
  /** the operator's templates; default: loaded from config (base XML files read) */
  templates?: TemplateCatalog;
  audit?: AuditLog;
  /** see RouterDeps.onDomainTagged */
  onDomainTagged?: (uuid: string) => void;
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
/** A caller the service is given none for (in-process use): any tenant and zone, not the host's administrator. */
const ORDINARY_CALLER: Caller = { principal: { name: 'in-process', role: 'provision', tenants: '*', classes: '*', hostAdmin: false }, admin: false, peer: null };

const NOTHING_RUNNING: RunningUse = { vcpus: 0, memoryMiB: 0 };

export class PlacementService {
  private decisionConfig: PlacementConfig;
  private readonly reservations: ReservationLifecycle;
  private readonly provisioner: Provisioner;
  readonly reconciler: Reconciler;
  private readonly commit: GroupCommit;
  private readonly holdings: TenantHoldings;
  private templateCatalog: TemplateCatalog;

  constructor(private o: PlacementServiceOptions) {
    this.decisionConfig = placementConfigOf(o.config);
    this.templateCatalog = o.templates ?? loadTemplates(o.config);
    this.reservations = new ReservationLifecycle({ store: o.store, host: o.host, now: o.now, logger: o.logger, audit: o.audit, onDomainTagged: o.onDomainTagged });
    this.provisioner = new Provisioner({
      reservations: this.reservations,
      host: o.host,
      templates: () => this.templateCatalog,
      rawDomainXml: () => this.o.config.provisioning.rawDomainXml,
      ensurePartition: o.ensurePartition,
      enforcing: o.enforcing,
      audit: o.audit,
      logger: o.logger,
      now: o.now,
    });
    this.reconciler = new Reconciler({ reservations: this.reservations, provisioner: this.provisioner, host: o.host, audit: o.audit, logger: o.logger, now: o.now });
    this.commit = new GroupCommit(o.store, o.now);
    this.holdings = new TenantHoldings(o.store.db);
  }

  /**
   * A reloaded configuration (SIGHUP): the next decision uses it and the policy built
   * from it. Its templates are loaded first: a bad base XML file throws (ConfigError)
   * and nothing changes.
   */
  reconfigure(config: Config, policy: OverflowPolicy, templates: TemplateCatalog = loadTemplates(config)): void {
    this.templateCatalog = templates;
    this.o = { ...this.o, config, policy };
    this.decisionConfig = placementConfigOf(config);
  }

  /** The operator's templates (GET /v1/templates). */
  templates(): TemplateCatalog {
    return this.templateCatalog;
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

  /** `caller`: who asks (raw domain XML needs an administrator); absent: an ordinary caller. */
  async place(req: PlacementRequest, key: string, caller: Caller = ORDINARY_CALLER): Promise<PlaceResult> {
    try {
      return await this.placeOrThrow(req, key, caller);
    } catch (err) {
      // libvirt's trouble is the host's, never the caller's: 503, without libvirt's message
      if (err instanceof HostUnavailableError) return refused('host-unavailable', 'no connection to libvirt now; retry');
      if (isLibvirtError(err)) return hostRefusal(err, 'create the domain');
      throw err;
    }
  }

  private async placeOrThrow(req: PlacementRequest, key: string, caller: Caller): Promise<PlaceResult> {
    // who may ask for what comes first: not even a replay answers another tenant
    const { principal } = caller;
    if (!mayActFor(principal, req.tenant)) return refused('forbidden', `${principal.name} may not place for tenant ${JSON.stringify(req.tenant)}`, 'tenant');
    const mapped = mapToZone(req, this.decisionConfig.classes, this.o.config.rules);
    if (!mapped.ok) return refused('invalid', mapped.detail, mapped.field);
    if (!mayAskFor(principal, mapped.zone)) {
      const how = mapped.via === 'priority' ? 'asks for' : mapped.via === 'rule' ? `maps (rules[${mapped.rule}]) to` : 'falls to';
      return refused('forbidden', `${principal.name} may not place in zone ${mapped.zone}, which this request ${how}`, 'priority');
    }
    const maxTtl = this.o.config.api.maxTtlSeconds;
    if (req.ttlSeconds !== undefined && req.ttlSeconds > maxTtl) {
      return refused('invalid', `ttlSeconds ${req.ttlSeconds} is above this host's api.maxTtlSeconds (${maxTtl}): a reservation may hold capacity that long at most`, 'ttlSeconds');
    }
    if (req.template !== undefined && req.domainXml !== undefined) {
      return refused('invalid', 'give a template or domainXml, not both', 'domainXml');
    }
    if (!createsDomain(req)) {
      for (const field of ['image', 'networks'] as const) {
        if (req[field] !== undefined) return refused('invalid', `${field} is only used with a template`, field);
      }
    }
    const hash = bodyHash(req);
    // a retried creating placement must not be checked against the host again (its
    // domain exists now); plain placements are checked for replay in the transaction only
    if (createsDomain(req)) {
      await this.settleCutOff(key, hash);
      const earlier = replayOf(this.o.store, key, hash);
      if (earlier) {
        if (earlier.kind === 'replayed') this.o.onDecision?.(earlier.answer.zone ?? 'unknown', 'replayed');
        return earlier;
      }
    }
    if (!createsDomain(req)) return this.decideAndReserve(req, key, hash, mapped.zone, mapped.via, null);

    // everything that can be checked before reserving is checked first
    const prepared = await this.provisioner.prepare(req, caller);
    if (prepared.kind === 'refused') return prepared;
    const plan = prepared.plan;
    try {
      const outcome = await this.decideAndReserve(req, key, hash, mapped.zone, mapped.via, plan);
      if (outcome.kind !== 'placed') return outcome;
      const created = await this.provisioner.create(plan, outcome.reservation);
      if (created.kind === 'refused') {
        this.o.onDecision?.(mapped.zone, 'failed');
        return created;
      }
      return { ...outcome, answer: created.answer };
    } finally {
      this.provisioner.release(plan);
    }
  }

  /**
   * A creating placement whose key has an unfinished creation that no request of this
   * process carries out was cut off (the daemon stopped half-way, or could not undo a
   * failed step): the reconciler settles that one reservation first, so the retry gets
   * the answer the first request would have got, or places afresh.
   */
  private async settleCutOff(key: string, hash: string): Promise<void> {
    const r = this.o.store.getByKey(key);
    if (!r || r.response !== null || r.bodyHash !== hash || r.creation === null || r.creation === 'done' || r.creation === 'failed') return;
    if (this.provisioner.creating.has(r.id)) return;
    if (!this.o.host?.isAlive()) return; // cannot look now: the retry is told "in progress"
    await this.reconciler.reconcile({ dryRun: false, only: r });
  }

  /** Decides the placement and records its reservation (with the creation's intent, for a plan). */
  private async decideAndReserve(req: PlacementRequest, key: string, hash: string, zoneName: string, via: string, plan: DomainPlan | null): Promise<PlaceResult> {
    const { config, now } = this.o;
    const zones = await this.o.zones();
    const forecast = await this.forecastOf(zones.find((z) => z.name === zoneName));
    const appProfiles = await this.appProfiles();
    // charged = running: a plan's size is what the domain will have
    const vcpus = plan?.vcpus ?? req.vcpus;
    const memoryMiB = plan?.memoryMiB ?? req.memoryMiB;
    const resources: Resources = { cpuCores: vcpus, memoryMiB };
    const ttlMs = (req.ttlSeconds ?? config.api.defaultTtlSeconds) * 1000;
    const quota = quotaOf(config.quotas, req.tenant);
    const running = quota ? await this.runningOf(req.tenant, zones) : NOTHING_RUNNING;
    const decisionConfig = this.decisionConfig;
    const policy = this.o.policy;

    const outcome = await this.commit.run(() => {
      // a concurrent request with the same key may have finished while we awaited
      const again = replayOf(this.o.store, key, hash);
      if (again) return again;
      const t = now();
      this.reservations.fulfillBound(zones, t);
      // read in this transaction: concurrent placements of one tenant see each other
      const over = quota && exceededQuota(quota, this.holdings.of(req.tenant, running), { vcpus, memoryMiB });
      if (over) {
        const unit = over.quota === 'vcpus' ? ' vCPUs' : over.quota === 'memoryMiB' ? ' MiB' : ' reservations';
        return refused('over-quota', `tenant ${JSON.stringify(req.tenant)} holds ${over.held} of its ${over.limit}${unit} (quotas.${over.quota}); this request asks for ${over.asked} more`, over.quota === 'reservations' ? 'tenant' : over.quota, {
          quota: over.quota,
          limit: over.limit,
          held: over.held,
          asked: over.asked,
        });
      }
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
          name: plan?.name ?? req.name ?? null,
          vcpus,
          memoryMiB,
          probability: decision.kind === 'overflow' ? decision.probability : null,
          idempotencyKey: key,
          bodyHash: hash,
          ttlMs,
          // a creating placement's answer is stored once its domain runs (until then: in progress)
          answerNow: plan === null,
          creation: plan ? this.provisioner.intentOf(plan) : undefined,
        },
        t,
      );
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
    this.o.logger?.debug({ zone: zoneName, via, reservation: reservation.id, outcome: outcome.outcome, probability: reservation.probability ?? undefined }, 'placement decided');
    return outcome;
  }

  /**
   * The size of the tenant's VMs that run in a zone now (tagged with the tenant). A VM
   * whose reservation is still bound is counted by the reservation too until its zone
   * counts it, a moment at most: the quota errs on the side of refusing.
   */
  private async runningOf(tenant: string, zones: readonly ZoneState[]): Promise<RunningUse> {
    const members = new Set(zones.flatMap((z) => z.vms));
    const use = { vcpus: 0, memoryMiB: 0 };
    for (const vm of await this.o.vms()) {
      if (vm.tenant !== tenant || !members.has(vm.name)) continue;
      use.vcpus += typeof vm.vcpus === 'number' ? vm.vcpus : 0;
      use.memoryMiB += typeof vm.memoryMiB === 'number' ? vm.memoryMiB : 0;
    }
    return use;
  }

  get(id: string): ReservationResult {
    return this.reservations.get(id);
  }

  /** A reservation the caller may act on: its tenant's (any, for an admin); another tenant's is not found. */
  private ownReservation(id: string, caller: Caller): ReservationResult {
    const found = this.reservations.get(id);
    if (found.kind === 'reservation' && !mayActFor(caller.principal, found.reservation.tenant)) return refused('not-found', `no reservation ${id}`, 'id');
    return found;
  }

  async confirm(id: string, domain: string, caller: Caller = ORDINARY_CALLER): Promise<ReservationResult> {
    const own = this.ownReservation(id, caller);
    if (own.kind === 'refused') return own;
    try {
      return await this.reservations.confirm(id, domain, { claimed: caller.principal.role !== 'admin' });
    } catch (err) {
      if (err instanceof HostUnavailableError) return refused('host-unavailable', 'no connection to libvirt now; retry');
      if (isLibvirtError(err)) return hostRefusal(err, `confirm domain ${JSON.stringify(domain)}`);
      throw err;
    }
  }

  release(id: string, caller: Caller = ORDINARY_CALLER): ReservationResult {
    const own = this.ownReservation(id, caller);
    if (own.kind === 'refused') return own;
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
