// The daemon's composition root: it builds every component from the configuration and
// wires them together — collector → store, supervisor → host, predictions → partitioner
// → auto-scaler → zones → router — and takes them down again in order. Decisions live in
// the components; this file only connects them and owns their lifetimes.
import type { Logger } from '../../core/log.js';
import type { Config } from '../../core/config/schema.js';
import { Store } from '../../core/store/store.js';
import { AuditLog } from '../../core/store/audit.js';
import { assertDatabaseIntact } from '../../core/store/integrity.js';
import { StoreWriteHealth } from '../../core/store/write-health.js';
import { HostSupervisor } from '../../core/host/supervisor.js';
import { supervisedHost } from '../../core/host/supervised-host.js';
import { withDeadline } from '../../core/host/deadline.js';
import type { HostAdapter } from '../../core/host/types.js';
import type { OpenHostOptions } from '../../core/host/libvirt-host.js';
import { Collector, CollectorRoutine } from '../../collector/index.js';
import { ModeControl, ZoneEnforcement, allocationsOf, applyPlan, capacityOf, checkFloors, detectCgroupSystem, ensureZonePartitions, FloorsExceedCapacityError, Inventory, limitsForZones, partition, planDiff, runSystemctl, ZoneAutoscaler, ZonePartitions, type InventoryVm, type LatestUse, type Plan, type Resources } from '../../partitioner/index.js';
import { AppProfileCache, buildServer, listenApi, ProblemError, type ApiListeners, type VirtzoneServer } from '../../router/index.js';
import type { PredictionService } from '../../forecaster/index.js';
import { createPredictionService } from './prediction-service.js';
import { modeService } from './mode-service.js';
import { ROLLUP_SECONDS, type ZoneState } from '../../core/model/types.js';
import { readAppUseBuckets } from '../../core/store/app-use-reader.js';
import { realTimer, startTicker, type Ticker } from '../../core/ticker.js';

export interface DaemonOptions {
  config: Config;
  log: Logger;
  /** default: the forecaster's routine over this daemon's store */
  predictions?: (store: Store) => PredictionService;
  /** how long start() waits for the first libvirt connection before serving anyway */
  connectTimeoutMs?: number;
  /** how a libvirt connection is opened (default openHost); the demo wraps it */
  openHost?: (uri: string, opts: OpenHostOptions) => Promise<HostAdapter>;
}

export class Daemon {
  readonly store: Store;
  readonly audit: AuditLog;
  readonly supervisor: HostSupervisor;
  readonly host: HostAdapter;
  /** whether the database takes writes (fed by the collector's ticks, shown by /healthz) */
  readonly writeHealth = new StoreWriteHealth();
  /** observe or enforce, and who said so (audited) */
  readonly mode: ModeControl;
  private readonly zoneEnforcement: ZoneEnforcement;
  private config: Config;
  private readonly log: Logger;
  private readonly predictions: PredictionService;
  private readonly collector: Collector;
  private readonly collectorRoutine: CollectorRoutine;
  private readonly inventory: Inventory;
  /** names the unnamed domains announced to the inventory (each counted until the grace runs out) */
  private unnamedIncoming = 0;
  private partitions: ZonePartitions | undefined;
  private capacity: Resources | null = null;
  /** the host's CPUs and memory as libvirt last reported them (capacity follows host.* on reload) */
  private node: { cpus: number; memoryKiB: number } | null = null;
  private autoscaler: ZoneAutoscaler | null = null;
  private server: VirtzoneServer | null = null;
  private listeners: ApiListeners | null = null;
  /** the optional metrics listener (config metrics.listen) */
  private metricsListener: { close(): Promise<void> } | null = null;
  /** when a collector tick last succeeded, unix seconds (virtzone_collector_last_success_timestamp_seconds) */
  private collectorOkAt: number | null = null;
  private refreshTicker: Ticker | null = null;
  private reconcileTicker: Ticker | null = null;
  private readonly appProfiles: AppProfileCache;
  private peaks: { at: number; value: ReadonlyMap<string, number | null>; spans: ReadonlyMap<string, number> } | null = null;
  private stopping = false;

