// Pool members: the domains the auto-scaler adds to a zone from its template (define,
// then start; undefined again when the start fails) and removes again (graceful
// shutdown with a timeout, then destroy, then undefine — in the background). Only
// members it created itself are ever removed. The template XML work is pool.ts.
import { readFileSync } from 'node:fs';
import { limitsForZones } from '../cgroups/zone-limits.js';
import type { Resources } from '../plan/types.js';
import type { Inventory, InventoryVm } from '../vm-targets/inventory.js';
import type { ScalerAction, ScalerMemory, ScalerZone } from './decide.js';
import { auditScaler, type ScalerContext } from './context.js';
import { renderPoolMember, templateSize } from './pool.js';

export interface PoolOutcome {
  action: ScalerAction;
  result: 'ok' | 'failed' | 'rolled_back' | 'started';
  error?: string;
}

type AddAction = Extract<ScalerAction, { kind: 'add-pool-member' }>;
type RemoveAction = Extract<ScalerAction, { kind: 'remove-pool-member' }>;

export interface PoolMembersOptions {
  readTemplate?: (path: string) => string;
  /** poll interval while waiting for a member to shut down (ms) */
  pollMs?: number;
}

export class PoolMembers {
  private readonly background = new Set<Promise<void>>();
  private readonly removing = new Set<string>();
  private readonly templates = new Map<string, { xml: string; size: Resources } | null>();

  constructor(
    private readonly ctx: ScalerContext,
    private readonly inventory: Inventory,
    private readonly opts: PoolMembersOptions = {},
  ) {}

  /** Members on their way out: the auto-scaler no longer counts them. */
  get leaving(): ReadonlySet<string> {
    return this.removing;
  }

  /** Each zone's pool as decide() reads it; a zone without a pool or a usable template has none. */
  pools(zones: readonly string[]): Record<string, ScalerZone['pool'] | undefined> {
    const out: Record<string, ScalerZone['pool'] | undefined> = {};
    for (const zone of zones) {
      const cls = this.ctx.config.classes.find((c) => c.name === zone);
      const tpl = this.template(zone);
      if (cls?.pool && tpl) out[zone] = { min: cls.pool.min, max: cls.pool.max, memberSize: tpl.size };
    }
    return out;
  }

  /**
   * Adds and removes the members the actions ask for. `memory` is the scaler's: a name a
   * previous run already used moves its pool sequence on.
   */
  async carryOut(actions: readonly ScalerAction[], members: readonly InventoryVm[], allocations: Readonly<Record<string, Resources>>, memory: ScalerMemory): Promise<PoolOutcome[]> {
    const out: PoolOutcome[] = [];
    for (const a of actions) {
      if (a.kind === 'add-pool-member') out.push(await this.add(a, members, allocations, memory));
      else if (a.kind === 'remove-pool-member') out.push(this.remove(a, members));
    }
    return out;
  }

  /** Waits for background work (members shutting down). */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  private template(zone: string): { xml: string; size: Resources } | null {
    const cls = this.ctx.config.classes.find((c) => c.name === zone);
    if (!cls?.pool) return null;
    if (!this.templates.has(zone)) {
      try {
        const xml = (this.opts.readTemplate ?? ((p: string) => readFileSync(p, 'utf8')))(cls.pool.template);
        this.templates.set(zone, { xml, size: templateSize(xml) });
      } catch (e) {
        this.ctx.log.error({ zone, template: cls.pool.template, err: (e as Error).message }, 'pool template unusable; pool disabled');
        this.templates.set(zone, null);
      }
    }
    return this.templates.get(zone) ?? null;
  }

  private async add(a: AddAction, members: readonly InventoryVm[], allocations: Readonly<Record<string, Resources>>, memory: ScalerMemory): Promise<PoolOutcome> {
    const { host, config, partitions, log } = this.ctx;
    const tpl = this.template(a.zone);
    if (!tpl) return { action: a, result: 'failed', error: 'no usable template' };
    let name = a.name;
    const taken = new Set(members.map((v) => v.name));
    // The sequence restarts with the daemon; skip names a previous run already used.
    while (taken.has(name)) name = `${a.zone}-pool-${++memory.poolSeq}`;
    let defined = false;
    try {
      const xml = renderPoolMember(tpl.xml, name, a.zone);
      if (partitions) {
        // The partition must exist, with room for the new member, before it starts.
        const withNew = [...members, { name, zone: a.zone, running: true, vcpus: tpl.size.cpuCores, memoryMiB: tpl.size.memoryMiB }];
        const l = limitsForZones({ [a.zone]: allocations[a.zone] }, withNew, config)[a.zone];
        await partitions.ensure(a.zone, l);
      }
      await host.define(xml);
      defined = true;
      await host.start(name);
      auditScaler(this.ctx, name, 'pool-add', a.reason, null, { zone: a.zone, ...tpl.size }, 'ok');
      log.info({ vm: name, zone: a.zone, action: 'pool-add', why: a.reason, before: null, after: { zone: a.zone, running: true, ...tpl.size } }, 'pool member added');
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
      auditScaler(this.ctx, name, 'pool-add', a.reason, null, { zone: a.zone }, result, error);
      log.error({ vm: name, zone: a.zone, action: 'pool-add', why: a.reason, before: null, after: result === 'rolled_back' ? null : { defined }, result, err: error }, 'pool member not added');
      return { action: { ...a, name }, result, error };
    }
  }

  /** Graceful shutdown with a timeout, then destroy, then undefine — in the background. */
  private remove(a: RemoveAction, members: readonly InventoryVm[]): PoolOutcome {
    const v = members.find((x) => x.name === a.vm);
    if (!v || !v.membership.poolMember || v.membership.pool !== a.zone) {
      return { action: a, result: 'failed', error: `${a.vm} is not a pool member the auto-scaler created` };
    }
    const { host, config, log } = this.ctx;
    const cls = config.classes.find((c) => c.name === a.zone);
    const timeoutMs = (cls?.pool?.shutdownTimeoutSeconds ?? 120) * 1000;
    const pollMs = this.opts.pollMs ?? 1000;
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
        auditScaler(this.ctx, a.vm, 'pool-remove', `${a.reason}; ${how}`, { zone: a.zone, running: true }, { defined: false }, 'ok');
        log.info({ vm: a.vm, zone: a.zone, action: 'pool-remove', why: a.reason, how, before: { zone: a.zone, running: true }, after: { defined: false } }, 'pool member removed');
      } catch (e) {
        auditScaler(this.ctx, a.vm, 'pool-remove', `${a.reason}; ${how}`, { zone: a.zone }, null, 'failed', (e as Error).message);
        log.error({ vm: a.vm, zone: a.zone, action: 'pool-remove', why: a.reason, how, before: { zone: a.zone, running: true }, after: null, err: (e as Error).message }, 'pool member not removed');
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
