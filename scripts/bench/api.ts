// Placement throughput of the HTTP API: autocannon POSTs /v1/placements over
// the Unix socket, each request with its own Idempotency-Key, so every one is a new
// durable reservation in SQLite. Server in a child process (scripts/bench/api-server.ts).
// Run: npx tsx scripts/bench/api.ts [--duration 10] [--connections 8] [--as provision] [--record]
// --as provision: over loopback TCP with a provisioning token (tenant and class checked,
// tenant quota and per-credential rate limit on); default: root on the Unix socket.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { recordBenchmark } from './record.js';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : def;
};
const duration = Number(opt('--duration', '10'));
const connections = Number(opt('--connections', '8'));
const record = args.includes('--record');
const asProvision = opt('--as', 'root') === 'provision';

const loadBefore = loadavg()[0];

/** Busy CPU seconds of the whole machine so far (/proc/stat: all but idle and iowait). */
function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user + nice + system + irq + softirq + steal) / 100; // USER_HZ = 100
}
const serverScript = fileURLToPath(new URL('./api-server.ts', import.meta.url));
// --profile DIR: write a V8 CPU profile of the server process there
const profile = args.includes('--profile') ? ['--cpu-prof', '--cpu-prof-dir', opt('--profile', '.')] : [];
const child = spawn(process.execPath, [...profile, '--import', 'tsx', serverScript, ...(asProvision ? ['--as', 'provision'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
const lines: string[] = [];
const waitFor = (prefix: string) =>
  new Promise<string>((resolve, reject) => {
    const check = () => {
      const line = lines.find((l) => l.startsWith(prefix));
      if (line) resolve(line);
    };
    child.stdout.on('data', (d: Buffer) => {
      lines.push(...d.toString().split('\n').filter(Boolean));
      check();
    });
    child.once('exit', (code) => reject(new Error(`bench server exited (${code})`)));
    check();
  });
const [socket, tcpAddress, token] = (await waitFor('ready ')).slice('ready '.length).split(' ');

let seq = 0;
const busyBefore = machineBusySeconds();
const ownBefore = process.cpuUsage();
const body = JSON.stringify({ tenant: 'bench', app: 'web', priority: 'gold', vcpus: 1, memoryMiB: 512, ttlSeconds: 3600 });
const target = asProvision ? { url: `http://${tcpAddress}` } : { url: 'http://localhost', socketPath: socket };
const result = await autocannon({
  ...target,
  connections,
  duration,
  requests: [
    {
      method: 'POST',
      path: '/v1/placements',
      headers: { 'content-type': 'application/json', ...(asProvision ? { authorization: `Bearer ${token}` } : {}) },
      body,
      setupRequest: (req: any) => {
        req.headers = { ...req.headers, 'idempotency-key': `bench-${process.pid}-${++seq}` };
        return req;
      },
    },
  ],
});
const busyDuring = machineBusySeconds() - busyBefore;
const own = process.cpuUsage(ownBefore);
const done = waitFor('reservations ');
child.kill('SIGTERM');
const [, storedText, cpuText] = (await done).split(' ');
const stored = Number(storedText);
const serverCpuMicrosPerPlacement = Number(cpuText);
// CPU the other jobs on the machine took during the run, in cores (2 = both cores busy)
const serverSeconds = (serverCpuMicrosPerPlacement * stored) / 1e6;
const otherCores = Math.max(0, (busyDuring - serverSeconds - (own.user + own.system) / 1e6) / duration);

const ok = result['2xx'];
const rate = ok / duration;
const summary = {
  placementsPerSecond: Math.round(rate),
  requests: result.requests.total,
  created201: ok,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
  reservationsInDb: stored,
  serverCpuMicrosPerPlacement,
  loadAverageBefore: Number(loadBefore.toFixed(2)),
  otherJobsCores: Number(otherCores.toFixed(2)),
  connections,
  duration,
};
console.log(JSON.stringify(summary, null, 2));
// requests still in flight when autocannon stops are stored but not counted by it
if (stored < ok || stored > ok + connections) {
  console.error(`MISMATCH: ${ok} placements answered 201 but ${stored} reservations stored`);
  process.exitCode = 1;
}

if (record) {
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const out = [
    '',
    `## API placements, ${asProvision ? 'a provisioning token over TCP' : 'root on the Unix socket'}, ${connections} connections — ${new Date().toISOString().slice(0, 10)}`,
    '',
    `Command: \`npx tsx scripts/bench/api.ts --duration ${duration} --connections ${connections}${asProvision ? ' --as provision' : ''} --record\``,
    `Machine: ${machine} (nproc ${cpus().length}; autocannon and the server share the 2 cores; other jobs used ${otherCores.toFixed(2)} cores during the run (from /proc/stat))`,
    '',
    asProvision
      ? 'POST /v1/placements over loopback TCP as a provisioning token (role, tenant and class checked; tenant quota read in the deciding transaction; per-credential rate limit counted), each with a new Idempotency-Key: every 201 is a new durable'
      : 'POST /v1/placements over the Unix socket as root (the host administrator: role checked, not rate-limited), each with a new Idempotency-Key: every 201 is a new durable',
    'reservation in SQLite (WAL, synchronous=FULL: the WAL is synced at every commit; the placements that arrive in one event-loop turn share one BEGIN IMMEDIATE',
    'transaction, each in its own savepoint, answered after its commit), and the count is checked against the DB after the run. Server CPU µs/placement is the server',
    "process's user+system CPU time divided by the reservations stored: the cost that does not depend on the other jobs on the machine.",
    '',
    '| placements/s | p50 ms | p90 ms | p99 ms | max ms | 201s | non-2xx | errors | reservations in DB | server CPU µs/placement |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${summary.placementsPerSecond} | ${summary.latencyMs.p50} | ${summary.latencyMs.p90} | ${summary.latencyMs.p99} | ${summary.latencyMs.max} | ${ok} | ${result.non2xx} | ${result.errors} | ${stored} | ${serverCpuMicrosPerPlacement} |`,
    '',
  ];
  recordBenchmark(out.join('\n'));
  console.log('recorded in BENCHMARKS.md');
}
