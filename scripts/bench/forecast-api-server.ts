// The server side of scripts/bench/forecast-api.ts: the real HTTP API (buildServer +
// listenApi on a Unix socket) with its forecasts served by a ForecastRoutine over a real
// store file holding a host of 64 VMs x 30 days, wired as the daemon does it. Commands on
// stdin: "train" starts a training run (in the worker thread); "eld" prints the event
// loop delay (p50/p99/max ms) since the last "eld". Prints "ready <socket>", then
// "training <id>" and "trained <id> <seconds>".
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { validateConfig } from '../../core/config/load.js';
import type { Rollup } from '../../core/model/types.js';
import { Store } from '../../core/store/store.js';
import { buildServer, listenApi } from '../../router/server.js';
import { ModelCheckpoints } from '../../forecaster/checkpoint/checkpoint.js';
import { ForecastRoutine } from '../../forecaster/routines/forecast-routine.js';
import { hostSeries } from './forecast-host.js';

const trace = process.argv[2] ?? '/work/shared/traces/bitbrains-rnd';
const dir = mkdtempSync(join(tmpdir(), 'vz-bench-fapi-'));
const socket = join(dir, 'virtzoned.sock');
const config = validateConfig({ api: { socket } }, 'bench');
const store = Store.open(join(dir, 'virtzone.db'));

// the host's history, ending now
const now = Math.floor(Date.now() / 1000 / 300) * 300;
const days = 30;
const series = await hostSeries(trace, 64, days, now - days * 86_400);
const byKey = new Map<string, { cpu?: Float64Array; memory?: Float64Array; start: number }>();
for (const s of series) byKey.set(s.series, { ...byKey.get(s.series), [s.resource]: s.values, start: s.start });
for (const [key, v] of byKey) {
  const rows: Rollup[] = [];
  for (let i = 0; i < v.cpu!.length; i++) {
    const c = v.cpu![i];
    const m = v.memory![i];
    if (Number.isNaN(c) && Number.isNaN(m)) continue;
    rows.push({ series: key, ts: v.start + i * 300, cpuMean: c, cpuMax: c, cpuP95: c, memMean: m, memMax: m, memP95: m, netBps: 0, diskBps: 0, samples: 30 });
  }
  store.writeRollups(rows, 'import');
}

const log = { debug: () => {}, info: () => {}, warn: (o: object, m: string) => process.stderr.write(`${m} ${JSON.stringify(o)}\n`), error: (o: object, m: string) => process.stderr.write(`${m} ${JSON.stringify(o)}\n`) };
const routine = new ForecastRoutine({
  checkpoints: new ModelCheckpoints(store.db),
  reader: store,
  log,
  schedule: config.forecast.schedule,
  refreshMinutes: config.forecast.refreshMinutes,
  lstm: { epochs: config.forecast.epochs, country: config.forecast.country, ...(config.forecast.region ? { region: config.forecast.region } : {}) },
  quantile: config.partitioner.quantile,
});
await routine.start();
const server = await buildServer({
  config,
  db: store.db,
  zones: async () => [],
  forecasts: async (s) => routine.predictions({ series: s }),
  vms: async () => [],
  actions: {
    plan: async () => ({}),
    repartition: async () => ({}),
    train: async () => ({ runId: await routine.trainNow('manual') }),
    trainStatus: async () => ({ ...routine.status() }),
    modelAgeSeconds: async () => {
      const good = routine.status().lastGood;
      return good?.finishedAt ? Math.floor(Date.now() / 1000) - good.finishedAt : null;
    },
  },
});
const listeners = await listenApi(server, config.api);
const eld = monitorEventLoopDelay({ resolution: 5 });
eld.enable();
process.stdout.write(`ready ${socket}\n`);

routine.on('trained', (r: { id: number; startedAt: number; finishedAt: number }) => process.stdout.write(`trained ${r.id} ${r.finishedAt - r.startedAt}\n`));
routine.on('failed', (e: { runId: number; error: string }) => process.stdout.write(`failed ${e.runId} ${e.error}\n`));
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'train') void routine.trainNow('manual').then((id) => process.stdout.write(`training ${id}\n`));
  if (line === 'eld') {
    const ms = (n: number) => (n / 1e6).toFixed(1);
    process.stdout.write(`eld ${ms(eld.percentile(50))} ${ms(eld.percentile(99))} ${ms(eld.max)}\n`);
    eld.reset();
  }
});
process.on('SIGTERM', async () => {
  await routine.stop();
  await listeners.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
});
