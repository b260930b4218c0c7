// The API over the real Unix socket: placement and its reservation's life, borrowing,
// overflow answers, idempotency, the read and action routes, /healthz, /metrics and
// the OpenAPI document.
import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import t from 'tap';
import type { LoadPrediction } from '../../core/model/types.js';
import { grantProbability } from '../../router/overflow/policy.js';
import { call, closeAgents, removeDir, startHarness, zone } from './helpers.js';

const body = { tenant: 'acme', app: 'web', vcpus: 2, memoryMiB: 2048 };

t.test('placement, confirm, release', async (t) => {
  const h = await startHarness({
    config: { router: { admission: 'provisioned' }, rules: [{ tenant: 'bank', class: 'gold' }, { app: 'batch', class: 'bronze' }] },
  });
  t.teardown(() => removeDir(h.dir));
  const s = { socket: h.socket };
  t.equal((statSync(h.socket).mode & 0o777).toString(8), '660', 'socket mode from config');

  const viaRule = await call(s, 'POST', '/v1/placements', { body: { ...body, tenant: 'bank' }, key: 'api-rule-0001' });
  t.equal(viaRule.status, 201);
  t.match(viaRule.json, { decision: 'placed', zone: 'gold', partition: '/machine/virtzone-gold', overflow: false });
  t.equal(viaRule.json.expiresAt, new Date(h.clock.now + 600_000).toISOString(), 'default TTL api.defaultTtlSeconds');
  const viaApp = await call(s, 'POST', '/v1/placements', { body: { ...body, app: 'batch' }, key: 'api-rule-0002' });
  t.equal(viaApp.json.zone, 'bronze');
  const explicit = await call(s, 'POST', '/v1/placements', { body: { ...body, tenant: 'bank', priority: 'silver' }, key: 'api-rule-0003' });
  t.equal(explicit.json.zone, 'silver', 'explicit priority beats the rules');
  const dflt = await call(s, 'POST', '/v1/placements', { body: { ...body, ttlSeconds: 30 }, key: 'api-rule-0004' });
  t.equal(dflt.json.zone, 'general');
  t.equal(dflt.json.expiresAt, new Date(h.clock.now + 30_000).toISOString());

  const id = viaRule.json.reservationId;
  const got = await call(s, 'GET', `/v1/placements/${id}`);
  t.match(got.json, { id, state: 'reserved', zone: 'gold', tenant: 'bank', app: 'web', vcpus: 2, memoryMiB: 2048 });
  const confirmed = await call(s, 'POST', `/v1/placements/${id}/confirm`, { body: { domain: 'web-1' } });
  t.equal(confirmed.status, 200);
  t.match(confirmed.json, { state: 'bound', domain: 'web-1' });
  t.equal((await call(s, 'POST', `/v1/placements/${id}/confirm`, { body: { domain: 'web-1' } })).status, 200, 'confirming again is idempotent');
  const other = await call(s, 'POST', `/v1/placements/${id}/confirm`, { body: { domain: 'web-2' } });
  t.equal(other.status, 409);
  t.equal(other.json.field, 'domain');

  // the bound domain shows up in its zone: the reservation is fulfilled (its resources are now provisioned)
  const gold = h.zones.find((z) => z.name === 'gold')!;
  gold.vms.push('web-1');
  gold.provisioned = { cpuCores: 2, memoryMiB: 2048 };
  await call(s, 'POST', '/v1/placements', { body: { ...body, priority: 'gold' }, key: 'api-fulfil-01' });
  t.equal((await call(s, 'GET', `/v1/placements/${id}`)).json.state, 'fulfilled');
  const goldView = (await call(s, 'GET', '/v1/zones/gold')).json;
  t.same(goldView.reserved, { cpuCores: 2, memoryMiB: 2048 }, 'only the new reservation, not the fulfilled one');
  t.same(goldView.free, { cpuCores: 4, memoryMiB: 16384 - 4096 });

  const released = await call(s, 'DELETE', `/v1/placements/${viaApp.json.reservationId}`);
  t.equal(released.json.state, 'released');
  t.equal((await call(s, 'DELETE', `/v1/placements/${viaApp.json.reservationId}`)).status, 200, 'releasing twice is fine');
  const bronze = (await call(s, 'GET', '/v1/zones/bronze')).json;
  t.same(bronze.reserved, { cpuCores: 0, memoryMiB: 0 });
  const late = await call(s, 'POST', `/v1/placements/${viaApp.json.reservationId}/confirm`, { body: { domain: 'x' } });
  t.equal(late.status, 409, 'a released reservation cannot be confirmed');
  await h.close();
  closeAgents();
});

