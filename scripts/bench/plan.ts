// Partitioner speed (issue 4): partition() for 5,000 VMs in 8 classes — zone sizes,
// per-VM targets and the diff — must take under 20 ms. Also times the auto-scaler's
// decide() on the same host. Appends a section to BENCHMARKS.md with --record.
// Run: npx tsx scripts/bench/plan.ts [--vms 5000] [--classes 8] [--runs 200] [--record] [--json]
import { appendFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { validateConfig } from '../../daemon/config/load.js';
import type { LoadPrediction } from '../../daemon/model/types.js';
import { partition, partitionSeed } from '../../partitioner/plan/partition.js';
import type { VmView } from '../../partitioner/plan/types.js';
import { decide, emptyMemory, type ScalerZone } from '../../partitioner/autoscaler/decide.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : def;
};
const nVms = Number(opt('--vms', '5000'));
const nClasses = Number(opt('--classes', '8'));
const runs = Number(opt('--runs', '200'));
const record = args.includes('--record');
const json = args.includes('--json');

// A deterministic pseudo-random host (mulberry32), so runs are comparable.
let seed = 42;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
};

const classes = Array.from({ length: nClasses }, (_, i) => ({ name: `class${i}`, buffer: 0.1 + 0.05 * i, floor: { cpuCores: 4, memoryMiB: 8192 } }));
const config = validateConfig({ classes, host: { cpuOvercommit: 4 } }, 'bench');
const vms: VmView[] = Array.from({ length: nVms }, (_, i) => {
  const vcpus = 1 + Math.floor(rand() * 8);
  const mem = 1024 * (1 + Math.floor(rand() * 16));
  return {
    name: `vm-${i}`,
    zone: i % 10 === 9 ? 'general' : `class${i % nClasses}`,
    managed: i % 10 !== 9,
    running: rand() > 0.05,
    vcpus,
    maxVcpus: vcpus * 2,
    memoryMiB: mem,
    maxMemoryMiB: mem * 2,
    cpuShares: 1024,
    vcpuQuota: -1,
    memorySoftLimitMiB: null,
    usedCpuCores: rand() > 0.02 ? rand() * vcpus : null,
    usedMemoryMiB: rand() > 0.02 ? rand() * mem : null,
  };
});
const demand = (cls: string, r: 'cpu' | 'memory') =>
  vms.filter((v) => v.zone === cls && v.running).reduce((s, v) => s + (r === 'cpu' ? (v.usedCpuCores ?? 0) : (v.usedMemoryMiB ?? 0)), 0);
const predictions: LoadPrediction[] = classes.flatMap((c) =>
  (['cpu', 'memory'] as const).map((resource) => ({
    series: `class:${c.name}`,
    resource,
    horizon: '30m' as const,
    origin: 1_700_000_000,
    peakLoad: demand(c.name, resource) * 1.3,
    averageLoad: demand(c.name, resource),
    trend: 0,
    distribution: {},
    model: 'bench',
    confidence: 0.8,
  })),
);
// A host a little too small, so capacity runs out and the proportional share is exercised.
const totalCpu = predictions.filter((p) => p.resource === 'cpu').reduce((s, p) => s + p.peakLoad, 0);
const totalMem = predictions.filter((p) => p.resource === 'memory').reduce((s, p) => s + p.peakLoad, 0);
const capacity = { cpuCores: totalCpu * 1.1, memoryMiB: totalMem * 1.1 };

function time(fn: () => void): { medianMs: number; p95Ms: number; maxMs: number } {
  for (let i = 0; i < 20; i++) fn(); // warm-up (JIT)
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    xs.push(performance.now() - t0);
  }
  xs.sort((a, b) => a - b);
  const q = (p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];
  return { medianMs: round(q(0.5)), p95Ms: round(q(0.95)), maxMs: round(xs[xs.length - 1]) };
}
const round = (x: number) => Math.round(x * 1000) / 1000;

