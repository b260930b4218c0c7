// Writes 5-minute rollups: the collector's, as its buckets close, and imported ones in
// bulk. The bucket the collector is filling is kept in memory, so closing it reads
// nothing back; any other bucket is rolled up from the raw samples table. The rollup
// arithmetic itself is in rollup.ts.
import { ROLLUP_SECONDS, type Rollup, type VmSample } from '../model/types.js';
import type { Db } from './open.js';
import { BucketAccumulator, bucketOf, type RollupSource, type UsagePoint } from './rollup.js';

export type { RollupSource };
import type { SeriesKeys } from './series-keys.js';
import { sqlNumber } from './sql-values.js';
import { PreparedStatements } from './statements.js';
import type { VmObservation } from './vm-repository.js';

/** Where history came from: the collector on this host, or an imported trace. */
/** The bucket of one collector tick, between its transaction and its commit. */
export interface TickBucket {
  bucket: number;
  /** the tick opens a bucket other than the one in memory */
  fresh: boolean;
  /** the samples table already held samples of this bucket (a restart mid-bucket) */
  earlier: boolean;
}

const ROLLUP_COLUMNS = 12;
/** rows per multi-row INSERT (12 params each, well under SQLite's 32766 limit) */
const ROLLUP_CHUNK = 128;
const CLOSED_UNTIL = 'rollup.closedUntil';

/** The bucket the collector is filling, kept in memory so closing it reads nothing. */
interface OpenBucket {
  acc: BucketAccumulator;
  /** false when memory may miss samples of the bucket (then the samples table decides) */
  complete: boolean;
  lastTs: number;
}

export class RollupWriter {
  private readonly stmts: PreparedStatements;
  private openBucket: OpenBucket | null = null;

  constructor(
    private readonly db: Db,
    private readonly series: SeriesKeys,
  ) {
    this.stmts = new PreparedStatements(db);
  }

  /**
   * Notes the bucket of a collector tick; call inside the tick's transaction, before its
   * samples are written. Null for a tick without observations.
   */
  beginTick(observations: readonly VmObservation[]): TickBucket | null {
    if (observations.length === 0) return null;
    const bucket = bucketOf(Math.floor(observations[0].sample.ts));
    const fresh = this.openBucket?.acc.bucket !== bucket;
    // samples of this bucket from before (a restart mid-bucket): memory alone is not enough
    const earlier =
      fresh && this.stmts.get(`SELECT 1 FROM samples WHERE ts >= ? AND ts < ? LIMIT 1`).get(bucket, bucket + ROLLUP_SECONDS) !== undefined;
    return { bucket, fresh, earlier };
  }

  /** Keeps a committed tick's points for its bucket's rollups. */
  endTick(tick: TickBucket | null, observations: readonly VmObservation[]): void {
    if (tick === null) return;
    if (tick.fresh) this.openBucket = { acc: new BucketAccumulator(tick.bucket), complete: !tick.earlier, lastTs: -Infinity };
    this.accumulate(this.openBucket!, observations);
  }

  /**
   * Adds a tick to the open bucket. Anything unusual (a tick in another bucket, in the
   * same second as the last, or at mixed times) marks the bucket incomplete, and its
   * rollups are then computed from the stored samples instead.
   */
  private accumulate(open: OpenBucket, observations: readonly VmObservation[]): void {
    if (!open.complete) return;
    const ts = Math.floor(observations[0].sample.ts);
    if (ts <= open.lastTs || observations.some((o) => Math.floor(o.sample.ts) !== ts) || bucketOf(ts) !== open.acc.bucket) {
      open.complete = false;
      return;
    }
    open.lastTs = ts;
    for (const o of observations) open.acc.add(o.sample.vm, o.class, o.tenant, o.app, ts, pointOf(o.sample));
  }

  /**
   * Rolls up every bucket that ended at or before `now` (unix seconds) and has not been
   * rolled up yet: per VM from its raw samples; per class (and tenant, app) from the
   * per-tick sums of its VMs. VMs without a class count towards the general zone.
   * The bucket the collector just filled comes from memory; any other from the samples
   * table. Returns the number of rollups written.
   */
  closeBuckets(now: number): number {
    const current = bucketOf(now);
    const state = this.stmts.get(`SELECT value FROM store_state WHERE key = ?`).get(CLOSED_UNTIL) as { value: number } | undefined;
    let from = state?.value;
    if (from === undefined) {
      const first = this.stmts.get(`SELECT min(ts) AS ts FROM samples`).get() as { ts: number | null };
      from = first.ts === null ? current : bucketOf(first.ts);
    }
    if (from >= current) {
      if (!state) this.setClosedUntil(from);
      return 0;
    }
    const rollups: Rollup[] = [];
    const open = this.openBucket;
    if (open && open.complete && open.acc.bucket >= from && open.acc.bucket < current) {
      if (open.acc.bucket > from) this.rollupsFromSamples(from, open.acc.bucket, rollups);
      open.acc.rollups(rollups);
      if (open.acc.bucket + ROLLUP_SECONDS < current) this.rollupsFromSamples(open.acc.bucket + ROLLUP_SECONDS, current, rollups);
    } else {
      this.rollupsFromSamples(from, current, rollups);
    }
    this.writeRollups(rollups, 'collector');
    this.setClosedUntil(current);
    return rollups.length;
  }

