// Reads the history the store holds: a VM's raw samples, the 5-minute rollups of any
// series (as objects, or column-wise for bulk reads), which series exist, and per-VM
// memory peaks.
import { ROLLUP_SECONDS, type Rollup, type VmSample } from '../model/types.js';
import type { Db } from './open.js';
import { vmSeries } from './rollup.js';
import type { SeriesKeys } from './series-keys.js';
import { PreparedStatements } from './statements.js';
import type { VmRepository } from './vm-repository.js';

export interface RollupArrays {
  series: string;
  ts: Float64Array;
  cpuMean: Float64Array;
  cpuMax: Float64Array;
  cpuP95: Float64Array;
  memMean: Float64Array;
  memMax: Float64Array;
  memP95: Float64Array;
  netBps: Float64Array;
  diskBps: Float64Array;
  samples: Float64Array;
}

export interface SeriesInfo {
  series: string;
  rollups: number;
  from: number | null;
  until: number | null;
}

export interface StoreCounts {
  vms: number;
  samples: number;
  rollups: number;
  importedRollups: number;
}

const ROLLUP_SELECT = `SELECT ts, cpu_mean, cpu_max, cpu_p95, mem_mean, mem_max, mem_p95, net_bps, disk_bps, samples
       FROM rollups WHERE series_id = ? AND ts >= ? AND ts < ? ORDER BY ts`;

const nanIfNull = (v: number | null): number => (v === null ? NaN : v);

export class HistoryReader {
  private readonly stmts: PreparedStatements;

  constructor(
    db: Db,
    private readonly vms: VmRepository,
    private readonly series: SeriesKeys,
  ) {
    this.stmts = new PreparedStatements(db);
  }

  /** Raw samples of one VM in [since, until) (unix seconds). */
  samplesOf(name: string, since = 0, until = Number.MAX_SAFE_INTEGER): VmSample[] {
    const e = this.vms.entry(name);
    if (!e) return [];
    const rows = this.stmts
      .get(
        `SELECT ts, cpu_cores, memory_mib, vcpus, balloon_mib, net_rx_bps, net_tx_bps, disk_rd_bps, disk_wr_bps
         FROM samples WHERE ts >= ? AND ts < ? AND vm_id = ? ORDER BY ts`,
      )
      .all(since, until, e.id) as Array<Record<string, number | null>>;
    const uuid = this.vms.uuidOf(e.id);
    return rows.map((r) => ({
      vm: name,
      uuid,
      ts: r.ts as number,
      cpuCores: r.cpu_cores,
      memoryMiB: r.memory_mib,
      vcpus: r.vcpus,
      memoryCurrentMiB: r.balloon_mib,
      netRxBps: r.net_rx_bps,
      netTxBps: r.net_tx_bps,
      blockRdBps: r.disk_rd_bps,
      blockWrBps: r.disk_wr_bps,
    }));
  }

  /**
   * Rollups of one series with from <= ts < to (unix seconds), in time order. Missing
   * measurements are NaN. `series` is a key ('vm:x', 'class:gold', ...).
   */
  readRollups(series: string, from = 0, to = Number.MAX_SAFE_INTEGER): Rollup[] {
    const id = this.series.existingId(series);
    if (id === undefined) return [];
    const rows = this.stmts.get(ROLLUP_SELECT).raw(true).all(id, from, to) as Array<Array<number | null>>;
    return rows.map((r) => ({
      series,
      ts: r[0] as number,
      cpuMean: nanIfNull(r[1]),
      cpuMax: nanIfNull(r[2]),
      cpuP95: nanIfNull(r[3]),
      memMean: nanIfNull(r[4]),
      memMax: nanIfNull(r[5]),
      memP95: nanIfNull(r[6]),
      netBps: nanIfNull(r[7]),
      diskBps: nanIfNull(r[8]),
      samples: r[9] as number,
    }));
  }

  /** Same as readRollups, column-wise in typed arrays (for the forecaster's bulk reads). */
  readRollupArrays(series: string, from = 0, to = Number.MAX_SAFE_INTEGER): RollupArrays {
    const id = this.series.existingId(series);
    const count =
      id === undefined
        ? 0
        : (this.stmts.get(`SELECT count(*) AS n FROM rollups WHERE series_id = ? AND ts >= ? AND ts < ?`).get(id, from, to) as { n: number }).n;
    const cols = ['ts', 'cpuMean', 'cpuMax', 'cpuP95', 'memMean', 'memMax', 'memP95', 'netBps', 'diskBps', 'samples'] as const;
    const out = { series } as RollupArrays;
    for (const c of cols) out[c] = new Float64Array(count);
    if (id === undefined || count === 0) return out;
    const it = this.stmts.get(ROLLUP_SELECT).raw(true).iterate(id, from, to) as IterableIterator<Array<number | null>>;
    let i = 0;
    for (const r of it) {
      if (i >= count) break; // a concurrent writer added rows after the count
      for (let j = 0; j < cols.length; j++) out[cols[j]][i] = r[j] ?? NaN;
      i++;
    }
    if (i < count) for (const c of cols) out[c] = out[c].subarray(0, i);
    return out;
  }