t.test('borrowing and overflow', async (t) => {
  const h = await startHarness({
    // overflow sees the zones silver may draw on (scope 'zones'; the host-wide default is in app-profile.test.ts)
    config: { router: { admission: 'provisioned' }, overflow: { threshold: 0.5, exponent: 2, retryAfterSeconds: 30, scope: 'zones' } },
    zones: [
      zone('gold', 0, 10, 100_000, { exhausted: false }),
      // silver: 7 vCPUs provisioned, 2 cores in use
      zone('silver', 1, 10, 100_000, { provisioned: { cpuCores: 7, memoryMiB: 7 }, used: { cpuCores: 2, memoryMiB: 7 } }),
      zone('bronze', 2, 0, 0),
      zone('general', 3, 4, 100_000),
    ],
    seed: 3,
  });
  t.teardown(() => removeDir(h.dir));
  const s = { socket: h.socket };
  const place = (priority: string, vcpus: number, key: string) =>
    call(s, 'POST', '/v1/placements', { body: { tenant: 'acme', app: 'web', priority, vcpus, memoryMiB: 1 }, key });

  t.equal((await place('gold', 10, 'borrow-0001')).json.overflow, false);
  const borrowed = await place('gold', 3, 'borrow-0002');
  t.equal(borrowed.status, 201);
  t.equal(borrowed.json.zone, 'gold');
  t.equal(borrowed.json.borrowedFrom, 'general', 'gold is full but the auto-scaler can borrow from general');
  t.same((await call(s, 'GET', '/v1/zones/general')).json.reserved, { cpuCores: 3, memoryMiB: 1 });

  // silver is exhausted: room 10 - 7 = 3 < 4, so overflow decides; unused after the
  // grant = (10 - 2 - 4) / 10 = 0.4, below the threshold 0.5
  const p = grantProbability(0.4, 1, 3, 0, { threshold: 0.5, exponent: 2 }).probability;
  let granted = 0;
  let rejected = 0;
  for (let i = 0; i < 20; i++) {
    const r = await place('silver', 4, `over-try-${String(i).padStart(4, '0')}`);
    if (r.status === 201) {
      granted++;
      t.match(r.json, { decision: 'placed', overflow: true, zone: 'silver' });
      t.ok(Math.abs(r.json.probability - p) < 1e-12, 'the grant carries p');
      await call(s, 'DELETE', `/v1/placements/${r.json.reservationId}`); // keep the free share at 0.4
    } else {
      rejected++;
      t.equal(r.status, 429);
      t.match(String(r.headers['content-type']), /problem\+json/);
      t.match(r.json, { decision: 'rejected', zone: 'silver', policy: 'probabilistic' });
      t.ok(Math.abs(r.json.probability - p) < 1e-12);
      t.equal(r.headers['retry-after'], String(r.json.retryAfterSeconds));
      t.equal(r.json.retryAfterSeconds, 30, 'min(overflow.retryAfterSeconds, first expiry in 600 s)');
    }
  }
  t.ok(granted > 0 && rejected > 0, `p=${p.toFixed(3)}: ${granted} granted, ${rejected} rejected`);

  // a rising forecast for silver raises the threshold and lowers p
  const pred = (resource: 'cpu' | 'memory', averageLoad: number): LoadPrediction => ({
    series: 'class:silver', resource, horizon: '30m', origin: 0, peakLoad: averageLoad, averageLoad, trend: 0, distribution: {}, model: 'test', confidence: 1,
  });
  h.predictions.push(pred('cpu', 4)); // 2 cores more than the 2 in use: growth share 0.2
  const rising = await place('silver', 4, 'over-rising-01');
  const pRising = grantProbability(0.4, 1, 3, 0.2, { threshold: 0.5, exponent: 2 }).probability;
  t.ok(pRising < p);
  t.ok(Math.abs(rising.json.probability - pRising) < 1e-12, `forecast moves p: ${rising.json.probability} = ${pRising}`);
  await h.close();
  closeAgents();
});

