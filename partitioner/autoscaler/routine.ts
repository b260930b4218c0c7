// The zone monitor / auto-scaler routine: every autoscaler.intervalSeconds it reads the
// domains and their latest use, asks decide() what to do, and carries the actions out —
// VM resizes through the apply executor (bounded, verified, audited, rolled back),
// zone limits through the partitions, pool members through define/start and
// shutdown/destroy/undefine. It holds the zone allocations in force between two plans.
import { readFileSync } from 'node:fs';
import type { Config } from '../../core/config/schema.js';
import type { HostAdapter } from '../../core/host/types.js';
import type { ZoneState } from '../../core/model/types.js';
import type { AuditLog } from '../../core/store/audit.js';
import { applyTargets, type ApplyReport } from '../apply/executor.js';
import type { ZonePartitions } from '../cgroups/partitions.js';
import { limitsForZones } from '../cgroups/zones.js';
import type { Plan, Resources, VmTarget } from '../plan/types.js';
import { allocationsOf } from '../surfaces/zones.js';
import { Inventory, type InventoryVm } from '../vm-targets/inventory.js';
import { memoryMinimum } from '../vm-targets/targets.js';
import { buildZoneStates, type LatestUse } from '../zones/state.js';
import { decide, emptyMemory, type ScalerAction, type ScalerDecision, type ScalerMemory, type ScalerZone } from './decide.js';
import { renderPoolMember, templateSize } from './pool.js';

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface AutoscalerDeps {
  host: HostAdapter;
  config: Config;
  /** the collector's latest use per VM name */
  latestUse: () => ReadonlyMap<string, LatestUse> | Promise<ReadonlyMap<string, LatestUse>>;
  audit?: AuditLog;
  partitions?: ZonePartitions;
  inventory?: Inventory;
  log?: Logger;
  /** unix seconds */
  now?: () => number;
  readTemplate?: (path: string) => string;
  /** poll interval while waiting for a pool member to shut down (ms) */
  pollMs?: number;
}

export interface PoolOutcome {
  action: ScalerAction;
  result: 'ok' | 'failed' | 'rolled_back' | 'started';
  error?: string;
}

export interface TickReport {
  at: number;
  decision: ScalerDecision;
  applied: ApplyReport | null;
  pool: PoolOutcome[];
  errors: string[];
}

const silent: Logger = { info() {}, warn() {}, error() {} };

export class ZoneAutoscaler {
  private plan: Plan;
  private allocations: Record<string, Resources>;
  private exhausted: Record<string, boolean> = {};
  private memory: ScalerMemory = emptyMemory();
  private vms: InventoryVm[] = [];
  private use: ReadonlyMap<string, LatestUse> = new Map();
  private readonly inventory: Inventory;
  private readonly log: Logger;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<TickReport | null> | null = null;
  /** ticks and exclusive() work run one after the other, never interleaved */
  private serial: Promise<unknown> = Promise.resolve();
  private readonly background = new Set<Promise<void>>();
  private readonly removing = new Set<string>();
  private readonly templates = new Map<string, { xml: string; size: Resources } | null>();

  constructor(
    private deps: AutoscalerDeps,
    plan: Plan,
  ) {
    this.plan = plan;
    this.allocations = allocationsOf(plan);
    this.log = deps.log ?? silent;
    this.now = deps.now ?? (() => Date.now() / 1000);
    this.inventory = deps.inventory ?? new Inventory(deps.host, new Set(deps.config.classes.map((c) => c.name)), this.now);
  }

  /**
   * A reloaded configuration (SIGHUP): the next tick decides with it; a changed interval
   * or enabled flag restarts the timer (or stops it).
   */
  reconfigure(config: Config): void {
    const before = this.deps.config.autoscaler;
    this.deps = { ...this.deps, config };
    const after = config.autoscaler;
    if (before.intervalSeconds === after.intervalSeconds && before.enabled === after.enabled) return;
    const wasRunning = this.timer !== null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // started by the daemon only once it has a plan: a stopped scaler stays stopped
    if (wasRunning || (!before.enabled && after.enabled)) this.start();
  }

  /** A new plan (re-partition) replaces the allocations the auto-scaler moved. */
  setPlan(plan: Plan): void {
    this.plan = plan;
    this.allocations = allocationsOf(plan);
  }

  getAllocations(): Record<string, Resources> {
    return structuredClone(this.allocations);
  }

