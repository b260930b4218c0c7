// virtzone simulate --trace DIR --policy static|reactive|predictive|oracle|ratio|all [...]:
// replays real traces through the daemon's own partitioner, auto-scaler, router
// admission and overflow code on a virtual host, and compares the policies (see
// simulator/README.md for the model and every metric).
//
// Output: with --json and one policy, one object
//   {"policy", "rejectionRate", "sloViolation", "slack", "actionsPerVmDay", "seconds", "perClass", ...};
// with --json and --policy all, an ARRAY of those objects in the order static,
// reactive, predictive, oracle, ratio. Without --json: the comparison table, the per-class
// table and the check of the simulator's goals. Progress goes to stderr (not with --quiet).
//
// --sweep: each policy's own knobs over a grid (simulator/sweep/grid.ts) on the one
// workload, and each policy's Pareto frontiers; --json prints one object
//   {"scenario", "workload", "topClass", "policies": {<policy>: {"points", "frontier"}}, "dominance", ...},
// --plot FILE.svg draws the points and frontiers instead of the timeline.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError, loadConfigFile } from '../../core/config/load.js';
import {
  boundsTable,
  checkGoals,
  comparisonTable,
  DEFAULT_SCENARIO,
  dominanceTable,
  frontierTable,
  goalLines,
  knobsLabel,
  makeScenario,
  parseMix,
  perClassTable,
  policyJson,
  POLICIES,
  ScenarioError,
  sweepJson,
  withOverrides,
  type PolicyName,
  type Scenario,
  type SimulateProgress,
  type SweepProgress,
} from '../../simulator/index.js';
import { printJson, printTable, usageError } from '../output.js';

interface SimulateCliOptions {
  trace?: string;
  policy: string;
  seed?: string;
  hours?: string;
  cpus?: string;
  memoryGib?: string;
  rate?: string;
  initialVms?: string;
  lifetimeHours?: string;
  dailyAmplitude?: string;
  peakHour?: string;
  mix?: string;
  cpuRatio?: string;
  ramRatio?: string;
  startDay?: string;
  trainDays?: string;
  repartitionHours?: string;
  model?: string;
  epochs?: string;
  zoneCpuLimit?: string;
  admission?: string;
  config?: string;
  json?: boolean;
  plot?: string;
  sweep?: boolean;
  quiet?: boolean;
}

function numberOption(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(v)) throw usageError(`${option}: ${JSON.stringify(value)} is not a number`);
  return v;
}

/** A stderr progress line at most every `everyMs`, overwritten in place on a terminal. */
function progressPrinter(everyMs = 1500): { onProgress: (p: SimulateProgress) => void; done: () => void } {
  let last = 0;
  let shown = false;
  const tty = process.stderr.isTTY;
  const write = (text: string) => {
    process.stderr.write(tty ? `\r${text.padEnd(70)}` : `${text}\n`);
    shown = true;
  };
  return {
    onProgress(p) {
      const now = Date.now();
      const final = p.done === p.total;
      if (!final && now - last < everyMs) return;
      if (final && p.stage === 'run' && !tty) return;
      last = now;
      if (p.stage === 'load') write(`simulate: reading traces ${p.done}/${p.total}`);
      else if (p.stage === 'train') write(p.done === 0 ? 'simulate: training the forecaster on the history' : 'simulate: forecaster trained');
      else write(`simulate: ${p.policy} ${((p.done * 300) / 86_400).toFixed(1)} of ${((p.total * 300) / 86_400).toFixed(1)} days (${Math.round((100 * p.done) / p.total)}%)`);
    },
    done() {
      if (shown && tty) process.stderr.write('\n');
    },
  };
}

/** The trace folder and the simulated window are input: an error naming them is a usage error. */
function asInputError(err: unknown): unknown {
  const msg = (err as Error).message;
  return /^--(trace|start-day|hours|initial-vms)/.test(msg) ? usageError(msg) : err;
}

