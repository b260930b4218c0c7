// The store: the single owner of the SQL for VMs, raw samples and 5-minute rollups.
// This class opens the database and composes the parts, each owning its statements:
// VmRepository (vms, vm_sizes), TickWriter (a collector tick), RollupWriter (rollups),
// Retention, HistoryReader and AppUseQueries. better-sqlite3 is synchronous, so every
// method is a short, bounded piece of work: one transaction per collector tick,
// retention in small batches, bulk writes through prepared multi-row statements.
import { existsSync } from 'node:fs';
import { openDatabase, type Db } from './open.js';
import { migrate } from './migrate.js';
import { STORE_COMPONENT, STORE_MIGRATIONS } from './schema.js';
import type { Rollup, VmSample } from '../model/types.js';
import { AppUseQueries, type AppUseBucketRow } from './app-use-queries.js';
import { HistoryReader, type RollupArrays, type SeriesInfo, type StoreCounts } from './history-reader.js';
import { Retention, type RetentionOptions, type RetentionResult } from './retention.js';
import { RollupWriter, type RollupSource } from './rollup-writer.js';
import { SeriesKeys } from './series-keys.js';
import { TickWriter, type TickWrite } from './tick-writer.js';
import { VmRepository, type ImportedVm, type VmObservation, type VmRecord, type VmSize } from './vm-repository.js';

export type { AppUseBucketRow } from './app-use-queries.js';
export type { RollupArrays, SeriesInfo, StoreCounts } from './history-reader.js';
export type { RetentionResult } from './retention.js';
export type { RollupSource } from './rollup-writer.js';
export type { TickWrite } from './tick-writer.js';
export type { ImportedVm, VmObservation, VmRecord, VmSize } from './vm-repository.js';

export type StoreOptions = RetentionOptions;

export class StoreError extends Error {
  constructor(
    message: string,
    readonly kind: 'missing-file' | 'not-a-store' | 'unreadable',
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export class Store {
  readonly rawRetentionSeconds: number;
  readonly rollupRetentionSeconds: number;
  private readonly vms: VmRepository;
  private readonly rollups: RollupWriter;
  private readonly ticks: TickWriter;
  private readonly retention: Retention;
  private readonly reader: HistoryReader;
  private readonly appUse: AppUseQueries;

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
    const series = new SeriesKeys(db);
    this.vms = new VmRepository(db);
    this.rollups = new RollupWriter(db, series);
    this.ticks = new TickWriter(db, this.vms, this.rollups);
    this.retention = new Retention(db, opts);
    this.reader = new HistoryReader(db, this.vms, series);
    this.appUse = new AppUseQueries(db);
    this.rawRetentionSeconds = this.retention.rawRetentionSeconds;
    this.rollupRetentionSeconds = this.retention.rollupRetentionSeconds;
  }

  close(): void {
    this.db.close();
  }

  /** Runs fn in one transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // ---------------------------------------------------------------- writes

  /** See TickWriter.recordTick. */
  recordTick(now: number, observations: readonly VmObservation[]): TickWrite {
    return this.ticks.recordTick(now, observations);
  }

  /** See RollupWriter.closeBuckets. */
  closeBuckets(now: number): number {
    return this.rollups.closeBuckets(now);
  }

  /** See RollupWriter.writeRollups; call inside `transaction()` for bulk loads. */
  writeRollups(rollups: Iterable<Rollup>, source: RollupSource): number {
    return this.rollups.writeRollups(rollups, source);
  }

  /** Creates or replaces an imported VM's identity, size history and latest usage. */
  upsertImportedVm(vm: ImportedVm): void {
    this.vms.upsertImported(vm);
  }

  /** See Retention.run. */
  runRetention(now: number, opts: { batchSize?: number; maxBatches?: number; includeImported?: boolean } = {}): RetentionResult {
    return this.retention.run(now, opts);
  }

  // ---------------------------------------------------------------- reads

  listVms(): VmRecord[] {
    return this.vms.list();
  }

  getVm(name: string): VmRecord | undefined {
    return this.vms.get(name);
  }

  vmSizes(name: string): VmSize[] {
    return this.vms.sizes(name);
  }

  /** Raw samples of one VM in [since, until) (unix seconds). */
  samplesOf(name: string, since?: number, until?: number): VmSample[] {
    return this.reader.samplesOf(name, since, until);
  }

  /** See HistoryReader.readRollups. */
  readRollups(series: string, from?: number, to?: number): Rollup[] {
    return this.reader.readRollups(series, from, to);
  }

  /** See HistoryReader.readRollupArrays. */
  readRollupArrays(series: string, from?: number, to?: number): RollupArrays {
    return this.reader.readRollupArrays(series, from, to);
  }

  /** A VM's 5-minute series (its rollups), for `virtzone history`. */
  history(vmOrSeries: string, since?: number, until?: number): Rollup[] {
    return this.reader.history(vmOrSeries, since, until);
  }

  /** Every series with rollups, optionally only those with a prefix ('class:', 'vm:'). */
  listSeries(prefix?: string): SeriesInfo[] {
    return this.reader.listSeries(prefix);
  }

  /** Class names that have a class series. */
  listClasses(): string[] {
    return this.reader.listClasses();
  }

  /** See HistoryReader.memoryPeaks. */
  memoryPeaks(since: number): Map<string, number | null> {
    return this.reader.memoryPeaks(since);
  }

  /** See HistoryReader.seriesSpans. */
  seriesSpans(prefix: string): Map<string, number> {
    return this.reader.seriesSpans(prefix);
  }

  /** See HistoryReader.historySpans. */
  historySpans(): Map<string, number> {
    return this.reader.historySpans();
  }

  /** See AppUseQueries.appUseBuckets; feeds router/placement/app-profile.ts. */
  appUseBuckets(since: number, buckets: number): AppUseBucketRow[] {
    return this.appUse.appUseBuckets(since, buckets);
  }

  /** Count of rows per table (tests, `status`). */
  counts(): StoreCounts {
    return this.reader.counts();
  }
}