  getExhausted(): Record<string, boolean> {
    return { ...this.exhausted };
  }

  /** The zones as the router sees them, from the last tick's view of the host. */
  zoneStates(): ZoneState[] {
    return buildZoneStates(this.plan, this.vms, this.use, this.exhausted, this.allocations, this.deps.config.router.useRatioQuantile);
  }

  /**
   * Reads the host's VMs and their latest use without deciding or acting: the zone view
   * for the router and the surfaces when the auto-scaler is disabled or has not ticked yet.
   */
  async observe(vms?: InventoryVm[]): Promise<void> {
    this.use = await this.deps.latestUse();
    this.vms = vms ?? (await this.inventory.read(this.use));
  }

  /** Ticks every autoscaler.intervalSeconds; does nothing when autoscaler.enabled is false. */
  start(): void {
    if (this.timer || !this.deps.config.autoscaler.enabled) return;
    const ms = this.deps.config.autoscaler.intervalSeconds * 1000;
    this.timer = setInterval(() => {
      // A slow tick is never overlapped by the next one.
      if (this.current) return;
      this.tick().catch((e) => this.log.error({ err: (e as Error).message }, 'autoscaler tick failed'));
    }, ms);
    this.timer.unref();
  }

  /** Stops the timer and waits for the tick and any pool removals under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.current;
    await this.idle();
  }

  /** Waits for background work (pool members shutting down). */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
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

  async tick(): Promise<TickReport> {
    const run = this.exclusive(() => this.runTick());
    this.current = run;
    try {
      return await run;
    } finally {
      this.current = null;
    }
  }

  private template(zone: string): { xml: string; size: Resources } | null {
    const cls = this.deps.config.classes.find((c) => c.name === zone);
    if (!cls?.pool) return null;
    if (!this.templates.has(zone)) {
      try {
        const xml = (this.deps.readTemplate ?? ((p: string) => readFileSync(p, 'utf8')))(cls.pool.template);
        this.templates.set(zone, { xml, size: templateSize(xml) });
      } catch (e) {
        this.log.error({ zone, template: cls.pool.template, err: (e as Error).message }, 'pool template unusable; pool disabled');
        this.templates.set(zone, null);
      }
    }
    return this.templates.get(zone) ?? null;
  }

  private scalerZones(): ScalerZone[] {
    return this.plan.zones.map((z) => {
      const cls = this.deps.config.classes.find((c) => c.name === z.name);
      const tpl = this.template(z.name);
      return {
        name: z.name,
        rank: z.rank,
        allocation: this.allocations[z.name] ?? z.allocation,
        floor: z.floor,
        vms: this.vms
          .filter((v) => v.zone === z.name && v.running && !this.removing.has(v.name))
          .map((v) => ({
            name: v.name,
            vcpus: v.vcpus,
            maxVcpus: v.maxVcpus,
            memoryMiB: v.memoryMiB,
            maxMemoryMiB: v.maxMemoryMiB,
            usedCpuCores: v.usedCpuCores,
            usedMemoryMiB: v.usedMemoryMiB,
            ...(v.peakMemoryMiB !== undefined ? { peakMemoryMiB: v.peakMemoryMiB } : {}),
            poolMember: v.membership.poolMember && v.membership.pool === z.name,
            ...(v.memoryFloorMiB !== undefined ? { memoryFloorMiB: v.memoryFloorMiB } : {}),
          })),
        ...(cls?.pool && tpl ? { pool: { min: cls.pool.min, max: cls.pool.max, memberSize: tpl.size } } : {}),
      };
    });
  }

  private audit(vm: string, action: string, reason: string, before: unknown, after: unknown, result: 'ok' | 'failed' | 'rolled_back' | 'skipped', error?: string): void {
    this.deps.audit?.append({ ts: this.now(), actor: 'autoscaler', vm, action, reason, before, after, result, error: error ?? null });
  }

