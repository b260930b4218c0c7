// virtzone forecast [SERIES] [--db FILE] [--resource cpu|memory|both] [--json]: the last day
// of a series and its forecast band (median, 0.95, 0.99 of the peak over 5 min, 30 min and
// 24 h) as a terminal chart, plus the quantiles as a table.
//   daemon:  GET /v1/forecasts/{series} + GET /v1/series/{series}/history
//   offline: --db FILE, predictions computed here by the forecaster (cli/offline-forecast.ts)
// SERIES is 'class:gold', 'vm:web-1', 'tenant:acme', 'app:db', or a bare class name;
// default: the highest-priority class.
import { Option, type Command } from 'commander';
import { loadConfigFile } from '../../core/config/load.js';
import type { LoadPrediction, Rollup } from '../../core/model/types.js';
import { addConnectionOptions, DaemonClient, problemError, type ConnectionOptions } from '../client.js';
import { openStoreForReading } from '../db.js';
import { fmtNum, fmtTime, isoTime, printJson, renderTable, usageError, CliError } from '../output.js';
import { HISTORY_COLUMNS, HISTORY_COLUMN_SECONDS, legend, renderForecastChart, type BandPoint } from '../forecast-chart.js';
import { fetchHistory, rollupsFromReply } from './history.js';
import type { ZoneReply } from './zones.js';

interface ForecastOptions extends ConnectionOptions {
  db?: string;
  resource: string;
  height: string;
  json?: boolean;
  color?: boolean;
}

const RESOURCES = ['cpu', 'memory', 'both'] as const;
const DAY = HISTORY_COLUMNS * HISTORY_COLUMN_SECONDS;

/** 'gold' → 'class:gold' (as the API reads a bare name); a key with a prefix stays. */
export function seriesKey(arg: string): string {
  return arg.includes(':') ? arg : `class:${arg}`;
}

export interface ForecastData {
  series: string;
  origin: number;
  /** where the predictions came from: 'daemon', 'trained run N', 'baselines: ...', or null when none */
  source: string | null;
  history: Rollup[];
  predictions: LoadPrediction[];
  /** why there is no forecast, when there is none */
  note?: string;
}

async function fromDaemon(arg: string | undefined, opts: ForecastOptions): Promise<ForecastData> {
  const client = DaemonClient.fromOptions(opts);
  let series: string;
  if (arg !== undefined) series = seriesKey(arg);
  else {
    const zones = await client.get<ZoneReply[]>('/v1/zones');
    const top = zones.filter((z) => z.name !== 'general').sort((a, b) => a.rank - b.rank)[0];
    if (!top) throw usageError('no classes on the daemon yet: name a SERIES (class:gold, vm:NAME, ...)');
    series = `class:${top.name}`;
  }
  const now = Math.floor(Date.now() / 1000);
  const f = await client.request<{ series: string; predictions: LoadPrediction[] } & { detail?: string }>('GET', `/v1/forecasts/${encodeURIComponent(series)}`);
  let predictions: LoadPrediction[] = [];
  let note: string | undefined;
  if (f.status === 200) predictions = f.body.predictions;
  else if (f.status === 404) note = f.body?.detail ?? 'no forecast for this series yet';
  else throw problemError(f.status, f.body);
  // with a forecast, the day before its origin; without one, the last day the store has
  // (an imported trace may end days ago), looked for in the last 8 days
  const origin = predictions.length ? Math.max(...predictions.map((p) => p.origin)) : undefined;
  let history: Rollup[] = [];
  try {
    const h = origin !== undefined ? await fetchHistory(client, series, origin - DAY + 300, origin + 300) : await fetchHistory(client, series, now - 8 * 86_400);
    history = rollupsFromReply(series, h);
  } catch (err) {
    if (!(err instanceof CliError) || err.exitCode !== 2) throw err;
    note = note ? `${note}; no history either: ${err.message}` : `no history: ${err.message}`;
  }
  const end = origin ?? (history.length ? history[history.length - 1].ts : Math.floor(now / 300) * 300);
  history = history.filter((h) => h.ts > end - DAY && h.ts <= end);
  return { series, origin: end, source: predictions.length ? 'daemon' : null, history, predictions, note };
}

