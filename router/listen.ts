// Where the API listens: the Unix socket (mode and group from config; a stale socket
// file is removed, a live one means another daemon and we refuse) and, optionally, a
// loopback TCP port that requires the bearer token.
import { chmodSync, chownSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { idOf } from './access/peers.js';

export class ListenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenError';
  }
}

/** Resolves a group name (or a numeric gid) through /etc/group. */
export function resolveGid(group: string): number {
  const gid = idOf('/etc/group', group);
  if (gid === null) throw new ListenError(`api.socketGroup: no group named ${JSON.stringify(group)} in /etc/group`);
  return gid;
}

/** true when something accepts connections on the socket path. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(false);
      else reject(new ListenError(`api.socket ${path}: cannot tell whether another daemon uses it (${err.code ?? err.message}); refusing to start`));
    });
  });
}

/**
 * Makes the socket path usable: creates its directory, removes a stale socket left by
 * a crashed daemon, and refuses when the path is not a socket (never deletes a regular
 * file or follows a symlink) or when another daemon answers on it.
 */
export async function prepareSocketPath(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!st.isSocket()) throw new ListenError(`api.socket ${path} exists and is not a socket; refusing to remove it`);
  if (await answers(path)) throw new ListenError(`api.socket ${path}: another virtzoned is answering on it; refusing to start`);
  unlinkSync(path);
}

/** After listen: the configured mode and group (gid resolved beforehand with resolveGid). */
export function secureSocket(path: string, mode: string, gid: number | undefined): void {
  if (gid !== undefined) chownSync(path, -1, gid);
  chmodSync(path, parseInt(mode, 8));
}

/** Removes our socket file on shutdown (only if it is still a socket). */
export function removeSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    /* already gone */
  }
}

/** 'host:port' or '[ipv6]:port' -> listen options; `key` names the config key in errors. */
function parseListen(listen: string, key: string): { host: string; port: number } {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(listen);
  if (!m) throw new ListenError(`${key} ${JSON.stringify(listen)}: expected HOST:PORT`);
  const port = Number(m[2]);
  if (port > 65535) throw new ListenError(`${key} ${JSON.stringify(listen)}: port out of range`);
  return { host: m[1].startsWith('[') ? m[1].slice(1, -1) : m[1], port };
}

/** How long a client may take and how many may be connected, per listener (config api.*). */
export interface ConnectionLimits {
  headersTimeoutSeconds: number;
  requestTimeoutSeconds: number;
  keepAliveTimeoutSeconds: number;
  maxConnections: number;
}

/**
 * An HTTP server with the limits set: a client trickling its headers (slowloris) is cut
 * off after headersTimeoutSeconds — checked every second, not Node's default 30 s — and
 * connections beyond maxConnections are refused at accept.
 */
export function createLimitedServer(handler: (req: any, res: any) => void, limits: ConnectionLimits): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutSeconds * 1000,
      requestTimeout: limits.requestTimeoutSeconds * 1000,
      keepAliveTimeout: limits.keepAliveTimeoutSeconds * 1000,
      connectionsCheckingInterval: 1000,
    },
    handler,
  );
  server.maxConnections = limits.maxConnections;
  return server;
}

/** A second HTTP server running the same fastify handler, with the same limits; its sockets are marked as TCP. */
export function createTcpServer(handler: (req: any, res: any) => void, tcpSockets: WeakSet<object>, limits: ConnectionLimits): Server {
  const server = createLimitedServer(handler, limits);
  server.on('connection', (socket) => tcpSockets.add(socket));
  return server;
}

export function listenTcp(server: Server, listen: string, key = 'api.listen'): Promise<{ host: string; port: number }> {
  const { host, port } = parseListen(listen, key);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve({ host, port: typeof addr === 'object' && addr ? addr.port : port });
    });
  });
}
