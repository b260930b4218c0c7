// Test harness for the CLI: runs `virtzone` as a child process (as an operator would) and
// starts a real `virtzoned` on a temp socket with the libvirt test driver.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeTokensFile } from '../fixtures/tokens.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(ROOT, 'cli/virtzone.ts');
export const HOST_XML = join(ROOT, 'test/fixtures/host.xml');
export const TEST_URI = `test://${HOST_XML}`;
export const ADDON = join(ROOT, 'build/Release/virtzone_libvirt.node');
export const TRACES = new URL('../../../shared/traces/bitbrains-rnd', import.meta.url).pathname;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** run through this wrapper (e.g. setpriv ... --) */
  prefix?: string[];
  /**
   * Run the CLI as this user (and its primary group, with no supplementary groups). The
   * process starts as root, loads every module of the CLI, and only then drops to the
   * user, so the clone may live in a directory the user cannot read (a 0700 home or a
   * `mktemp -d`); what the CLI does after start-up runs with the user's rights only.
   */
  asUser?: { user: string; group: string };
  timeoutMs?: number;
}

/** `virtzone ...args` in a child process; resolves with its exit code and output. */
export function virtzone(args: readonly string[], opts: RunOptions = {}): Promise<Run> {
  const entry = opts.asUser ? dropPrivilegesEntry(opts.asUser) : CLI;
  const argv = [...(opts.prefix ?? []), process.execPath, '--import', 'tsx', entry, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', VIRTZONE_SOCKET: undefined, VIRTZONE_URL: undefined, VIRTZONE_TOKEN: undefined, ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * An entry module, in a world-readable temp folder, that loads the whole CLI (cli/main.ts
 * and everything it imports, CommonJS packages included: a static import graph is read
 * and evaluated before the importing module's own code runs), then drops to `user` and
 * only then runs the program. So the CLI's code is read as root and runs as `user`.
 */
function dropPrivilegesEntry({ user, group }: { user: string; group: string }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vz-as-user-'));
  chmodSync(dir, 0o755);
  const entry = join(dir, 'entry.mjs');
  writeFileSync(
    entry,
    [
      `import { main } from ${JSON.stringify(pathToFileURL(join(ROOT, 'cli/main.ts')).href)};`,
      'process.setgroups([]);',
      `process.setgid(${JSON.stringify(group)});`,
      `process.setuid(${JSON.stringify(user)});`,
      'process.exitCode = await main(process.argv);',
      '',
    ].join('\n'),
  );
  return entry;
}

export function json<T = any>(r: Run): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout.slice(0, 400)}\nstderr: ${r.stderr.slice(0, 400)}`);
  }
}

/** A request over a Unix socket (GET unless told): status, or 0 when nothing answers. */
export function probe(socket: string, path: string, o: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve) => {
    const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
    const headers = payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
    const req = request({ socketPath: socket, path, method: o.method ?? 'GET', headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let body: unknown = undefined;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', () => resolve({ status: 0, body: undefined }));
    req.end(payload);
  });
}

const PDEATHSIG = spawnSync('setpriv', ['--pdeathsig', 'SIGTERM', '--', 'true']).status === 0;

export interface Daemon {
  socket: string;
  db: string;
  tcp?: { url: string; tokenFile: string };
  /** JSON log lines so far */
  logs(): Array<Record<string, any>>;
  stop(): Promise<number | null>;
}

export interface DaemonOptions {
  dir: string;
  db?: string;
  /** config keys (YAML is JSON) */
  config?: Record<string, unknown>;
  /** also listen on loopback TCP with a token */
  tcpPort?: number;
  /** libvirt URI; default the test driver over test/fixtures/host.xml */
  uri?: string;
}

/** Starts the real daemon (daemon/bin/virtzoned.ts) and waits until /healthz answers. */
export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  const socket = join(o.dir, 'virtzoned.sock');
  const db = o.db ?? join(o.dir, 'virtzone.db');
  const cfgPath = join(o.dir, 'virtzoned.yaml');
  const config = {
    zones: { manageCgroups: false },
    collect: { intervalSeconds: 1 },
    log: { level: 'info' },
    ...(o.config ?? {}),
  };
  writeFileSync(cfgPath, JSON.stringify(config));
  const args = ['--import', 'tsx', join(ROOT, 'daemon/bin/virtzoned.ts'), '--config', cfgPath, '--connect', o.uri ?? TEST_URI, '--db', db, '--socket', socket];
  let tcp: Daemon['tcp'];
  if (o.tcpPort) {
    // the daemon's tokens file holds the token's digest; the client's file the token itself
    const tokensFile = writeTokensFile(join(o.dir, 'tokens.yaml'), [{ token: 'test-token-0123456789abcdef', role: 'admin', name: 'cli-tests' }]);
    const tokenFile = join(o.dir, 'api-token');
    writeFileSync(tokenFile, 'test-token-0123456789abcdef\n', { mode: 0o600 });
    args.push('--listen', `127.0.0.1:${o.tcpPort}`, '--token-file', tokensFile);
    tcp = { url: `http://127.0.0.1:${o.tcpPort}`, tokenFile };
  }
  // with setpriv, the daemon gets SIGTERM if the test process dies without its teardown
  // (a tap timeout kills it): no daemon is left behind
  const cmd = PDEATHSIG ? ['setpriv', '--pdeathsig', 'SIGTERM', '--', process.execPath, ...args] : [process.execPath, ...args];
  const child: ChildProcess = spawn(cmd[0], cmd.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (true) {
    if (child.exitCode !== null) throw new Error(`virtzoned exited with ${child.exitCode}: ${err}${out.slice(-2000)}`);
    if (existsSync(socket) && (await probe(socket, '/healthz')).status !== 0) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`virtzoned did not answer within 60 s: ${err}${out.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    socket,
    db,
    tcp,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, any>),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Visible width of a line: code points, without ANSI colour sequences. */
export function width(line: string): number {
  return [...line.replace(/\x1b\[[0-9;]*m/g, '')].length;
}

/** A trace folder with only some VMs of the real Bitbrains traces (every month of each). */
export function copyTraces(dir: string, ids: readonly string[]): string {
  for (const month of readdirSync(TRACES)) {
    mkdirSync(join(dir, month), { recursive: true });
    for (const id of ids) {
      const src = join(TRACES, month, `${id}.csv.gz`);
      if (existsSync(src)) cpSync(src, join(dir, month, `${id}.csv.gz`));
    }
  }
  return dir;
}
