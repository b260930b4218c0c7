// Applying a whole plan, as `virtzone apply [--dry-run]` and a re-partition do it:
//   1. every zone's partition exists, with limits that hold both the current and the
//      target sizes of its VMs (so neither the shrinks nor the grows hit a limit);
//   2. every domain's persistent <partition> matches its class (running ones are then
//      pending until their next start);
//   3. the per-VM targets, through the executor (bounded, verified, audited, rolled back).
// A dry run changes nothing and reports what each part would do.
import type { Config } from '../../core/config/schema.js';
import type { HostAdapter } from '../../core/host/types.js';
import type { AuditLog } from '../../core/store/audit.js';
import type { Plan } from '../plan/types.js';
import type { ZonePartitions, PartitionReport } from '../cgroups/partitions.js';
import { limitsForZones } from '../cgroups/zone-limits.js';
import type { ZoneLimits } from '../cgroups/layout.js';
import { allocationsOf } from '../plan/zone-allocations.js';
import { Inventory } from '../vm-targets/inventory.js';
import { syncPartitions, type PartitionSyncReport } from '../vm-targets/partition-sync.js';
import { applyTargets, type ApplyReport } from './executor.js';
import type { Log } from '../../core/log.js';

export interface PlanApplyOptions {
  dryRun?: boolean;
  audit?: AuditLog;
  actor?: string;
  /** omitted: zone partitions are not managed (zones.manageCgroups false, or tests) */
  partitions?: ZonePartitions;
  maxStepsPerVm?: number;
  now?: () => number;
  /** one log line per action on a VM (steps, partition rewrites) */
  log?: Log;
}

export interface PlanApplyReport {
  dryRun: boolean;
  /** limits per zone (written, or that would be written) */
  limits: Record<string, ZoneLimits>;
  partitions: PartitionReport[];
  partitionSync: PartitionSyncReport;
  vms: ApplyReport;
}

export async function applyPlan(host: HostAdapter, plan: Plan, config: Config, opts: PlanApplyOptions = {}): Promise<PlanApplyReport> {
  const dryRun = opts.dryRun ?? false;
  const classes = new Set(config.classes.map((c) => c.name));
  const members = await new Inventory(host, classes).read(new Map());
  const targets = new Map(plan.vms.map((t) => [t.vm, t.memoryMiB]));
  const sized = members.map((m) => ({ ...m, memoryMiB: Math.max(m.memoryMiB, targets.get(m.name) ?? 0) }));
  const limits = limitsForZones(allocationsOf(plan), sized, config);
  const partitions: PartitionReport[] = [];
  if (opts.partitions && !dryRun) {
    for (const [zone, l] of Object.entries(limits)) {
      const r = await opts.partitions.ensure(zone, l);
      partitions.push(r);
      opts.audit?.append({
        ts: (opts.now ?? (() => Date.now() / 1000))(),
        actor: opts.actor ?? 'apply',
        vm: `zone:${zone}`,
        action: 'zone-limits',
        reason: 'plan applied',
        before: null,
        after: { allocation: plan.zones.find((z) => z.name === zone)?.allocation, limits: l, created: r.created },
        result: r.warnings.length ? 'failed' : 'ok',
        error: r.warnings.join('; ') || null,
      });
    }
  }
  const partitionSync = await syncPartitions(host, classes, { dryRun, audit: opts.audit, actor: opts.actor, now: opts.now, log: opts.log });
  const vms = await applyTargets(host, plan.vms, config, { dryRun, audit: opts.audit, actor: opts.actor, maxStepsPerVm: opts.maxStepsPerVm, now: opts.now, log: opts.log });
  return { dryRun, limits, partitions, partitionSync, vms };
}
