// The VMs the store knows (table vms) and their size history (table vm_sizes): identity,
// class, tenant and app, first and last seen, provisioned size and latest usage. The
// collector updates a VM every tick, so each VM's id and last known size are cached.
import type { VmSample } from '../model/types.js';
import type { Db } from './open.js';
import type { RollupSource } from './rollup.js';
import { sqlNumber } from './sql-values.js';
import { PreparedStatements } from './statements.js';

/** What the collector saw of one VM at one tick. */
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

/** A VM's id and last known size, as cached. */
export interface VmEntry {
  id: number;
  vcpus: number | null;
  memoryMiB: number | null;
}

export class VmRepository {
  private readonly entries = new Map<string, VmEntry>();
  private readonly stmts: PreparedStatements;

  constructor(private readonly db: Db) {
    this.stmts = new PreparedStatements(db);
  }

  /** The VM's id and last known size; undefined when the store has never seen it. */
  entry(name: string): VmEntry | undefined {
    let e = this.entries.get(name);
    if (!e) {
      const row = this.stmts.get(`SELECT id, vcpus, memory_mib AS memoryMiB FROM vms WHERE name = ?`).get(name) as
        | { id: number; vcpus: number | null; memoryMiB: number | null }
        | undefined;
      if (row) this.entries.set(name, (e = { id: row.id, vcpus: row.vcpus, memoryMiB: row.memoryMiB }));
    }
    return e;
  }

  /**
   * Records what the collector saw of a VM at `ts` (unix seconds): creates or updates its
   * identity and latest usage, and notes a size change. Returns the VM's id.
   */
  observe(o: VmObservation, ts: number): number {
    const s = o.sample;
    let e = this.entry(s.vm);
    if (!e) {
      const { id } = this.stmts
        .get(
          `INSERT INTO vms (name, uuid, class, tenant, app, source, first_seen, last_seen, vcpus, memory_mib, last_ts, last_cpu_cores, last_memory_mib)
           VALUES (?, ?, ?, ?, ?, 'collector', ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        )
        .get(s.vm, s.uuid, o.class, o.tenant, o.app, ts, ts, o.vcpus, o.memoryMiB, ts, sqlNumber(s.cpuCores), sqlNumber(s.memoryMiB)) as { id: number };
      this.entries.set(s.vm, (e = { id, vcpus: null, memoryMiB: null }));
    } else {
      this.stmts
        .get(
          `UPDATE vms SET uuid = ?, class = ?, tenant = ?, app = ?, source = 'collector', last_seen = ?,
             vcpus = coalesce(?, vcpus), memory_mib = coalesce(?, memory_mib),
             last_ts = ?, last_cpu_cores = ?, last_memory_mib = ?
           WHERE id = ?`,
        )
        .run(s.uuid, o.class, o.tenant, o.app, ts, o.vcpus, o.memoryMiB, ts, sqlNumber(s.cpuCores), sqlNumber(s.memoryMiB), e.id);
    }
    this.noteSize(e, ts, o.vcpus, o.memoryMiB);
    return e.id;
  }

  /** Records a size change (only when vCPUs or memory differ from the last known size). */
  private noteSize(e: VmEntry, ts: number, vcpus: number | null, memoryMiB: number | null): void {
    const v = vcpus ?? e.vcpus;
    const m = memoryMiB ?? e.memoryMiB;
    if (v === e.vcpus && m === e.memoryMiB) return;
    this.stmts.get(`INSERT OR REPLACE INTO vm_sizes (vm_id, ts, vcpus, memory_mib) VALUES (?, ?, ?, ?)`).run(e.id, ts, v, m);
    e.vcpus = v;
    e.memoryMiB = m;
  }

  /** Creates or replaces an imported VM's identity, size history and latest usage. */
  upsertImported(vm: ImportedVm): void {
    this.db.transaction(() => {
      const last = vm.sizes.at(-1);
      const { id } = this.stmts
        .get(
          `INSERT INTO vms (name, uuid, class, tenant, app, source, first_seen, last_seen, vcpus, memory_mib, last_ts, last_cpu_cores, last_memory_mib)
           VALUES (?, NULL, ?, ?, ?, 'import', ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(name) DO UPDATE SET class = excluded.class, tenant = excluded.tenant, app = excluded.app,
             source = 'import', first_seen = excluded.first_seen, last_seen = excluded.last_seen,
             vcpus = excluded.vcpus, memory_mib = excluded.memory_mib, last_ts = excluded.last_ts,
             last_cpu_cores = excluded.last_cpu_cores, last_memory_mib = excluded.last_memory_mib
           RETURNING id`,
        )
        .get(
          vm.name, vm.class, vm.tenant ?? null, vm.app ?? null, vm.firstSeen, vm.lastSeen,
          last?.vcpus ?? null, sqlNumber(last?.memoryMiB), vm.latest?.ts ?? null, sqlNumber(vm.latest?.cpuCores), sqlNumber(vm.latest?.memoryMiB),
        ) as { id: number };
      this.stmts.get(`DELETE FROM vm_sizes WHERE vm_id = ?`).run(id);
      const ins = this.stmts.get(`INSERT OR REPLACE INTO vm_sizes (vm_id, ts, vcpus, memory_mib) VALUES (?, ?, ?, ?)`);
      for (const s of vm.sizes) ins.run(id, s.ts, s.vcpus, sqlNumber(s.memoryMiB));
      this.entries.set(vm.name, { id, vcpus: last?.vcpus ?? null, memoryMiB: sqlNumber(last?.memoryMiB) });
    })();
  }

  /** Every VM, in natural name order. */
  list(): VmRecord[] {
    const rows = this.stmts.get(`SELECT * FROM vms`).all() as VmRow[];
    return rows.sort((a, b) => byName.compare(a.name, b.name)).map(vmRecordOf);
  }

  get(name: string): VmRecord | undefined {
    const row = this.stmts.get(`SELECT * FROM vms WHERE name = ?`).get(name) as VmRow | undefined;
    return row ? vmRecordOf(row) : undefined;
  }

  /** A VM's size at each change, in time order. */
  sizes(name: string): VmSize[] {
    return this.stmts
      .get(`SELECT z.ts AS ts, z.vcpus AS vcpus, z.memory_mib AS memoryMiB FROM vm_sizes z JOIN vms v ON v.id = z.vm_id WHERE v.name = ? ORDER BY z.ts`)
      .all(name) as VmSize[];
  }

  /** The libvirt UUID of a known VM ('' for imported VMs, which have none). */
  uuidOf(id: number): string {
    return (this.stmts.get(`SELECT uuid FROM vms WHERE id = ?`).get(id) as { uuid: string | null }).uuid ?? '';
  }
}

/** natural order: bitbrains-9 before bitbrains-22 */
const byName = new Intl.Collator('en', { numeric: true });

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
