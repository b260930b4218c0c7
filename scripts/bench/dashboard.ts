// The web dashboard's cost: first load of the page in headless Chromium (navigation until
// every chart is drawn: the page's 'dashboard-drawn' mark), and the daemon's CPU spent on
// the page's polling at the default interval (10 s): the daemon's CPU time
// (/proc/<pid>/stat utime+stime) over N minutes with the page open, per wall second, minus
// the same over N minutes without it. A real daemon on the libvirt test driver fixture,
// reached through `virtzone dashboard`'s proxy (run in this process, not counted).
// Run: npx tsx scripts/bench/dashboard.ts [--minutes 2] [--loads 5]
// Needs /usr/bin/chromium (Debian package chromium) and playwright-core.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startDashboardProxy } from '../../cli/commands/dashboard.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : def;
};
const minutes = Number(opt('--minutes', '2'));
const loads = Number(opt('--loads', '5'));
const TICKS_PER_SECOND = 100; // USER_HZ

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after the command name, which may hold spaces, in parentheses
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime: fields 14 and 15
}

function healthy(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/healthz', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(true));
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU share of one core the daemon used over `seconds` of wall time. */
async function cpuShare(pid: number, seconds: number): Promise<number> {
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  return (cpuSeconds(pid) - cpu0) / ((performance.now() - t0) / 1000);
}

async function main() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is not installed (Debian package chromium)`);
  const dir = mkdtempSync(join(tmpdir(), 'vz-bench-dashboard-'));
  const socket = join(dir, 'virtzoned.sock');
  const config = join(dir, 'virtzoned.yaml');
  writeFileSync(config, JSON.stringify({ zones: { manageCgroups: false }, log: { level: 'warn' } }));
  const daemon = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'daemon/bin/virtzoned.ts'), '--config', config, '--connect', `test://${join(ROOT, 'test/fixtures/host.xml')}`, '--db', join(dir, 'virtzone.db'), '--socket', socket],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const deadline = Date.now() + 60_000;
    while (!(existsSync(socket) && (await healthy(socket)))) {
      if (daemon.exitCode !== null || Date.now() > deadline) throw new Error('virtzoned did not start');
      await sleep(200);
    }
    const proxy = await startDashboardProxy({ kind: 'socket', path: socket }, 0);

    // first loads: each in a new browser context (no cache, no session storage)
    const times: number[] = [];
    for (let i = 0; i < loads; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const t0 = performance.now();
      await page.goto(proxy.url);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
      const wall = performance.now() - t0;
      const mark = await page.evaluate(() => performance.getEntriesByName('dashboard-drawn')[0]?.startTime ?? null);
      times.push(mark ?? wall);
      await context.close();
    }
    const sorted = [...times].sort((a, b) => a - b);
    console.log(`first load (navigation start to every chart drawn), ${loads} cold loads: first ${times[0].toFixed(0)} ms, median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms, max ${sorted[sorted.length - 1].toFixed(0)} ms (goal < 1000 ms)`);

    const pid = daemon.pid!;
    await sleep(5000); // let the loads' work settle
    const seconds = minutes * 60;
    console.log(`daemon CPU: ${minutes} min without the page, then ${minutes} min with it polling every 10 s…`);
    const baseline = await cpuShare(pid, seconds);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(proxy.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    const polling = await cpuShare(pid, seconds);
    const requests = await page.evaluate(() => performance.getEntriesByType('resource').filter((e) => /\/(v1|metrics)/.test(e.name)).length);
    await context.close();
    await proxy.close();
    console.log(`  baseline ${(baseline * 100).toFixed(3)} % of a core; with the page ${(polling * 100).toFixed(3)} %`);
    console.log(`  the dashboard's polling: ${((polling - baseline) * 100).toFixed(3)} % of a core (goal < 1 %); ${requests} API requests in ${minutes} min`);
  } finally {
    await browser.close();
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench dashboard: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
