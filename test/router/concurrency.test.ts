// 1,000 concurrent placements over the real Unix socket against a zone with room for
// 100 yield exactly 100 placed: no over-commit, no lost reservation (checked in SQLite).
import Database from 'better-sqlite3';
import t from 'tap';
import { call, closeAgents, removeDir, startHarness, zone } from './helpers.js';

t.test('1,000 concurrent placements, room for 100', async (t) => {
  // gold holds 100 one-vCPU VMs; the auto-scaler is exhausted for it, so there is
  // nothing to borrow, and at zero free capacity the overflow grant probability is 0
  // the zone provider yields to the event loop, so requests interleave between reading
  // the zones and reserving, as they do with a provider that talks to libvirt
  const h = await startHarness({ zones: [zone('gold', 0, 100, 1_000_000), zone('general', 3, 0, 0)], providerDelayMs: 3 });
  t.teardown(() => removeDir(h.dir));
  const target = { socket: h.socket };
  const replies = await Promise.all(
    Array.from({ length: 1000 }, (_, i) =>
      call(target, 'POST', '/v1/placements', {
        body: { tenant: `tenant-${i % 7}`, app: 'web', priority: 'gold', vcpus: 1, memoryMiB: 512 },
        key: `concurrent-${String(i).padStart(6, '0')}`,
      }),
    ),
  );
  const placed = replies.filter((r) => r.status === 201);
  const rejected = replies.filter((r) => r.status === 429);
  t.equal(placed.length, 100, 'exactly 100 placed');
  t.equal(rejected.length, 900, 'the other 900 rejected');
  t.equal(replies.length - placed.length - rejected.length, 0, 'no other status');
  t.ok(rejected.every((r) => r.json.decision === 'rejected' && r.json.probability === 0 && Number(r.headers['retry-after']) >= 1));
  t.ok(placed.every((r) => r.json.overflow === false && r.json.zone === 'gold'));
  const ids = new Set(placed.map((r) => r.json.reservationId));
  t.equal(ids.size, 100, '100 distinct reservations');
  await h.close();
  closeAgents();

  const db = new Database(h.dbPath, { readonly: true });
  const rows = db.prepare(`SELECT id, vcpus FROM reservations WHERE state = 'reserved'`).all() as { id: string }[];
  t.equal(rows.length, 100, '100 reservations in the database');
  t.same(new Set(rows.map((r) => r.id)), ids, 'the database holds exactly the reservations answered');
  t.same(db.prepare(`SELECT cpu, memory_mib, count FROM reservation_totals WHERE zone = 'gold'`).get(), { cpu: 100, memory_mib: 51200, count: 100 });
  t.equal((db.prepare('SELECT count(*) AS n FROM reservations').get() as { n: number }).n, 100, 'no stray rows');
  t.equal(
    (db.prepare('SELECT count(DISTINCT idempotency_key) AS n FROM reservations WHERE response IS NOT NULL').get() as { n: number }).n,
    100,
    'each placement remembers its key and answer',
  );
  db.close();
});
