// The auto-scaler routine: every autoscaler.intervalSeconds (on the shared ticker) the
// zone monitor reads the host, decide() says what to do, the action executor carries out
// the zone and VM changes and the pool members part adds or removes members.
import type { Config } from '../../core/config/schema.js';
import type { HostAdapter } from '../../core/host/types.js';
import type { ZoneState } from '../../core/model/types.js';
import type { AuditLog } from '../../core/store/audit.js';
import { startTicker, type Ticker } from '../../core/ticker.js';
import type { ApplyReport } from '../apply/executor.js';
import type { ZonePartitions } from '../cgroups/partitions.js';
import type { Plan, Resources } from '../plan/types.js';
import { Inventory, type InventoryVm } from '../vm-targets/inventory.js';
import { ActionExecutor } from './action-executor.js';
import { type ScalerContext } from './context.js';
import { silentLog, type Log } from '../../core/log.js';
import { decide, emptyMemory, type ScalerDecision, type ScalerMemory } from './decide.js';
import { PoolMembers, type PoolOutcome } from './pool-members.js';
import { ZoneMonitor, type LatestUseSource } from './zone-monitor.js';

export interface AutoscalerDeps {
  host: HostAdapter;
  config: Config;
  /** the collector's latest use per VM name */
  latestUse: LatestUseSource;
  audit?: AuditLog;
  partitions?: ZonePartitions;
  inventory?: Inventory;
  log?: Log;
  /** unix seconds */
  now?: () => number;
  readTemplate?: (path: string) => string;
  /** poll interval while waiting for a pool member to shut down (ms) */
  pollMs?: number;
  /**
   * false in observe mode: ticks decide and keep what they would do, but change no VM,
   * no partition and no pool member. Absent: always enforcing.
   */
  enforcing?: () => boolean;
}

/** What the last tick in observe mode would have done. */
export interface ObservedTick {
  at: number;
  actions: ScalerDecision['actions'];
}

export interface TickReport {
  at: number;
  decision: ScalerDecision;
  applied: ApplyReport | null;
  pool: PoolOutcome[];
  errors: string[];
  /** observe mode: nothing was carried out */
  observed: boolean;
}

export class ZoneAutoscaler {
  private memory: ScalerMemory = emptyMemory();
  private readonly ctx: ScalerContext;
  private readonly monitor: ZoneMonitor;
  private readonly executor: ActionExecutor;
  private readonly pool: PoolMembers;
  private ticker: Ticker | null = null;
  /** tickers replaced by a reload, until their tick in flight is done */
  private retired: Promise<void> = Promise.resolve();
  /** ticks and exclusive() work run one after the other, never interleaved */
  private serial: Promise<unknown> = Promise.resolve();
  private lastObserved: ObservedTick | null = null;

  constructor(
    private deps: AutoscalerDeps,
    plan: Plan,
  ) {
    const now = deps.now ?? (() => Date.now() / 1000);
    const self = this;
    this.ctx = {
      host: deps.host,
      get config() {
        return self.deps.config;
      },
      audit: deps.audit,
      partitions: deps.partitions,
      log: deps.log ?? silentLog,
      now,
    };
    const inventory = deps.inventory ?? new Inventory(deps.host, new Set(deps.config.classes.map((c) => c.name)), now);
    this.monitor = new ZoneMonitor(inventory, deps.latestUse, plan);
    this.executor = new ActionExecutor(this.ctx);
    this.pool = new PoolMembers(this.ctx, inventory, { readTemplate: deps.readTemplate, pollMs: deps.pollMs });
  }

  /**
   * A reloaded configuration (SIGHUP): the next tick decides with it; a changed interval
   * or enabled flag restarts the ticker (or stops it).
   */
  reconfigure(config: Config): void {
    const before = this.deps.config.autoscaler;
    this.deps = { ...this.deps, config };
    const after = config.autoscaler;
    if (before.intervalSeconds === after.intervalSeconds && before.enabled === after.enabled) return;
    const wasRunning = this.ticker !== null;
    this.retireTicker();
    // started by the daemon only once it has a plan: a stopped scaler stays stopped
    if (wasRunning || (!before.enabled && after.enabled)) this.start();
  }

