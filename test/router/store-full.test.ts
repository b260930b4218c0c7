// A database that cannot take writes (full disk): placements are refused with 503 and a
// retry hint, reads go on, and /healthz reports the store as failing once the daemon's
// writers say so. SQLite's max_page_count makes the daemon's own connection fail exactly
// as a full disk does (SQLITE_FULL).
import t from 'tap';
import { StoreWriteHealth } from '../../core/store/write-health.js';
import { call, closeAgents, removeDir, startHarness, zone } from './helpers.js';

t.test('a full database: 503 on writes, reads served, /healthz says why', async (t) => {
  // room for thousands of placements: only the database may run out
  const h = await startHarness({ zones: [zone('gold', 0, 1e6, 1e9), zone('general', 1, 0, 0)] });
  t.teardown(() => removeDir(h.dir));
  const s = { socket: h.socket };
  const writes = new StoreWriteHealth();
  h.server.context.deps.storeWrites = () => writes.status();
  const body = { tenant: 'acme', app: 'web', priority: 'gold', vcpus: 1, memoryMiB: 512 };
  t.equal((await call(s, 'POST', '/v1/placements', { body, key: 'full-disk-ok' })).status, 201);

  const db = h.server.context.deps.db;
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
  // placements fill what is left of the last pages, then the next one needs a page more
  let placed = 0;
  for (; placed < 2000; placed++) {
    const r = await call(s, 'POST', '/v1/placements', { body: { ...body, app: `fill-${placed}` }, key: `full-disk-fill-${placed}` });
    if (r.status === 503) break;
    t.equal(r.status, 201, 'until then placements go through') || t.bailout(r.text);
  }
  t.ok(placed < 2000, `the database was full after ${placed} more placements`);
  const refused = await call(s, 'POST', '/v1/placements', { body, key: 'full-disk-refused' });
  t.equal(refused.status, 503);
  t.equal(refused.json.type, 'https://virtzone.dev/problems/store-unavailable');
  t.match(refused.json.detail, /SQLITE_FULL/);
  t.equal(refused.headers['retry-after'], '30');
  t.equal((await call(s, 'GET', '/v1/zones')).status, 200, 'reads still served');

  // reads work, so /healthz needs the writers' word
  t.equal((await call(s, 'GET', '/healthz')).json.checks.store.ok, true, 'a read probe alone cannot tell');
  try {
    db.prepare('INSERT INTO reservation_totals (zone) VALUES (?)').run('zz-probe-' + 'x'.repeat(5000));
  } catch (e) {
    writes.failed(e);
  }
  const health = await call(s, 'GET', '/healthz');
  t.equal(health.status, 503);
  t.match(health.json.checks.store, { ok: false, detail: /reads work but writes failing .*SQLITE_FULL/ });

  db.pragma('max_page_count = 1073741823');
  writes.ok();
  t.equal((await call(s, 'POST', '/v1/placements', { body, key: 'full-disk-refused' })).status, 201, 'the refused key is free for a retry');
  await h.close();
  closeAgents();
});
