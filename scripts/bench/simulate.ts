// Benchmark of the trace simulator: a week of simulated time with 64 VMs on
// the host at the start (the default scenario of `virtzone simulate`), every policy,
// in a fresh process — reading the traces and training the forecaster included. Goal:
// under 2 minutes. With --record, appends the timing and the comparison table (and,
// with --seeds, the headline numbers of more seeds) to BENCHMARKS.md.
//
// Run: nice -n 10 npx tsx scripts/bench/simulate.ts [--trace DIR] [--hours 168] [--initial-vms 64]
//      [--seeds 1,2,3] [--model baselines|lstm] [--zone-cpu-limit shares|quota] [--admission expected|provisioned] [--record] [--json]
import { recordBenchmark } from './record.js';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { makeScenario, withOverrides, type Scenario } from '../../simulator/scenario.js';
import { simulate, type SimulationResult } from '../../simulator/simulate.js';
import { boundsTable, checkGoals, comparisonTable, goalLines, perClassTable } from '../../simulator/report.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const record = args.includes('--record');
const json = args.includes('--json');
const trace = opt('--trace') ?? fileURLToPath(new URL('../../../shared/traces/bitbrains-rnd', import.meta.url));
const seeds = (opt('--seeds') ?? '1').split(',').map(Number);
const base = {
  trace,
  hours: Number(opt('--hours') ?? 168),
  initialVms: Number(opt('--initial-vms') ?? 64),
  model: (opt('--model') ?? 'baselines') as Scenario['model'],
};
const overrides = { zoneCpuLimit: opt('--zone-cpu-limit'), admission: opt('--admission') };
const scenarioFor = (seed: number): Scenario => {
  const sc = makeScenario({ ...base, seed });
  return { ...sc, config: withOverrides(sc.config, overrides) };
};
const overrideFlags = `${overrides.zoneCpuLimit ? ` --zone-cpu-limit ${overrides.zoneCpuLimit}` : ''}${overrides.admission ? ` --admission ${overrides.admission}` : ''}`;

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const first = await simulate({ scenario: scenarioFor(seeds[0]), policies: ['static', 'reactive', 'predictive', 'oracle', 'ratio'], bounds: true });
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const more: SimulationResult[] = [];
for (const seed of seeds.slice(1)) more.push(await simulate({ scenario: scenarioFor(seed), policies: ['static', 'reactive', 'predictive', 'oracle', 'ratio'], bounds: true }));

const machine = `${cpus().length} x ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform}, load average ${loadavg()[0].toFixed(1)}`;
const s = first.scenario as Record<string, unknown>;
const vmDays = first.runs.reduce((a, r) => a + r.vmDays, 0);
const summary = {
  wallSeconds: Math.round(wall * 10) / 10,
  cpuSeconds: Math.round(cpuSeconds * 10) / 10,
  perPolicySeconds: Object.fromEntries(first.runs.map((r) => [r.policy, Math.round(r.seconds * 100) / 100])),
  vmDaysSimulated: Math.round(vmDays),
  goalMet: wall < 120,
};

const pct = (x: number, d = 1) => `${(x * 100).toFixed(d)}%`;
if (json) console.log(JSON.stringify({ ...summary, machine, scenario: s, workload: first.workload }, null, 2));
else {
  console.log(`${s.hours} h, ${first.workload.initialVms} VMs at the start, ${first.workload.requests} requests, 4 policies: ${summary.wallSeconds} s wall, ${summary.cpuSeconds} s CPU on ${machine}`);
  console.log(JSON.stringify(summary.perPolicySeconds));
}