async function fromDatabase(arg: string | undefined, db: string): Promise<ForecastData> {
  const store = openStoreForReading(db);
  try {
    let series: string;
    if (arg !== undefined) series = seriesKey(arg);
    else {
      let order: string[] = [];
      try {
        order = loadConfigFile(undefined).classes.map((c) => c.name);
      } catch {
        /* an unreadable system config: store order */
      }
      const present = store.listClasses();
      const cls = order.find((c) => present.includes(c)) ?? present[0];
      if (!cls) throw usageError(`no class series in ${db}: name a SERIES (vm:NAME, ...; see: virtzone vms --db ${db})`);
      series = `class:${cls}`;
    }
    const info = store.listSeries(series).find((s) => s.series === series);
    if (!info || info.until === null) {
      const known = store.listSeries('class:').map((s) => s.series);
      throw usageError(`unknown series ${JSON.stringify(series)} in ${db}${known.length ? ` (classes there: ${known.join(', ')}; or vm:NAME)` : ''}`);
    }
    const until = info.until;
    const history = store.readRollups(series, until - DAY + 300, until + 1); // the 288 buckets ending with the last
    const { offlineForecast } = await import('../offline-forecast.js');
    let predictions: LoadPrediction[] = [];
    let source: string | null = null;
    let note: string | undefined;
    try {
      const r = await offlineForecast(store, series, { until });
      predictions = r.predictions;
      source = r.source;
      if (!predictions.length) note = 'the forecaster gave no prediction (too little known history)';
    } catch (err) {
      note = `no forecast available: ${(err as Error).message}`;
    }
    const origin = predictions.length ? Math.max(...predictions.map((p) => p.origin)) : until;
    return { series, origin, source, history, predictions, note };
  } finally {
    store.close();
  }
}

function bandOf(predictions: readonly LoadPrediction[], resource: 'cpu' | 'memory'): Partial<Record<LoadPrediction['horizon'], BandPoint>> | undefined {
  const mine = predictions.filter((p) => p.resource === resource);
  if (!mine.length) return undefined;
  return Object.fromEntries(
    mine.map((p) => [p.horizon, { q50: p.distribution['0.5'] ?? p.peakLoad, q95: p.distribution['0.95'] ?? p.peakLoad, q99: p.distribution['0.99'] ?? p.peakLoad }]),
  );
}

const HORIZON_ORDER: Record<string, number> = { '5m': 0, '30m': 1, '24h': 2 };

/** Prose in lines of at most `width` columns (words longer than that stay whole). */
function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join('\n') + '\n';
}

/** The quantiles of one resource, one row per horizon (units in the first header). */
function quantileTable(predictions: readonly LoadPrediction[], resource: 'cpu' | 'memory'): string {
  const rows = predictions.filter((p) => p.resource === resource).sort((a, b) => HORIZON_ORDER[a.horizon] - HORIZON_ORDER[b.horizon]);
  if (!rows.length) return '';
  const d = resource === 'cpu' ? 2 : 0;
  return renderTable(
    [
      { header: resource === 'cpu' ? 'CPU cores' : 'Memory MiB' },
      { header: 'Median', align: 'right' },
      { header: 'q0.90', align: 'right' },
      { header: 'q0.95', align: 'right' },
      { header: 'q0.99', align: 'right' },
      { header: 'Trend/h', align: 'right' },
      { header: 'Model' },
    ],
    rows.map((p) => [
      `peak +${p.horizon}`,
      fmtNum(p.distribution['0.5'], d),
      fmtNum(p.distribution['0.9'], d),
      fmtNum(p.distribution['0.95'], d),
      fmtNum(p.distribution['0.99'], d),
      fmtNum(p.trend, d + 1),
      p.model,
    ]),
  );
}

