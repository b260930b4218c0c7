// Keeps each domain's persistent <resource><partition> in line with its class, so its
// next start lands in its zone. A running domain stays where it is (libvirt cannot move
// a live domain between partitions) and is reported as pending move until it restarts.
import { partitionOf } from '../../core/model/types.js';
import type { HostAdapter } from '../../core/host/types.js';
import type { AuditLog } from '../../core/store/audit.js';
import { membershipOf, partitionStatus, withPartition, type PartitionStatus } from './membership.js';

export interface PartitionSyncReport {
  statuses: PartitionStatus[];
  /** domains whose persistent XML was (or, in a dry run, would be) rewritten */
  redefined: string[];
  errors: Array<{ vm: string; error: string }>;
}

export async function syncPartitions(
  host: HostAdapter,
  classNames: ReadonlySet<string>,
  opts: { dryRun?: boolean; audit?: AuditLog; actor?: string; now?: () => number; log?: { info(obj: object, msg?: string): void } } = {},
): Promise<PartitionSyncReport> {
  const now = opts.now ?? (() => Date.now() / 1000);
  const report: PartitionSyncReport = { statuses: [], redefined: [], errors: [] };
  for (const d of await host.listDomains()) {
    try {
      const running = d.state === 'running' || d.state === 'blocked' || d.state === 'paused';
      const configXml = d.persistent ? await host.getXml(d.name, { inactive: true }) : await host.getXml(d.name);
      const liveXml = running ? await host.getXml(d.name) : null;
      const st = partitionStatus(d.name, running, liveXml, configXml, classNames);
      report.statuses.push(st);
      if (!st.needsRedefine || !d.persistent) continue;
      const before = membershipOf(configXml).partition;
      if (!opts.dryRun) {
        await host.define(withPartition(configXml, partitionOf(st.zone)));
        opts.audit?.append({
          ts: now(),
          actor: opts.actor ?? 'partition-sync',
          vm: d.name,
          action: 'set-partition',
          reason: running ? `class ${st.zone}: moves to ${partitionOf(st.zone)} at its next start` : `class ${st.zone}: starts in ${partitionOf(st.zone)}`,
          before: { partition: before },
          after: { partition: partitionOf(st.zone) },
          result: 'ok',
        });
        opts.log?.info(
          { vm: d.name, zone: st.zone, action: 'set-partition', why: running ? 'class changed: moves at its next start' : 'class changed', before: { partition: before }, after: { partition: partitionOf(st.zone) }, actor: opts.actor ?? 'partition-sync' },
          `${d.name} set-partition ${before ?? '(none)'} -> ${partitionOf(st.zone)}`,
        );
      }
      report.redefined.push(d.name);
    } catch (e) {
      report.errors.push({ vm: d.name, error: (e as Error).message });
    }
  }
  return report;
}
