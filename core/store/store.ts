// The store: the single owner of the SQL for VMs, raw samples and 5-minute rollups.
// better-sqlite3 is synchronous, so every method is a short, bounded piece of work:
// one transaction per collector tick, retention in small batches, bulk writes through
// prepared multi-row statements.
import { existsSync } from 'node:fs';
import type { Statement } from 'better-sqlite3';
import { openDatabase, type Db } from './open.js';
import { migrate } from './migrate.js';
import { STORE_COMPONENT, STORE_MIGRATIONS } from './schema.js';
import { BucketAccumulator, bucketOf, vmSeries, type UsagePoint } from './rollup.js';
import { ROLLUP_SECONDS, type Rollup, type VmSample } from '../model/types.js';
import { appKey } from '../model/app-key.js';

export type RollupSource = 'collector' | 'import';

export interface StoreOptions {
  /** raw samples older than this are deleted by retention (config store.rawRetentionHours) */
  rawRetentionHours?: number;
  /** collector rollups older than this are deleted (config store.rollupRetentionDays) */
  rollupRetentionDays?: number;
}

/** What the collector saw of one VM at one tick. */
/** How many 5-minute samples of one app fall in one ratio bucket of one resource (the other is null). */
export interface AppUseBucketRow {
  /** appKey(tenant, app) */
  key: string;
  cpuBucket: number | null;
  memoryBucket: number | null;
  count: number;
}

export interface VmObservation {
  sample: VmSample;
  class: string | null;
  tenant: string | null;
  app: string | null;
  /** provisioned (current) size; null keeps the last known size */
  vcpus: number | null;
  memoryMiB: number | null;
}

export interface VmRecord {
  name: string;
  uuid: string | null;
  class: string | null;
  tenant: string | null;
  app: string | null;
  source: RollupSource;
  firstSeen: number;
  lastSeen: number;
  vcpus: number | null;
  memoryMiB: number | null;
  latest: { ts: number; cpuCores: number | null; memoryMiB: number | null } | null;
}

export interface VmSize {
  ts: number;
  vcpus: number | null;
  memoryMiB: number | null;
}

/** An imported VM's identity and summary (its rollups are written separately). */
export interface ImportedVm {
  name: string;
  class: string | null;
  tenant?: string | null;
  app?: string | null;
  firstSeen: number;
  lastSeen: number;
  /** provisioned size at each change, in time order */
  sizes: VmSize[];
  latest: { ts: number; cpuCores: number | null; memoryMiB: number | null } | null;
}

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

export interface TickWrite {
  samples: number;
  rollups: number;
}

export interface RetentionResult {
  samplesDeleted: number;
  rollupsDeleted: number;
  /** false when the batch budget ran out before everything old was gone */
  complete: boolean;
}

