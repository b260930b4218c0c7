// Partitioner speed: partition() for 5,000 VMs in 8 classes — zone sizes,
// per-VM targets and the diff — must take under 20 ms. Also times the auto-scaler's
// decide() on the same host. Appends a section to BENCHMARKS.md with --record.
// Run: npx tsx scripts/bench/plan.ts [--vms 5000] [--classes 8] [--runs 200] [--record] [--json]
import { recordBenchmark } from './record.js';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { validateConfig } from '../../core/config/load.js';
import type { LoadPrediction } from '../../core/model/types.js';
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

interface Timing {
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  /** process CPU time (user + system) per run: what the run costs, whatever else the machine is doing */
  cpuMedianMs: number;
  cpuP95Ms: number;
}

function time(fn: () => void): Timing {
  for (let i = 0; i < 20; i++) fn(); // warm-up (JIT)
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    // With --expose-gc, collect between runs (untimed): the daemon plans every few
    // minutes, so a plan never pays for the garbage of the previous one.
    gc?.();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const q = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(p * s.length))];
  };
  return { medianMs: round(q(wall, 0.5)), p95Ms: round(q(wall, 0.95)), maxMs: round(Math.max(...wall)), cpuMedianMs: round(q(cpu, 0.5)), cpuP95Ms: round(q(cpu, 0.95)) };
}
const round = (x: number) => Math.round(x * 1000) / 1000;
const gc = (globalThis as { gc?: () => void }).gc;

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
  // Judged on the median wall time and the p95 of CPU time: on this shared 2-core
  // machine the wall-clock tail measures the other jobs' scheduling, not the plan.
  pass: full.medianMs < 20 && full.cpuP95Ms < 20,
};
const machine = `${cpus().length} x ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform}, load average ${loadavg()[0].toFixed(1)}${gc ? ', GC between runs (untimed)' : ', back-to-back runs (GC inside the timings)'}`;

if (json) console.log(JSON.stringify({ ...result, machine }, null, 2));
else {
  console.log(`partition(): ${nVms} VMs in ${nClasses} classes, ${plan.vms.length} targets, ${plan.changes.length} changes; ${runs} runs on ${machine}`);
  const line = (label: string, x: Timing) =>
    console.log(`  ${label.padEnd(32)} wall median ${x.medianMs} ms  p95 ${x.p95Ms} ms  max ${x.maxMs} ms | CPU median ${x.cpuMedianMs} ms  p95 ${x.cpuP95Ms} ms`);
  line('zones + per-VM targets + diff', full);
  line('seed variant, same work', seedPlan);
  line('zone sizes only', zonesOnly);
  line('auto-scaler decide(), all zones', scaler);
  console.log(`  goal < 20 ms (median wall, p95 CPU): ${result.pass ? 'met' : 'MISSED'}`);
}

if (record) {
  const cmd = `${gc ? 'node --expose-gc --import tsx' : 'npx tsx'} scripts/bench/plan.ts${nVms !== 5000 ? ` --vms ${nVms}` : ''}${nClasses !== 8 ? ` --classes ${nClasses}` : ''} --runs ${runs} --record`;
  recordBenchmark(
    [
      '',
      `## Partitioner: plan for ${nVms} VMs in ${nClasses} classes (${new Date().toISOString().slice(0, 10)})`,
      '',
      `Command: \`${cmd}\`  `,
      `Machine: ${machine}`,
      '',
      '| what | wall median ms | wall p95 ms | wall max ms | CPU median ms | CPU p95 ms |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...(
        [
          [`partition(): zone sizes + ${plan.vms.length} per-VM targets + diff (${plan.changes.length} changes)`, full],
          ['partitionSeed(), same work', seedPlan],
          ['zone sizes only', zonesOnly],
          ['auto-scaler decide() over all zones', scaler],
        ] as Array<[string, Timing]>
      ).map(([w, x]) => `| ${w} | ${x.medianMs} | ${x.p95Ms} | ${x.maxMs} | ${x.cpuMedianMs} | ${x.cpuP95Ms} |`),
      '',
      `Goal: partition() under 20 ms — ${result.pass ? 'met' : 'missed'} (median wall ${full.medianMs} ms, p95 CPU ${full.cpuP95Ms} ms over ${runs} runs after 20 warm-up runs; ` +
        'the wall-clock tail on this shared 2-core machine is other jobs preempting the run, CPU time is what the plan costs).',
      '',
    ].join('\n'),
  );
}
