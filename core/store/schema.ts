// The store's tables (component 'store' in schema_version). Other components (audit,
// reservations, models) own their own tables and migrations.
//
// Layout choices, for speed and cheap retention:
// - samples are keyed (ts, vm_id) WITHOUT ROWID: the collector appends at the end of the
//   key space, closing a bucket reads one contiguous ts range, and retention deletes a
//   prefix. Latest usage per VM is kept on the vms row, so nothing needs (vm_id, ts).
// - rollups are keyed (series_id, ts) WITHOUT ROWID: the forecaster's reads of one series
//   are one range scan. A partial index on ts covers only rows that retention may delete
//   (source <> 'import'), so imported history costs no index upkeep and is never touched.
import type { Migration } from './migrate.js';

export const STORE_COMPONENT = 'store';

export const STORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'vms, vm_sizes, samples, series, rollups, store_state',
    up: (db) => {
      db.exec(`
        CREATE TABLE vms (
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          uuid TEXT,
          class TEXT,
          tenant TEXT,
          app TEXT,
          source TEXT NOT NULL CHECK (source IN ('collector', 'import')),
          first_seen INTEGER NOT NULL,
          last_seen INTEGER NOT NULL,
          vcpus INTEGER,
          memory_mib REAL,
          last_ts INTEGER,
          last_cpu_cores REAL,
          last_memory_mib REAL
        ) STRICT;

        -- provisioned size history: one row each time a VM's vCPUs or memory change
        CREATE TABLE vm_sizes (
          vm_id INTEGER NOT NULL REFERENCES vms(id) ON DELETE CASCADE,
          ts INTEGER NOT NULL,
          vcpus INTEGER,
          memory_mib REAL,
          PRIMARY KEY (vm_id, ts)
        ) STRICT, WITHOUT ROWID;

        -- raw collector samples (rates per second; MiB); kept store.rawRetentionHours
        CREATE TABLE samples (
          ts INTEGER NOT NULL,
          vm_id INTEGER NOT NULL,
          cpu_cores REAL,
          memory_mib REAL,
          vcpus INTEGER,
          balloon_mib REAL,
          net_rx_bps REAL,
          net_tx_bps REAL,
          disk_rd_bps REAL,
          disk_wr_bps REAL,
          PRIMARY KEY (ts, vm_id)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE series (
          id INTEGER PRIMARY KEY,
          key TEXT NOT NULL UNIQUE
        ) STRICT;

        -- 5-minute rollups; NULL = not measured in that bucket
        CREATE TABLE rollups (
          series_id INTEGER NOT NULL,
          ts INTEGER NOT NULL,
          cpu_mean REAL,
          cpu_max REAL,
          cpu_p95 REAL,
          mem_mean REAL,
          mem_max REAL,
          mem_p95 REAL,
          net_bps REAL,
          disk_bps REAL,
          samples INTEGER NOT NULL,
          source TEXT NOT NULL CHECK (source IN ('collector', 'import')),
          PRIMARY KEY (series_id, ts)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX rollups_retention ON rollups (ts) WHERE source <> 'import';

        CREATE TABLE store_state (
          key TEXT PRIMARY KEY,
          value INTEGER NOT NULL
        ) STRICT;
      `);
    },
  },
];