  constructor(private readonly opts: DaemonOptions) {
    this.config = opts.config;
    this.log = opts.log;
    const { store, libvirt, collect } = this.config;
    // a damaged database is refused before anything writes to it (DatabaseCorruptError)
    assertDatabaseIntact(store.path);
    this.store = Store.open(store.path, { rawRetentionHours: store.rawRetentionHours, rollupRetentionDays: store.rollupRetentionDays });
    this.predictions = opts.predictions ? opts.predictions(this.store) : createPredictionService(this.store, this.config, this.log);
    this.appProfiles = new AppProfileCache(
      (since, buckets) => readAppUseBuckets(store.path, since, buckets),
      () => this.config,
      Date.now,
      this.config.forecast.refreshMinutes * 60_000,
      (err) => this.log.warn({ err: err.message }, 'app history unreadable; requests are charged at their class ratio'),
    );
    this.audit = new AuditLog(this.store.db);
    this.mode = new ModeControl(this.audit, this.config.mode);
    this.zoneEnforcement = new ZoneEnforcement(() => this.config.zones.manageCgroups, () => this.mode.enforcing());
    this.mode.onChange((now, before) => {
      this.log.warn({ mode: now.mode, before, by: now.by }, now.mode === 'enforce' ? 'mode enforce: plans, the auto-scaler and the zones\' partitions now act on the host' : 'mode observe: nothing on VMs or cgroups changes from now on');
      // entering enforce: the partitions are made now, not at the next refresh
      if (now.mode === 'enforce') void this.refreshPlan('mode enforce');
    });
    this.supervisor = HostSupervisor.fromConfig(libvirt, { log: this.log.child({ component: 'libvirt' }), ...(opts.openHost ? { open: opts.openHost } : {}) });
    this.host = supervisedHost(this.supervisor);
    const clog = this.log.child({ component: 'collector' });
    this.collector = new Collector({ host: () => this.supervisor.current(), store: this.store, log: clog });
    this.collectorRoutine = new CollectorRoutine({
      collector: this.collector,
      intervalSeconds: collect.intervalSeconds,
      store: this.store,
      log: clog,
      onTick: () => {
        this.writeHealth.ok();
        this.collectorOkAt = Date.now() / 1000;
      },
      onError: (err) => {
        if (this.writeHealth.failed(err)) this.log.error({ err: (err as Error).message, db: store.path }, 'the database cannot be written (disk full?); serving reads, collecting again once it can');
      },
    });
    this.inventory = new Inventory(this.host, new Set(this.config.classes.map((c) => c.name)));
    this.supervisor.onHostEvent((e) => {
      if (e.type === 'domain') this.inventory.noteEvent(e.event);
      if (e.type === 'domain' && (e.event.kind === 'defined' || e.event.kind === 'undefined')) {
        this.inventory.invalidate(e.event.uuid);
        this.collector.forget(e.event.uuid);
      }
    });
    this.supervisor.on('connected', () => {
      this.log.info({ uri: this.supervisor.uri }, 'libvirt connected');
      this.onConnected().catch((err) => this.log.error({ err: (err as Error).message }, 'after reconnecting: could not re-plan; the previous plan stays in force'));
    });
    this.supervisor.on('disconnected', ({ reason }) => this.log.warn({ uri: this.supervisor.uri, reason }, 'libvirt connection lost; reconnecting'));
  }

