// The router's app history read (Store.appUseBuckets): weeks of 5-minute rollups of every
// VM of every app aggregated in SQL to bucket counts — in the daemon from a worker thread
// (core/store/app-use-reader.ts), so the event loop keeps serving while it runs. Measures
// the query itself, the worker round trip, and the event loop's delay during the latter.
// Run: npx tsx scripts/bench/app-history.ts [--vms 64] [--apps 16] [--days 28] [--record]
import { mkdtempSync, rmSync } from 'node:fs';
import { recordBenchmark } from './record.js';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Rollup } from '../../core/model/types.js';
import { readAppUseBuckets } from '../../core/store/app-use-reader.js';
import { Store } from '../../core/store/store.js';
import { RATIO_BUCKETS } from '../../router/placement/app-profile.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const VMS = opt('--vms', 64);
const APPS = opt('--apps', 16);
const DAYS = opt('--days', 28);
const record = args.includes('--record');
const dir = mkdtempSync(join(tmpdir(), 'vz-bench-app-'));
const path = join(dir, 'virtzone.db');
const T0 = 1_700_000_100;

const store = Store.open(path);
for (let v = 0; v < VMS; v++) {
  store.upsertImportedVm({ name: `vm-${v}`, class: 'gold', tenant: 'bench', app: `app-${v % APPS}`, firstSeen: T0, lastSeen: T0 + DAYS * 86_400, sizes: [{ ts: T0, vcpus: 4, memoryMiB: 8192 }], latest: null });
  const rows: Rollup[] = [];
  for (let i = 0; i < DAYS * 288; i++) {
    const c = Math.random() * 4;
    rows.push({ series: `vm:vm-${v}`, ts: T0 + i * 300, cpuMean: c, cpuMax: c, cpuP95: c, memMean: 1000 + Math.random() * 6000, memMax: 8192, memP95: 8000, netBps: NaN, diskBps: NaN, samples: 30 });
  }
  store.writeRollups(rows, 'import');
}
const rollups = VMS * DAYS * 288;

const direct: number[] = [];
let buckets = 0;
for (let k = 0; k < 3; k++) {
  const t0 = performance.now();
  buckets = store.appUseBuckets(T0, RATIO_BUCKETS).length;
  direct.push((performance.now() - t0) / 1000);
}
store.close();

const viaWorker: number[] = [];
const h = monitorEventLoopDelay({ resolution: 10 });
h.enable();
for (let k = 0; k < 3; k++) {
  const t0 = performance.now();
  await readAppUseBuckets(path, T0, RATIO_BUCKETS);
  viaWorker.push((performance.now() - t0) / 1000);
}
h.disable();
rmSync(dir, { recursive: true, force: true });

const machine = `${cpus().length} x ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, load average ${loadavg()[0].toFixed(1)}`;
const f = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' / ');
const line = `${VMS} VMs (${APPS} apps) x ${DAYS} days = ${rollups} rollups -> ${buckets} bucket rows: query ${f(direct)} s; through the worker ${f(viaWorker)} s; event-loop delay meanwhile max ${(h.max / 1e6).toFixed(1)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms`;
console.log(line);
if (record) {
  recordBenchmark(
    [
      '',
      `## App history read for the router's app profiles — ${new Date().toISOString().slice(0, 10)}`,
      '',
      `Command: \`npx tsx scripts/bench/app-history.ts --vms ${VMS} --apps ${APPS} --days ${DAYS} --record\` (three runs each)  `,
      `Machine: ${machine}`,
      '',
      line + '.',
      'The daemon runs it every forecast.refreshMinutes in a worker thread; a placement uses the profiles as last read and never waits for it.',
      '',
    ].join('\n'),
  );
  console.log('recorded in BENCHMARKS.md');
}