function renderForecast(d: ForecastData, opts: { resources: Array<'cpu' | 'memory'>; height: number; color: boolean }): string {
  const out: string[] = [`${d.series} at ${fmtTime(d.origin)} UTC\n`];
  if (d.predictions.length) {
    const models = [...new Set(d.predictions.map((p) => p.model))];
    const confidence = Math.min(...d.predictions.map((p) => p.confidence));
    out.push(`models: ${models.join(', ')}; confidence ${fmtNum(confidence, 2)}\nfrom:   ${d.source}\n`);
  }
  if (d.note) out.push(wrap(`${d.predictions.length ? 'note' : 'no forecast'}: ${d.note}`, 80));
  const withBand = d.predictions.length > 0;
  for (const r of opts.resources) {
    const title = r === 'cpu' ? 'CPU, cores' : 'Memory, MiB';
    const history = d.history.map((h) => ({ ts: h.ts, value: r === 'cpu' ? h.cpuMean : h.memMean }));
    out.push('\n' + renderForecastChart({ title, digits: r === 'cpu' ? 2 : 0, history, origin: d.origin, band: bandOf(d.predictions, r), height: opts.height, color: opts.color }));
    const table = quantileTable(d.predictions, r);
    if (table) out.push('\n' + table);
  }
  out.push('\n' + legend(withBand));
  return out.join('');
}

export function registerForecast(program: Command): void {
  const cmd = program
    .command('forecast')
    .description('chart the last day of a series and its forecast band (median, 0.95, 0.99)')
    .argument('[series]', 'class:gold, vm:NAME, tenant:NAME, app:NAME, or a bare class name (default: the highest-priority class)')
    .option('--db <file>', 'read this database file and compute the forecast here (offline)')
    .addOption(new Option('--resource <r>', 'what to chart').choices(RESOURCES).default('both'))
    .option('--height <rows>', 'chart height in rows', '10')
    .option('--no-color', 'no colours (also when $NO_COLOR is set or stdout is not a terminal)')
    .option('--json', 'print the history of the last day and the predictions as JSON');
  addConnectionOptions(cmd)
    .addHelpText(
      'after',
      `
The chart shows the last 24 h (each column: the peak of the 5-minute means in 30 minutes)
and, after "now", the forecast of the peak over the next 5 min, 30 min and 24 h: the median
(──), the 0.95 (╌╌) and the 0.99 (··) quantile. The table below it has the numbers.
Offline (--db), the prediction is computed from the database: with its last trained models
when it holds any, otherwise with the calibrated baselines (seasonal-naive, last-window).

Examples:
  virtzone forecast                       the highest-priority class, from the daemon
  virtzone forecast vm:web-01 --resource cpu
  virtzone import-trace --format bitbrains traces/ --db trace.db && virtzone forecast gold --db trace.db
  virtzone forecast class:silver --json | jq '.predictions[] | select(.horizon == "24h")'`,
    )
    .action(async (arg: string | undefined, opts: ForecastOptions) => {
      const height = Number(opts.height);
      if (!Number.isInteger(height) || height < 3 || height > 60) throw usageError(`--height: ${JSON.stringify(opts.height)} is not a whole number of rows between 3 and 60`);
      if (opts.db !== undefined && (opts.socket !== undefined || opts.url !== undefined)) throw usageError('--db reads a file offline: drop --socket/--url, or drop --db to ask the daemon');
      const d = opts.db !== undefined ? await fromDatabase(arg, opts.db) : await fromDaemon(arg, opts);
      if (opts.json) {
        printJson({
          series: d.series,
          origin: d.origin,
          originTime: isoTime(d.origin),
          source: d.source,
          note: d.note ?? null,
          history: d.history.map((h) => ({ ts: h.ts, time: isoTime(h.ts), cpuCores: h.cpuMean, memoryMiB: h.memMean, cpuMax: h.cpuMax, memMax: h.memMax })),
          predictions: d.predictions,
        });
        return;
      }
      const resources: Array<'cpu' | 'memory'> = opts.resource === 'both' ? ['cpu', 'memory'] : [opts.resource as 'cpu' | 'memory'];
      const color = opts.color !== false && !process.env.NO_COLOR && process.stdout.isTTY === true;
      process.stdout.write(renderForecast(d, { resources, height, color }));
    });
}
