// The web dashboard end to end: a real daemon on the libvirt test driver, `virtzone
// dashboard` in front of it, and headless Chromium on the page: it loads with no console
// error and no failed request, names the fixture's zones, and shows a placement made over
// the socket within a poll or two. Also the proxy's refusals, and the proxy over TCP with a
// token. A screenshot of the page goes to docs/dashboard.png.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { CLI, ROOT, startDaemon, type Daemon } from '../cli/harness.js';
import { proxyDecision } from '../../cli/commands/dashboard.js';

const CHROMIUM = '/usr/bin/chromium';
const ZONES = ['gold', 'silver', 'bronze', 'general'];

/** `virtzone dashboard ...args` running; resolves once it printed its address. */
async function startProxy(args: string[]): Promise<{ url: URL; child: ChildProcess; stop(): Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'dashboard', '--port', '0', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', VIRTZONE_SOCKET: undefined, VIRTZONE_URL: undefined, VIRTZONE_TOKEN: undefined } });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no address within 60 s: ${out}${err}`)), 60_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /virtzone dashboard: (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(new URL(m[1]));
      }
    });
    child.on('exit', (code) => reject(new Error(`virtzone dashboard exited ${code}: ${out}${err}`)));
  });
  return {
    url,
    child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}

/** One HTTP request: status, headers and text. */
function http(o: { port?: number; socketPath?: string; path: string; method?: string; headers?: Record<string, string>; body?: unknown }): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
    const headers = { ...(o.headers ?? {}), ...(payload ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}) };
    const req = request({ host: '127.0.0.1', port: o.port, socketPath: o.socketPath, path: o.path, method: o.method ?? 'GET', headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

t.test('the proxy lets through only GETs of the page and the read API, the API with the session token', async (t) => {
  const own = { port: 8760, sessionToken: 'session-0123456789' };
  const ok = { method: 'GET', host: '127.0.0.1:8760', authorization: 'Bearer session-0123456789' };
  t.same(proxyDecision({ ...ok, path: '/v1/zones' }, own), { forward: true });
  t.same(proxyDecision({ ...ok, path: '/dashboard/app.js', authorization: undefined }, own), { forward: true }, 'the static files need no token');
  t.same(proxyDecision({ ...ok, path: '/v1/zones', host: 'localhost:8760' }, own), { forward: true });
  t.match(proxyDecision({ ...ok, path: '/v1/zones', authorization: undefined }, own), { forward: false, status: 401 });
  t.match(proxyDecision({ ...ok, path: '/metrics', authorization: 'Bearer session-0123456780' }, own), { forward: false, status: 401 }, 'a wrong token');
  t.match(proxyDecision({ ...ok, path: '/v1/placements', method: 'POST' }, own), { forward: false, status: 405 }, 'no writes, even with the token');
  t.match(proxyDecision({ ...ok, path: '/v1/zones', host: 'evil.example:8760' }, own), { forward: false, status: 403 }, 'another Host (DNS rebinding)');
  t.match(proxyDecision({ ...ok, path: '/etc/passwd' }, own), { forward: false, status: 404 });
  t.match(proxyDecision({ ...ok, path: '/' }, own), { forward: false, status: 302, headers: { location: '/dashboard/' } });
});

t.test('the page in headless Chromium: zones by name, and a placement shows within a poll or two', { skip: !existsSync(CHROMIUM) && `${CHROMIUM} is not installed (Debian package chromium; scripts/setup.sh installs it)` }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-dashboard-'));
  let daemon: Daemon | undefined;
  let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.teardown(async () => {
    await browser.close();
    await proxy?.stop();
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  daemon = await startDaemon({ dir });
  proxy = await startProxy(['--socket', daemon.socket]);
  const port = Number(proxy.url.port);

  // the proxy as a client other than the page meets it
  t.equal((await http({ port, path: '/v1/zones' })).status, 401, 'the API without the session token: 401');
  t.equal((await http({ port, path: '/dashboard/' })).status, 200, 'the page itself: no token needed');
  const token = new URLSearchParams(proxy.url.hash.slice(1)).get('token')!;
  t.equal((await http({ port, path: '/v1/zones', headers: { authorization: `Bearer ${token}` } })).status, 200, 'with it: 200');
  t.equal((await http({ port, path: '/v1/placements', method: 'POST', headers: { authorization: `Bearer ${token}` }, body: {} })).status, 405, 'a write: 405');

  const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });

  const address = new URL(proxy.url);
  address.searchParams.set('poll', '1');
  await page.goto(address.href);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
  t.equal(new URL(page.url()).hash, '', 'the token is taken out of the address bar');
  const names = await page.$$eval('#zones tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.zone));
  t.same(names, ZONES, 'the zones table names the fixture zones, highest priority first');
  const charts = await page.$$eval('#zone-charts [data-chart]', (els) => els.map((e) => ({ key: (e as HTMLElement).dataset.chart, canvas: !!e.querySelector('canvas') })));
  t.same(charts, ZONES.map((z) => ({ key: `zone:${z}`, canvas: true })), 'a chart is drawn for each zone');
  t.match(await page.textContent('#forecast-charts'), /gold: no forecast yet — history: 0 of 7 days/, 'classes without a model say what they lack');
  await page.waitForFunction(() => /set-mode/.test(document.querySelector('#audit')?.textContent ?? ''), undefined, { timeout: 5000 });
  t.match(await page.textContent('#audit'), /set-mode/, 'the audit trail shows the first start');
  const silverReservations = () => page.textContent('#zones tr[data-zone="silver"] td.reservations');
  t.equal(await silverReservations(), '0');

  const placed = await http({
    socketPath: daemon.socket,
    path: '/v1/placements',
    method: 'POST',
    headers: { 'idempotency-key': 'dashboard-test-0001' },
    body: { tenant: 'acme', app: 'web', priority: 'silver', vcpus: 1, memoryMiB: 256 },
  });
  t.equal(placed.status, 201, placed.text);
  const start = Date.now();
  await page.waitForFunction(() => document.querySelector('#zones tr[data-zone="silver"] td.reservations')?.textContent === '1', undefined, { timeout: 5000, polling: 100 });
  t.ok(Date.now() - start < 5000, `the reservation showed after ${Date.now() - start} ms (poll every 1 s)`);
  await page.waitForFunction(() => /silver/.test(document.querySelector('#recent')?.textContent ?? ''), undefined, { timeout: 5000, polling: 100 });
  t.match(await page.textContent('#decisions'), /silver/, 'the decision is counted');
  t.match(await page.textContent('#recent'), /×1 in silver/, 'and listed as recent');

  mkdirSync(join(ROOT, 'docs'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'docs/dashboard.png'), fullPage: true });
  t.same(problems, [], 'no console error, no failed request');
});

t.test('over TCP with a token: the proxy sends the bearer; the daemon itself wants one for the page too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-dashboard-tcp-'));
  let daemon: Daemon | undefined;
  let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;
  t.teardown(async () => {
    await proxy?.stop();
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const tcpPort = 20000 + Math.floor(Math.random() * 20000);
  daemon = await startDaemon({ dir, tcpPort });
  t.equal((await http({ port: tcpPort, path: '/dashboard/' })).status, 401, 'the daemon on TCP: the page needs a bearer like every route');
  const direct = await http({ port: tcpPort, path: '/dashboard/', headers: { authorization: 'Bearer test-token-0123456789abcdef' } });
  t.equal(direct.status, 200);
  t.match(direct.headers['content-security-policy'], /script-src 'self'/);
  t.match(direct.text, /<script type="module" src="app.js">/);
  proxy = await startProxy(['--url', daemon.tcp!.url, '--token-file', daemon.tcp!.tokenFile]);
  const port = Number(proxy.url.port);
  const token = new URLSearchParams(proxy.url.hash.slice(1)).get('token')!;
  const zones = await http({ port, path: '/v1/zones', headers: { authorization: `Bearer ${token}` } });
  t.equal(zones.status, 200, zones.text);
  t.same(JSON.parse(zones.text).map((z: { name: string }) => z.name), ZONES, "through the proxy with the daemon's token");
  const js = await http({ port, path: '/dashboard/app.js' });
  t.equal(js.status, 200);
  t.match(js.headers['content-type'], /text\/javascript/);
  t.equal((await http({ port, path: '/dashboard/app.js', headers: { 'if-none-match': String(js.headers.etag) } })).status, 304, 'revalidated, not sent again');
  t.equal(await proxy.stop(), 0, 'Ctrl-C ends it with 0');
});
