// Forecaster benchmarks.
//
//   npx tsx scripts/bench/forecast.ts backtest [--trace DIR] [--epochs N] [--record]
//     the full backtest table (means and medians) on a trace folder, with wall time,
//     CPU time, peak RSS and the goals checked;
//   npx tsx scripts/bench/forecast.ts train [--trace DIR] [--vms 64] [--days 30] [--record]
//     a nightly training run for a host of N VMs x D days (+ 3 class series), as the
//     daemon's worker runs it: training time and peak memory.
//
// --record writes the result into BENCHMARKS.md with the command and the machine.
import { readFileSync } from 'node:fs';
import { recordBenchmark } from './record.js';
import { cpus, loadavg, totalmem } from 'node:os';
import { runBacktest, type BacktestResult } from '../../forecaster/backtest.js';
import { loadBitbrainsSeries } from '../../forecaster/input/bitbrains.js';
import { SeasonalNaive } from '../../forecaster/model/seasonal-naive.js';
import { LastWindow } from '../../forecaster/model/last-window.js';
import { HoltWinters } from '../../forecaster/model/ets.js';
import { LstmForecaster } from '../../forecaster/model/lstm/lstm.js';
import { PeakQuantile } from '../../forecaster/model/peak-quantile.js';
import { trainForecast } from '../../forecaster/train.js';
import { initTensorflow } from '../../forecaster/model/lstm/backend.js';
import { hostSeries } from './forecast-host.js';

const args = process.argv.slice(2);
const mode = args[0];
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : def;
};
const record = args.includes('--record');
const trace = opt('trace', '/work/shared/traces/bitbrains-rnd');
const command = `npx tsx scripts/bench/forecast.ts ${args.join(' ')}`;

/** Share of the machine the other processes used during the run (from /proc/stat). */
function cpuTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = line[3] + (line[4] ?? 0);
  const total = line.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

async function machine(): Promise<string> {
  const tf = await initTensorflow();
  return `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, tfjs ${tf.backend} (SIMD ${tf.simd ? 'on' : 'off'}, threads ${tf.threads ? 'on' : 'off: tfjs disables wasm threads under Node'}), load average at start ${loadavg()[0].toFixed(1)}`;
}

