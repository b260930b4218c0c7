// Store and import throughput: raw inserts into SQLite and the whole
// gzip -> parse -> store import of a Bitbrains folder. Appends a section to BENCHMARKS.md
// with --record. Run: npx tsx scripts/bench/store.ts [--trace DIR] [--record] [--json]
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { recordBenchmark } from './record.js';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Store, type VmObservation } from '../../core/store/store.js';
import { importBitbrains } from '../../core/trace/import.js';
import type { Rollup } from '../../core/model/types.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : def;
};
const traceDir = opt('--trace', new URL('../../../shared/traces/bitbrains-rnd', import.meta.url).pathname);
const record = args.includes('--record');
const runs = Number(opt('--runs', '3'));
const work = mkdtempSync(join(tmpdir(), 'virtzone-bench-'));

function freshStore(name: string): Store {
  const path = join(work, name);
  for (const s of ['', '-wal', '-shm']) rmSync(path + s, { force: true });
  return Store.open(path);
}

function best<T extends { rate: number }>(xs: T[]): T {
  return xs.reduce((a, b) => (b.rate > a.rate ? b : a));
}

/** Bulk rollup inserts: 100 series x 10,000 buckets through Store.writeRollups. */
function benchRollupInserts(): { rows: number; seconds: number; rate: number } {
  const store = freshStore('rollups.db');
  const rows: Rollup[] = [];
  for (let s = 0; s < 100; s++) {
    for (let i = 0; i < 10_000; i++) {
      const v = Math.random() * 8;
      rows.push({ series: `vm:bench-${s}`, ts: 1_700_000_000 + i * 300, cpuMean: v, cpuMax: v * 1.5, cpuP95: v * 1.3, memMean: 2048 + v, memMax: 4096, memP95: 3000, netBps: 1e6 * v, diskBps: 2e6 * v, samples: 30 });
    }
  }
  const t0 = performance.now();
  store.writeRollups(rows, 'import');
  const seconds = (performance.now() - t0) / 1000;
  store.close();
  return { rows: rows.length, seconds, rate: rows.length / seconds };
}

/** Collector-shaped writes: 1,000 VMs per tick, one transaction per tick, 300 ticks. */
function benchSampleInserts(): { rows: number; seconds: number; rate: number } {
  const store = freshStore('samples.db');
  const vms = 1000;
  const ticks = 300;
  const obs: VmObservation[] = Array.from({ length: vms }, (_, i) => ({
    sample: { vm: `vm-${i}`, uuid: `uuid-${i}`, ts: 0, cpuCores: 1, memoryMiB: 1024, vcpus: 2, memoryCurrentMiB: 2048, netRxBps: 1, netTxBps: 2, blockRdBps: 3, blockWrBps: 4 },
    class: ['gold', 'silver', 'bronze'][i % 3],
    tenant: null,
    app: null,
    vcpus: 2,
    memoryMiB: 2048,
  }));
  const start = 1_700_000_000;
  let seconds = 0;
  for (let t = 0; t < ticks; t++) {
    const ts = start + t * 10;
    for (const o of obs) {
      o.sample.ts = ts;
      o.sample.cpuCores = Math.random() * 2;
    }
    const t0 = performance.now();
    store.recordTick(ts, obs);
    seconds += (performance.now() - t0) / 1000;
  }
  store.close();
  const rows = vms * ticks;
  return { rows, seconds, rate: rows / seconds };
}

async function benchImport(): Promise<{ rows: number; stored: number; seconds: number; rate: number }> {
  const store = freshStore('import.db');
  const t0 = performance.now();
  const r = await importBitbrains(store, { dir: traceDir, classes: ['gold', 'silver', 'bronze'] });
  const seconds = (performance.now() - t0) / 1000;
  store.close();
  return { rows: r.rowsRead, stored: r.rowsStored + r.classRollupsStored, seconds, rate: r.rowsRead / seconds };
}

const results = {
  rollupInserts: best(Array.from({ length: runs }, benchRollupInserts)),
  sampleInserts: best(Array.from({ length: runs }, benchSampleInserts)),
  import: existsSync(traceDir) ? best(await sequential(runs, benchImport)) : null,
};
rmSync(work, { recursive: true, force: true });

async function sequential<T>(n: number, f: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await f());
  return out;
}

const k = (x: number) => `${Math.round(x / 1000)}k rows/s`;
const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
if (args.includes('--json')) console.log(JSON.stringify({ machine, ...results }, null, 2));
else {
  console.log(`machine: ${machine}`);
  console.log(`rollup inserts (writeRollups, 1M rows): ${k(results.rollupInserts.rate)} (${results.rollupInserts.seconds.toFixed(2)} s)`);
  console.log(`sample inserts (recordTick, 1000 VMs x 300 ticks): ${k(results.sampleInserts.rate)} (${results.sampleInserts.seconds.toFixed(2)} s)`);
  if (results.import) console.log(`import ${traceDir}: ${results.import.rows} rows in ${results.import.seconds.toFixed(2)} s = ${k(results.import.rate)}`);
}

if (record) {
  const lines = [
    ``,
    `## Store and trace import — ${new Date().toISOString().slice(0, 10)}`,
    ``,
    `Command: \`nice -n 10 npx tsx scripts/bench/store.ts --record\` (best of ${runs} runs)  `,
    `Machine: ${machine} (nproc ${cpus().length}, shared with other jobs; load average ${loadavg()[0].toFixed(1)} at the end)`,
    ``,
    `| what | rows | time | throughput | goal |`,
    `|---|---:|---:|---:|---:|`,
    `| raw rollup inserts into SQLite (Store.writeRollups, one transaction) | ${results.rollupInserts.rows} | ${results.rollupInserts.seconds.toFixed(2)} s | ${k(results.rollupInserts.rate)} | ≥ 300k rows/s |`,
    `| collector sample writes (Store.recordTick, 1,000 VMs/tick, incl. rollups) | ${results.sampleInserts.rows} | ${results.sampleInserts.seconds.toFixed(2)} s | ${k(results.sampleInserts.rate)} | — |`,
    results.import
      ? `| Bitbrains import, gzip → parse → store (${results.import.stored} rollups stored) | ${results.import.rows} | ${results.import.seconds.toFixed(2)} s | ${k(results.import.rate)} | ≥ 150k rows/s |`
      : `| Bitbrains import | trace folder not found: ${traceDir} | | | |`,
    ``,
  ];
  recordBenchmark(lines.join('\n'));
  console.log('recorded in BENCHMARKS.md');
}
