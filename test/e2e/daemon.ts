// virtzoned for end-to-end tests: the real daemon as a child process (node + tsx over the
// sources, so a test never runs a stale build), with a config written to a temp file,
// its pino log lines kept for checks, and HTTP over its Unix socket.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, writeFileSync, type WriteStream } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './libvirtd.js';
import { waitFor } from './guest.js';

export interface LogLine {
  /** pino's level label ('info', 'warn', ...) */
  level: string;
  /** unix ms (the daemon logs ISO times; converted here) */
  time: number;
  msg: string;
  [k: string]: unknown;
}

export interface ApiAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** One HTTP request to the daemon's Unix socket; JSON in and out. Rejects only when the socket does not answer. */
export function api(socket: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs = 60_000): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath: socket,
        method,
        path,
        headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}), ...headers },
        timeout: timeoutMs,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            /* not JSON (e.g. /metrics) */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

export interface VirtzonedOptions {
  /** working directory of this daemon: config, log file */
  dir: string;
  /** the configuration (written as JSON, which is YAML) */
  config: Record<string, unknown>;
  /** name of the log file in dir; default virtzoned.log (appended: a restarted daemon adds to it) */
  logName?: string;
  /** extra environment, e.g. VIRTZONE_FAILPOINTS to freeze it at a step (core/failpoint.ts) */
  env?: Record<string, string>;
}

export class Virtzoned {
  readonly lines: LogLine[] = [];
  readonly socket: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly log: WriteStream;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  private constructor(
    readonly child: ChildProcess,
    readonly configFile: string,
    socket: string,
    logFile: string,
  ) {
    this.socket = socket;
    this.log = createWriteStream(logFile, { flags: 'a' });
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.log.write(line + '\n');
      try {
        const l = JSON.parse(line) as LogLine & { time: string | number };
        this.lines.push({ ...l, time: typeof l.time === 'string' ? Date.parse(l.time) : l.time });
      } catch {
        this.lines.push({ level: 'info', time: Date.now(), msg: line });
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.log.write(`stderr: ${line}\n`);
      this.lines.push({ level: 'error', time: Date.now(), msg: `stderr: ${line}` });
    });
  }

  /** Starts virtzoned with `config` and waits until its API answers. */
  static async start(o: VirtzonedOptions, timeoutMs = 60_000): Promise<Virtzoned> {
    const configFile = join(o.dir, 'virtzoned.yaml');
    writeFileSync(configFile, JSON.stringify(o.config, null, 2));
    const socket = (o.config.api as { socket: string }).socket;
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'daemon', 'bin', 'virtzoned.ts'), '--config', configFile], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NOTIFY_SOCKET: '', ...(o.env ?? {}) },
    });
    const d = new Virtzoned(child, configFile, socket, join(o.dir, o.logName ?? 'virtzoned.log'));
    try {
      await waitFor(
        'virtzoned to answer on its socket',
        async () => {
          if (d.exit) throw new Error(`virtzoned exited (${JSON.stringify(d.exit)}): ${d.tail(10)}`);
          return (await api(socket, 'GET', '/healthz', undefined, {}, 2000)).status > 0;
        },
        timeoutMs,
        200,
      );
    } catch (e) {
      d.child.kill('SIGKILL');
      throw e;
    }
    return d;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exit === null;
  }

  api(method: string, path: string, body?: unknown, headers?: Record<string, string>, timeoutMs?: number): Promise<ApiAnswer> {
    return api(this.socket, method, path, body, headers, timeoutMs);
  }

  /** The last n log lines, as text (for failure messages). */
  tail(n = 20): string {
    return this.lines
      .slice(-n)
      .map((l) => `${l.msg} ${JSON.stringify(Object.fromEntries(Object.entries(l).filter(([k]) => !['level', 'time', 'pid', 'hostname', 'msg'].includes(k))))}`)
      .join('\n');
  }

  /** Log lines whose message matches. */
  find(msg: RegExp, since = 0): LogLine[] {
    return this.lines.filter((l) => l.time >= since && msg.test(l.msg));
  }

  waitForLog(what: string, msg: RegExp, since = 0, timeoutMs = 30_000): Promise<LogLine> {
    return waitFor(what, () => this.find(msg, since)[0], timeoutMs, 100);
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. */
  async stop(graceMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.exit) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    await this.closeLog();
    return this.exit!;
  }

  /** kill -9: no shutdown code runs. */
  async kill9(): Promise<void> {
    if (!this.exit) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    await this.closeLog();
  }

  private closeLog(): Promise<void> {
    if (this.log.writableEnded) return Promise.resolve();
    return new Promise<void>((resolve) => this.log.end(resolve));
  }
}

/**
 * A config for an e2e daemon: qemu:///system, everything under `dir`, fast ticks, and
 * sizes that fit this small host (2 cores, TCG guests of 256 MiB). `over` replaces whole
 * sections.
 */
export function e2eConfig(dir: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    // the e2e exercises what the daemon does to real guests: enforce (the default is observe)
    mode: 'enforce',
    libvirt: { uri: 'qemu:///system', keepaliveIntervalSeconds: 2, keepaliveCount: 2, reconnectInitialMs: 200, reconnectMaxMs: 2000 },
    store: { path: join(dir, 'virtzone.db') },
    collect: { intervalSeconds: 2 },
    // gold: a wide buffer, so a VM busy at even 0.15 cores (a TCG vCPU on a loaded host)
    // is planned more than one vCPU; floors keep the idle zones from being squeezed to
    // the few hundredths of a core their idle guests use
    classes: [
      { name: 'gold', buffer: 3, floor: { cpuCores: 4, memoryMiB: 1024 } },
      { name: 'silver', buffer: 0.2, floor: { cpuCores: 2, memoryMiB: 1024 } },
    ],
    rules: [{ app: 'e2e-web', class: 'silver' }],
    // all of the host: 2 cores x 4 shared by the zones (guests are mostly idle)
    host: { reserve: { cpuCores: 0, memoryMiB: 2048 }, cpuOvercommit: 4 },
    partitioner: { vmMemoryFloorMiB: 160, memoryMarginMiB: 48, memoryMarginFraction: 0.1 },
    // TCG guests are slow to ack a balloon move on 2 shared cores
    apply: { maxStepFraction: 0.25, minChangeMemoryMiB: 16, verifyTimeoutMs: 20_000 },
    autoscaler: { intervalSeconds: 2, highWater: 0.6, lowWater: 0.4, sustainTicks: 2, cooldownSeconds: 6, growCooldownSeconds: 6 },
    zones: { manageCgroups: true, cgroupRoot: '/sys/fs/cgroup', layout: 'cgroupfs', vmOverheadMiB: 256 },
    forecast: { refreshMinutes: 60 },
    api: { socket: join(dir, 'virtzoned.sock') },
    log: { level: 'info' },
    ...over,
  };
}