  private async runTick(): Promise<TickReport> {
    const { host, config } = this.deps;
    const at = this.now();
    const errors: string[] = [];
    this.use = await this.deps.latestUse();
    this.vms = await this.inventory.read(this.use);
    const before = this.getAllocations();
    const decision = decide(this.scalerZones(), this.memory, config, at);
    this.memory = decision.memory;
    this.exhausted = decision.exhausted;
    this.allocations = decision.allocations;

    for (const a of decision.actions) {
      if (a.kind === 'transfer') {
        this.audit(`zone:${a.to}`, 'zone-transfer', a.reason, { from: a.from, [a.from]: before[a.from], [a.to]: before[a.to] }, { cpuCores: a.cpuCores, memoryMiB: a.memoryMiB, [a.from]: this.allocations[a.from], [a.to]: this.allocations[a.to] }, 'ok');
        this.log.info({ action: a, why: a.reason, before: { [a.from]: before[a.from], [a.to]: before[a.to] }, after: { [a.from]: this.allocations[a.from], [a.to]: this.allocations[a.to] } }, 'zone transfer');
      } else if (a.kind === 'set-exhausted') {
        this.audit(`zone:${a.zone}`, 'set-exhausted', a.reason, { exhausted: !a.exhausted }, { exhausted: a.exhausted }, 'ok');
        this.log[a.exhausted ? 'warn' : 'info']({ zone: a.zone, exhausted: a.exhausted }, a.reason);
      }
    }

    // Zone limits first (they never go below what the zone's VMs hold, grown ones included).
    const changed = Object.keys(this.allocations).filter(
      (z) => !before[z] || before[z].cpuCores !== this.allocations[z].cpuCores || before[z].memoryMiB !== this.allocations[z].memoryMiB,
    );
    const resizes = decision.actions.filter((a): a is Extract<ScalerAction, { kind: 'resize-vm' }> => a.kind === 'resize-vm');
    if (this.deps.partitions && changed.length > 0) {
      const grown = new Map(resizes.map((r) => [r.vm, r.memoryMiB]));
      const members = this.vms.map((v) => ({ ...v, memoryMiB: Math.max(v.memoryMiB, grown.get(v.name) ?? 0) }));
      const limits = limitsForZones(Object.fromEntries(changed.map((z) => [z, this.allocations[z]])), members, config);
      for (const [zone, l] of Object.entries(limits)) {
        try {
          const r = await this.deps.partitions.setLimits(zone, l);
          for (const w of r.warnings) errors.push(w);
          this.audit(`zone:${zone}`, 'zone-limits', 'allocation changed by the auto-scaler', before[zone] ?? null, { allocation: this.allocations[zone], limits: l }, r.warnings.length ? 'failed' : 'ok', r.warnings.join('; ') || undefined);
        } catch (e) {
          errors.push(`zone ${zone} limits: ${(e as Error).message}`);
          this.audit(`zone:${zone}`, 'zone-limits', 'allocation changed by the auto-scaler', before[zone] ?? null, { allocation: this.allocations[zone], limits: l }, 'failed', (e as Error).message);
        }
      }
    }

    let applied: ApplyReport | null = null;
    if (resizes.length > 0) {
      const byName = new Map(this.vms.map((v) => [v.name, v]));
      const targets: VmTarget[] = [];
      for (const r of resizes) {
        const v = byName.get(r.vm);
        if (!v) continue;
        const floor = v.memoryFloorMiB ?? config.partitioner.vmMemoryFloorMiB;
        targets.push({
          vm: r.vm,
          zone: r.zone,
          vcpus: r.vcpus,
          memoryMiB: r.memoryMiB,
          memorySoftLimitMiB: r.memoryMiB + config.zones.vmOverheadMiB,
          minMemoryMiB: memoryMinimum(v.usedMemoryMiB, v.memoryMiB, floor, config.partitioner),
          usedMemoryMiB: v.usedMemoryMiB,
          memoryFloorMiB: floor,
          reason: r.reason,
        });
      }
      try {
        applied = await applyTargets(host, targets, config, { actor: 'autoscaler', audit: this.deps.audit, maxStepsPerVm: 1, now: this.now, log: this.log });
      } catch (e) {
        errors.push(`apply: ${(e as Error).message}`);
      }
    }

    const pool: PoolOutcome[] = [];
    for (const a of decision.actions) {
      if (a.kind === 'add-pool-member') pool.push(await this.addPoolMember(a));
      else if (a.kind === 'remove-pool-member') pool.push(this.removePoolMember(a));
    }
    // Membership changed: the zone states the router reads must show it now.
    if (pool.length > 0) this.vms = await this.inventory.read(this.use);
    return { at, decision, applied, pool, errors };
  }

