// The router's active reservations on the simulated host, as the daemon's reservation
// store totals them per charged zone (ChargedTotals). A placed VM starts at once — the
// daemon creating the domain with the placement — and the router's zone view of the
// simulated host has it as a member of its zone from that moment, its size counted
// there. What its reservation still holds until the zone monitor has seen the domain
// (the auto-scaler's next tick; the next decision then marks it fulfilled) is the
// overflow grant: the quota policy counts those against a zone's quota (overflowInUse).
// Their size is not counted again as reserved: the member already counts it.
import type { ChargedTotals, Resources } from '../router/index.js';

export class PendingReservations {
  private readonly overflow = new Map<string, Resources>();

  /** An overflow grant charged to `zone`, held until the zone monitor sees its VM. */
  holdOverflow(zone: string, size: Resources): void {
    const o = this.overflow.get(zone) ?? { cpuCores: 0, memoryMiB: 0 };
    o.cpuCores += size.cpuCores;
    o.memoryMiB += size.memoryMiB;
    this.overflow.set(zone, o);
  }

  /** The zone monitor has seen every VM placed so far: their reservations are fulfilled. */
  fulfilAll(): void {
    this.overflow.clear();
  }

  /** Active reservations per charged zone, as the decision reads them. */
  totals(): Map<string, ChargedTotals> {
    return new Map([...this.overflow].map(([zone, o]) => [zone, { reserved: { cpuCores: 0, memoryMiB: 0 }, overflow: { ...o } }]));
  }
}
