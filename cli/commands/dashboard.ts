// virtzone dashboard [--port P] [--open]: serves the web dashboard to a browser on this
// host. A loopback HTTP proxy (127.0.0.1) forwards the page (/dashboard/...) and the read
// API it polls (/v1/..., /metrics, /healthz) to the daemon over the CLI's own connection
// (the Unix socket, or --url with its token), since a browser can neither open a Unix
// socket nor put a bearer header on a page load. Runs until Ctrl-C.
//
// The proxy speaks with the CLI user's credential, so it lends it to no one else: only GET
// passes (the page only reads); API requests need the session token printed in the
// page's address (#token=..., a fragment the browser never sends; the page sends it back as
// a bearer header), and a Host naming this loopback address (no DNS rebinding). The page's
// static files need no token: they hold no data.
import { spawn } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';
import type { Command } from 'commander';
import { addConnectionOptions, DaemonClient, describeTarget, type ConnectionOptions, type Target } from '../client.js';
import { usageError } from '../output.js';

/** What the proxy does with a browser's request. */
export type ProxyDecision = { forward: true } | { forward: false; status: number; detail: string; headers?: Record<string, string> };

/** Paths forwarded: the page's files (public) and the read API it polls (session token). */
const PAGE_PREFIX = '/dashboard/';
const API_PATHS = [/^\/v1\//, /^\/metrics$/, /^\/healthz$/];

/**
 * Whether a request may pass to the daemon (pure: method, path, Host and Authorization
 * against this proxy's port and session token).
 */
export function proxyDecision(req: { method: string; path: string; host: string | undefined; authorization: string | undefined }, own: { port: number; sessionToken: string }): ProxyDecision {
  const hosts = [`127.0.0.1:${own.port}`, `localhost:${own.port}`];
  if (!req.host || !hosts.includes(req.host.toLowerCase())) return { forward: false, status: 403, detail: `Host ${JSON.stringify(req.host ?? '')} is not this proxy (${hosts.join(' or ')})` };
  const pathname = req.path.split('?')[0];
  if (pathname === '/' || pathname === '/dashboard') return { forward: false, status: 302, detail: 'the dashboard is at /dashboard/', headers: { location: '/dashboard/' } };
  const page = pathname.startsWith(PAGE_PREFIX);
  const api = API_PATHS.some((re) => re.test(pathname));
  if (!page && !api) return { forward: false, status: 404, detail: `${pathname}: this proxy serves /dashboard/ and the read API only` };
  if (req.method !== 'GET') return { forward: false, status: 405, detail: `${req.method}: the dashboard only reads (GET)`, headers: { allow: 'GET' } };
  if (api && !sameToken(req.authorization, own.sessionToken)) {
    return { forward: false, status: 401, detail: 'the API needs the session token: open the address `virtzone dashboard` printed (#token=...)', headers: { 'www-authenticate': 'Bearer realm="virtzone dashboard"' } };
  }
  return { forward: true };
}

function sameToken(authorization: string | undefined, token: string): boolean {
  const m = /^Bearer ([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]);
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** Request headers passed on: what a cached, content-negotiated GET needs, nothing that identifies the browser's session. */
const FORWARDED_HEADERS = ['accept', 'accept-encoding', 'accept-language', 'if-none-match', 'if-modified-since', 'user-agent'];
/** Response headers not passed back: the hop's own. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-authenticate', 'upgrade']);

export interface DashboardProxy {
  port: number;
  /** the address to open: the page, with the session token in its fragment */
  url: string;
  close(): Promise<void>;
}

/** Starts the proxy on 127.0.0.1:`port` (0: any free port) in front of `target`. */
export async function startDashboardProxy(target: Target, port: number, sessionToken = randomBytes(24).toString('base64url')): Promise<DashboardProxy> {
  let ownPort = port;
  const server = createServer((req, res) => {
    const decision = proxyDecision({ method: req.method ?? 'GET', path: req.url ?? '/', host: req.headers.host, authorization: req.headers.authorization }, { port: ownPort, sessionToken });
    if (!decision.forward) return refuse(res, decision);
    forward(target, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  ownPort = (server.address() as AddressInfo).port;
  return {
    port: ownPort,
    url: `http://127.0.0.1:${ownPort}/dashboard/#token=${sessionToken}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function refuse(res: ServerResponse, d: Extract<ProxyDecision, { forward: false }>): void {
  const body = JSON.stringify({ type: 'about:blank', title: 'Refused by the dashboard proxy', status: d.status, detail: d.detail });
  res.writeHead(d.status, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body), ...(d.headers ?? {}) });
  res.end(body);
}

function forward(target: Target, req: IncomingMessage, res: ServerResponse): void {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const v = req.headers[name];
    if (typeof v === 'string') headers[name] = v;
  }
  if (target.kind === 'tcp' && target.token) headers.authorization = `Bearer ${target.token}`;
  const upstream = httpRequest(
    {
      method: req.method,
      path: req.url,
      headers,
      ...(target.kind === 'socket' ? { socketPath: target.path } : { host: target.url.hostname.replace(/^\[|\]$/g, ''), port: Number(target.url.port) }),
    },
    (reply) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(reply.headers)) if (v !== undefined && !HOP_HEADERS.has(k)) out[k] = v;
      res.writeHead(reply.statusCode ?? 502, out);
      reply.pipe(res);
    },
  );
  upstream.setTimeout(30_000, () => upstream.destroy(new Error('the daemon did not answer within 30 s')));
  upstream.on('error', (err) => {
    if (res.headersSent) return res.destroy();
    refuse(res, { forward: false, status: 502, detail: `virtzoned at ${describeTarget(target)}: ${err.message}` });
  });
  req.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  upstream.end();
}

/** xdg-open on PATH, if any. */
function findXdgOpen(): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'xdg-open'))) return join(dir, 'xdg-open');
  }
  return null;
}

function parsePort(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw usageError(`--port: ${JSON.stringify(text)} is not a port (0-65535; 0 picks a free one)`);
  return n;
}

export function registerDashboard(program: Command): void {
  const cmd = program
    .command('dashboard')
    .description('serve the web dashboard on a loopback port (a proxy to the daemon) until Ctrl-C')
    .option('--port <port>', 'listen on 127.0.0.1:PORT (default: a free port)')
    .option('--open', 'open the page in a browser (xdg-open)');
  addConnectionOptions(cmd)
    .addHelpText(
      'after',
      `
Prints the page's address: http://127.0.0.1:PORT/dashboard/#token=SESSION. The session
token (new each run) lets that page, and only a page given it, read the API through the
proxy with your credential. Only reads pass (GET). Add ?poll=SECONDS to the address to
poll faster or slower than every 10 s.

Examples:
  virtzone dashboard --open
  virtzone dashboard --port 8760 --url http://127.0.0.1:8750 --token-file ~/.virtzone-token`,
    )
    .action(async (opts: ConnectionOptions & { port?: string; open?: boolean }) => {
      const port = parsePort(opts.port);
      const client = DaemonClient.fromOptions(opts);
      // reachable before anything is promised (a connection failure exits 3 with its reason)
      await client.request('GET', '/healthz');
      const proxy = await startDashboardProxy(client.target, port);
      process.stdout.write(`virtzone dashboard: ${proxy.url}\n(forwarding to virtzoned at ${describeTarget(client.target)}; Ctrl-C to stop)\n`);
      if (opts.open) {
        const opener = findXdgOpen();
        if (opener) spawn(opener, [proxy.url], { detached: true, stdio: 'ignore' }).on('error', () => {}).unref();
        else process.stderr.write('virtzone dashboard: --open: xdg-open is not installed; open the address above yourself\n');
      }
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await proxy.close();
    });
}
