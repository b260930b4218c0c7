// What a tenant holds on this host, for its quotas: its reservations in force (reserved
// or bound: one row of tenant_totals, kept by triggers) plus the VMs tagged with it that
// run in a zone now. Read inside the transaction that decides a placement, so concurrent
// requests see each other's reservations and a quota holds exactly.
import type { Database, Statement } from 'better-sqlite3';
import type { Held } from '../placement/quota.js';

/** The size of the tenant's running VMs (those a fulfilled reservation no longer counts). */
export interface RunningUse {
  vcpus: number;
  memoryMiB: number;
}

export class TenantHoldings {
  private readonly inForce: Statement;

  constructor(db: Database) {
    this.inForce = db.prepare(`SELECT count, vcpus, memory_mib AS memoryMiB FROM tenant_totals WHERE tenant = ?`);
  }

  of(tenant: string, running: RunningUse): Held {
    const f = this.inForce.get(tenant) as { count: number; vcpus: number; memoryMiB: number } | undefined;
    return { reservations: f?.count ?? 0, vcpus: (f?.vcpus ?? 0) + running.vcpus, memoryMiB: (f?.memoryMiB ?? 0) + running.memoryMiB };
  }
}