export class StoreError extends Error {
  constructor(
    message: string,
    readonly kind: 'missing-file' | 'not-a-store' | 'unreadable',
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

const DAY = 86_400;
const ROLLUP_COLUMNS = 12;
/** rows per multi-row INSERT (12 params each, well under SQLite's 32766 limit) */
const ROLLUP_CHUNK = 128;
const CLOSED_UNTIL = 'rollup.closedUntil';

const nn = (v: number | null | undefined): number | null => (v === undefined || v === null || Number.isNaN(v) ? null : v);
const nan = (v: number | null): number => (v === null ? NaN : v);

/** The bucket the collector is filling, kept in memory so closing it reads nothing. */
interface OpenBucket {
  acc: BucketAccumulator;
  /** false when memory may miss samples of the bucket (then the samples table decides) */
  complete: boolean;
  lastTs: number;
}

function pointOf(s: VmSample): UsagePoint {
  return { cpuCores: nn(s.cpuCores), memoryMiB: nn(s.memoryMiB), netBps: sumOrNull(nn(s.netRxBps), nn(s.netTxBps)), diskBps: sumOrNull(nn(s.blockRdBps), nn(s.blockWrBps)) };
}

interface VmCacheEntry {
  id: number;
  vcpus: number | null;
  memoryMiB: number | null;
}

export class Store {
  readonly rawRetentionSeconds: number;
  readonly rollupRetentionSeconds: number;
  private readonly vmCache = new Map<string, VmCacheEntry>();
  private readonly seriesCache = new Map<string, number>();
  private readonly stmts = new Map<string, Statement>();
  private openBucket: OpenBucket | null = null;

  /** Opens (creating if needed) a store database and brings its schema up to date. */
  static open(path: string, opts: StoreOptions = {}): Store {
    const db = openDatabase(path);
    // 64 MiB page cache (default 2 MiB): bulk imports otherwise spill dirty pages to the
    // WAL mid-transaction, and the collector's working set (recent samples) stays cached
    db.pragma('cache_size = -65536');
    migrate(db, STORE_COMPONENT, STORE_MIGRATIONS);
    return new Store(db, opts);
  }

  /** Opens an existing store for reading (the CLI's offline commands); never creates or migrates. */
  static openReadOnly(path: string): Store {
    if (path !== ':memory:' && !existsSync(path)) {
      throw new StoreError(`database file not found: ${path}`, 'missing-file');
    }
    let db: Db;
    try {
      db = openDatabase(path, { readonly: true });
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_NOTADB') {
        throw new StoreError(`${path} is not a virtzone database (not an SQLite file)`, 'not-a-store');
      }
      throw new StoreError(`cannot open database ${path}: ${(err as Error).message}`, 'unreadable');
    }
    try {
      const row = db
        .prepare(`SELECT version FROM schema_version WHERE component = ?`)
        .get(STORE_COMPONENT) as { version: number } | undefined;
      if (!row) throw new Error('no store schema');
      if (row.version > STORE_MIGRATIONS.length) {
        throw new StoreError(`database ${path} has store schema ${row.version}, newer than this virtzone (${STORE_MIGRATIONS.length})`, 'not-a-store');
      }
    } catch (err) {
      db.close();
      if (err instanceof StoreError) throw err;
      throw new StoreError(`${path} is not a virtzone database (no store tables): ${(err as Error).message}`, 'not-a-store');
    }
    return new Store(db, {});
  }

  /** Wraps an open database whose store schema is already migrated. */
  constructor(
    readonly db: Db,
    opts: StoreOptions = {},
  ) {
    this.rawRetentionSeconds = (opts.rawRetentionHours ?? 48) * 3600;
    this.rollupRetentionSeconds = (opts.rollupRetentionDays ?? 90) * DAY;
  }

  close(): void {
    this.db.close();
  }

  /** Runs fn in one transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  private stmt(sql: string): Statement {
    let s = this.stmts.get(sql);
    if (!s) this.stmts.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  // ---------------------------------------------------------------- identities

  private vmEntry(name: string): VmCacheEntry | undefined {
    let e = this.vmCache.get(name);
    if (!e) {
      const row = this.stmt(`SELECT id, vcpus, memory_mib AS memoryMiB FROM vms WHERE name = ?`).get(name) as
        | { id: number; vcpus: number | null; memoryMiB: number | null }
        | undefined;
      if (row) this.vmCache.set(name, (e = { id: row.id, vcpus: row.vcpus, memoryMiB: row.memoryMiB }));
    }
    return e;
  }

  /** Records a size change (only when vCPUs or memory differ from the last known size). */
  private noteSize(e: VmCacheEntry, ts: number, vcpus: number | null, memoryMiB: number | null): void {
    const v = vcpus ?? e.vcpus;
    const m = memoryMiB ?? e.memoryMiB;
    if (v === e.vcpus && m === e.memoryMiB) return;
    this.stmt(`INSERT OR REPLACE INTO vm_sizes (vm_id, ts, vcpus, memory_mib) VALUES (?, ?, ?, ?)`).run(e.id, ts, v, m);
    e.vcpus = v;
    e.memoryMiB = m;
  }

  private seriesId(key: string): number {
    let id = this.seriesCache.get(key);
    if (id === undefined) {
      this.stmt(`INSERT OR IGNORE INTO series (key) VALUES (?)`).run(key);
      id = (this.stmt(`SELECT id FROM series WHERE key = ?`).get(key) as { id: number }).id;
      this.seriesCache.set(key, id);
    }
    return id;
  }

  // ---------------------------------------------------------------- collector writes

  /**
   * Writes one collector tick in one transaction: VM identities and latest usage, size
   * changes, the raw samples, and the rollups of every 5-minute bucket that `now`
   * (unix seconds) has closed.
   */
  recordTick(now: number, observations: readonly VmObservation[]): TickWrite {
    const tickBucket = observations.length > 0 ? bucketOf(Math.floor(observations[0].sample.ts)) : null;
    const fresh = tickBucket !== null && this.openBucket?.acc.bucket !== tickBucket;
    const written = this.transaction(() => {
      // samples of this bucket from before (a restart mid-bucket): memory alone is not enough
      const earlier =
        fresh && this.stmt(`SELECT 1 FROM samples WHERE ts >= ? AND ts < ? LIMIT 1`).get(tickBucket, tickBucket! + ROLLUP_SECONDS) !== undefined;
      const insertVm = this.stmt(
        `INSERT INTO vms (name, uuid, class, tenant, app, source, first_seen, last_seen, vcpus, memory_mib, last_ts, last_cpu_cores, last_memory_mib)
         VALUES (?, ?, ?, ?, ?, 'collector', ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      );
      const updateVm = this.stmt(
        `UPDATE vms SET uuid = ?, class = ?, tenant = ?, app = ?, source = 'collector', last_seen = ?,
           vcpus = coalesce(?, vcpus), memory_mib = coalesce(?, memory_mib),
           last_ts = ?, last_cpu_cores = ?, last_memory_mib = ?
         WHERE id = ?`,
      );
      const insertSample = this.stmt(
        `INSERT OR REPLACE INTO samples (ts, vm_id, cpu_cores, memory_mib, vcpus, balloon_mib, net_rx_bps, net_tx_bps, disk_rd_bps, disk_wr_bps)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const o of observations) {
        const s = o.sample;
        const ts = Math.floor(s.ts);
        let e = this.vmEntry(s.vm);
        if (!e) {
          const { id } = insertVm.get(s.vm, s.uuid, o.class, o.tenant, o.app, ts, ts, o.vcpus, o.memoryMiB, ts, nn(s.cpuCores), nn(s.memoryMiB)) as { id: number };
          this.vmCache.set(s.vm, (e = { id, vcpus: null, memoryMiB: null }));
        } else {
          updateVm.run(s.uuid, o.class, o.tenant, o.app, ts, o.vcpus, o.memoryMiB, ts, nn(s.cpuCores), nn(s.memoryMiB), e.id);
        }
        this.noteSize(e, ts, o.vcpus, o.memoryMiB);
        insertSample.run(
          ts, e.id, nn(s.cpuCores), nn(s.memoryMiB), nn(s.vcpus), nn(s.memoryCurrentMiB),
          nn(s.netRxBps), nn(s.netTxBps), nn(s.blockRdBps), nn(s.blockWrBps),
        );
      }
      const rollups = this.closeBuckets(now);
      return { samples: observations.length, rollups, earlier };
    });
    // committed: keep this tick's points for its bucket's rollups
    if (tickBucket !== null) {
      if (fresh) this.openBucket = { acc: new BucketAccumulator(tickBucket), complete: !written.earlier, lastTs: -Infinity };
      this.accumulate(this.openBucket!, observations);
    }
    return { samples: written.samples, rollups: written.rollups };
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
    const state = this.stmt(`SELECT value FROM store_state WHERE key = ?`).get(CLOSED_UNTIL) as { value: number } | undefined;
    let from = state?.value;
    if (from === undefined) {
      const first = this.stmt(`SELECT min(ts) AS ts FROM samples`).get() as { ts: number | null };
      from = first.ts === null ? current : bucketOf(first.ts);
    }
    if (from >= current) {
      if (!state) this.setState(CLOSED_UNTIL, from);
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
    this.setState(CLOSED_UNTIL, current);
    return rollups.length;
  }

  /** Rollups of the buckets in [from, to) from the samples table (class as of now). */
  private rollupsFromSamples(from: number, to: number, out: Rollup[]): void {
    const rows = this.stmt(
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

  private setState(key: string, value: number): void {
    this.stmt(`INSERT INTO store_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(key, value);
  }

  // ---------------------------------------------------------------- bulk writes

  /**
   * Writes rollups (replacing any at the same series and bucket). Call inside
   * `transaction()` for bulk loads; on its own it is one transaction.
   */
  writeRollups(rollups: Iterable<Rollup>, source: RollupSource): number {
    return this.transaction(() => {
      const one = this.stmt(rollupInsertSql(1));
      const many = this.stmt(rollupInsertSql(ROLLUP_CHUNK));
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
    });
  }

  private fillRollupParams(p: Array<number | string | null>, o: number, r: Rollup, source: RollupSource): void {
    p[o] = this.seriesId(r.series);
    p[o + 1] = r.ts;
    p[o + 2] = nn(r.cpuMean);
    p[o + 3] = nn(r.cpuMax);
    p[o + 4] = nn(r.cpuP95);
    p[o + 5] = nn(r.memMean);
    p[o + 6] = nn(r.memMax);
    p[o + 7] = nn(r.memP95);
    p[o + 8] = nn(r.netBps);
    p[o + 9] = nn(r.diskBps);
    p[o + 10] = r.samples;
    p[o + 11] = source;
  }

  /** Creates or replaces an imported VM's identity, size history and latest usage. */
  upsertImportedVm(vm: ImportedVm): void {
    this.transaction(() => {
      const last = vm.sizes.at(-1);
      const { id } = this.stmt(
        `INSERT INTO vms (name, uuid, class, tenant, app, source, first_seen, last_seen, vcpus, memory_mib, last_ts, last_cpu_cores, last_memory_mib)
         VALUES (?, NULL, ?, ?, ?, 'import', ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET class = excluded.class, tenant = excluded.tenant, app = excluded.app,
           source = 'import', first_seen = excluded.first_seen, last_seen = excluded.last_seen,
           vcpus = excluded.vcpus, memory_mib = excluded.memory_mib, last_ts = excluded.last_ts,
           last_cpu_cores = excluded.last_cpu_cores, last_memory_mib = excluded.last_memory_mib
         RETURNING id`,
      ).get(
        vm.name, vm.class, vm.tenant ?? null, vm.app ?? null, vm.firstSeen, vm.lastSeen,
        last?.vcpus ?? null, nn(last?.memoryMiB), vm.latest?.ts ?? null, nn(vm.latest?.cpuCores), nn(vm.latest?.memoryMiB),
      ) as { id: number };
      this.stmt(`DELETE FROM vm_sizes WHERE vm_id = ?`).run(id);
      const ins = this.stmt(`INSERT OR REPLACE INTO vm_sizes (vm_id, ts, vcpus, memory_mib) VALUES (?, ?, ?, ?)`);
      for (const s of vm.sizes) ins.run(id, s.ts, s.vcpus, nn(s.memoryMiB));
      this.vmCache.set(vm.name, { id, vcpus: last?.vcpus ?? null, memoryMiB: nn(last?.memoryMiB) });
    });
  }

  // ---------------------------------------------------------------- retention

  /**
   * Deletes raw samples older than the raw retention and collector rollups older than
   * the rollup retention, in batches of `batchSize` rows, at most `maxBatches` batches
   * per call (each its own short transaction), so a call stays cheap; call it again
   * later if `complete` is false. Imported history is kept unless `includeImported`.
   */
  runRetention(
    now: number,
    opts: { batchSize?: number; maxBatches?: number; includeImported?: boolean } = {},
  ): RetentionResult {
    const batchSize = opts.batchSize ?? 5000;
    let budget = opts.maxBatches ?? 20;
    const rawCutoff = now - this.rawRetentionSeconds;
    const rollupCutoff = now - this.rollupRetentionSeconds;
    const delSamples = this.stmt(
      `DELETE FROM samples WHERE (ts, vm_id) IN (SELECT ts, vm_id FROM samples WHERE ts < ? ORDER BY ts LIMIT ?)`,
    );
    const delRollups = this.stmt(
      opts.includeImported
        ? `DELETE FROM rollups WHERE (series_id, ts) IN (SELECT series_id, ts FROM rollups WHERE ts < ? LIMIT ?)`
        : `DELETE FROM rollups WHERE (series_id, ts) IN (SELECT series_id, ts FROM rollups INDEXED BY rollups_retention WHERE source <> 'import' AND ts < ? LIMIT ?)`,
    );
    let samplesDeleted = 0;
    let rollupsDeleted = 0;
    let samplesDone = false;
    let rollupsDone = false;
    while (budget > 0 && !(samplesDone && rollupsDone)) {
      budget--;
      if (!samplesDone) {
        const n = delSamples.run(rawCutoff, batchSize).changes;
        samplesDeleted += n;
        samplesDone = n < batchSize;
      } else {
        const n = delRollups.run(rollupCutoff, batchSize).changes;
        rollupsDeleted += n;
        rollupsDone = n < batchSize;
      }
    }
    return { samplesDeleted, rollupsDeleted, complete: samplesDone && rollupsDone };
  }

  // ---------------------------------------------------------------- reads

  listVms(): VmRecord[] {
    const rows = this.stmt(`SELECT * FROM vms`).all() as VmRow[];
    return rows.sort((a, b) => byName.compare(a.name, b.name)).map(vmRecordOf);
  }

  getVm(name: string): VmRecord | undefined {
    const row = this.stmt(`SELECT * FROM vms WHERE name = ?`).get(name) as VmRow | undefined;
    return row ? vmRecordOf(row) : undefined;
  }

  vmSizes(name: string): VmSize[] {
    return this.stmt(
      `SELECT z.ts AS ts, z.vcpus AS vcpus, z.memory_mib AS memoryMiB FROM vm_sizes z JOIN vms v ON v.id = z.vm_id WHERE v.name = ? ORDER BY z.ts`,
    ).all(name) as VmSize[];
  }

  /** Raw samples of one VM in [since, until) (unix seconds). */
  samplesOf(name: string, since = 0, until = Number.MAX_SAFE_INTEGER): VmSample[] {
    const e = this.vmEntry(name);
    if (!e) return [];
    const rows = this.stmt(
      `SELECT ts, cpu_cores, memory_mib, vcpus, balloon_mib, net_rx_bps, net_tx_bps, disk_rd_bps, disk_wr_bps
       FROM samples WHERE ts >= ? AND ts < ? AND vm_id = ? ORDER BY ts`,
    ).all(since, until, e.id) as Array<Record<string, number | null>>;
    const uuid = (this.stmt(`SELECT uuid FROM vms WHERE id = ?`).get(e.id) as { uuid: string | null }).uuid ?? '';
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
    const id = this.existingSeriesId(series);
    if (id === undefined) return [];
    const rows = this.stmt(
      `SELECT ts, cpu_mean, cpu_max, cpu_p95, mem_mean, mem_max, mem_p95, net_bps, disk_bps, samples
       FROM rollups WHERE series_id = ? AND ts >= ? AND ts < ? ORDER BY ts`,
    )
      .raw(true)
      .all(id, from, to) as Array<Array<number | null>>;
    return rows.map((r) => ({
      series,
      ts: r[0] as number,
      cpuMean: nan(r[1]),
      cpuMax: nan(r[2]),
      cpuP95: nan(r[3]),
      memMean: nan(r[4]),
      memMax: nan(r[5]),
      memP95: nan(r[6]),
      netBps: nan(r[7]),
      diskBps: nan(r[8]),
      samples: r[9] as number,
    }));
  }

  /** Same as readRollups, column-wise in typed arrays (for the forecaster's bulk reads). */
  readRollupArrays(series: string, from = 0, to = Number.MAX_SAFE_INTEGER): RollupArrays {
    const id = this.existingSeriesId(series);
    const count =
      id === undefined
        ? 0
        : (this.stmt(`SELECT count(*) AS n FROM rollups WHERE series_id = ? AND ts >= ? AND ts < ?`).get(id, from, to) as { n: number }).n;
    const cols = ['ts', 'cpuMean', 'cpuMax', 'cpuP95', 'memMean', 'memMax', 'memP95', 'netBps', 'diskBps', 'samples'] as const;
    const out = { series } as RollupArrays;
    for (const c of cols) out[c] = new Float64Array(count);
    if (id === undefined || count === 0) return out;
    const it = this.stmt(
      `SELECT ts, cpu_mean, cpu_max, cpu_p95, mem_mean, mem_max, mem_p95, net_bps, disk_bps, samples
       FROM rollups WHERE series_id = ? AND ts >= ? AND ts < ? ORDER BY ts`,
    )
      .raw(true)
      .iterate(id, from, to) as IterableIterator<Array<number | null>>;
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
    const rows = this.stmt(`SELECT id, key FROM series WHERE substr(key, 1, ?) = ? ORDER BY key`).all(prefix.length, prefix) as Array<{ id: number; key: string }>;
    const stat = this.stmt(`SELECT count(*) AS n, min(ts) AS a, max(ts) AS b FROM rollups WHERE series_id = ?`);
    return rows
      .map(({ id, key }) => {
        const s = stat.get(id) as { n: number; a: number | null; b: number | null };
        return { series: key, rollups: s.n, from: s.a, until: s.b };
      })
      .filter((s) => s.rollups > 0);
  }

  /**
   * Per tenant and app: how many 5-minute rollups since `since` (unix seconds) of the
   * app's VMs fall in each bucket of mean use over the VM's provisioned size — the
   * largest it has had (the auto-scaler moves VMs below their size; a new request asks
   * for the size). Bucket b of `buckets` per unit holds ratios in [b, b + 1) / buckets,
   * use above the size counts as the size; a row counts one resource (the other bucket
   * is null), unmeasured samples are not counted. Aggregated in SQL: weeks of rollups
   * come back as at most 2 x (buckets + 1) rows per app. Feeds router/placement/app-profile.ts.
   */
  appUseBuckets(since: number, buckets: number): AppUseBucketRow[] {
    // CPU and memory are counted apart (a row holds one of them): grouped by both, an app
    // could come back as 101 x 101 rows; apart it is at most 2 x 101
    const rows = this.stmt(
      `WITH sizes AS (SELECT vm_id, max(vcpus) AS vcpus, max(memory_mib) AS memory_mib FROM vm_sizes GROUP BY vm_id),
            vm AS (SELECT v.id, v.name, v.tenant, v.app, coalesce(z.vcpus, v.vcpus) AS vcpus, coalesce(z.memory_mib, v.memory_mib) AS memory_mib
                   FROM vms v LEFT JOIN sizes z ON z.vm_id = v.id
                   WHERE v.tenant IS NOT NULL AND v.app IS NOT NULL),
            ratio AS MATERIALIZED (
              SELECT vm.tenant, vm.app,
                     CASE WHEN r.cpu_mean IS NULL OR vm.vcpus IS NULL OR vm.vcpus <= 0 THEN NULL
                          ELSE min(@b, CAST(max(0, r.cpu_mean) * @b / vm.vcpus + 1e-9 AS INTEGER)) END AS cb,
                     CASE WHEN r.mem_mean IS NULL OR vm.memory_mib IS NULL OR vm.memory_mib <= 0 THEN NULL
                          ELSE min(@b, CAST(max(0, r.mem_mean) * @b / vm.memory_mib + 1e-9 AS INTEGER)) END AS mb
              FROM vm
              JOIN series s ON s.key = 'vm:' || vm.name
              JOIN rollups r ON r.series_id = s.id AND r.ts >= @since)
       SELECT tenant, app, cb, NULL, count(*) FROM ratio WHERE cb IS NOT NULL GROUP BY tenant, app, cb
       UNION ALL
       SELECT tenant, app, NULL, mb, count(*) FROM ratio WHERE mb IS NOT NULL GROUP BY tenant, app, mb`,
    )
      .raw(true)
      .all({ since, b: buckets }) as Array<[string, string, number | null, number | null, number]>;
    return rows.map(([tenant, app, cb, mb, n]) => ({ key: appKey(tenant, app), cpuBucket: cb, memoryBucket: mb, count: n }));
  }

  /**
   * Per VM: its highest memory use (5-minute maxima) since `since` (unix seconds), or
   * null when it was first seen after `since` — less history than the window, so no
   * peak to trust. VMs with no rollups in the window are left out.
   */
  memoryPeaks(since: number): Map<string, number | null> {
    const rows = this.stmt(
      `SELECT v.name, v.first_seen, max(r.mem_max) AS peak
       FROM vms v JOIN series s ON s.key = 'vm:' || v.name JOIN rollups r ON r.series_id = s.id AND r.ts >= ?
       GROUP BY v.id`,
    )
      .raw(true)
      .all(since) as Array<[string, number, number | null]>;
    return new Map(rows.map(([name, firstSeen, peak]) => [name, firstSeen > since || peak === null ? null : peak]));
  }

  /** Class names that have a class series. */
  listClasses(): string[] {
    return this.listSeries('class:').map((s) => s.series.slice('class:'.length));
  }

  private existingSeriesId(key: string): number | undefined {
    const cached = this.seriesCache.get(key);
    if (cached !== undefined) return cached;
    const row = this.stmt(`SELECT id FROM series WHERE key = ?`).get(key) as { id: number } | undefined;
    if (row) this.seriesCache.set(key, row.id);
    return row?.id;
  }

  /** Count of rows per table (tests, `status`). */
  counts(): { vms: number; samples: number; rollups: number; importedRollups: number } {
    const one = (sql: string) => (this.stmt(sql).get() as { n: number }).n;
    return {
      vms: one(`SELECT count(*) AS n FROM vms`),
      samples: one(`SELECT count(*) AS n FROM samples`),
      rollups: one(`SELECT count(*) AS n FROM rollups`),
      importedRollups: one(`SELECT count(*) AS n FROM rollups WHERE source = 'import'`),
    };
  }
}

/** natural order: bitbrains-9 before bitbrains-22 */
const byName = new Intl.Collator('en', { numeric: true });

function sumOrNull(a: number | null, b: number | null): number | null {
  return a === null && b === null ? null : (a ?? 0) + (b ?? 0);
}

function rollupInsertSql(rows: number): string {
  const one = `(${new Array(ROLLUP_COLUMNS).fill('?').join(',')})`;
  return `INSERT OR REPLACE INTO rollups (series_id, ts, cpu_mean, cpu_max, cpu_p95, mem_mean, mem_max, mem_p95, net_bps, disk_bps, samples, source)
          VALUES ${new Array(rows).fill(one).join(',')}`;
}

interface VmRow {
  name: string;
  uuid: string | null;
  class: string | null;
  tenant: string | null;
  app: string | null;
  source: RollupSource;
  first_seen: number;
  last_seen: number;
  vcpus: number | null;
  memory_mib: number | null;
  last_ts: number | null;
  last_cpu_cores: number | null;
  last_memory_mib: number | null;
}

function vmRecordOf(r: VmRow): VmRecord {
  return {
    name: r.name,
    uuid: r.uuid,
    class: r.class,
    tenant: r.tenant,
    app: r.app,
    source: r.source,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    vcpus: r.vcpus,
    memoryMiB: r.memory_mib,
    latest: r.last_ts === null ? null : { ts: r.last_ts, cpuCores: r.last_cpu_cores, memoryMiB: r.last_memory_mib },
  };
}

