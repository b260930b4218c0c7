// The optional metrics listener (metrics.listen): GET /metrics without a token and
// nothing else — every other path 404, other methods 405 — and off unless configured.
import { createServer } from 'node:net';
import t from 'tap';
import { ConfigError, validateConfig } from '../../core/config/load.js';
import { ListenError } from '../../router/listen.js';
import { removeDir, startHarness } from './helpers.js';
import { families, httpGet, startMetricsDaemon } from './metrics-daemon.js';

t.test('serves /metrics without a token, and nothing else', async (t) => {
  const h = await startHarness();
  t.teardown(async () => {
    await h.close();
    removeDir(h.dir);
  });
  const metrics = h.server.context.metrics;
  const listener = await metrics.listen('127.0.0.1:0', h.config.api);
  t.equal(listener.address.host, '127.0.0.1');
  t.ok(listener.address.port > 0, 'port 0: the kernel chose one');

  const page = await httpGet(listener.address, '/metrics');
  t.equal(page.status, 200, 'no Authorization header needed');
  t.match(String(page.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  t.match(page.text, /^virtzone_zone_cpu_cores\{zone="gold",kind="allocation"\} 8$/m, 'zones refreshed at scrape time');
  h.zones[0].allocation = { cpuCores: 3, memoryMiB: 1024 };
  t.match((await httpGet(listener.address, '/metrics')).text, /^virtzone_zone_cpu_cores\{zone="gold",kind="allocation"\} 3$/m, 'and again at the next scrape');
  t.equal((await httpGet(listener.address, '/metrics?debug=1')).status, 200, 'a query string is ignored');
  t.equal((await httpGet(listener.address, '/metrics', 'HEAD')).status, 200);

  for (const path of ['/', '/healthz', '/v1/zones', '/v1/openapi.json', '/metrics/', '/metrics/x', '/metricsx']) {
    const r = await httpGet(listener.address, path);
    t.equal(r.status, 404, `${path}: 404`);
    t.notMatch(r.text, /virtzone_/, `${path}: no metrics in the answer`);
  }
  const post = await httpGet(listener.address, '/metrics', 'POST');
  t.equal(post.status, 405);
  t.equal(post.headers.allow, 'GET, HEAD');
  t.equal((await httpGet(listener.address, '/v1/placements', 'POST')).status, 404, 'the API is not reachable through it');

  await listener.close();
  await t.rejects(httpGet(listener.address, '/metrics'), { code: 'ECONNREFUSED' }, 'closed: nothing listens');
});

t.test('a listen address that cannot be used is an error naming metrics.listen', async (t) => {
  const h = await startHarness();
  t.teardown(async () => {
    await h.close();
    removeDir(h.dir);
  });
  const metrics = h.server.context.metrics;
  await t.rejects(metrics.listen('nonsense', h.config.api), new ListenError('metrics.listen "nonsense": expected HOST:PORT'));
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => taken.close(() => r())));
  const port = (taken.address() as { port: number }).port;
  await t.rejects(metrics.listen(`127.0.0.1:${port}`, h.config.api), { code: 'EADDRINUSE' });
  // an IPv6 address in brackets is accepted by the parser
  const v6 = await metrics.listen('[::1]:0', h.config.api).catch((err: NodeJS.ErrnoException) => err);
  if (v6 instanceof Error) t.equal(v6.code, 'EADDRNOTAVAIL', 'only where the host has no IPv6 loopback');
  else {
    t.equal(v6.address.host, '::1');
    t.equal((await httpGet(v6.address, '/metrics')).status, 200);
    await v6.close();
  }
});

t.test('the config key: off by default, HOST:PORT when set', async (t) => {
  t.equal(validateConfig({}, 'test').metrics.listen, undefined, 'no listener unless configured');
  t.equal(validateConfig({ metrics: { listen: '0.0.0.0:9469' } }, 'test').metrics.listen, '0.0.0.0:9469', 'any address: a central Prometheus scrapes it');
  t.throws(() => validateConfig({ metrics: { listen: '9469' } }, 'test'), ConfigError);
  t.throws(() => validateConfig({ metrics: { port: 9469 } }, 'test'), ConfigError, 'no other key');
});

t.test('a daemon without metrics.listen opens no metrics listener', async (t) => {
  const d = await startMetricsDaemon(t);
  t.equal(d.metricsAddress, null);
  t.notOk(d.lines.some((l) => l.msg === 'metrics listening'), 'no metrics listener logged');
  // /metrics stays on the API
  t.ok(families(await d.scrapeApi()).has('virtzone_libvirt_up'));
});
