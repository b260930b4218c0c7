// The CLI's HTTP client for virtzoned: over the Unix socket (default, `--socket PATH`,
// env VIRTZONE_SOCKET) or loopback TCP (`--url http://127.0.0.1:PORT` with a bearer
// token from `--token-file FILE` or env VIRTZONE_TOKEN). node:http only.
//
// How failures become exit codes (cli/output.ts):
//   - no daemon (socket missing, connection refused, timeout)        → 3, says how to start it
//   - permission denied on the socket                                → 3, says which group to join
//   - problem+json 4xx (the request was wrong)                       → 2, "<detail> (field: x)"
//   - problem+json 5xx (the daemon failed)                           → 1
import { readFileSync, statSync, type Stats } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { CliError, ExitCode, usageError } from './output.js';

const DEFAULT_SOCKET = '/run/virtzone/virtzoned.sock';
const DEFAULT_TIMEOUT_SECONDS = 30;

export interface ConnectionOptions {
  socket?: string;
  url?: string;
  tokenFile?: string;
  allowRemote?: boolean;
  timeout?: string;
}

export type Target = { kind: 'socket'; path: string } | { kind: 'tcp'; url: URL; token: string | null };

/** Adds --socket, --url, --token-file and --timeout to a subcommand that talks to the daemon. */
export function addConnectionOptions(cmd: Command, defaultTimeoutSeconds = DEFAULT_TIMEOUT_SECONDS): Command {
  return cmd
    .option('--socket <path>', `daemon socket (default: $VIRTZONE_SOCKET, else ${DEFAULT_SOCKET})`)
    .option('--url <url>', 'talk to the daemon over loopback TCP instead, e.g. http://127.0.0.1:8750 (default: $VIRTZONE_URL)')
    .option('--token-file <file>', 'bearer token for --url (default: $VIRTZONE_TOKEN holds the token itself)')
    .option('--allow-remote', 'send the bearer token to a --url that is not loopback (plain HTTP: anyone on the path can read it)')
    .option('--timeout <seconds>', `give up on the daemon after this long (default ${defaultTimeoutSeconds})`);
}

/** Where to connect: --url (or $VIRTZONE_URL) wins over --socket (or $VIRTZONE_SOCKET, or the default). */
export function resolveTarget(opts: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): Target {
  if (opts.url !== undefined && opts.socket !== undefined) throw usageError('--url and --socket: give one of them, not both');
  const rawUrl = opts.url ?? (opts.socket === undefined ? env.VIRTZONE_URL : undefined);
  if (rawUrl !== undefined && rawUrl !== '') {
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      throw usageError(`--url: ${JSON.stringify(rawUrl)} is not a URL: expected http://127.0.0.1:PORT`);
    }
    if (url.protocol !== 'http:' || !url.port) throw usageError(`--url: ${JSON.stringify(rawUrl)}: expected http://HOST:PORT (the daemon's api.listen, loopback only)`);
    const token = readToken(opts.tokenFile, env);
    if (token !== null && !isLoopback(url.hostname) && !opts.allowRemote) {
      throw usageError(`--url: ${url.hostname} is not a loopback address: the bearer token would cross the network in clear text; add --allow-remote to send it anyway`);
    }
    return { kind: 'tcp', url, token };
  }
  if (opts.tokenFile !== undefined) throw usageError('--token-file: only used with --url (the Unix socket is guarded by its file mode)');
  const path = opts.socket ?? (env.VIRTZONE_SOCKET || DEFAULT_SOCKET);
  if (path === '') throw usageError('--socket: empty path');
  return { kind: 'socket', path };
}

/** 127.0.0.0/8, ::1 and localhost: the token never leaves the host. */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

