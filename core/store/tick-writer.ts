// Writes one collector tick: the VMs seen, their raw samples, and the rollups of every
// bucket the tick's time has closed — all in one short transaction.
import type { Db } from './open.js';
import type { RollupWriter } from './rollup-writer.js';
import { sqlNumber } from './sql-values.js';
import { PreparedStatements } from './statements.js';
import type { VmObservation, VmRepository } from './vm-repository.js';

export interface TickWrite {
  samples: number;
  rollups: number;
}

export class TickWriter {
  private readonly stmts: PreparedStatements;

  constructor(
    private readonly db: Db,
    private readonly vms: VmRepository,
    private readonly rollups: RollupWriter,
  ) {
    this.stmts = new PreparedStatements(db);
  }

  /**
   * Writes one collector tick in one transaction: VM identities and latest usage, size
   * changes, the raw samples, and the rollups of every 5-minute bucket that `now`
   * (unix seconds) has closed.
   */
  recordTick(now: number, observations: readonly VmObservation[]): TickWrite {
    const written = this.db.transaction(() => {
      const tick = this.rollups.beginTick(observations);
      const insertSample = this.stmts.get(
        `INSERT OR REPLACE INTO samples (ts, vm_id, cpu_cores, memory_mib, vcpus, balloon_mib, net_rx_bps, net_tx_bps, disk_rd_bps, disk_wr_bps)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const o of observations) {
        const s = o.sample;
        const ts = Math.floor(s.ts);
        const vmId = this.vms.observe(o, ts);
        insertSample.run(
          ts, vmId, sqlNumber(s.cpuCores), sqlNumber(s.memoryMiB), sqlNumber(s.vcpus), sqlNumber(s.memoryCurrentMiB),
          sqlNumber(s.netRxBps), sqlNumber(s.netTxBps), sqlNumber(s.blockRdBps), sqlNumber(s.blockWrBps),
        );
      }
      return { samples: observations.length, rollups: this.rollups.closeBuckets(now), tick };
    })();
    // committed: keep this tick's points for its bucket's rollups
    this.rollups.endTick(written.tick, observations);
    return { samples: written.samples, rollups: written.rollups };
  }
}