  /** Rollups of the buckets in [from, to) from the samples table (class as of now). */
  private rollupsFromSamples(from: number, to: number, out: Rollup[]): void {
    const rows = this.stmts
      .get(
        `SELECT s.ts, v.name, v.class, v.tenant, v.app, s.cpu_cores, s.memory_mib, s.net_rx_bps, s.net_tx_bps, s.disk_rd_bps, s.disk_wr_bps
         FROM samples s JOIN vms v ON v.id = s.vm_id
         WHERE s.ts >= ? AND s.ts < ? ORDER BY s.ts`,
      )
      .raw(true)
      .iterate(from, to) as IterableIterator<[number, string, string | null, string | null, string | null, ...Array<number | null>]>;
    let acc: BucketAccumulator | null = null;
    for (const r of rows) {
      const b = bucketOf(r[0]);
      if (!acc || acc.bucket !== b) {
        acc?.rollups(out);
        acc = new BucketAccumulator(b);
      }
      acc.add(r[1], r[2], r[3], r[4], r[0], {
        cpuCores: r[5],
        memoryMiB: r[6],
        netBps: sumOrNull(r[7], r[8]),
        diskBps: sumOrNull(r[9], r[10]),
      });
    }
    acc?.rollups(out);
  }

  private setClosedUntil(value: number): void {
    this.stmts
      .get(`INSERT INTO store_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`)
      .run(CLOSED_UNTIL, value);
  }

  /**
   * Writes rollups (replacing any at the same series and bucket). Call inside a
   * transaction for bulk loads; on its own it is one transaction.
   */
  writeRollups(rollups: Iterable<Rollup>, source: RollupSource): number {
    return this.db.transaction(() => {
      const one = this.stmts.get(rollupInsertSql(1));
      const many = this.stmts.get(rollupInsertSql(ROLLUP_CHUNK));
      const params: Array<number | string | null> = new Array(ROLLUP_CHUNK * ROLLUP_COLUMNS);
      let filled = 0;
      let n = 0;
      for (const r of rollups) {
        this.fillRollupParams(params, filled * ROLLUP_COLUMNS, r, source);
        filled++;
        n++;
        if (filled === ROLLUP_CHUNK) {
          many.run(params);
          filled = 0;
        }
      }
      for (let k = 0; k < filled; k++) one.run(params.slice(k * ROLLUP_COLUMNS, (k + 1) * ROLLUP_COLUMNS));
      return n;
    })();
  }

  private fillRollupParams(p: Array<number | string | null>, o: number, r: Rollup, source: RollupSource): void {
    p[o] = this.series.idOf(r.series);
    p[o + 1] = r.ts;
    p[o + 2] = sqlNumber(r.cpuMean);
    p[o + 3] = sqlNumber(r.cpuMax);
    p[o + 4] = sqlNumber(r.cpuP95);
    p[o + 5] = sqlNumber(r.memMean);
    p[o + 6] = sqlNumber(r.memMax);
    p[o + 7] = sqlNumber(r.memP95);
    p[o + 8] = sqlNumber(r.netBps);
    p[o + 9] = sqlNumber(r.diskBps);
    p[o + 10] = r.samples;
    p[o + 11] = source;
  }
}

function pointOf(s: VmSample): UsagePoint {
  return {
    cpuCores: sqlNumber(s.cpuCores),
    memoryMiB: sqlNumber(s.memoryMiB),
    netBps: sumOrNull(sqlNumber(s.netRxBps), sqlNumber(s.netTxBps)),
    diskBps: sumOrNull(sqlNumber(s.blockRdBps), sqlNumber(s.blockWrBps)),
  };
}

function sumOrNull(a: number | null, b: number | null): number | null {
  return a === null && b === null ? null : (a ?? 0) + (b ?? 0);
}

function rollupInsertSql(rows: number): string {
  const one = `(${new Array(ROLLUP_COLUMNS).fill('?').join(',')})`;
  return `INSERT OR REPLACE INTO rollups (series_id, ts, cpu_mean, cpu_max, cpu_p95, mem_mean, mem_max, mem_p95, net_bps, disk_bps, samples, source)
          VALUES ${new Array(rows).fill(one).join(',')}`;
}