function readToken(file: string | undefined, env: NodeJS.ProcessEnv): string | null {
  if (file === undefined) return env.VIRTZONE_TOKEN?.trim() || null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw usageError(`--token-file: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const token = text.trim();
  if (!token) throw usageError(`--token-file: ${file} is empty`);
  return token;
}

function parseTimeout(value: string | undefined, fallbackSeconds = DEFAULT_TIMEOUT_SECONDS): number {
  if (value === undefined) return fallbackSeconds * 1000;
  const s = Number(value);
  if (!Number.isFinite(s) || s <= 0) throw usageError(`--timeout: ${JSON.stringify(value)} is not a positive number of seconds`);
  return s * 1000;
}

export function describeTarget(t: Target): string {
  return t.kind === 'socket' ? t.path : t.url.origin;
}

export interface Reply<T = unknown> {
  status: number;
  headers: IncomingHttpHeaders;
  body: T;
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  /** overrides the client's timeout (ms); 0 = none */
  timeoutMs?: number;
}

/** Problem details as the daemon sends them (router/problem.ts). */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  field?: string;
  [extension: string]: unknown;
}

export class DaemonClient {
  readonly timeoutMs: number;

  constructor(
    readonly target: Target,
    opts: { timeoutMs?: number } = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_SECONDS * 1000;
  }

  static fromOptions(opts: ConnectionOptions, defaultTimeoutSeconds = DEFAULT_TIMEOUT_SECONDS): DaemonClient {
    return new DaemonClient(resolveTarget(opts), { timeoutMs: parseTimeout(opts.timeout, defaultTimeoutSeconds) });
  }

  /** One request; resolves with whatever status the daemon answered. Connection failures throw CliError (exit 3). */
  request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      payload = Buffer.from(JSON.stringify(opts.body));
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const t = this.target;
    if (t.kind === 'tcp' && t.token) headers.authorization = `Bearer ${t.token}`;
    const query = Object.entries(opts.query ?? {}).filter((e): e is [string, string | number] => e[1] !== undefined);
    const fullPath = query.length ? `${path}?${new URLSearchParams(query.map(([k, v]) => [k, String(v)]))}` : path;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          method,
          path: fullPath,
          headers,
          agent: false,
          ...(t.kind === 'socket' ? { socketPath: t.path } : { host: t.url.hostname.replace(/^\[|\]$/g, ''), port: Number(t.url.port) }),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(connectionError(err as NodeJS.ErrnoException, t)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = undefined;
            if (text) {
              try {
                body = JSON.parse(text);
              } catch {
                const status = res.statusCode ?? 0;
                return reject(new CliError(`the daemon answered ${method} ${path} with ${status} and a body that is not JSON: ${text.slice(0, 120)}`, ExitCode.RUNTIME));
              }
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body as T });
          });
        },
      );
      if (timeoutMs > 0) {
        req.setTimeout(timeoutMs, () => {
          req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }));
        });
      }
      req.on('error', (err: NodeJS.ErrnoException) => reject(connectionError(err, t, timeoutMs)));
      if (payload) req.write(payload);
      req.end();
    });
  }

  /** A request that must succeed (2xx): anything else becomes the problem's CliError. */
  async call<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const reply = await this.request<T>(method, path, opts);
    if (reply.status >= 200 && reply.status < 300) return reply.body;
    throw problemError(reply.status, reply.body);
  }

  get<T = unknown>(path: string, opts: RequestOptions = {}): Promise<T> {
    return this.call<T>('GET', path, opts);
  }

  post<T = unknown>(path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
    return this.call<T>('POST', path, { ...opts, body: body ?? {} });
  }
}

/** "<detail> (field: x)"; exit 2 for a 4xx (the request was wrong), 1 for anything else. */
export function problemError(status: number, body: unknown): CliError {
  const p = (body && typeof body === 'object' ? body : {}) as Partial<Problem>;
  const detail = typeof p.detail === 'string' && p.detail ? p.detail : typeof p.title === 'string' ? p.title : `HTTP ${status}`;
  const field = typeof p.field === 'string' && p.field ? ` (field: ${p.field})` : '';
  let hint = '';
  if (status === 401) hint = ': give the daemon\'s token with --token-file FILE or $VIRTZONE_TOKEN';
  return new CliError(`${detail}${field}${hint}`, status >= 400 && status < 500 ? ExitCode.USAGE : ExitCode.RUNTIME);
}

const START_HINT = 'start it with `systemctl start virtzoned` (or run `virtzoned --config /etc/virtzone/virtzoned.yaml`)';

/** A connection failure as the one line an operator needs (exit 3). */
function connectionError(err: NodeJS.ErrnoException, t: Target, timeoutMs?: number): CliError {
  const code = err.code ?? '';
  if (t.kind === 'socket') {
    const where = t.path;
    const other = '; or point --socket / $VIRTZONE_SOCKET at the socket it listens on';
    switch (code) {
      case 'ENOENT':
        return new CliError(`virtzoned is not running: no socket at ${where}; ${START_HINT}${other}`, ExitCode.UNREACHABLE);
      case 'ECONNREFUSED':
        return new CliError(`virtzoned is not running: nothing answers on ${where} (a socket left behind by a stopped daemon); ${START_HINT}`, ExitCode.UNREACHABLE);
      case 'EACCES':
      case 'EPERM':
        return new CliError(permissionMessage(where), ExitCode.UNREACHABLE);
      case 'ENOTSOCK':
        return new CliError(`${where} is not a socket: is --socket right? (the daemon's is api.socket in its config, default ${DEFAULT_SOCKET})`, ExitCode.UNREACHABLE);
    }
  } else {
    const where = t.url.origin;
    if (code === 'ECONNREFUSED') {
      return new CliError(`virtzoned is not listening on ${where}: ${START_HINT}, with api.listen set to ${t.url.host} in its config`, ExitCode.UNREACHABLE);
    }
  }
  if (code === 'ETIMEDOUT') {
    return new CliError(`virtzoned did not answer on ${describeTarget(t)} within ${Math.round((timeoutMs ?? 0) / 100) / 10} s (is it stuck? see journalctl -u virtzoned; --timeout raises the limit)`, ExitCode.UNREACHABLE);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new CliError(`virtzoned closed the connection on ${describeTarget(t)} (is it restarting? see journalctl -u virtzoned)`, ExitCode.UNREACHABLE);
  }
  return new CliError(`cannot reach virtzoned on ${describeTarget(t)}: ${err.message}`, ExitCode.UNREACHABLE);
}

