// Durable reservations in SQLite. Statements only: what to reserve is decided by
// placement/decide.ts, inside transaction().
import type { Database, Statement } from 'better-sqlite3';
import { migrate } from '../../core/store/migrate.js';
import type { Resources } from '../overflow/policy.js';
import { RESERVATION_MIGRATIONS } from './schema.js';

export type ReservationState = 'reserved' | 'bound' | 'fulfilled' | 'released' | 'expired';
/**
 * How far the daemon got creating a placement's domain: the intent (name, uuid) is stored
 * before anything touches the host; null for a plain placement (the caller creates it).
 */
export type CreationStep = 'intent' | 'volume' | 'defined' | 'started' | 'done' | 'failed';
export const UNFINISHED_STEPS: readonly CreationStep[] = ['intent', 'volume', 'defined', 'started'];

export interface Reservation {
  id: string;
  zone: string;
  chargeZone: string;
  tenant: string;
  app: string;
  priority: string | null;
  name: string | null;
  vcpus: number;
  memoryMiB: number;
  overflow: boolean;
  probability: number | null;
  state: ReservationState;
  domain: string | null;
  idempotencyKey: string | null;
  bodyHash: string | null;
  /** the 201 answer replayed for the key; null while the domain is being created */
  response: string | null;
  createdAt: number; // unix ms
  expiresAt: number; // unix ms
  endedAt: number | null;
  /** the uuid the daemon gave the domain it creates; null for a plain placement */
  domainUuid: string | null;
  template: string | null;
  /** 'pool/volume' of the root disk the daemon created, if any */
  rootVolume: string | null;
  creation: CreationStep | null;
}

export interface ZoneTotals {
  reserved: Resources;
  overflow: Resources;
  count: number;
}

interface ReservationRow {
  id: string;
  zone: string;
  charge_zone: string;
  tenant: string;
  app: string;
  priority: string | null;
  name: string | null;
  vcpus: number;
  memory_mib: number;
  overflow: number;
  probability: number | null;
  state: ReservationState;
  domain: string | null;
  idempotency_key: string | null;
  body_hash: string | null;
  response: string | null;
  created_at: number;
  expires_at: number;
  ended_at: number | null;
  domain_uuid: string | null;
  template: string | null;
  root_volume: string | null;
  creation: CreationStep | null;
}

const fromRow = (r: ReservationRow): Reservation => ({
  id: r.id,
  zone: r.zone,
  chargeZone: r.charge_zone,
  tenant: r.tenant,
  app: r.app,
  priority: r.priority,
  name: r.name,
  vcpus: r.vcpus,
  memoryMiB: r.memory_mib,
  overflow: r.overflow === 1,
  probability: r.probability,
  state: r.state,
  domain: r.domain,
  idempotencyKey: r.idempotency_key,
  bodyHash: r.body_hash,
  response: r.response,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  endedAt: r.ended_at,
  domainUuid: r.domain_uuid,
  template: r.template,
  rootVolume: r.root_volume,
  creation: r.creation,
});

export class ReservationStore {
  private readonly s: Record<string, Statement>;
  /** one better-sqlite3 transaction function, reused: creating one per call is costly */
  private readonly tx: ((fn: () => unknown) => unknown) & { immediate: (fn: () => unknown) => unknown };