let plan = partition(predictions, capacity, config, { vms });
const full = time(() => {
  plan = partition(predictions, capacity, config, { vms });
});
const seedPlan = time(() => {
  partitionSeed(predictions, capacity, config, { vms });
});
const zonesOnly = time(() => {
  partition(predictions, capacity, config);
});
const scalerZones: ScalerZone[] = plan.zones.map((z) => ({
  name: z.name,
  rank: z.rank,
  allocation: z.allocation,
  floor: z.floor,
  vms: vms
    .filter((v) => v.zone === z.name && v.running)
    .map((v) => ({ name: v.name, vcpus: v.vcpus, maxVcpus: v.maxVcpus, memoryMiB: v.memoryMiB, maxMemoryMiB: v.maxMemoryMiB, usedCpuCores: v.usedCpuCores, usedMemoryMiB: v.usedMemoryMiB, poolMember: false })),
}));
let mem = emptyMemory();
let tick = 0;
const scaler = time(() => {
  const d = decide(scalerZones, mem, config, 1_700_000_000 + 30 * tick++);
  mem = d.memory;
});

const result = {
  vms: nVms,
  classes: nClasses,
  runs,
  targets: plan.vms.length,
  changes: plan.changes.length,
  partitionWithVmTargets: full,
  partitionSeedWithVmTargets: seedPlan,
  zoneSizesOnly: zonesOnly,
  autoscalerDecide: scaler,
  goalMs: 20,
  pass: full.p95Ms < 20,
};
const machine = `${cpus().length} x ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform}`;

if (json) console.log(JSON.stringify({ ...result, machine }, null, 2));
else {
  console.log(`partition(): ${nVms} VMs in ${nClasses} classes, ${plan.vms.length} targets, ${plan.changes.length} changes; ${runs} runs on ${machine}`);
  console.log(`  zones + per-VM targets + diff   median ${full.medianMs} ms  p95 ${full.p95Ms} ms  max ${full.maxMs} ms  (goal < 20 ms: ${result.pass ? 'met' : 'MISSED'})`);
  console.log(`  seed variant, same work         median ${seedPlan.medianMs} ms  p95 ${seedPlan.p95Ms} ms`);
  console.log(`  zone sizes only                 median ${zonesOnly.medianMs} ms  p95 ${zonesOnly.p95Ms} ms`);
  console.log(`  auto-scaler decide(), all zones median ${scaler.medianMs} ms  p95 ${scaler.p95Ms} ms`);
}

if (record) {
  const cmd = `npx tsx scripts/bench/plan.ts${nVms !== 5000 ? ` --vms ${nVms}` : ''}${nClasses !== 8 ? ` --classes ${nClasses}` : ''} --runs ${runs} --record`;
  appendFileSync(
    new URL('../../BENCHMARKS.md', import.meta.url),
    [
      '',
      `## Partitioner: plan for ${nVms} VMs in ${nClasses} classes (${new Date().toISOString().slice(0, 10)})`,
      '',
      `Command: \`${cmd}\`  `,
      `Machine: ${machine}`,
      '',
      '| what | median ms | p95 ms | max ms |',
      '| --- | ---: | ---: | ---: |',
      `| partition(): zone sizes + ${plan.vms.length} per-VM targets + diff (${plan.changes.length} changes) | ${full.medianMs} | ${full.p95Ms} | ${full.maxMs} |`,
      `| partitionSeed(), same work | ${seedPlan.medianMs} | ${seedPlan.p95Ms} | ${seedPlan.maxMs} |`,
      `| zone sizes only | ${zonesOnly.medianMs} | ${zonesOnly.p95Ms} | ${zonesOnly.maxMs} |`,
      `| auto-scaler decide() over all zones | ${scaler.medianMs} | ${scaler.p95Ms} | ${scaler.maxMs} |`,
      '',
      `Goal: partition() under 20 ms — ${result.pass ? 'met' : 'missed'} (p95 ${full.p95Ms} ms over ${runs} runs after 20 warm-up runs).`,
      '',
    ].join('\n'),
  );
}
