// Carries out what a decision did to zones and VMs: records the transfers and exhausted
// flags, writes the zones' new limits to their partitions, and resizes VMs through the
// apply executor (bounded, verified, audited, rolled back). Pool members are pool-members.ts.
import { applyTargets, type ApplyReport } from '../apply/executor.js';
import { limitsForZones } from '../cgroups/zone-limits.js';
import type { Resources } from '../plan/types.js';
import type { InventoryVm } from '../vm-targets/inventory.js';
import { resizeActions, resizeTargets, RESIZE_STEPS_PER_TICK, type ResizeAction } from './actions.js';
import type { ScalerDecision } from './decide.js';
import { auditScaler, type ScalerContext } from './context.js';
import { scaledVm } from './zone-monitor.js';

export interface ExecutedActions {
  applied: ApplyReport | null;
  errors: string[];
}

export class ActionExecutor {
  constructor(private readonly ctx: ScalerContext) {}

  /**
   * `before` are the allocations before the decision; `members` the domains it was made
   * from. Zone limits go first: they never go below what the zone's VMs hold, grown ones
   * included, so the resizes that follow fit.
   */
  async execute(decision: Pick<ScalerDecision, 'actions' | 'allocations'>, before: Readonly<Record<string, Resources>>, members: readonly InventoryVm[]): Promise<ExecutedActions> {
    this.record(decision, before);
    const resizes = resizeActions(decision.actions);
    const errors = await this.applyZoneLimits(decision.allocations, before, resizes, members);
    let applied: ApplyReport | null = null;
    if (resizes.length > 0) {
      const { host, config, audit, log } = this.ctx;
      const targets = resizeTargets(resizes, members.map(scaledVm), config);
      try {
        applied = await applyTargets(host, targets, config, { actor: 'autoscaler', audit, maxStepsPerVm: RESIZE_STEPS_PER_TICK, now: () => this.ctx.now(), log });
      } catch (e) {
        errors.push(`apply: ${(e as Error).message}`);
      }
    }
    return { applied, errors };
  }

  /** Transfers and exhausted flags change nothing on the host: they are audited and logged. */
  private record(decision: Pick<ScalerDecision, 'actions' | 'allocations'>, before: Readonly<Record<string, Resources>>): void {
    const after = decision.allocations;
    const { log } = this.ctx;
    for (const a of decision.actions) {
      if (a.kind === 'transfer') {
        auditScaler(this.ctx, `zone:${a.to}`, 'zone-transfer', a.reason, { from: a.from, [a.from]: before[a.from], [a.to]: before[a.to] }, { cpuCores: a.cpuCores, memoryMiB: a.memoryMiB, [a.from]: after[a.from], [a.to]: after[a.to] }, 'ok');
        log.info({ action: a, why: a.reason, before: { [a.from]: before[a.from], [a.to]: before[a.to] }, after: { [a.from]: after[a.from], [a.to]: after[a.to] } }, 'zone transfer');
      } else if (a.kind === 'set-exhausted') {
        auditScaler(this.ctx, `zone:${a.zone}`, 'set-exhausted', a.reason, { exhausted: !a.exhausted }, { exhausted: a.exhausted }, 'ok');
        log[a.exhausted ? 'warn' : 'info']({ zone: a.zone, exhausted: a.exhausted }, a.reason);
      }
    }
  }

  private async applyZoneLimits(after: Readonly<Record<string, Resources>>, before: Readonly<Record<string, Resources>>, resizes: readonly ResizeAction[], members: readonly InventoryVm[]): Promise<string[]> {
    const errors: string[] = [];
    const { partitions, config } = this.ctx;
    const changed = Object.keys(after).filter((z) => !before[z] || before[z].cpuCores !== after[z].cpuCores || before[z].memoryMiB !== after[z].memoryMiB);
    if (!partitions || changed.length === 0) return errors;
    const grown = new Map(resizes.map((r) => [r.vm, r.memoryMiB]));
    const sized = members.map((v) => ({ ...v, memoryMiB: Math.max(v.memoryMiB, grown.get(v.name) ?? 0) }));
    const limits = limitsForZones(Object.fromEntries(changed.map((z) => [z, after[z]])), sized, config);
    for (const [zone, l] of Object.entries(limits)) {
      const why = 'allocation changed by the auto-scaler';
      try {
        const r = await partitions.setLimits(zone, l);
        for (const w of r.warnings) errors.push(w);
        auditScaler(this.ctx, `zone:${zone}`, 'zone-limits', why, before[zone] ?? null, { allocation: after[zone], limits: l }, r.warnings.length ? 'failed' : 'ok', r.warnings.join('; ') || undefined);
      } catch (e) {
        errors.push(`zone ${zone} limits: ${(e as Error).message}`);
        auditScaler(this.ctx, `zone:${zone}`, 'zone-limits', why, before[zone] ?? null, { allocation: after[zone], limits: l }, 'failed', (e as Error).message);
      }
    }
    return errors;
  }
}