  private async addPoolMember(a: Extract<ScalerAction, { kind: 'add-pool-member' }>): Promise<PoolOutcome> {
    const { host, config } = this.deps;
    const tpl = this.template(a.zone);
    if (!tpl) return { action: a, result: 'failed', error: 'no usable template' };
    let name = a.name;
    const taken = new Set(this.vms.map((v) => v.name));
    // The sequence restarts with the daemon; skip names a previous run already used.
    while (taken.has(name)) name = `${a.zone}-pool-${++this.memory.poolSeq}`;
    let defined = false;
    try {
      const xml = renderPoolMember(tpl.xml, name, a.zone);
      if (this.deps.partitions) {
        // The partition must exist, with room for the new member, before it starts.
        const members = [...this.vms, { name, zone: a.zone, running: true, vcpus: tpl.size.cpuCores, memoryMiB: tpl.size.memoryMiB }];
        const l = limitsForZones({ [a.zone]: this.allocations[a.zone] }, members, config)[a.zone];
        await this.deps.partitions.ensure(a.zone, l);
      }
      await host.define(xml);
      defined = true;
      await host.start(name);
      this.audit(name, 'pool-add', a.reason, null, { zone: a.zone, ...tpl.size }, 'ok');
      this.log.info({ vm: name, zone: a.zone, action: 'pool-add', why: a.reason, before: null, after: { zone: a.zone, running: true, ...tpl.size } }, 'pool member added');
      return { action: { ...a, name }, result: 'ok' };
    } catch (e) {
      const error = (e as Error).message;
      let result: PoolOutcome['result'] = 'failed';
      if (defined) {
        try {
          await host.undefine(name);
          result = 'rolled_back';
        } catch {
          /* left defined: reported below */
        }
      }
      this.audit(name, 'pool-add', a.reason, null, { zone: a.zone }, result, error);
      this.log.error({ vm: name, zone: a.zone, action: 'pool-add', why: a.reason, before: null, after: result === 'rolled_back' ? null : { defined }, result, err: error }, 'pool member not added');
      return { action: { ...a, name }, result, error };
    }
  }

  /** Graceful shutdown with a timeout, then destroy, then undefine — in the background. */
  private removePoolMember(a: Extract<ScalerAction, { kind: 'remove-pool-member' }>): PoolOutcome {
    const v = this.vms.find((x) => x.name === a.vm);
    if (!v || !v.membership.poolMember || v.membership.pool !== a.zone) {
      return { action: a, result: 'failed', error: `${a.vm} is not a pool member the auto-scaler created` };
    }
    const cls = this.deps.config.classes.find((c) => c.name === a.zone);
    const timeoutMs = (cls?.pool?.shutdownTimeoutSeconds ?? 120) * 1000;
    const pollMs = this.deps.pollMs ?? 1000;
    const { host } = this.deps;
    this.removing.add(a.vm);
    const work = (async () => {
      let how = 'shutdown';
      try {
        await host.shutdown(a.vm).catch(() => undefined);
        const deadline = Date.now() + timeoutMs;
        let state = (await host.lookup(a.vm)).state;
        while (state !== 'shutoff' && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, pollMs));
          state = (await host.lookup(a.vm)).state;
        }
        if (state !== 'shutoff') {
          how = `destroy after ${timeoutMs / 1000}s without a clean shutdown`;
          await host.destroy(a.vm);
        }
        await host.undefine(a.vm);
        this.audit(a.vm, 'pool-remove', `${a.reason}; ${how}`, { zone: a.zone, running: true }, { defined: false }, 'ok');
        this.log.info({ vm: a.vm, zone: a.zone, action: 'pool-remove', why: a.reason, how, before: { zone: a.zone, running: true }, after: { defined: false } }, 'pool member removed');
      } catch (e) {
        this.audit(a.vm, 'pool-remove', `${a.reason}; ${how}`, { zone: a.zone }, null, 'failed', (e as Error).message);
        this.log.error({ vm: a.vm, zone: a.zone, action: 'pool-remove', why: a.reason, how, before: { zone: a.zone, running: true }, after: null, err: (e as Error).message }, 'pool member not removed');
      } finally {
        this.removing.delete(a.vm);
        this.inventory.invalidate(v.uuid);
      }
    })();
    this.background.add(work);
    void work.finally(() => this.background.delete(work));
    return { action: a, result: 'started' };
  }
}