t.test('quota policy over HTTP', async (t) => {
  const h = await startHarness({ config: { overflow: { policy: 'quota', threshold: 0.2 } }, zones: [zone('gold', 0, 10, 100_000), zone('general', 3, 0, 0)] });
  t.teardown(() => removeDir(h.dir));
  const s = { socket: h.socket };
  const place = (vcpus: number, key: string) => call(s, 'POST', '/v1/placements', { body: { tenant: 'a', app: 'b', priority: 'gold', vcpus, memoryMiB: 1 }, key });
  t.equal((await place(10, 'quota-0001')).json.overflow, false);
  // gold's quota: 10 cores x 0.2 x weight 1 = 2 cores of overflow
  const a = await place(1, 'quota-0002');
  const b = await place(1, 'quota-0003');
  const c = await place(1, 'quota-0004');
  t.match(a.json, { overflow: true, probability: 1 });
  t.match(b.json, { overflow: true, probability: 1 });
  t.equal(c.status, 429);
  t.match(c.json, { policy: 'quota', probability: 0 });
  t.same((await call(s, 'GET', '/v1/zones/gold')).json.overflowReserved, { cpuCores: 2, memoryMiB: 2 });
  await h.close();
  closeAgents();
});

t.test('idempotency', async (t) => {
  const h = await startHarness({ zones: [zone('gold', 0, 10, 100_000), zone('general', 3, 0, 0)], providerDelayMs: 2 });
  t.teardown(() => removeDir(h.dir));
  const s = { socket: h.socket };
  const req = { tenant: 'acme', app: 'web', priority: 'gold', vcpus: 1, memoryMiB: 1 };
  // 20 concurrent retries of one request: one reservation, one answer
  const same = await Promise.all(Array.from({ length: 20 }, () => call(s, 'POST', '/v1/placements', { body: req, key: 'idem-key-0001' })));
  const ok = same.filter((r) => r.status === 201);
  t.ok(ok.length >= 1, 'at least the first is answered 201');
  t.ok(same.every((r) => r.status === 201 || r.status === 409), 'others: the same answer, or 409 while in flight');
  t.equal(new Set(ok.map((r) => r.json.reservationId)).size, 1, 'one reservation id in every answer');
  // key order in the body does not matter
  const reordered = await call(s, 'POST', '/v1/placements', {
    body: { memoryMiB: 1, vcpus: 1, priority: 'gold', app: 'web', tenant: 'acme' },
    key: 'idem-key-0001',
  });
  t.equal(reordered.status, 201);
  t.equal(reordered.json.reservationId, ok[0].json.reservationId);
  const different = await call(s, 'POST', '/v1/placements', { body: { ...req, vcpus: 2 }, key: 'idem-key-0001' });
  t.equal(different.status, 422);
  t.equal(different.json.field, 'Idempotency-Key');
  const db = new Database(h.dbPath, { readonly: true });
  t.equal((db.prepare('SELECT count(*) AS n FROM reservations').get() as { n: number }).n, 1, 'reserved once');
  db.close();
  // a rejection is not remembered: the same key is decided again once there is room
  const fill = await call(s, 'POST', '/v1/placements', { body: { ...req, vcpus: 9 }, key: 'idem-fill-001' });
  t.equal(fill.status, 201);
  const full = await call(s, 'POST', '/v1/placements', { body: req, key: 'idem-key-0002' });
  t.equal(full.status, 429);
  await call(s, 'DELETE', `/v1/placements/${fill.json.reservationId}`);
  t.equal((await call(s, 'POST', '/v1/placements', { body: req, key: 'idem-key-0002' })).status, 201);
  await h.close();
  closeAgents();
});