  /** Starts every routine and the API. Resolves once the API listens. */
  async start(): Promise<void> {
    this.preparePartitions();
    await this.predictions.start();
    this.supervisor.start();
    try {
      await this.supervisor.whenConnected(this.opts.connectTimeoutMs ?? 10_000);
      await this.onConnected();
    } catch (err) {
      // floors the host cannot honour are a configuration error: refuse to start
      if (err instanceof FloorsExceedCapacityError) throw err;
      this.log.warn({ err: (err as Error).message }, 'libvirt not reachable yet; serving reads and retrying in the background');
    }
    this.collectorRoutine.start();
    // app history read in the background, so the first placements already have it
    this.appProfiles.current();
    this.server = await buildServer({
      config: this.config,
      db: this.store.db,
      zones: async () => this.zoneStates(),
      forecasts: async (series) => this.predictions.of(series),
      vms: async () => this.vmViews(),
      actions: {
        plan: async () => this.planView(),
        repartition: async ({ dryRun }) => this.repartition(dryRun),
        train: async ({ series }) => this.train(series),
        trainStatus: async () => this.predictions.trainStatus(),
        modelAgeSeconds: async () => this.predictions.modelAgeSeconds(),
      },
      history: async (series, since, until) => this.store.readRollups(series, since, until).filter((r) => r.ts < until),
      appProfiles: async () => this.appProfiles.current(),
      // calls made for a request answer within libvirt.callTimeoutSeconds (the collector and
      // the auto-scaler keep the plain host: nobody waits on them, and a deadline there would
      // only turn a slow tick into a failed one)
      host: withDeadline(this.host, this.config.libvirt.callTimeoutSeconds * 1000),
      ensurePartition: this.partitions ? (zone, incoming) => this.ensurePartition(zone, incoming) : undefined,
      enforcing: () => this.mode.enforcing(),
      mode: modeService({ control: this.mode, store: this.store, predictions: this.predictions, config: () => this.config, wouldDo: () => this.autoscaler?.wouldDo() ?? null }),
      zonesHealth: () => this.zoneEnforcement.check(),
      storeWrites: () => this.writeHealth.status(),
      hostCallAgeSeconds: () => this.supervisor.lastSuccessAgeSeconds(),
      audit: this.audit,
      onDomainTagged: (uuid) => {
        this.inventory.invalidate(uuid);
        this.collector.forget(uuid);
      },
      logger: this.log.child({ component: 'api' }),
    });
    const startedAt = Date.now() / 1000;
    this.server.context.metrics.addDaemonSources({
      predictions: () => this.predictions.all(),
      rollups: (series, since, until) => this.store.readRollups(series, since, until).filter((r) => r.ts < until),
      modelAgeSeconds: () => this.predictions.modelAgeSeconds(),
      trainStatus: () => this.predictions.trainStatus(),
      libvirtUp: () => this.host.isAlive(),
      libvirtLastSuccessAgeSeconds: () => this.supervisor.lastSuccessAgeSeconds(),
      collectorLastSuccessSeconds: () => this.collectorOkAt,
      auditResults: (actor) => this.audit.countByResult({ actor, since: startedAt }),
      vms: () => this.vmViews().map((vm) => ({ name: vm.name, zone: vm.zone, tenant: vm.tenant, app: vm.app })),
    });
    // creations a stop cut off are settled before any request (or its retry) arrives
    await this.reconcile('start');
    this.listeners = await listenApi(this.server, this.config.api);
    if (this.config.metrics.listen !== undefined) {
      try {
        const listener = await this.server.context.metrics.listen(this.config.metrics.listen, this.config.api);
        this.metricsListener = listener;
        this.log.info({ metrics: listener.address }, 'metrics listening');
      } catch (err) {
        await this.listeners.close();
        throw err;
      }
    }
    const reconcileSeconds = this.config.provisioning.reconcileIntervalSeconds;
    if (reconcileSeconds > 0) {
      this.reconcileTicker = startTicker({
        name: 'reconciler',
        intervalMs: reconcileSeconds * 1000,
        immediate: false,
        timer: realTimer,
        log: this.log,
        tick: () => this.reconcile('periodic'),
      });
    }
    this.refreshTicker = startTicker({
      name: 'plan refresh',
      intervalMs: this.config.forecast.refreshMinutes * 60_000,
      // the first plan comes from connecting: the first refresh is one interval later
      immediate: false,
      // the sockets keep the daemon alive, not a pending refresh
      timer: realTimer,
      log: this.log,
      tick: () => this.refreshPlan('refresh'),
    });
    this.log.info({ socket: this.config.api.socket, tcp: this.listeners.tcp, mode: this.mode.mode, modeSetBy: this.mode.view().by }, 'virtzoned serving');
  }