  /** A VM's 5-minute series (its rollups), for `virtzone history`. */
  history(vmOrSeries: string, since?: number, until?: number): Rollup[] {
    const key = vmOrSeries.includes(':') ? vmOrSeries : vmSeries(vmOrSeries);
    return this.readRollups(key, since ?? 0, until ?? Number.MAX_SAFE_INTEGER);
  }

  /** Every series with rollups, optionally only those with a prefix ('class:', 'vm:'). */
  listSeries(prefix = ''): SeriesInfo[] {
    const rows = this.stmts
      .get(`SELECT id, key FROM series WHERE substr(key, 1, ?) = ? ORDER BY key`)
      .all(prefix.length, prefix) as Array<{ id: number; key: string }>;
    const stat = this.stmts.get(`SELECT count(*) AS n, min(ts) AS a, max(ts) AS b FROM rollups WHERE series_id = ?`);
    return rows
      .map(({ id, key }) => {
        const s = stat.get(id) as { n: number; a: number | null; b: number | null };
        return { series: key, rollups: s.n, from: s.a, until: s.b };
      })
      .filter((s) => s.rollups > 0);
  }

  /** Class names that have a class series. */
  listClasses(): string[] {
    return this.listSeries('class:').map((s) => s.series.slice('class:'.length));
  }

  /**
   * Per VM: its highest memory use (5-minute maxima) since `since` (unix seconds), or
   * null when it was first seen after `since` — less history than the window, so no
   * peak to trust. VMs with no rollups in the window are left out.
   */
  memoryPeaks(since: number): Map<string, number | null> {
    const rows = this.stmts
      .get(
        `SELECT v.name, v.first_seen, max(r.mem_max) AS peak
         FROM vms v JOIN series s ON s.key = 'vm:' || v.name JOIN rollups r ON r.series_id = s.id AND r.ts >= ?
         GROUP BY v.id`,
      )
      .raw(true)
      .all(since) as Array<[string, number, number | null]>;
    return new Map(rows.map(([name, firstSeen, peak]) => [name, firstSeen > since || peak === null ? null : peak]));
  }

  /**
   * Per VM: seconds between its first sample (its first observation, or the end of its
   * first 5-minute rollup bucket when that is earlier: the latest its first sample can have
   * been, so a span is never overstated) and its latest sample; 0 for a VM with no sample.
   * One index probe per VM: rollups are keyed (series_id, ts).
   */
  historySpans(): Map<string, number> {
    const rows = this.stmts
      .get(
        `SELECT v.name, v.first_seen, v.last_ts, (SELECT min(r.ts) FROM rollups r WHERE r.series_id = s.id) AS first_rollup
         FROM vms v LEFT JOIN series s ON s.key = 'vm:' || v.name`,
      )
      .raw(true)
      .all() as Array<[string, number, number | null, number | null]>;
    return new Map(
      rows.map(([name, firstSeen, lastTs, firstRollup]) => {
        if (lastTs === null) return [name, 0];
        const first = firstRollup === null ? firstSeen : Math.min(firstSeen, firstRollup + ROLLUP_SECONDS);
        return [name, Math.max(0, lastTs - first)];
      }),
    );
  }

  /**
   * Per series whose key starts with `prefix` ('class:', ...): seconds between its first
   * and its latest 5-minute rollup (the end of the first bucket: a span is never
   * overstated); series without rollups are absent.
   */
  seriesSpans(prefix: string): Map<string, number> {
    const rows = this.stmts
      .get(
        `SELECT s.key, (SELECT min(r.ts) FROM rollups r WHERE r.series_id = s.id), (SELECT max(r.ts) FROM rollups r WHERE r.series_id = s.id)
         FROM series s WHERE substr(s.key, 1, length(?)) = ?`,
      )
      .raw(true)
      .all(prefix, prefix) as Array<[string, number | null, number | null]>;
    const out = new Map<string, number>();
    for (const [key, first, last] of rows) if (first !== null && last !== null) out.set(key, Math.max(0, last - (first + ROLLUP_SECONDS)));
    return out;
  }

  /** Count of rows per table (tests, `status`). */
  counts(): StoreCounts {
    const one = (sql: string) => (this.stmts.get(sql).get() as { n: number }).n;
    return {
      vms: one(`SELECT count(*) AS n FROM vms`),
      samples: one(`SELECT count(*) AS n FROM samples`),
      rollups: one(`SELECT count(*) AS n FROM rollups`),
      importedRollups: one(`SELECT count(*) AS n FROM rollups WHERE source = 'import'`),
    };
  }
}