function measure<T>(fn: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number; maxRssMiB: number; othersCores: number }> {
  const t0 = Date.now();
  const c0 = process.cpuUsage();
  const s0 = cpuTicks();
  return fn().then((value) => {
    const wall = (Date.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6;
    const s1 = cpuTicks();
    const hz = 100; // USER_HZ
    const machineBusy = (s1.busy - s0.busy) / hz;
    return { value, wall, cpu, maxRssMiB: process.resourceUsage().maxRSS / 1024, othersCores: Math.max(0, (machineBusy - cpu) / wall) };
  });
}

function f(x: number, d = 4): string {
  return Number.isFinite(x) ? x.toFixed(d) : '-';
}

function backtestTable(r: BacktestResult): string {
  const lines = ['| horizon | model | spl mean | spl median | coverage95 |', '| --- | --- | ---: | ---: | ---: |'];
  for (const [h, models] of Object.entries(r.horizons)) {
    for (const [m, s] of Object.entries(models)) lines.push(`| ${h} | ${m} | ${f(s.spl)} | ${f(s.splMedian)} | ${f(s.coverage95, 3)} |`);
  }
  return lines.join('\n');
}

function goals(r: BacktestResult, seconds: number): string[] {
  const out: string[] = [];
  const check = (ok: boolean, text: string) => out.push(`- ${ok ? 'met' : 'NOT met'}: ${text}`);
  for (const h of ['5m', '30m', '24h']) {
    const m = r.horizons[h];
    const best = Math.min(m.seasonal_naive.spl, m.last_window.spl, m.ets.spl);
    const ratio = m.selected.spl / best;
    check(ratio <= 0.85, `${h} selected spl ${f(m.selected.spl)} <= 0.85 x best baseline ${f(best)} (ratio ${f(ratio, 3)})`);
    const c = m.selected.coverage95;
    check(c >= 0.93 && c <= 0.97, `${h} selected coverage95 ${f(c, 3)} in [0.93, 0.97]`);
  }
  const m30 = r.horizons['30m'];
  if (m30.lstm) check(m30.lstm.spl < Math.min(m30.seasonal_naive.spl, m30.last_window.spl, m30.ets.spl), `30m LSTM spl ${f(m30.lstm.spl)} beats every baseline`);
  check(seconds < 900, `whole run ${seconds.toFixed(0)} s < 15 min`);
  const cross: Record<string, [number, number, number]> = { seasonal_naive: [0.338, 0.412, 1.239], last_window: [0.192, 0.445, 1.239] };
  for (const [name, ref] of Object.entries(cross)) {
    const got = ['5m', '30m', '24h'].map((h) => r.horizons[h][name].spl);
    const dev = got.map((g, i) => ((g - ref[i]) / ref[i]) * 100);
    out.push(`- cross-check ${name}: ${got.map((g) => f(g, 3)).join(' / ')} vs ${ref.join(' / ')} (${dev.map((d) => (d >= 0 ? '+' : '') + d.toFixed(1) + '%').join(', ')})`);
  }
  return out;
}

async function benchBacktest(): Promise<void> {
  const epochs = Number(opt('epochs', '16'));
  const mach = await machine();
  const progress = (msg: string) => process.stderr.write(`${msg}\n`);
  const res = await measure(async () => {
    const series = await loadBitbrainsSeries(trace);
    return runBacktest(series, {
      models: [new SeasonalNaive(), new LastWindow(), new HoltWinters(), new PeakQuantile(), new LstmForecaster({ epochs })],
      onProgress: (p) => {
        if (p.stage !== 'fit' || p.fit?.phase === 'epoch') progress(p.fit?.phase === 'epoch' ? `lstm epoch ${p.fit.done}/${p.fit.total} loss ${f(p.fit.detail?.loss ?? NaN)}` : p.message);
      },
    });
  });
  // the cross-check setup: an independent implementation of the baselines
  const series = await loadBitbrainsSeries(trace);
  const cross = await runBacktest(series, { models: [new SeasonalNaive(), new LastWindow()], estimator: 'empirical', switchedOffRule: false });
  const r = res.value;
  const text = [
    `## Forecaster backtest, ${r.series} series — ${new Date().toISOString().slice(0, 10)}`,
    '',
    `Command: \`${command}\` (same numbers as \`virtzone backtest --trace ${trace} --format bitbrains --json\`)  `,
    `Machine: ${mach}; other jobs used ${res.othersCores.toFixed(2)} cores during the run (from /proc/stat)`,
    '',
    `Wall ${res.wall.toFixed(1)} s (loading the trace included), CPU ${res.cpu.toFixed(1)} s, peak RSS ${res.maxRssMiB.toFixed(0)} MiB.`,
    '',
    backtestTable(r),
    '',
    'Goals:',
    ...goals(r, res.wall),
    '',
    `Cross-check setup (empirical quantile of the residuals, no switched-off rule), baselines: ${['5m', '30m', '24h']
      .map((h) => `${h} sn ${f(cross.horizons[h].seasonal_naive.spl, 3)} lw ${f(cross.horizons[h].last_window.spl, 3)}`)
      .join('; ')}.`,
    '',
  ].join('\n');
  process.stdout.write(text + '\n');
  if (record) recordBenchmark(text);
}

async function benchTrain(): Promise<void> {
  const vms = Number(opt('vms', '64'));
  const days = Number(opt('days', '30'));
  const mach = await machine();
  const series = await hostSeries(trace, vms, days);
  const phases: string[] = [];
  let epochStart = Date.now();
  const epochTimes: number[] = [];
  const rssBefore = process.memoryUsage().rss / 2 ** 20;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss / 2 ** 20)), 100);
  const res = await measure(() =>
    trainForecast(series, {
      onProgress: (e) => {
        if (e.phase === 'epoch') {
          epochTimes.push((Date.now() - epochStart) / 1000);
          epochStart = Date.now();
          process.stderr.write(`lstm epoch ${e.done}/${e.total} loss ${f(('detail' in e ? e.detail?.loss : undefined) ?? NaN)}\n`);
        } else if (!/^epoch \d/.test(e.phase) && !phases.includes(e.phase)) {
          phases.push(e.phase);
          if (e.phase === 'grid search') epochStart = Date.now();
        }
      },
    }),
  );
  clearInterval(sampler);
  const { trained } = res.value;
  const lstm = trained.models.find((m) => m.name === 'lstm');
  const text = [
    `## Forecaster nightly training: ${vms} VMs x ${days} days — ${new Date().toISOString().slice(0, 10)}`,
    '',
    `Command: \`${command}\`  `,
    `Machine: ${mach}; other jobs used ${res.othersCores.toFixed(2)} cores during the run (from /proc/stat)`,
    '',
    `Series: ${series.length} (${vms} VMs x cpu/memory + 3 classes x cpu/memory), ${days * 288} steps each; the last 7 days validate, the rest trains.`,
    '',
    '| what | value |',
    '| --- | ---: |',
    `| wall time (ETS grid search, LSTM ${epochTimes.length} epochs, calibration, selection) | ${res.wall.toFixed(1)} s |`,
    `| CPU time | ${res.cpu.toFixed(1)} s |`,
    `| LSTM epoch (8192 windows), median | ${f(epochTimes.sort((a, b) => a - b)[epochTimes.length >> 1] ?? NaN, 1)} s |`,
    `| RSS before training (series in memory; the trace was parsed to build them) | ${rssBefore.toFixed(0)} MiB |`,
    `| peak RSS during training (sampled every 100 ms) | ${rssPeak.toFixed(0)} MiB |`,
    `| peak RSS of the process, whole run | ${res.maxRssMiB.toFixed(0)} MiB |`,
    `| stored model size (LSTM weights) | ${((lstm?.weights?.byteLength ?? 0) / 1024).toFixed(0)} KiB |`,
    '',
    `Validation spl (cross-fitted), mean over series: ${Object.entries(trained.scores)
      .map(([h, s]) => `${h}: ${Object.entries(s).map(([m, v]) => `${m} ${f(v, 3)}`).join(', ')}`)
      .join('; ')}.`,
    '',
  ].join('\n');
  process.stdout.write(text + '\n');
  if (record) recordBenchmark(text);
}

if (mode === 'backtest') await benchBacktest();
else if (mode === 'train') await benchTrain();
else {
  process.stderr.write('usage: npx tsx scripts/bench/forecast.ts backtest|train [--trace DIR] [--record]\n');
  process.exitCode = 2;
}