/** The name of a group id from /etc/group (a numeric string when it has no entry). */
export function groupName(gid: number, etcGroup = '/etc/group'): string {
  let text = '';
  try {
    text = readFileSync(etcGroup, 'utf8');
  } catch {
    return String(gid);
  }
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (id !== undefined && Number(id) === gid && name) return name;
  }
  return String(gid);
}

function modeString(st: Stats): string {
  return (st.mode & 0o7777).toString(8).padStart(4, '0');
}

/**
 * Why the socket (or its directory) refused us and what to do: the group that may use it,
 * read from the file's gid. The directory is checked when the socket itself cannot be stat'ed.
 */
export function permissionMessage(socketPath: string, lookup: (gid: number) => string = (gid) => groupName(gid)): string {
  let path = socketPath;
  let st: Stats | undefined;
  try {
    st = statSync(socketPath);
  } catch {
    // the directory is what denies us (e.g. /run/virtzone is 0750 root:virtzone)
    path = dirname(socketPath);
    try {
      st = statSync(path);
    } catch {
      st = undefined;
    }
  }
  if (!st) return `permission denied on ${socketPath}: run as root, or as a member of the group that owns the socket`;
  const group = lookup(st.gid);
  const where = path === socketPath ? `mode ${modeString(st)}, group ${group}` : `its directory ${path} is mode ${modeString(st)}, group ${group}`;
  if (st.gid === 0) {
    return `permission denied on ${socketPath} (${where}): run as root, or set api.socketGroup in the daemon's config to a group you belong to`;
  }
  return `permission denied on ${socketPath} (${where}): join group ${group} (\`sudo usermod -aG ${group} $USER\`, then log in again or run \`newgrp ${group}\`), or run as root`;
}
