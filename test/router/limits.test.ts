// Limits a hostile or broken client meets: bodies nested 100 or 100,000 levels deep are a
// 400 (one pass, constant stack, never a 500); a client trickling its headers byte by byte
// is cut off at api.headersTimeoutSeconds while others are answered; connections past
// api.maxConnections are refused; ttlSeconds above api.maxTtlSeconds is a 422.
import { connect } from 'node:net';
import t from 'tap';
import { call, closeAgents, removeDir, startHarness } from './helpers.js';

const ok = { tenant: 'acme', app: 'web', vcpus: 1, memoryMiB: 256 };

t.test('deep nesting is a 400 naming the body', async (t) => {
  const h = await startHarness({});
  t.teardown(async () => {
    await h.close();
    removeDir(h.dir);
    closeAgents();
  });
  const s = { socket: h.socket };
  for (const levels of [100, 100_000]) {
    for (const [open, close] of [['[', ']'], ['{"a":', '}']]) {
      const raw = `{"tenant":"acme","app":"web","vcpus":1,"memoryMiB":256,"x":${open.repeat(levels)}1${close.repeat(levels)}}`;
      const r = await call(s, 'POST', '/v1/placements', { raw, headers: { 'content-type': 'application/json' }, key: `nest-key-${levels}-${open.length}` });
      const tooLarge = raw.length > h.config.api.bodyLimitBytes;
      t.equal(r.status, tooLarge ? 413 : 400, `${levels} levels of ${open} (${raw.length} bytes): ${r.status}`);
      if (!tooLarge) t.match(r.json, { field: '(body)', detail: /nests deeper than 32 levels/ });
    }
  }
  // brackets inside strings are text, not nesting
  const text = await call(s, 'POST', '/v1/placements', { body: { ...ok, name: 'a'.repeat(10) }, key: 'nest-key-text-1' });
  t.equal(text.status, 201);
  const bracketsInString = await call(s, 'POST', '/v1/placements', { raw: JSON.stringify({ ...ok, tenant: '[[[[' }), headers: { 'content-type': 'application/json' }, key: 'nest-key-text-2' });
  t.equal(bracketsInString.status, 400, 'an invalid tenant, not a nesting error');
  t.equal(bracketsInString.json.field, 'tenant');
  // the daemon answers on
  t.equal((await call(s, 'GET', '/v1/zones')).status, 200);
});

t.test('a slowloris client is cut off at the headers timeout; others are answered meanwhile', async (t) => {
  const h = await startHarness({ config: { api: { headersTimeoutSeconds: 2, maxConnections: 8 } } });
  t.teardown(async () => {
    await h.close();
    removeDir(h.dir);
    closeAgents();
  });
  const started = Date.now();
  const slow = connect(h.socket);
  const closed = new Promise<number>((resolve) => slow.on('close', () => resolve(Date.now() - started)));
  slow.on('error', () => undefined);
  const header = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(200);
  let i = 0;
  const trickle = setInterval(() => {
    if (i < header.length && !slow.destroyed) slow.write(header[i++]);
  }, 50);
  t.teardown(() => clearInterval(trickle));
  // another client is served while the slow one trickles
  await new Promise((r) => setTimeout(r, 500));
  const other = await call({ socket: h.socket }, 'GET', '/v1/zones');
  t.equal(other.status, 200, 'answered meanwhile');
  const after = await closed;
  t.ok(after >= 1900 && after < 5000, `cut off after ${after} ms (headersTimeoutSeconds 2, checked every second)`);
  t.ok(i < header.length, `it had sent ${i} of ${header.length} header bytes`);
});

t.test('connections past maxConnections are refused at accept', async (t) => {
  const h = await startHarness({ config: { api: { maxConnections: 4 } } });
  t.teardown(async () => {
    await h.close();
    removeDir(h.dir);
    closeAgents();
  });
  const held = [];
  for (let i = 0; i < 4; i++) {
    const c = connect(h.socket);
    c.on('error', () => undefined);
    await new Promise((r) => c.once('connect', r));
    held.push(c);
  }
  await new Promise((r) => setTimeout(r, 100));
  const extra = connect(h.socket);
  extra.on('error', () => undefined);
  const closedAt = await new Promise<boolean>((resolve) => {
    extra.on('close', () => resolve(true));
    setTimeout(() => resolve(false), 3000);
  });
  t.ok(closedAt, 'the fifth connection is closed by the server');
  for (const c of held) c.destroy();
});

t.test('ttlSeconds above api.maxTtlSeconds is a 422', async (t) => {
  const h = await startHarness({ config: { api: { maxTtlSeconds: 3600 } } });
  t.teardown(async () => {
    await h.close();
    removeDir(h.dir);
    closeAgents();
  });
  const r = await call({ socket: h.socket }, 'POST', '/v1/placements', { body: { ...ok, ttlSeconds: 3601 }, key: 'ttl-key-00001' });
  t.equal(r.status, 422);
  t.equal(r.json.field, 'ttlSeconds');
  t.match(r.json.detail, /api\.maxTtlSeconds \(3600\)/);
  t.equal((await call({ socket: h.socket }, 'POST', '/v1/placements', { body: { ...ok, ttlSeconds: 3600 }, key: 'ttl-key-00002' })).status, 201);
});
