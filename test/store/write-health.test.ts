// StoreWriteHealth against real SQLite failures: a database that cannot grow (SQLite's
// max_page_count, which fails exactly like a full disk: SQLITE_FULL) and a bad query.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../core/store/open.js';
import { StoreWriteHealth, isStorageError } from '../../core/store/write-health.js';

function failure(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

t.test('a full database is a storage error, a bad query is not', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-wh-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = openDatabase(join(dir, 'x.db'));
  t.teardown(() => db.close());
  db.exec('CREATE TABLE t (x BLOB)');
  const pages = db.pragma('page_count', { simple: true }) as number;
  db.pragma(`max_page_count = ${pages}`);
  const full = failure(() => db.prepare('INSERT INTO t VALUES (randomblob(100000))').run());
  t.equal((full as { code: string }).code, 'SQLITE_FULL');
  t.ok(isStorageError(full), 'SQLITE_FULL counts');
  t.notOk(isStorageError(failure(() => db.prepare('SELECT nope FROM t').all())), 'a query bug does not');
  t.notOk(isStorageError(new Error('plain')));
  t.notOk(isStorageError(null));

  let now = Date.parse('2026-01-01T00:00:00Z');
  const h = new StoreWriteHealth(() => now);
  t.same(h.status(), { ok: true, detail: 'no write yet' });
  h.ok();
  t.equal(h.status().ok, true);
  t.equal(h.failed(new Error('libvirt gone')), false, 'a non-storage failure is not the store\'s');
  t.equal(h.status().ok, true);
  t.equal(h.failed(full), true, 'the first storage failure starts a run');
  now += 2000;
  t.equal(h.failed(full), false, 'the second does not');
  const st = h.status();
  t.equal(st.ok, false);
  t.match(st.detail, /writes failing since 2026-01-01T00:00:00.000Z \(2x\): SQLITE_FULL: database or disk is full/);
  h.ok();
  t.equal(h.status().ok, true, 'a successful write clears it');
});