  constructor(readonly db: Database) {
    // A 201 promises the reservation is stored. With WAL and synchronous=NORMAL a commit
    // survives the process dying but not the power going: the WAL is synced only at
    // checkpoints. FULL syncs the WAL at every commit, so what was answered 201 is on the
    // disk. The setting is per connection, and in the daemon the collector, rollups,
    // retention and audit log share this one. They batch: one transaction per collector
    // tick for all its VMs, retention in 5,000-row deletes, an audit row per action; FULL
    // adds one WAL sync (a few ms) to each of those few commits, in the background, where
    // no caller waits (what it costs placements: README.md, Backups and durability).
    db.pragma('synchronous = FULL');
    migrate(db, 'reservations', RESERVATION_MIGRATIONS);
    this.tx = db.transaction((fn: () => unknown) => fn());
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insert: p(`INSERT INTO reservations (id, zone, charge_zone, tenant, app, priority, name, vcpus, memory_mib, overflow,
                  probability, state, domain, idempotency_key, body_hash, response, created_at, expires_at,
                  domain_uuid, template, root_volume, creation)
                 VALUES (@id, @zone, @chargeZone, @tenant, @app, @priority, @name, @vcpus, @memoryMiB, @overflow,
                  @probability, @state, @domain, @idempotencyKey, @bodyHash, @response, @createdAt, @expiresAt,
                  @domainUuid, @template, @rootVolume, @creation)`),
      setCreation: p('UPDATE reservations SET creation = @creation WHERE id = @id'),
      unfinished: p(`SELECT * FROM reservations WHERE creation IN ('intent', 'volume', 'defined', 'started') ORDER BY created_at`),
      boundDomains: p(`SELECT * FROM reservations WHERE state = 'bound' AND domain IS NOT NULL`),
      byDomainUuid: p('SELECT * FROM reservations WHERE domain_uuid = ? ORDER BY created_at DESC LIMIT 1'),
      byKey: p('SELECT * FROM reservations WHERE idempotency_key = ?'),
      forgetKey: p('UPDATE reservations SET idempotency_key = NULL, body_hash = NULL WHERE id = ?'),
      bindDomain: p(`UPDATE reservations SET state = 'bound', domain = @domain, response = coalesce(@response, response)
                     WHERE id = @id AND state = 'reserved'`),
      pruneEnded: p('DELETE FROM reservations WHERE ended_at IS NOT NULL AND ended_at < ?'),
      get: p('SELECT * FROM reservations WHERE id = ?'),
      dueIds: p(`SELECT id FROM reservations WHERE state IN ('reserved', 'bound') AND expires_at <= ?`),
      expire: p(`UPDATE reservations SET state = 'expired', ended_at = @now
                 WHERE state IN ('reserved', 'bound') AND expires_at <= @now`),
      bound: p(`SELECT id, zone, domain FROM reservations WHERE state = 'bound'`),
      end: p(`UPDATE reservations SET state = @state, ended_at = @now WHERE id = @id AND state IN ('reserved', 'bound')`),
      totals: p('SELECT zone, cpu, memory_mib, overflow_cpu, overflow_memory_mib, count FROM reservation_totals'),
      // in expiry order from the index, stopping at the first of the zone (read per decision)
      earliest: p(`SELECT expires_at AS t FROM reservations WHERE state IN ('reserved', 'bound') AND charge_zone = ? AND expires_at > ?
                   ORDER BY expires_at LIMIT 1`),
      countActive: p(`SELECT count(*) AS n FROM reservations WHERE state IN ('reserved', 'bound')`),
      activeByApp: p(`SELECT charge_zone AS zone, tenant, app, sum(vcpus) AS cpu, sum(memory_mib) AS memory_mib
                      FROM reservations WHERE state IN ('reserved', 'bound') GROUP BY charge_zone, tenant, app`),
    };
  }

  /**
   * Runs fn in a BEGIN IMMEDIATE transaction: it takes SQLite's write lock first, so
   * the capacity read inside fn and the insert after it cannot interleave with another
   * writer, in this process or another one.
   */
  transaction<T>(fn: () => T): T {
    return this.tx.immediate(fn) as T;
  }

  /**
   * Runs fn in a SAVEPOINT of the transaction that is open: when fn throws, its writes
   * are rolled back (ROLLBACK TO) and the transaction goes on; otherwise RELEASE keeps
   * them. Outside a transaction it is a transaction of its own.
   */
  savepoint<T>(fn: () => T): T {
    // better-sqlite3 runs a transaction function called inside a transaction as a savepoint
    return this.tx(fn) as T;
  }

  /** Whether a transaction is open (SQLite ends one by itself on some errors, e.g. a full disk). */
  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  insert(r: Reservation): void {
    this.s.insert.run({ ...r, overflow: r.overflow ? 1 : 0 });
  }

  get(id: string): Reservation | undefined {
    const row = this.s.get.get(id) as ReservationRow | undefined;
    return row && fromRow(row);
  }

  /** Marks every active reservation whose TTL has passed as expired; returns how many. */
  expireDue(now: number): number {
    return this.s.expire.run({ now }).changes;
  }

  /** Bound reservations whose domain now shows up in its zone are covered by the zone's provisioned sum. */
  fulfillBound(vmsByZone: () => ReadonlyMap<string, ReadonlySet<string>>, now: number): number {
    const rows = this.s.bound.all() as { id: string; zone: string; domain: string }[];
    if (rows.length === 0) return 0;
    const vms = vmsByZone(); // built only when something is bound
    let n = 0;
    for (const row of rows) {
      if (vms.get(row.zone)?.has(row.domain)) n += this.s.end.run({ id: row.id, state: 'fulfilled', now }).changes;
    }
    return n;
  }

  /** Ends an active reservation; false when it was not active. */
  end(id: string, state: 'released' | 'expired' | 'fulfilled', now: number): boolean {
    return this.s.end.run({ id, state, now }).changes === 1;
  }

  /** Binds an active reservation to its domain; `response` (when given) becomes the answer replayed for its key. */
  bind(id: string, domain: string, response: string | null = null): boolean {
    return this.s.bindDomain.run({ id, domain, response }).changes === 1;
  }

  /** The reservation a placement with this Idempotency-Key made, if it is remembered. */
  getByKey(key: string): Reservation | undefined {
    const row = this.s.byKey.get(key) as ReservationRow | undefined;
    return row && fromRow(row);
  }

  /** Forgets the key (a failed placement), so a retry with it is decided afresh. */
  forgetKey(id: string): void {
    this.s.forgetKey.run(id);
  }

  /** Deletes reservations (and with them their keys) that ended before `before` (unix ms). */
  pruneEnded(before: number): number {
    return this.s.pruneEnded.run(before).changes;
  }

  totals(): Map<string, ZoneTotals> {
    const out = new Map<string, ZoneTotals>();
    for (const r of this.s.totals.all() as { zone: string; cpu: number; memory_mib: number; overflow_cpu: number; overflow_memory_mib: number; count: number }[]) {
      out.set(r.zone, {
        reserved: { cpuCores: r.cpu, memoryMiB: r.memory_mib },
        overflow: { cpuCores: r.overflow_cpu, memoryMiB: r.overflow_memory_mib },
        count: r.count,
      });
    }
    return out;
  }

  /** When the first active reservation charged to the zone runs out (unix ms), if any. */
  earliestExpiry(zone: string, now: number): number | null {
    return (this.s.earliest.get(zone, now) as { t: number } | undefined)?.t ?? null;
  }

  /** Active reservations summed per charge zone, tenant and app (to charge each at its app's ratio). */
  activeByApp(): Array<{ zone: string; tenant: string; app: string; reserved: Resources }> {
    return (this.s.activeByApp.all() as { zone: string; tenant: string; app: string; cpu: number; memory_mib: number }[]).map((r) => ({
      zone: r.zone,
      tenant: r.tenant,
      app: r.app,
      reserved: { cpuCores: r.cpu, memoryMiB: r.memory_mib },
    }));
  }

  /** Records how far the creation of the reservation's domain got. */
  setCreation(id: string, creation: CreationStep): void {
    this.s.setCreation.run({ id, creation });
  }

  /** Reservations whose domain the daemon began to create and did not finish (or fail) yet, oldest first. */
  unfinishedCreations(): Reservation[] {
    return (this.s.unfinished.all() as ReservationRow[]).map(fromRow);
  }

  /** Active reservations bound to a domain the zone monitor has not counted yet. */
  boundToDomains(): Reservation[] {
    return (this.s.boundDomains.all() as ReservationRow[]).map(fromRow);
  }

  /** The newest reservation that created (or meant to create) the domain with this uuid. */
  getByDomainUuid(uuid: string): Reservation | undefined {
    const row = this.s.byDomainUuid.get(uuid.toLowerCase()) as ReservationRow | undefined;
    return row && fromRow(row);
  }

  countActive(): number {
    return (this.s.countActive.get() as { n: number }).n;
  }
}
