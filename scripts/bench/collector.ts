// Collector tick against a libvirt test-driver host with 1,000 domains (goal: under
// 200 ms of the daemon's time). Reports per tick: wall time, the part spent waiting for
// libvirt (off the main thread), and the event loop's busy time (the daemon's own time,
// from performance.eventLoopUtilization). The first tick also reads every domain's
// metadata and is reported apart.
//   npx tsx scripts/bench/collector.ts [--domains 1000] [--ticks 29] [--record]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { recordBenchmark } from './record.js';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateTestHostXml } from '../gen-test-host.js';
import { openHost } from '../../core/host/libvirt-host.js';
import { Store } from '../../core/store/store.js';
import { Collector } from '../../collector/collector.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : def;
};
const domains = Number(opt('--domains', '1000'));
// 29 steady ticks + the first = 30 ticks in the bucket that the closing tick rolls up,
// as at the default 10 s interval
const ticks = Number(opt('--ticks', '29'));
const work = mkdtempSync(join(tmpdir(), 'virtzone-bench-collector-'));
const xml = join(work, 'host.xml');
writeFileSync(xml, generateTestHostXml({ domains }));

const host = await openHost(`test://${xml}`);
const store = Store.open(join(work, 'bench.db'));
const collector = new Collector({ host: () => host, store });

interface Measure {
  wallMs: number;
  statsMs: number;
  busyMs: number;
  samples: number;
}

async function measuredTick(at: number): Promise<Measure> {
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const r = await collector.tick(at);
  const wallMs = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  return { wallMs, statsMs: r.statsMs, busyMs: elu.active, samples: r.samples };
}

const start = Math.floor(Date.now() / 300_000) * 300_000;
const first = await measuredTick(start);
const steady: Measure[] = [];
for (let i = 1; i <= ticks; i++) steady.push(await measuredTick(start + i * 10_000)); // crosses no bucket: pure ticks
// one tick that also closes the 5-minute bucket: rollups of every VM and class over it
const closing = await measuredTick(start + 300_000);

collector.close();
store.close();
await host.close();
rmSync(work, { recursive: true, force: true });

const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)];
const f = (x: number) => `${x.toFixed(1)} ms`;
const wall = steady.map((m) => m.wallMs);
const busy = steady.map((m) => m.busyMs);
const stats = steady.map((m) => m.statsMs);
const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
console.log(`machine: ${machine}`);
console.log(`${domains} domains, ${first.samples} samples per tick`);
console.log(`first tick (reads all metadata): wall ${f(first.wallMs)}, event loop busy ${f(first.busyMs)}`);
console.log(`steady ticks (${ticks}): wall p50 ${f(pct(wall, 0.5))} max ${f(Math.max(...wall))}; libvirt p50 ${f(pct(stats, 0.5))}; event loop busy p50 ${f(pct(busy, 0.5))} max ${f(Math.max(...busy))}`);
console.log(`bucket-closing tick: wall ${f(closing.wallMs)}, event loop busy ${f(closing.busyMs)}`);

if (args.includes('--record')) {
  const lines = [
    ``,
    `## Collector tick, ${domains}-domain test-driver host — ${new Date().toISOString().slice(0, 10)}`,
    ``,
    `Command: \`nice -n 10 npx tsx scripts/bench/collector.ts --domains ${domains} --ticks ${ticks} --record\`  `,
    `Machine: ${machine} (nproc ${cpus().length}, shared with other jobs; load average ${loadavg()[0].toFixed(1)} at the end)  `,
    `"busy" is the event loop's active time during the tick (the daemon's own time; libvirt runs off the main thread). Goal: < 200 ms.`,
    ``,
    `| tick | wall | libvirt call | event loop busy |`,
    `|---|---:|---:|---:|`,
    `| first (reads ${domains} metadata elements) | ${f(first.wallMs)} | ${f(first.statsMs)} | ${f(first.busyMs)} |`,
    `| steady, p50 of ${ticks} | ${f(pct(wall, 0.5))} | ${f(pct(stats, 0.5))} | ${f(pct(busy, 0.5))} |`,
    `| steady, max of ${ticks} | ${f(Math.max(...wall))} | ${f(Math.max(...stats))} | ${f(Math.max(...busy))} |`,
    `| closing a 5-minute bucket (${ticks + 1} ticks × ${domains} VMs rolled up) | ${f(closing.wallMs)} | ${f(closing.statsMs)} | ${f(closing.busyMs)} |`,
    ``,
  ];
  recordBenchmark(lines.join('\n'));
  console.log('recorded in BENCHMARKS.md');
}
