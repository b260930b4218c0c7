// What the auto-scaler's parts (zone monitor, action executor, pool members) share: the
// host, the configuration in force (a reload replaces it), the audit log, the zone
// partitions, the log and the clock.
import type { Config } from '../../core/config/schema.js';
import type { HostAdapter } from '../../core/host/types.js';
import type { AuditLog } from '../../core/store/audit.js';
import type { ZonePartitions } from '../cgroups/partitions.js';
import { silentLog, type Log } from '../../core/log.js';


export interface ScalerContext {
  readonly host: HostAdapter;
  /** read at each use: a reload (SIGHUP) replaces it between ticks */
  readonly config: Config;
  readonly audit?: AuditLog;
  readonly partitions?: ZonePartitions;
  readonly log: Log;
  /** unix seconds */
  now(): number;
}

export type AuditResult = 'ok' | 'failed' | 'rolled_back' | 'skipped';

/** One audit row written by the auto-scaler. */
export function auditScaler(ctx: ScalerContext, vm: string, action: string, reason: string, before: unknown, after: unknown, result: AuditResult, error?: string): void {
  ctx.audit?.append({ ts: ctx.now(), actor: 'autoscaler', vm, action, reason, before, after, result, error: error ?? null });
}
