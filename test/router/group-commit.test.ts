// Group commit over a real reservation store: every decision of a batch runs in its own
// savepoint, so one that writes and then throws leaves nothing behind, while the others
// of the same batch commit and are answered. Also: the connection that stores
// reservations commits with synchronous=FULL.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../core/store/open.js';
import { GroupCommit } from '../../router/placement/group-commit.js';
import { ReservationStore, type Reservation } from '../../router/reservations/store.js';

const NOW = Date.parse('2025-05-05T10:00:00Z');

function reservation(id: string, zone = 'gold'): Reservation {
  return {
    id,
    zone,
    chargeZone: zone,
    tenant: 'acme',
    app: 'web',
    priority: 'gold',
    name: null,
    vcpus: 2,
    memoryMiB: 1024,
    overflow: false,
    probability: null,
    state: 'reserved',
    domain: null,
    idempotencyKey: `key-${id}`,
    bodyHash: null,
    response: '{}',
    createdAt: NOW,
    expiresAt: NOW + 3600_000,
    endedAt: null,
    domainUuid: null,
    template: null,
    rootVolume: null,
    creation: null,
  };
}

function openStore(t: { teardown(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'vz-group-commit-'));
  const db = openDatabase(join(dir, 'r.db'));
  t.teardown(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return new ReservationStore(db);
}

t.test('a decision that writes and then throws is rolled back alone; the rest of its batch commits', async (t) => {
  const store = openStore(t);
  const commit = new GroupCommit(store, () => NOW);
  // three decisions queued in one event-loop turn: one batch, one transaction
  const first = commit.run(() => {
    store.insert(reservation('r-1'));
    return 'first';
  });
  const failing = commit.run(() => {
    store.insert(reservation('r-2'));
    store.insert(reservation('r-3', 'silver'));
    throw new Error('decided too late');
  });
  const third = commit.run(() => {
    store.insert(reservation('r-4'));
    return 'third';
  });
  const settled = await Promise.allSettled([first, failing, third]);
  t.same(settled[0], { status: 'fulfilled', value: 'first' });
  t.equal(settled[1].status, 'rejected');
  t.match((settled[1] as PromiseRejectedResult).reason, { message: 'decided too late' });
  t.same(settled[2], { status: 'fulfilled', value: 'third' });

  t.ok(store.get('r-1'), 'the decision before the failing one is stored');
  t.ok(store.get('r-4'), 'the decision after it is stored');
  t.equal(store.get('r-2'), undefined, "the failing decision's first write is gone");
  t.equal(store.get('r-3'), undefined, "and its second one");
  t.equal(store.getByKey('key-r-2'), undefined, 'its idempotency key is not remembered');
  const totals = store.totals();
  t.same(totals.get('gold'), { reserved: { cpuCores: 4, memoryMiB: 2048 }, overflow: { cpuCores: 0, memoryMiB: 0 }, count: 2 }, 'the totals kept by triggers count only the two committed reservations');
  t.equal(totals.get('silver')?.count ?? 0, 0, 'nothing charged to silver');
  t.equal(store.countActive(), 2);
  t.notOk(store.db.inTransaction, 'the batch transaction is closed');
});

t.test('a decision whose own statement fails (a duplicate key) does not undo the others', async (t) => {
  const store = openStore(t);
  const commit = new GroupCommit(store, () => NOW);
  const a = commit.run(() => store.insert(reservation('d-1')));
  // a second write of the same key: the INSERT fails after this decision wrote d-2
  const dup = commit.run(() => {
    store.insert(reservation('d-2'));
    store.insert(reservation('d-1'));
  });
  const b = commit.run(() => store.insert(reservation('d-3')));
  const settled = await Promise.allSettled([a, dup, b]);
  t.same(
    settled.map((s) => s.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  t.match((settled[1] as PromiseRejectedResult).reason, { code: 'SQLITE_CONSTRAINT_UNIQUE' });
  t.ok(store.get('d-1'));
  t.ok(store.get('d-3'));
  t.equal(store.get('d-2'), undefined, 'the write before the failing statement is rolled back with it');
  t.equal(store.countActive(), 2);
});

t.test('the connection that stores reservations commits with synchronous=FULL', async (t) => {
  const store = openStore(t);
  // 2 = FULL (0 OFF, 1 NORMAL, 3 EXTRA)
  t.equal(store.db.pragma('synchronous', { simple: true }), 2);
});
