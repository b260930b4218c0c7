// The router's tables, owned through migrate(db, 'reservations', ...).
//
// reservation_totals is kept by triggers, so every writer (the router, a CLI repair,
// a future migration) keeps it equal to the sum of active reservations per charged
// zone; a capacity check then reads one row instead of summing thousands. tenant_totals
// does the same per tenant, for the tenant quotas.
import type { Migration } from '../../core/store/migrate.js';

export const RESERVATION_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'reservations (with their idempotency keys) and per-zone active totals',
    up: (db) => {
      db.exec(`
        CREATE TABLE reservations (
          id TEXT PRIMARY KEY,
          zone TEXT NOT NULL,            -- the zone the VM is placed in
          charge_zone TEXT NOT NULL,     -- the zone whose capacity it holds (differs when borrowed)
          tenant TEXT NOT NULL,
          app TEXT NOT NULL,
          priority TEXT,
          name TEXT,
          vcpus INTEGER NOT NULL CHECK (vcpus > 0),
          memory_mib INTEGER NOT NULL CHECK (memory_mib > 0),
          overflow INTEGER NOT NULL DEFAULT 0 CHECK (overflow IN (0, 1)),
          probability REAL,
          state TEXT NOT NULL CHECK (state IN ('reserved', 'bound', 'fulfilled', 'released', 'expired')),
          domain TEXT,
          idempotency_key TEXT,          -- the placement request's Idempotency-Key (NULL once forgotten)
          body_hash TEXT,                -- sha256 of the canonical request body, for that key
          response TEXT,                 -- the 201 answer (JSON) replayed for that key; NULL while its domain is being created
          created_at INTEGER NOT NULL,   -- unix ms
          expires_at INTEGER NOT NULL,   -- unix ms
          ended_at INTEGER
        ) STRICT;
        CREATE INDEX reservations_active_by_expiry ON reservations (expires_at) WHERE state IN ('reserved', 'bound');
        CREATE INDEX reservations_bound ON reservations (zone) WHERE state = 'bound';
        -- the idempotency record IS the reservation: one row, one b-tree insert less per
        -- placement; only successful placements are remembered (a rejection is decided anew)
        CREATE UNIQUE INDEX reservations_by_key ON reservations (idempotency_key) WHERE idempotency_key IS NOT NULL;
        CREATE INDEX reservations_ended ON reservations (ended_at) WHERE ended_at IS NOT NULL;

        CREATE TABLE reservation_totals (
          zone TEXT PRIMARY KEY,
          cpu INTEGER NOT NULL DEFAULT 0,
          memory_mib INTEGER NOT NULL DEFAULT 0,
          overflow_cpu INTEGER NOT NULL DEFAULT 0,
          overflow_memory_mib INTEGER NOT NULL DEFAULT 0,
          count INTEGER NOT NULL DEFAULT 0
        ) STRICT;

        CREATE TRIGGER reservations_hold AFTER INSERT ON reservations
        WHEN NEW.state IN ('reserved', 'bound') BEGIN
          INSERT INTO reservation_totals (zone, cpu, memory_mib, overflow_cpu, overflow_memory_mib, count)
          VALUES (NEW.charge_zone, NEW.vcpus, NEW.memory_mib, NEW.overflow * NEW.vcpus, NEW.overflow * NEW.memory_mib, 1)
          ON CONFLICT (zone) DO UPDATE SET
            cpu = cpu + excluded.cpu, memory_mib = memory_mib + excluded.memory_mib,
            overflow_cpu = overflow_cpu + excluded.overflow_cpu,
            overflow_memory_mib = overflow_memory_mib + excluded.overflow_memory_mib,
            count = count + 1;
        END;

        CREATE TRIGGER reservations_end AFTER UPDATE OF state ON reservations
        WHEN OLD.state IN ('reserved', 'bound') AND NEW.state NOT IN ('reserved', 'bound') BEGIN
          UPDATE reservation_totals SET
            cpu = cpu - OLD.vcpus, memory_mib = memory_mib - OLD.memory_mib,
            overflow_cpu = overflow_cpu - OLD.overflow * OLD.vcpus,
            overflow_memory_mib = overflow_memory_mib - OLD.overflow * OLD.memory_mib,
            count = count - 1
          WHERE zone = OLD.charge_zone;
        END;

        CREATE TRIGGER reservations_delete AFTER DELETE ON reservations
        WHEN OLD.state IN ('reserved', 'bound') BEGIN
          UPDATE reservation_totals SET
            cpu = cpu - OLD.vcpus, memory_mib = memory_mib - OLD.memory_mib,
            overflow_cpu = overflow_cpu - OLD.overflow * OLD.vcpus,
            overflow_memory_mib = overflow_memory_mib - OLD.overflow * OLD.memory_mib,
            count = count - 1
          WHERE zone = OLD.charge_zone;
        END;

      `);
    },
  },
  {
    version: 2,
    description: 'creation intents: the domain uuid, template and root volume of a placement that creates its domain, and how far the creation got',
    up: (db) => {
      db.exec(`
        ALTER TABLE reservations ADD COLUMN domain_uuid TEXT;   -- daemon-generated, stored before define
        ALTER TABLE reservations ADD COLUMN template TEXT;
        ALTER TABLE reservations ADD COLUMN root_volume TEXT;   -- 'pool/volume' created for the domain
        -- NULL: the caller creates its domain (plain placement); else how far the daemon got
        ALTER TABLE reservations ADD COLUMN creation TEXT CHECK (creation IN ('intent', 'volume', 'defined', 'started', 'done', 'failed'));
        CREATE INDEX reservations_creating ON reservations (created_at) WHERE creation IN ('intent', 'volume', 'defined', 'started');
      `);
    },
  },
  {
    version: 3,
    description: 'per-tenant totals of reservations in force, kept by triggers, for tenant quotas',
    up: (db) => {
      db.exec(`
        CREATE TABLE tenant_totals (
          tenant TEXT PRIMARY KEY,
          vcpus INTEGER NOT NULL DEFAULT 0,
          memory_mib INTEGER NOT NULL DEFAULT 0,
          count INTEGER NOT NULL DEFAULT 0
        ) STRICT;
        INSERT INTO tenant_totals (tenant, vcpus, memory_mib, count)
          SELECT tenant, sum(vcpus), sum(memory_mib), count(*) FROM reservations WHERE state IN ('reserved', 'bound') GROUP BY tenant;

        CREATE TRIGGER tenant_hold AFTER INSERT ON reservations
        WHEN NEW.state IN ('reserved', 'bound') BEGIN
          INSERT INTO tenant_totals (tenant, vcpus, memory_mib, count) VALUES (NEW.tenant, NEW.vcpus, NEW.memory_mib, 1)
          ON CONFLICT (tenant) DO UPDATE SET vcpus = vcpus + excluded.vcpus, memory_mib = memory_mib + excluded.memory_mib, count = count + 1;
        END;
        CREATE TRIGGER tenant_end AFTER UPDATE OF state ON reservations
        WHEN OLD.state IN ('reserved', 'bound') AND NEW.state NOT IN ('reserved', 'bound') BEGIN
          UPDATE tenant_totals SET vcpus = vcpus - OLD.vcpus, memory_mib = memory_mib - OLD.memory_mib, count = count - 1 WHERE tenant = OLD.tenant;
        END;
        CREATE TRIGGER tenant_delete AFTER DELETE ON reservations
        WHEN OLD.state IN ('reserved', 'bound') BEGIN
          UPDATE tenant_totals SET vcpus = vcpus - OLD.vcpus, memory_mib = memory_mib - OLD.memory_mib, count = count - 1 WHERE tenant = OLD.tenant;
        END;
      `);
    },
  },
];