  /**
   * One reconciler pass over the domains the daemon created (applied: it never removes a
   * running guest). Skipped while libvirt is unreachable; the next pass catches up.
   */
  private async reconcile(why: 'start' | 'periodic'): Promise<void> {
    if (!this.server || !this.host.isAlive()) return;
    try {
      const outcomes = await this.server.service.reconciler.reconcile({ dryRun: false });
      if (outcomes.length > 0 || why === 'start') this.log.info({ why, actions: outcomes.length, failed: outcomes.filter((o) => o.result === 'failed').length }, 'reconciled created domains');
    } catch (err) {
      this.log.warn({ err: (err as Error).message, why }, 'reconciler pass failed; the next one retries');
    }
  }

  /** Finishes the current ticks and closes everything, in reverse order of start. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.refreshTicker?.stop();
    await this.reconcileTicker?.stop();
    await this.metricsListener?.close();
    await this.listeners?.close().catch((err) => this.log.warn({ err }, 'closing the API'));
    await this.collectorRoutine.stop();
    await this.autoscaler?.stop();
    this.collector.close();
    await this.predictions.close();
    await this.supervisor.close();
    this.store.close();
  }

  /**
   * Applies a reloaded configuration (SIGHUP) to every component that runs on it: the
   * collector's interval, the classes the inventory maps VMs to, the auto-scaler, the
   * router (admission, overflow, rules, app history), the app profile cache (reads
   * this.config) — then re-plans with it. Keys that only work at start never reach here
   * changed (config-reload.ts keeps their running value).
   */
  reconfigure(next: Config): void {
    const previous = this.config;
    // floors the host cannot honour: refuse the whole reload (the caller keeps the old config)
    const capacity = this.node ? capacityOf(this.node, next) : null;
    if (capacity) checkFloors(capacity, next);
    // the API next: credentials or templates that do not load refuse the reload here, before anything changed
    this.server?.reconfigure(next);
    this.config = next;
    this.mode.reloaded(previous.mode, next.mode);
    if (capacity) this.capacity = capacity;
    if (next.collect.intervalSeconds !== previous.collect.intervalSeconds) this.collectorRoutine.setIntervalSeconds(next.collect.intervalSeconds);
    const names = (c: Config) => c.classes.map((x) => x.name).join('\u0000');
    if (names(next) !== names(previous)) this.inventory.setClasses(new Set(next.classes.map((c) => c.name)));
    this.autoscaler?.reconfigure(next);
    void this.refreshPlan('config reloaded');
  }

  /** Reads the API's credentials again (a reload whose config is unchanged may come with a new tokens file). */
  refreshCredentials(): void {
    this.server?.refreshCredentials();
  }

  // --- wiring -------------------------------------------------------------------------

