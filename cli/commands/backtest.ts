// virtzone backtest --trace DIR --format bitbrains [--limit N] [--json]
// virtzone backtest --db FILE [--limit N] [--json]
// Runs the forecaster's fixed backtest protocol (forecaster/backtest.ts) offline,
// on a trace folder or on the 5-minute history stored in a database file, and prints the
// scaled pinball loss (mean and median over series) and the pooled coverage of the 0.95
// quantile per horizon and model. Progress goes to stderr.
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { openStoreForReading } from '../db.js';
import { fmtNum, printJson, printTable, usageError, type Cell } from '../output.js';
import {
  HoltWinters,
  LastWindow,
  loadBitbrainsSeries,
  loadStoreSeries,
  LstmForecaster,
  PeakQuantile,
  runBacktest,
  SeasonalNaive,
  type BacktestResult,
  type Forecaster,
  type LoadSeries,
} from '../../forecaster/index.js';

interface BacktestOptions {
  trace?: string;
  format?: string;
  db?: string;
  limit?: string;
  json?: boolean;
  lstm: boolean;
  epochs?: string;
  country: string;
  quiet?: boolean;
}

const FORMATS = ['bitbrains'];

function positiveInt(value: string, option: string, max = 1_000_000): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 1 || n > max) {
    throw usageError(`${option}: ${JSON.stringify(value)} is not a whole number from 1 to ${max}`);
  }
  return n;
}

/** Progress on stderr: every phase change, and within a phase at most a line every 5 s. */
function progressPrinter(quiet: boolean): (message: string) => void {
  const started = Date.now();
  let last = 0;
  let lastPhase = '';
  return (message) => {
    if (quiet) return;
    const now = Date.now();
    const phase = message.replace(/[\d/]+$/, '');
    if (now - last < 5000 && phase === lastPhase) return;
    last = now;
    lastPhase = phase;
    process.stderr.write(`[${((now - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
  };
}

function renderBacktestTable(r: BacktestResult): { columns: { header: string; align?: 'left' | 'right' }[]; rows: Cell[][] } {
  const rows: Cell[][] = [];
  for (const [h, models] of Object.entries(r.horizons)) {
    for (const [name, s] of Object.entries(models)) rows.push([h, name, fmtNum(s.spl, 4), fmtNum(s.splMedian, 4), fmtNum(s.coverage95, 3)]);
  }
  return {
    columns: [{ header: 'Horizon' }, { header: 'Model' }, { header: 'spl mean', align: 'right' }, { header: 'spl median', align: 'right' }, { header: 'coverage95', align: 'right' }],
    rows,
  };
}

export function registerBacktest(program: Command): void {
  program
    .command('backtest')
    .description('backtest the forecaster (fixed protocol: last week test, week before validation) on a trace folder or a database')
    .option('--trace <dir>', 'trace folder (searched recursively; .csv and .csv.gz)')
    .option('--format <format>', `trace format: ${FORMATS.join(', ')}`)
    .option('--db <file>', 'use the 5-minute history stored in this database file instead of a trace')
    .option('--limit <n>', 'only the first N VMs (by id, or by name for --db)')
    .option('--no-lstm', 'skip the LSTM (baselines only; quick)')
    .option('--epochs <n>', 'LSTM training epochs (default 16)')
    .option('--country <code>', 'holiday calendar (date-holidays country code)', 'NL')
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: BacktestOptions) => {
      if ((opts.trace === undefined) === (opts.db === undefined)) {
        throw usageError('give either --trace DIR (with --format) or --db FILE');
      }
      const limit = opts.limit !== undefined ? positiveInt(opts.limit, '--limit') : undefined;
      const epochs = opts.epochs !== undefined ? positiveInt(opts.epochs, '--epochs', 1000) : undefined;
      const started = Date.now();
      const say = progressPrinter(opts.quiet ?? false);
      let series: LoadSeries[];
      if (opts.trace !== undefined) {
        if (opts.format === undefined) throw usageError('--format: required with --trace (expected one of ' + FORMATS.join(', ') + ')');
        if (!FORMATS.includes(opts.format)) {
          throw usageError(`--format: ${JSON.stringify(opts.format)} is not a known trace format: expected one of ${FORMATS.join(', ')}`);
        }
        let isDir = false;
        try {
          isDir = statSync(opts.trace).isDirectory();
        } catch {
          /* reported below */
        }
        if (!isDir) throw usageError(`--trace: ${opts.trace} is not a directory`);
        try {
          series = await loadBitbrainsSeries(opts.trace, { limit, onVm: (done, total, id) => say(`reading VM ${id} ${done}/${total}`) });
        } catch (err) {
          throw usageError((err as Error).message);
        }
      } else {
        if (opts.format !== undefined) throw usageError('--format: only with --trace');
        const store = openStoreForReading(opts.db!);
        try {
          let keys = store.listSeries('vm:').map((s) => s.series);
          if (keys.length === 0) throw usageError(`--db: ${opts.db} holds no VM history (import one with: virtzone import-trace --format bitbrains DIR --db ${opts.db})`);
          if (limit !== undefined) keys = keys.slice(0, limit);
          series = loadStoreSeries(store, { series: keys });
        } finally {
          store.close();
        }
      }
      let models: Forecaster[];
      try {
        models = [new SeasonalNaive(), new LastWindow(), new HoltWinters(), new PeakQuantile()];
        if (opts.lstm) models.push(new LstmForecaster({ ...(epochs !== undefined ? { epochs } : {}), country: opts.country }));
      } catch (err) {
        throw usageError(`--country: ${(err as Error).message.replace(/^forecast\.country: /, '')}`);
      }
      let result: BacktestResult;
      try {
        result = await runBacktest(series, {
          models,
          onProgress: (p) => {
            if (p.fit?.phase === 'epoch' && p.fit.detail?.loss !== undefined) say(`lstm epoch ${p.fit.done}/${p.fit.total} loss ${p.fit.detail.loss.toFixed(4)}`);
            else say(p.stage === 'fit' ? `${p.model}: ${p.message}` : p.message);
          },
        });
      } catch (err) {
        if (/the protocol needs more than/.test((err as Error).message)) throw usageError((err as Error).message);
        throw err;
      }
      // the whole command, reading the trace included
      result.seconds = Math.round((Date.now() - started) / 100) / 10;
      if (opts.json) {
        printJson(result);
        return;
      }
      const t = renderBacktestTable(result);
      printTable(t.columns, t.rows);
      process.stdout.write(`\n series: ${result.series}   seconds: ${result.seconds}   quantiles: ${result.quantiles.join(', ')}\n`);
    });
}