function markdownTable(columns: { header: string; align?: string }[], rows: string[][]): string {
  const head = `| ${columns.map((c) => c.header).join(' | ')} |`;
  const rule = `| ${columns.map((c) => (c.align === 'right' ? '---:' : '---')).join(' | ')} |`;
  return [head, rule, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

if (record) {
  const flags = [
    base.hours !== 168 ? ` --hours ${base.hours}` : '',
    base.initialVms !== 64 ? ` --initial-vms ${base.initialVms}` : '',
    seeds.length > 1 || seeds[0] !== 1 ? ` --seeds ${seeds.join(',')}` : '',
    base.model !== 'baselines' ? ` --model ${base.model}` : '',
    overrideFlags,
  ].join('');
  const main = comparisonTable(first.runs);
  const per = perClassTable(first.runs);
  const lines = [
    `## Simulator: a week of the Bitbrains traces, every policy — ${new Date().toISOString().slice(0, 10)}`,
    '',
    `Command: \`nice -n 10 npx tsx scripts/bench/simulate.ts${flags} --record\`  `,
    `Same as: \`virtzone simulate --trace ../shared/traces/bitbrains-rnd --policy all --seed ${seeds[0]}${base.hours !== 168 ? ` --hours ${base.hours}` : ''}${base.initialVms !== 64 ? ` --initial-vms ${base.initialVms}` : ''}${base.model !== 'baselines' ? ` --model ${base.model}` : ''}${overrideFlags}\`  `,
    `Machine: ${machine}`,
    '',
    `Scenario: host ${s.cpus} CPUs / ${s.memoryGiB} GiB (reserve ${JSON.stringify(s.reserve)}), ${first.workload.initialVms} VMs at the start, ` +
      `${first.workload.requests} requests (${s.rate}/h mean, daily amplitude ${s.dailyAmplitude}, peak ${s.peakHourUtc}:00 UTC, mean lifetime ${s.lifetimeHours} h, mix ${JSON.stringify(s.mix)}), ` +
      `${first.workload.from.slice(0, 16)} to ${first.workload.to.slice(0, 16)} UTC, forecaster ${s.model} trained on the ${s.trainDays} days before, ` +
      `re-partition every ${s.repartitionHours} h, auto-scaler every ${s.autoscalerIntervalSeconds} s, zone CPU ${s.zoneCpuLimit}, admission by ${s.admission === 'expected' ? 'expected use' : 'provisioned size'}, seed ${seeds[0]}.`,
    '',
    `Time: ${summary.wallSeconds} s wall, ${summary.cpuSeconds} s CPU for all four policies (${summary.vmDaysSimulated} VM-days), traces read and forecaster trained in the same process; ` +
      `per policy ${Object.entries(summary.perPolicySeconds).map(([k, v]) => `${k} ${v} s`).join(', ')}. ` +
      `Goal: a week of 64 VMs under 2 minutes — ${summary.goalMet ? 'met' : 'MISSED'}.`,
    '',
    markdownTable(main.columns, main.rows),
    '',
    markdownTable(per.columns, per.rows),
    '',
    'Goals:',
    '',
    '```',
    goalLines(checkGoals(first.runs)).trimEnd(),
    '```',
    '',
    'Reference bounds on the same workload (simulator/bounds.ts; one pool, greedy in arrival order — not policies a host can run): ' +
      "clairvoyant knows every VM's future; known-present knows the future of every VM already admitted and charges the new one at a share of its size; " +
      "known-present+app charges it at its app's profile, as the router does.",
    '',
    markdownTable(boundsTable(first.bounds ?? []).columns, boundsTable(first.bounds ?? []).rows),
  ];
  if (more.length > 0) {
    lines.push('', 'Every seed (same scenario): rejected / SLO violation / slack per policy; rejected / SLO violation of two bounds', '');
    const bound = (r: SimulationResult, name: string) => {
      const b = r.bounds?.find((x) => x.bound === name);
      return b ? `${pct(b.rejectionRate)} / ${pct(b.sloViolation, 2)}` : '-';
    };
    const rows = [first, ...more].map((r, i) => [
      String(seeds[i]),
      ...r.runs.map((x) => `${pct(x.rejectionRate)} / ${pct(x.sloViolation, 2)} / ${pct(x.slack)}`),
      bound(r, 'known-present+app'),
      bound(r, 'clairvoyant'),
    ]);
    lines.push(
      markdownTable(
        [{ header: 'seed' }, ...first.runs.map((r) => ({ header: r.policy, align: 'right' })), { header: 'bound: known-present+app', align: 'right' }, { header: 'bound: clairvoyant', align: 'right' }],
        rows,
      ),
    );
  }
  lines.push('', '');
  recordBenchmark(lines.join('\n'));
  console.log('recorded in BENCHMARKS.md');
}
