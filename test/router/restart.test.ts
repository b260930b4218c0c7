// Reservations survive a daemon restart on the same database file; those whose TTL ran
// out while it was down are released, at once in capacity checks and by the sweep.
import t from 'tap';
import { call, closeAgents, removeDir, startHarness, zone } from './helpers.js';

t.test('reservations survive a restart; expired ones are released', async (t) => {
  const zones = () => [zone('gold', 0, 4, 65536), zone('general', 3, 0, 0)];
  const clock = { now: Date.parse('2025-03-03T09:00:00Z') };
  const first = await startHarness({ zones: zones(), clock });
  t.teardown(() => removeDir(first.dir));
  const s = { socket: first.socket };
  const body = (ttlSeconds: number) => ({ tenant: 'acme', app: 'web', priority: 'gold', vcpus: 2, memoryMiB: 1024, ttlSeconds });
  const short = await call(s, 'POST', '/v1/placements', { body: body(60), key: 'restart-short' });
  const long = await call(s, 'POST', '/v1/placements', { body: body(3600), key: 'restart-long' });
  t.equal(short.status, 201);
  t.equal(long.status, 201);
  const full = await call(s, 'POST', '/v1/placements', { body: body(60), key: 'restart-full' });
  t.equal(full.status, 429, 'gold (4 cores) is full with 2 + 2');
  await first.close();
  closeAgents();

  // the daemon is down for two minutes
  clock.now += 120_000;
  const second = await startHarness({ zones: zones(), clock, dir: first.dir });
  const s2 = { socket: second.socket };
  const a = await call(s2, 'GET', `/v1/placements/${short.json.reservationId}`);
  const b = await call(s2, 'GET', `/v1/placements/${long.json.reservationId}`);
  t.equal(a.json.state, 'expired', 'the 60 s reservation was released by the start-up sweep');
  t.ok(a.json.endedAt, 'with the time it ended');
  t.equal(b.json.state, 'reserved', 'the 1 h reservation survived');
  t.equal(b.json.expiresAt, long.json.expiresAt);
  const gold = await call(s2, 'GET', '/v1/zones/gold');
  t.same(gold.json.reserved, { cpuCores: 2, memoryMiB: 1024 }, 'only the surviving reservation holds capacity');
  // the same key after the restart replays the first answer, and reserves nothing
  const replay = await call(s2, 'POST', '/v1/placements', { body: body(3600), key: 'restart-long' });
  t.equal(replay.status, 201);
  t.same(replay.json, long.json);
  t.equal(replay.headers['idempotent-replayed'], 'true');
  // the freed 2 cores can be placed again
  const again = await call(s2, 'POST', '/v1/placements', { body: body(60), key: 'restart-again' });
  t.equal(again.status, 201);

  // expiry counts at once in capacity checks, without waiting for a sweep
  clock.now += 61_000;
  const afterTtl = await call(s2, 'POST', '/v1/placements', { body: body(60), key: 'restart-after-ttl' });
  t.equal(afterTtl.status, 201, 'room again the moment the 60 s reservation ran out');
  const g = await call(s2, 'GET', `/v1/placements/${again.json.reservationId}`);
  t.equal(g.json.state, 'expired');

  // a week after they ended, the sweep deletes ended reservations (and their keys)
  second.clock.now += 8 * 24 * 3600_000;
  const swept = second.server.service.sweep();
  t.equal(swept.expired, 2, 'the two still active ones expire');
  t.equal(swept.pruned, 2, 'the two that ended over a week ago are deleted');
  t.equal((await call(s2, 'GET', `/v1/placements/${short.json.reservationId}`)).status, 404);
  await second.close();
  closeAgents();
});