t.test('reads, actions, health, metrics, OpenAPI', async (t) => {
  const h = await startHarness();
  t.teardown(() => removeDir(h.dir));
  const s = { socket: h.socket };
  h.zones[0].vms.push('db-1');
  h.predictions.push({
    series: 'class:gold', resource: 'cpu', horizon: '30m', origin: 1, peakLoad: 3, averageLoad: 2, trend: 0.1,
    distribution: { '0.5': 2, '0.9': 2.6, '0.95': 2.8, '0.99': 3 }, model: 'lstm', confidence: 0.9,
  });
  const zones = await call(s, 'GET', '/v1/zones');
  t.same(zones.json.map((z: { name: string }) => z.name), ['gold', 'silver', 'bronze', 'general']);
  t.same((await call(s, 'GET', '/v1/vms')).json, [{ name: 'db-1', zone: 'gold' }]);
  const fc = await call(s, 'GET', '/v1/forecasts/gold');
  t.equal(fc.json.series, 'class:gold', 'a bare class name means class:<name>');
  t.equal(fc.json.predictions[0].peakLoad, 3);
  t.equal((await call(s, 'GET', '/v1/forecasts/class:gold')).status, 200);
  t.same((await call(s, 'GET', '/v1/plan')).json.zones.length, 4);
  t.same((await call(s, 'POST', '/v1/repartition', { body: { apply: false } })).json, { dryRun: true, applied: false, zones: 4 });
  t.same((await call(s, 'POST', '/v1/repartition')).json.dryRun, true, 'no body: a dry run (apply defaults to false)');
  t.same((await call(s, 'POST', '/v1/repartition', { body: { apply: true } })).json, { dryRun: false, applied: true, zones: 4 }, 'apply: true carries it out');

  let health = await call(s, 'GET', '/healthz');
  t.equal(health.status, 503, 'no libvirt connection: failing');
  t.match(health.json, { status: 'failing', checks: { libvirt: { ok: false }, store: { ok: true }, model: { ok: false } } });
  t.same((await call(s, 'POST', '/v1/train', { body: { series: ['class:gold'] } })).json, { trained: ['class:gold'] });
  h.clock.now += 3600_000;
  health = await call(s, 'GET', '/healthz');
  t.match(health.json.checks.model, { ok: true, detail: /3600 s old/ });

  await call(s, 'POST', '/v1/placements', { body: { ...body, priority: 'gold' }, key: 'metrics-0001' });
  await call(s, 'POST', '/v1/placements', { body: { ...body, priority: 'gold', vcpus: 100 }, key: 'metrics-0002' });
  const metrics = await call(s, 'GET', '/metrics');
  t.match(String(metrics.headers['content-type']), /^text\/plain/);
  t.match(metrics.text, /virtzone_http_requests_total\{method="POST",route="\/v1\/placements",status="201"\} 1/);
  t.match(metrics.text, /virtzone_http_request_duration_seconds_count\{method="GET",route="\/v1\/zones"\} 1/);
  t.match(metrics.text, /virtzone_placement_decisions_total\{zone="gold",outcome="placed"\} 1/);
  t.match(metrics.text, /virtzone_placement_decisions_total\{zone="gold",outcome="rejected"\} 1/);
  t.match(metrics.text, /virtzone_zone_cpu_cores\{zone="gold",kind="allocation"\} 8\n/);
  t.match(metrics.text, /virtzone_zone_memory_bytes\{zone="gold",kind="reserved"\} 2147483648\n/, '2048 MiB, in bytes');
  t.match(metrics.text, /virtzone_reservations_active\{zone="gold"\} 1\n/);
  t.match(metrics.text, /virtzone_zone_vms\{zone="gold"\} 1/);

  const doc = (await call(s, 'GET', '/v1/openapi.json')).json;
  t.equal(doc.openapi, '3.1.0');
  const post = doc.paths['/v1/placements'].post;
  t.same(post.requestBody.content['application/json'].schema.required, ['tenant', 'app', 'vcpus', 'memoryMiB']);
  t.equal(post.requestBody.content['application/json'].schema.additionalProperties, false);
  t.match(post.parameters, [{ name: 'Idempotency-Key', in: 'header', required: true }]);
  t.ok(post.responses['201'] && post.responses['429'] && post.responses['4xx']);
  t.equal(post.responses['4xx'].content['application/problem+json'].schema.$ref, '#/components/schemas/Problem');
  t.ok(doc.components.schemas.Problem);
  t.match(doc.paths['/v1/placements/{id}'].get.parameters, [{ name: 'id', in: 'path', required: true }]);
  for (const p of ['/v1/zones', '/v1/zones/{zone}', '/v1/vms', '/v1/forecasts/{series}', '/v1/plan', '/v1/repartition', '/v1/train', '/healthz', '/metrics']) {
    t.ok(doc.paths[p], `documents ${p}`);
  }
  await h.close();
  closeAgents();
});