/** A stderr progress line for the sweep: reading, training, then point after point. */
function sweepProgressPrinter(): { onProgress: (p: SweepProgress) => void; done: () => void } {
  const lines = progressPrinter();
  const tty = process.stderr.isTTY;
  return {
    onProgress(p) {
      if (p.stage !== 'point') return lines.onProgress({ stage: p.stage, done: p.done, total: p.total });
      const text = `simulate --sweep: ${p.done}/${p.total} ${p.point!.policy} ${knobsLabel(p.point!.knobs)}`;
      process.stderr.write(tty ? `\r${text.padEnd(70)}` : `${text}\n`);
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}

async function runSweepCommand(scenario: Scenario, policies: readonly PolicyName[], opts: SimulateCliOptions): Promise<void> {
  const { runSweep, renderSweepPlot } = await import('../../simulator/index.js');
  const progress = opts.quiet ? undefined : sweepProgressPrinter();
  let result;
  try {
    result = await runSweep({ scenario, policies, onProgress: progress?.onProgress });
  } catch (err) {
    throw asInputError(err);
  } finally {
    progress?.done();
  }
  if (opts.plot !== undefined) {
    const title = `virtzone simulate --sweep: ${scenario.cpus} CPUs, ${scenario.memoryGiB} GiB, ${scenario.rate} requests/h, ${scenario.hours} h from ${result.workload.from.slice(0, 10)}, seed ${scenario.seed}`;
    writeFileSync(opts.plot, renderSweepPlot(result, { title }));
    if (!opts.quiet) process.stderr.write(`simulate: sweep chart written to ${opts.plot}\n`);
  }
  if (opts.json) {
    printJson(sweepJson(result));
    return;
  }
  const points = Object.values(result.policies).reduce((n, p) => n + p.points.length, 0);
  process.stdout.write(
    `Sweep: ${points} runs over one workload (${result.workload.initialVms} VMs at the start, ${result.workload.requests} requests, ${result.workload.from.slice(0, 16)} to ${result.workload.to.slice(0, 16)} UTC, seed ${scenario.seed}); ` +
      `${result.seconds.toFixed(0)} s (training ${result.trainSeconds.toFixed(0)} s)\n\n` +
      "Each policy's Pareto frontiers: (a) no other point of the policy rejects less and violates less (weighted);\n" +
      `(b) no other admits more VM-days with less ${result.topClass} violation.\n`,
  );
  const f = frontierTable(result);
  printTable(f.columns, f.rows);
  if (result.dominance.length > 0) {
    process.stdout.write('\nPredictive against each reactive and ratio frontier point (ratio = predictive / that point):\n');
    const d = dominanceTable(result.dominance);
    printTable(d.columns, d.rows);
  }
}

export function registerSimulate(program: Command): void {
  const d = DEFAULT_SCENARIO;
  program
    .command('simulate')
    .description('replay real utilization traces on a virtual host and compare admission/partitioning policies')
    .requiredOption('--trace <dir>', 'Bitbrains trace folder (e.g. ../shared/traces/bitbrains-rnd)')
    .option('--policy <policy>', `${POLICIES.join('|')}|all`, 'all')
    .option('--seed <n>', 'seed of the workload and the overflow draws', String(d.seed))
    .option('--hours <h>', 'simulated hours', String(d.hours))
    .option('--cpus <n>', 'host CPUs', String(d.cpus))
    .option('--memory-gib <m>', 'host memory in GiB', String(d.memoryGiB))
    .option('--rate <r>', 'mean placement requests per hour (daily pattern around it)', String(d.rate))
    .option('--initial-vms <n>', 'VMs on the host at the start', String(d.initialVms))
    .option('--lifetime-hours <h>', 'mean VM lifetime (exponential)', String(d.lifetimeHours))
    .option('--daily-amplitude <a>', 'daily swing of the request rate, 0..1', String(d.dailyAmplitude))
    .option('--peak-hour <h>', 'UTC hour at which requests peak', String(d.peakHourUtc))
    .option('--mix <list>', 'share of requests per class', Object.entries(d.mix).map(([k, v]) => `${k}=${v}`).join(','))
    .option('--cpu-ratio <r>', 'ratio policy: provisioned vCPUs admitted up to this many times the host cores (after the reserve)', String(d.cpuRatio))
    .option('--ram-ratio <r>', 'ratio policy: provisioned memory admitted up to this many times the host memory (after the reserve)', String(d.ramRatio))
    .option('--start-day <d>', 'trace day at which the simulation starts (the days before are history)', String(d.startDay))
    .option('--train-days <d>', 'days of history the forecaster trains on', String(d.trainDays))
    .option('--repartition-hours <h>', 'hours between re-partitions (predictive, oracle)', String(d.repartitionHours))
    .option('--model <m>', 'forecaster of the predictive policy: baselines|lstm', d.model)
    .option('--epochs <n>', 'LSTM epochs (with --model lstm)', String(d.epochs))
    .option('--zone-cpu-limit <mode>', 'override config zones.cpuLimit: shares (work-conserving, the default) | quota (hard cap at the allocation)')
    .option('--admission <mode>', 'override config router.admission: expected (by expected use, the default) | provisioned (by provisioned size)')
    .option('--config <file>', 'virtzoned config for classes, partitioner, auto-scaler, overflow and host reserve (default: built-in defaults)')
    .option('--json', 'print JSON (one object; an array of objects with --policy all)')
    .option('--plot <file.svg>', 'write an SVG chart of demand, allocation and rejections over time per zone (with --sweep: the points and frontiers)')
    .option('--sweep', "vary each policy's own knobs over a grid and report each policy's Pareto frontiers and how predictive compares")
    .option('--quiet', 'no progress on stderr')
    .action(async (opts: SimulateCliOptions) => {
      const policies: PolicyName[] =
        opts.policy === 'all'
          ? [...POLICIES]
          : POLICIES.includes(opts.policy as PolicyName)
            ? [opts.policy as PolicyName]
            : (() => {
                throw usageError(`--policy: ${JSON.stringify(opts.policy)} is not a policy: expected one of ${[...POLICIES, 'all'].join(', ')}`);
              })();
      const trace = opts.trace!;
      if (!existsSync(trace) || !statSync(trace).isDirectory()) throw usageError(`--trace: ${trace} is not a folder`);
      if (opts.plot !== undefined && !/\.svg$/i.test(opts.plot)) throw usageError(`--plot: ${JSON.stringify(opts.plot)} must name an .svg file`);
      let config;
      if (opts.config !== undefined) {
        try {
          config = loadConfigFile(opts.config);
        } catch (err) {
          if (err instanceof ConfigError) throw usageError(`--config: ${err.message}`);
          throw err;
        }
      }
      let scenario: Scenario;
      try {
        scenario = makeScenario({
          trace,
          config,
          seed: numberOption('--seed', opts.seed),
          hours: numberOption('--hours', opts.hours),
          cpus: numberOption('--cpus', opts.cpus),
          memoryGiB: numberOption('--memory-gib', opts.memoryGib),
          rate: numberOption('--rate', opts.rate),
          initialVms: numberOption('--initial-vms', opts.initialVms),
          lifetimeHours: numberOption('--lifetime-hours', opts.lifetimeHours),
          dailyAmplitude: numberOption('--daily-amplitude', opts.dailyAmplitude),
          peakHourUtc: numberOption('--peak-hour', opts.peakHour),
          mix: opts.mix !== undefined ? parseMix(opts.mix) : undefined,
          cpuRatio: numberOption('--cpu-ratio', opts.cpuRatio),
          ramRatio: numberOption('--ram-ratio', opts.ramRatio),
          startDay: numberOption('--start-day', opts.startDay),
          trainDays: numberOption('--train-days', opts.trainDays),
          repartitionHours: numberOption('--repartition-hours', opts.repartitionHours),
          model: opts.model as Scenario['model'] | undefined,
          epochs: numberOption('--epochs', opts.epochs),
        });
        scenario = { ...scenario, config: withOverrides(scenario.config, { zoneCpuLimit: opts.zoneCpuLimit, admission: opts.admission }) };
      } catch (err) {
        if (err instanceof ScenarioError) throw usageError(err.message);
        throw err;
      }
      if (opts.sweep) {
        await runSweepCommand(scenario, policies, opts);
        return;
      }
      // loaded here, not at startup: the engine pulls in the forecaster (and tfjs), which
      // no other command and no bad-option error should pay for
      const { simulate, renderPlot } = await import('../../simulator/index.js');
      const progress = opts.quiet ? undefined : progressPrinter();
      let result;
      try {
        // the comparison table ends with the reference bounds (simulator/bounds.ts); JSON keeps its shape
        result = await simulate({ scenario, policies, timeline: opts.plot !== undefined, onProgress: progress?.onProgress, bounds: opts.policy === 'all' && !opts.json });
      } catch (err) {
        throw asInputError(err);
      } finally {
        progress?.done();
      }
      if (opts.plot !== undefined) {
        const title = `virtzone simulate: ${scenario.cpus} CPUs, ${scenario.memoryGiB} GiB, ${scenario.rate} requests/h, ${scenario.hours} h from ${result.workload.from.slice(0, 10)}, seed ${scenario.seed}`;
        writeFileSync(opts.plot, renderPlot(result.runs, { title }));
        if (!opts.quiet) process.stderr.write(`simulate: chart written to ${opts.plot}\n`);
      }
      if (opts.json) {
        const records = result.runs.map((r) => policyJson(r, result));
        printJson(opts.policy === 'all' ? records : records[0]);
        return;
      }
      const w = result.workload;
      process.stdout.write(
        `Host ${scenario.cpus} CPUs, ${scenario.memoryGiB} GiB (reserve ${scenario.config.host.reserve.cpuCores} cores, ${scenario.config.host.reserve.memoryMiB} MiB); ` +
          `${w.initialVms} VMs at the start, ${w.requests} requests (${scenario.rate}/h mean, lifetime ${scenario.lifetimeHours} h); ` +
          `${w.from.slice(0, 16)} to ${w.to.slice(0, 16)} UTC; seed ${scenario.seed}` +
          (result.forecast ? `; forecaster: ${result.forecast.model}` : '') +
          `; zone CPU ${scenario.config.zones.cpuLimit}, admission by ${scenario.config.router.admission} ${scenario.config.router.admission === 'expected' ? 'use' : 'size'}` +
          '\n\n',
      );
      const main = comparisonTable(result.runs);
      printTable(main.columns, main.rows);
      process.stdout.write('\n');
      const per = perClassTable(result.runs);
      printTable(per.columns, per.rows);
      process.stdout.write('\nGoals:\n' + goalLines(checkGoals(result.runs)));
      if (result.bounds) {
        process.stdout.write(
          '\nReference bounds on the same workload (one pool, greedy in arrival order; not policies a host can run):\n' +
            '  clairvoyant knows every VM\'s future, the new one\'s too; known-present knows the future of every VM already\n' +
            '  admitted but charges the new one at a share of its size (multiples of the pool\'s mean use ratio);\n' +
            '  known-present+app charges it at its app\'s profile instead, as the router does.\n',
        );
        const b = boundsTable(result.bounds);
        printTable(b.columns, b.rows);
      }
    });
}
