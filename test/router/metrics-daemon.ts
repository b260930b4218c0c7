// A real virtzoned process over libvirt's test driver, for the metrics tests: started
// with the given extra config, its JSON log lines collected, and a scrape of /metrics on
// the API socket and (when metrics.listen is set) on the metrics listener.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, closeAgents } from './helpers.js';

export const ROOT = new URL('../..', import.meta.url).pathname;
const FIXTURE = join(ROOT, 'test/fixtures/host.xml');

export interface MetricsDaemon {
  dir: string;
  socket: string;
  /** the metrics listener's address, when metrics.listen is set */
  metricsAddress: { host: string; port: number } | null;
  lines: any[];
  waitFor(what: string, pred: (line: any) => boolean, ms?: number): Promise<any>;
  /** GET /metrics over the API socket */
  scrapeApi(): Promise<string>;
}

export async function startMetricsDaemon(t: { teardown(fn: () => unknown): void }, extraYaml = ''): Promise<MetricsDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'vz-metrics-'));
  const socket = join(dir, 's.sock');
  const configPath = join(dir, 'virtzoned.yaml');
  writeFileSync(
    configPath,
    `libvirt: { uri: "test://${FIXTURE}" }\nstore: { path: "${dir}/d.db" }\napi: { socket: "${socket}" }\nzones: { manageCgroups: false }\nforecast: { schedule: "0 3 1 1 *" }\ncollect: { intervalSeconds: 1 }\n${extraYaml}`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'daemon/bin/virtzoned.ts'), '--config', configPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: any[] = [];
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(line));
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  t.teardown(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    closeAgents();
    rmSync(dir, { recursive: true, force: true });
  });
  const waitFor = async (what: string, pred: (l: any) => boolean, ms = 60_000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const hit = lines.find(pred);
      if (hit) return hit;
      if (child.exitCode !== null) throw new Error(`virtzoned exited (${child.exitCode}) waiting for ${what}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}; stderr: ${stderr}`);
  };
  await waitFor('serving', (l) => l.msg === 'virtzoned serving');
  const listening = lines.find((l) => l.msg === 'metrics listening');
  return {
    dir,
    socket,
    metricsAddress: listening?.metrics ?? null,
    lines,
    waitFor,
    async scrapeApi() {
      const r = await call({ socket }, 'GET', '/metrics');
      if (r.status !== 200) throw new Error(`GET /metrics on the API: ${r.status} ${r.text}`);
      return r.text;
    },
  };
}

/** One plain HTTP request (no agent, no token) to host:port. */
export function httpGet(address: { host: string; port: number }, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address.host, port: address.port, path, method, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Runs promtool with `input` on stdin; its exit status and output. */
export function promtool(args: string[], input?: string, cwd = ROOT): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { input, cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Metric family names of an exposition text, from its # TYPE lines, with their types. */
export function families(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1], m[2]);
  return out;
}