  private preparePartitions(): void {
    const z = this.config.zones;
    if (!z.manageCgroups) return;
    try {
      this.partitions = new ZonePartitions(detectCgroupSystem(z.cgroupRoot, { layout: z.layout }), { run: runSystemctl });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'zone partitions are not managed: no usable cgroup hierarchy');
      this.zoneEnforcement.cannotManage(`no usable cgroup hierarchy: ${(err as Error).message}`);
    }
  }

  /** On every (re)connect: capacity, floors, a fresh plan and the auto-scaler. */
  private async onConnected(): Promise<void> {
    if (this.stopping) return;
    const node = await this.host.nodeInfo();
    const capacity = capacityOf(node, this.config);
    checkFloors(capacity, this.config); // throws FloorsExceedCapacityError: a config the host cannot honour
    this.node = node;
    this.capacity = capacity;
    this.inventory.invalidate();
    this.collector.forgetAll();
    await this.refreshPlan('connected');
  }

  private latestUse(): ReadonlyMap<string, LatestUse> {
    const { peaks, spans } = this.evidence();
    const use = new Map<string, LatestUse>();
    for (const vm of this.store.listVms()) {
      // a VM with no day of rollups yet has no peak to trust: null keeps its balloon;
      // its history span tells the partitioner whether it may be shrunk at all
      if (vm.latest) {
        const historySeconds = Math.max(spans.get(vm.name) ?? 0, vm.latest.ts - vm.firstSeen);
        use.set(vm.name, { cpuCores: vm.latest.cpuCores, memoryMiB: vm.latest.memoryMiB, peakMemoryMiB: peaks.get(vm.name) ?? null, historySeconds });
      }
    }
    return use;
  }

  /** Each VM's memory peak over the last day and its history span, read at most once per rollup interval. */
  private evidence(): { peaks: ReadonlyMap<string, number | null>; spans: ReadonlyMap<string, number> } {
    const now = Date.now() / 1000;
    if (!this.peaks || now - this.peaks.at >= ROLLUP_SECONDS) this.peaks = { at: now, value: this.store.memoryPeaks(now - 86_400), spans: this.store.historySpans() };
    return { peaks: this.peaks.value, spans: this.peaks.spans };
  }

  private async computePlan(): Promise<Plan> {
    return (await this.planWithMembers()).plan;
  }

  private async planWithMembers(): Promise<{ plan: Plan; vms: InventoryVm[] }> {
    if (!this.capacity) throw new Error('libvirt is not connected: the host capacity is unknown');
    const vms = await this.inventory.read(this.latestUse());
    return { plan: partition(this.predictions.all(), this.capacity, this.config, { vms }), vms };
  }

  /** Recomputes the plan from the current predictions and hands it to the auto-scaler. */
  private async refreshPlan(why: string): Promise<void> {
    if (!this.capacity || this.stopping) return;
    try {
      const { plan, vms } = await this.planWithMembers();
      // partitions must exist before any domain starts in them (libvirt never creates
      // them); in observe mode nothing is made: new domains start in libvirt's default
      if (this.partitions && this.mode.enforcing()) {
        try {
          const reports = await ensureZonePartitions(this.partitions, allocationsOf(plan), vms, this.config);
          const problems = reports.flatMap((r) => r.warnings);
          this.zoneEnforcement.attempt(problems);
          if (problems.length) this.log.error({ problems }, 'zones are not fully enforced');
        } catch (err) {
          this.zoneEnforcement.attempt([(err as Error).message]);
          throw err;
        }
      }
      if (!this.autoscaler) {
        this.autoscaler = new ZoneAutoscaler(
          {
            host: this.host,
            config: this.config,
            latestUse: () => this.latestUse(),
            audit: this.audit,
            partitions: this.partitions,
            inventory: this.inventory,
            enforcing: () => this.mode.enforcing(),
            log: this.log.child({ component: 'autoscaler' }),
          },
          plan,
        );
        if (this.config.autoscaler.enabled) this.autoscaler.start();
      } else {
        this.autoscaler.setPlan(plan);
      }
      await this.autoscaler.observe(vms);
      this.log.info({ why, zones: plan.zones.map((z) => ({ zone: z.name, ...z.allocation })) }, 'zone plan');
    } catch (err) {
      this.log.error({ why, err: (err as Error).message }, 'planning failed; the previous plan stays in force');
    }
  }

  /**
   * The router's hook before it starts a domain in `zone`: the zone's partition exists in
   * every hierarchy, with limits that leave room for the incoming VM. Directories that
   * had gone (libvirt removes them when a start in the partition fails) are put back and
   * the repair is audited. The members come from the inventory's last read kept current
   * by events, not from listing every domain per placement; the incoming VM is announced
   * to it first, so two creations in one zone at once each count the other.
   */
  private async ensurePartition(zone: string, incoming: { vcpus: number; memoryMiB: number; name?: string }): Promise<void> {
    if (!this.partitions) return;
    const allocation = this.autoscaler?.getAllocations()[zone] ?? { cpuCores: 0, memoryMiB: 0 };
    if (!this.inventory.hasRead) await this.inventory.read(this.latestUse());
    // announced and counted in one synchronous step: no other creation can slip in between
    this.inventory.noteIncoming({ name: incoming.name ?? `(incoming ${++this.unnamedIncoming})`, zone, vcpus: incoming.vcpus, memoryMiB: incoming.memoryMiB });
    const members = this.inventory.members();
    const limits = limitsForZones({ [zone]: allocation }, members, this.config)[zone];
    const report = await this.partitions.ensure(zone, limits);
    if (report.created.length > 0) {
      this.log.warn({ zone, created: report.created }, 'zone partition directories were missing before a domain start; recreated');
      this.audit.append({
        ts: Date.now() / 1000,
        actor: 'router',
        vm: `zone:${zone}`,
        action: 'zone-partition',
        reason: 'partition directories missing before a domain start',
        before: { missing: report.created },
        after: { limits },
        result: report.warnings.length ? 'failed' : 'ok',
        error: report.warnings.join('; ') || null,
      });
    }
  }

  private zoneStates(): ZoneState[] {
    return this.autoscaler?.zoneStates() ?? [];
  }

  private vmViews() {
    return this.store.listVms().map((vm) => ({
      name: vm.name,
      uuid: vm.uuid,
      zone: vm.class ?? 'general',
      tenant: vm.tenant,
      app: vm.app,
      vcpus: vm.vcpus,
      memoryMiB: vm.memoryMiB,
      cpuCores: vm.latest?.cpuCores ?? null,
      memoryUsedMiB: vm.latest?.memoryMiB ?? null,
      lastSeen: vm.lastSeen,
    }));
  }

  private async planView(): Promise<Record<string, unknown>> {
    const plan = await this.computePlan();
    return { plan, diff: planDiff(this.autoscaler?.getAllocations() ?? {}, plan) };
  }

  private async train(series: string[] | undefined): Promise<Record<string, unknown>> {
    try {
      return await this.predictions.train({ series });
    } catch (err) {
      // a series the store has no history for is the caller's mistake, not a server fault
      const msg = (err as Error).message;
      if (msg.startsWith('series:')) throw new ProblemError(400, 'unknown-series', 'Unknown series', msg, { field: 'series' });
      throw err;
    }
  }

  private async repartition(dryRun: boolean): Promise<Record<string, unknown>> {
    if (!dryRun && !this.mode.enforcing()) {
      throw new ProblemError(409, 'observe-mode', 'Observe mode', 'the daemon is in observe mode: it changes nothing on VMs or cgroups. Review the plan (virtzone plan, or virtzone apply --dry-run), then switch to enforce (virtzone mode enforce, or mode: enforce in the config and a reload)', { field: 'apply' });
    }
    const plan = await this.computePlan();
    const diff = planDiff(this.autoscaler?.getAllocations() ?? {}, plan);
    const apply = async () => {
      const report = await applyPlan(this.host, plan, this.config, {
        dryRun,
        audit: this.audit,
        partitions: this.partitions,
        actor: dryRun ? 'repartition-dry-run' : 'repartition',
        log: this.log.child({ component: 'apply' }),
      });
      if (!dryRun) this.autoscaler?.setPlan(plan);
      return report;
    };
    // never at the same time as an auto-scaler tick: both resize VMs
    const report = this.autoscaler ? await this.autoscaler.exclusive(apply) : await apply();
    return { dryRun, plan, diff, report };
  }
}
