// A real virtzoned process over libvirt's test driver, for the metrics tests: started
// with the given extra config, its JSON log lines collected, and a scrape of /metrics on
// the API socket and (when metrics.listen is set) on the metrics listener.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startDaemon } from '../cli/harness.js';
import { call, closeAgents } from './helpers.js';

export { ROOT };

export interface MetricsDaemon {
  dir: string;
  socket: string;
  /** the metrics listener's address, when metrics.listen is set */
  metricsAddress: { host: string; port: number } | null;
  /** the daemon's JSON log lines so far */
  lines: any[];
  waitFor(what: string, pred: (line: any) => boolean, ms?: number): Promise<any>;
  /** GET /metrics over the API socket */
  scrapeApi(): Promise<string>;
}

/** The real daemon of the CLI tests (test/cli/harness.ts), with `extra` config keys; training only when asked. */
export async function startMetricsDaemon(t: { teardown(fn: () => unknown): void }, extra: Record<string, unknown> = {}): Promise<MetricsDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'vz-metrics-'));
  const daemon = await startDaemon({ dir, config: { forecast: { schedule: '0 3 1 1 *' }, ...extra } });
  t.teardown(async () => {
    await daemon.stop();
    closeAgents();
    rmSync(dir, { recursive: true, force: true });
  });
  const waitFor = async (what: string, pred: (l: any) => boolean, ms = 60_000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const hit = daemon.logs().find(pred);
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  // the socket answers before the metrics listener is up: the last line of start-up says it is
  await waitFor('serving', (l) => l.msg === 'virtzoned serving');
  const listening = daemon.logs().find((l) => l.msg === 'metrics listening');
  return {
    dir,
    socket: daemon.socket,
    metricsAddress: listening?.metrics ?? null,
    get lines() {
      return daemon.logs();
    },
    waitFor,
    async scrapeApi() {
      const r = await call({ socket: daemon.socket }, 'GET', '/metrics');
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
