// API latency while the forecaster trains (goal: p99 under 50 ms during a training run).
// The server (scripts/bench/forecast-api-server.ts, its own process) is the real HTTP API
// with forecasts from a ForecastRoutine over a store of 64 VMs x 30 days. autocannon
// GETs /v1/forecasts/class:gold over the Unix socket, first with no training (idle),
// then for the whole of a training run (worker thread), including its end: storing the
// model, loading it back and refreshing every prediction on the main thread.
// Run: npx tsx scripts/bench/forecast-api.ts [--connections 4] [--idle 15] [--record]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { recordBenchmark } from './record.js';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

interface CannonResult {
  requests: { total: number };
  latency: { p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  errors: number;
}
/** autocannon's callback form returns an instance that can be stopped early */
const cannon = autocannon as unknown as (opts: Record<string, unknown>, done: (err: Error | null, r: CannonResult) => void) => { stop(): void };

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : def;
};
const connections = Number(opt('--connections', '4'));
const idleSeconds = Number(opt('--idle', '15'));
const record = args.includes('--record');
const loadBefore = loadavg()[0];

function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user + nice + system + irq + softirq + steal) / 100;
}

const serverScript = fileURLToPath(new URL('./forecast-api-server.ts', import.meta.url));
const child = spawn(process.execPath, ['--import', 'tsx', serverScript], { stdio: ['pipe', 'pipe', 'inherit'] });
const lines: string[] = [];
const waiters: Array<{ prefix: string; resolve: (l: string) => void }> = [];
child.stdout.on('data', (d: Buffer) => {
  for (const l of d.toString().split('\n').filter(Boolean)) {
    const w = waiters.findIndex((x) => l.startsWith(x.prefix));
    if (w >= 0) waiters.splice(w, 1)[0].resolve(l);
    else lines.push(l);
  }
});
child.once('exit', (code) => {
  if (code !== 0 && code !== null) {
    process.stderr.write(`bench server exited (${code})\n`);
    process.exit(1);
  }
});
const waitFor = (prefix: string): Promise<string> => {
  const i = lines.findIndex((l) => l.startsWith(prefix));
  if (i >= 0) return Promise.resolve(lines.splice(i, 1)[0]);
  return new Promise((resolve) => waiters.push({ prefix, resolve }));
};
const send = (cmd: string) => child.stdin.write(cmd + '\n');

process.stderr.write('building the store (64 VMs x 30 days) and starting the server...\n');
const socket = (await waitFor('ready ')).slice('ready '.length);

interface Phase {
  name: string;
  seconds: number;
  requests: number;
  non2xx: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  eldP99: number;
  eldMax: number;
  otherCores: number;
}

async function phase(name: string, until: Promise<unknown> | number): Promise<Phase> {
  send('eld');
  await waitFor('eld ');
  const busy0 = machineBusySeconds();
  const t0 = Date.now();
  let inst: { stop(): void } | undefined;
  const result = await new Promise<CannonResult>((resolve, reject) => {
    inst = cannon(
      { url: 'http://localhost', socketPath: socket, connections, duration: typeof until === 'number' ? until : 3600, requests: [{ method: 'GET', path: '/v1/forecasts/class:gold' }] },
      (err, r) => (err ? reject(err) : resolve(r)),
    );
    if (typeof until !== 'number') void until.then(() => inst?.stop());
  });
  const seconds = (Date.now() - t0) / 1000;
  send('eld');
  const [, , eldP99, eldMax] = (await waitFor('eld ')).split(' ').map(Number);
  // the server's main thread, its worker and autocannon all share the 2 cores
  const otherCores = (machineBusySeconds() - busy0) / seconds;
  return {
    name,
    seconds,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    eldP99,
    eldMax,
    otherCores,
  };
}

const idle = await phase('idle (no training)', idleSeconds);
send('train');
const runId = (await waitFor('training ')).split(' ')[1];
const finished = Promise.race([waitFor('trained '), waitFor('failed ')]);
process.stderr.write(`training run ${runId} started; measuring until it ends...\n`);
const during = await phase(`during training run ${runId} (to its end)`, finished);
const end = await finished;
child.kill('SIGTERM');

const rows = [idle, during];
if (!end.startsWith('trained')) {
  console.error(`the training run did not finish: ${end}`);
  process.exit(1);
}
console.log(JSON.stringify({ connections, loadAverageBefore: loadBefore, end, rows }, null, 2));
const ok = during.p99 < 50 && during.non2xx === 0 && during.errors === 0 && end.startsWith('trained');
console.log(`goal (p99 < 50 ms during training): ${ok ? 'met' : 'NOT met'}`);
if (record) {
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const out = [
    '',
    `## API latency while the forecaster trains — ${new Date().toISOString().slice(0, 10)}`,
    '',
    `Command: \`npx tsx scripts/bench/forecast-api.ts --connections ${connections} --idle ${idleSeconds} --record\`  `,
    `Machine: ${machine}; load average before ${loadBefore.toFixed(1)}. The server process (main thread + training worker) and autocannon share the 2 cores.`,
    '',
    `GET /v1/forecasts/class:gold over the Unix socket, ${connections} connections. The forecasts come from a ForecastRoutine over a real store of`,
    '64 VMs x 30 days (+3 classes); the training run (ETS grid search + 16 LSTM epochs) runs in a worker_thread; the measurement lasts until',
    `the run has ended (run ${end.split(' ')[1]}, ${end.split(' ')[2]} s of training), so storing the model, loading it and refreshing all predictions on the main thread are inside it.`,
    'Event-loop delay: perf_hooks.monitorEventLoopDelay in the server, 5 ms resolution.',
    '',
    '| phase | seconds | requests | p50 ms | p90 ms | p99 ms | max ms | non-2xx | errors | event-loop delay p99 / max ms | machine busy cores |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.seconds.toFixed(0)} | ${r.requests} | ${r.p50} | ${r.p90} | ${r.p99} | ${r.max} | ${r.non2xx} | ${r.errors} | ${r.eldP99} / ${r.eldMax} | ${r.otherCores.toFixed(2)} |`),
    '',
    `Goal: p99 under 50 ms while training — ${ok ? 'met' : 'NOT met'}.`,
    '',
  ];
  recordBenchmark(out.join('\n'));
  console.log('recorded in BENCHMARKS.md');
}