  /** A new plan (re-partition) replaces the allocations the auto-scaler moved. */
  setPlan(plan: Plan): void {
    this.monitor.setPlan(plan);
  }

  getAllocations(): Record<string, Resources> {
    return this.monitor.allocationsInForce();
  }

  getExhausted(): Record<string, boolean> {
    return this.monitor.exhaustedZones();
  }

  /** The last observe-mode tick's actions, not carried out; null once a tick enforces. */
  wouldDo(): ObservedTick | null {
    return this.lastObserved;
  }

  /** The zones as the router sees them, from the last tick's view of the host. */
  zoneStates(): ZoneState[] {
    return this.monitor.zoneStates(this.deps.config.router.useRatioQuantile);
  }

  /**
   * Reads the host's VMs and their latest use without deciding or acting: the zone view
   * for the router and the views when the auto-scaler is disabled or has not ticked yet.
   */
  async observe(vms?: InventoryVm[]): Promise<void> {
    await this.monitor.observe(vms);
  }

  /** Ticks every autoscaler.intervalSeconds; does nothing when autoscaler.enabled is false. */
  start(): void {
    if (this.ticker || !this.deps.config.autoscaler.enabled) return;
    this.ticker = startTicker({
      name: 'autoscaler',
      intervalMs: this.deps.config.autoscaler.intervalSeconds * 1000,
      // the first tick after one interval: the daemon has just observed the host
      immediate: false,
      log: this.ctx.log,
      tick: async () => {
        await this.tick();
      },
    });
  }

  /** Stops the ticker and waits for the tick and any pool removals under way. */
  async stop(): Promise<void> {
    this.retireTicker();
    await this.retired;
    await this.serial;
    await this.idle();
  }

  /** Waits for background work (pool members shutting down). */
  async idle(): Promise<void> {
    await this.pool.idle();
  }

  /**
   * Runs `work` (e.g. a re-partition applying a whole plan) while no tick runs, and
   * holds the next tick until it is done: two executors resizing the same VM at once
   * would each read back the other's change and roll back their own.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.serial.then(work);
    this.serial = run.catch(() => undefined);
    return run;
  }

  tick(): Promise<TickReport> {
    return this.exclusive(() => this.runTick());
  }

  private retireTicker(): void {
    if (!this.ticker) return;
    const old = this.ticker;
    this.ticker = null;
    this.retired = Promise.all([this.retired, old.stop()]).then(() => undefined);
  }

  private async runTick(): Promise<TickReport> {
    const at = this.ctx.now();
    await this.monitor.observe();
    const before = this.monitor.allocationsInForce();
    const zones = this.monitor.scalerView(this.pool.pools(this.monitor.zoneNames()), this.pool.leaving);
    const decision = decide(zones, this.memory, this.deps.config, at);
    this.memory = decision.memory;
    // observe mode: the zones' allocations move as enforce would move them (admission
    // reads them), but no VM, partition or pool member is touched
    this.monitor.adopt(decision);
    if (this.deps.enforcing && !this.deps.enforcing()) {
      this.lastObserved = { at, actions: decision.actions };
      return { at, decision, applied: null, pool: [], errors: [], observed: true };
    }
    this.lastObserved = null;
    const members = this.monitor.members;
    const { applied, errors } = await this.executor.execute(decision, before, members);
    const pool = await this.pool.carryOut(decision.actions, members, decision.allocations, this.memory);
    // Membership changed: the zone states the router reads must show it now.
    if (pool.length > 0) await this.monitor.rereadMembers();
    return { at, decision, applied, pool, errors, observed: false };
  }
}
