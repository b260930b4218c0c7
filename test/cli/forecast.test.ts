// `virtzone forecast` offline, on real traces: three Bitbrains VMs imported into a database,
// the forecast computed by the forecaster's own prediction path, the chart drawn in 80
// columns. Plus the chart's layout as a pure function.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyColumns, niceAxis, renderForecastChart, HISTORY_COLUMNS } from '../../cli/forecast-chart.js';
import { copyTraces, json, virtzone, width } from './harness.js';

const work = mkdtempSync(join(tmpdir(), 'vz-cli-forecast-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const db = join(work, 'trace.db');

t.before(async () => {
  const trace = copyTraces(join(work, 'trace'), ['1', '22', '25']);
  const imp = await virtzone(['import-trace', '--format', 'bitbrains', trace, '--db', db, '--json']);
  if (imp.code !== 0) throw new Error(imp.stderr);
});

t.test('forecast --db --json: the last day of history and quantiles for every horizon', async (t) => {
  const r = await virtzone(['forecast', 'vm:bitbrains-22', '--db', db, '--json']);
  t.equal(r.code, 0, r.stderr);
  const f = json(r);
  t.equal(f.series, 'vm:bitbrains-22');
  t.match(f.source, /^(baselines|trained run)/);
  t.equal(f.originTime, '2013-09-29T21:55:00.000Z', 'the trace ends there: the forecast origin is its last 5 minutes');
  t.equal(f.history.length, 288, 'one day of 5-minute rollups');
  t.ok(f.history.every((h: { ts: number }) => h.ts > f.origin - 86_400 && h.ts <= f.origin));
  t.equal(f.predictions.length, 6, 'cpu and memory x 5m, 30m, 24h');
  for (const p of f.predictions) {
    const d = p.distribution;
    t.ok(d['0.5'] <= d['0.9'] && d['0.9'] <= d['0.95'] && d['0.95'] <= d['0.99'], `${p.resource} ${p.horizon}: quantiles ordered ${JSON.stringify(d)}`);
    t.ok(d['0.5'] >= 0, 'no negative load');
    t.equal(p.origin, f.origin);
  }
  // the 24 h peak covers at least what the recent history reached at its median level
  const cpu24 = f.predictions.find((p: { resource: string; horizon: string }) => p.resource === 'cpu' && p.horizon === '24h');
  const dayPeak = Math.max(...f.history.map((h: { cpuCores: number }) => h.cpuCores));
  t.ok(cpu24.distribution['0.99'] > 0 && dayPeak > 0, `a non-trivial series: day peak ${dayPeak}, 24h q0.99 ${cpu24.distribution['0.99']}`);
});

t.test('forecast --db draws a readable chart in 80 columns', async (t) => {
  const r = await virtzone(['forecast', 'vm:bitbrains-22', '--db', db]);
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  for (const l of lines) t.ok(width(l) <= 80, `fits 80 columns (${width(l)}): ${l}`);
  t.match(r.stdout, /^vm:bitbrains-22 at 2013-09-29 21:55:00 UTC\n/);
  t.match(r.stdout, /\nCPU, cores\n/);
  t.match(r.stdout, /\nMemory, MiB\n/);
  t.equal(lines.filter((l) => /^ {10}-24h +-18h +-12h +-6h +now +\+5m +\+30m +\+24h$/.test(l)).length, 2, 'a time axis under each chart');
  t.match(r.stdout, /── median {3}╌╌ 0\.95 {3}·· 0\.99/);
  t.match(r.stdout, / CPU cores +Median +q0\.90 +q0\.95 +q0\.99 +Trend\/h +Model\n-+\n peak \+5m /);
  // the chart has the band: dotted (0.99) and dashed (0.95) cells after "now"
  const top = lines.indexOf('CPU, cores') + 1;
  const cpuChart = lines.slice(top, lines.findIndex((l, i) => i >= top && l.includes('└')));
  t.ok(cpuChart.length >= 9 && cpuChart.length <= 12, `height 10: about 11 rows of values (${cpuChart.length})`);
  const labels = cpuChart.map((l) => Number(l.slice(0, 9)));
  const step = labels[0] - labels[1];
  t.ok(labels.every((v, i) => Math.abs(v - (labels[0] - i * step)) < 1e-9), 'evenly spaced labels');
  t.ok([1, 2, 2.5, 5].some((m) => Math.abs(step / 10 ** Math.floor(Math.log10(step)) - m) < 1e-6), `round steps (${step})`);
  t.ok(cpuChart.every((l) => /^ *\d+\.\d\d┤/.test(l)), 'every row has a y label');
  t.ok(cpuChart.some((l) => l.includes('·')) && cpuChart.some((l) => /[╌╎]/.test(l)), 'the 0.99 and 0.95 lines are drawn');
  t.ok(cpuChart.some((l) => [...l].slice(10, 10 + HISTORY_COLUMNS - 1).some((c) => c !== ' ')), 'the history is drawn');

  const small = await virtzone(['forecast', 'class:gold', '--db', db, '--resource', 'cpu', '--height', '5']);
  t.equal(small.code, 0, small.stderr);
  t.notMatch(small.stdout, /Memory, MiB/);
  const smallRows = small.stdout.split('\n').filter((l) => /┤/.test(l)).length;
  t.ok(smallRows >= 4 && smallRows <= 7, `height 5: about 6 rows (${smallRows})`);
});

t.test('forecast: the highest-priority class by default; bad input is exit 2', async (t) => {
  const def = await virtzone(['forecast', '--db', db, '--json']);
  t.equal(def.code, 0, def.stderr);
  t.equal(json(def).series, 'class:gold');
  const bare = await virtzone(['forecast', 'silver', '--db', db, '--json']);
  t.equal(json(bare).series, 'class:silver', 'a bare name is a class');
  const unknown = await virtzone(['forecast', 'class:platinum', '--db', db]);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /virtzone forecast: unknown series "class:platinum" in .*trace\.db \(classes there: class:bronze, class:gold, class:silver; or vm:NAME\)/);
  const res = await virtzone(['forecast', '--db', db, '--resource', 'disk']);
  t.equal(res.code, 2);
  t.match(res.stderr, /option '--resource <r>' argument 'disk' is invalid\. Allowed choices are cpu, memory, both/);
  const missing = await virtzone(['forecast', '--db', join(work, 'nope.db')]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /--db: database file not found/);
});

t.test('chart layout', async (t) => {
  const origin = 1_000_000_200; // a 5-minute bucket start
  // 30-minute columns: the peak of the 5-minute values in each
  const history = Array.from({ length: 288 }, (_, i) => ({ ts: origin - (287 - i) * 300, value: i % 6 === 0 ? 2 : 1 }));
  const cols = historyColumns(history, origin);
  t.equal(cols.length, 48);
  t.ok(cols.every((c) => c === 2), 'each column holds its peak');
  t.ok(Number.isNaN(historyColumns([{ ts: origin - 86_400 * 2, value: 5 }], origin)[0]), 'older than a day: not drawn');

  const band = { '5m': { q50: 1, q95: 3, q99: 4 }, '30m': { q50: 1, q95: 3, q99: 4 }, '24h': { q50: 1, q95: 3, q99: 4 } };
  const text = renderForecastChart({ title: 'CPU, cores', digits: 2, history: history.map((h) => ({ ...h, value: 1 })), origin, band, height: 6 });
  const rows = text.split('\n').filter((l) => l.includes('┤'));
  t.equal(rows.length, 7);
  t.match(rows[0], /^ {5}4\.00┤ {47}/, 'top row: the 0.99 line, after the history');
  t.ok(rows[0].trimEnd().endsWith('·'), 'q0.99 reaches the end of the 24 h segment');
  t.match(rows[6], /^ {5}1\.00┤─{47}/, 'bottom row: a flat history at 1 and the median continuing it');
  t.ok(rows.some((r) => /╌/.test(r) && r.startsWith('     3.00')), 'q0.95 at 3');
  t.same(niceAxis(0.2, 2.21, 10), { min: 0.25, max: 2.25, rows: 8, step: 0.25 }, 'rows on round values, none empty');
  const flat = niceAxis(3, 3, 10);
  t.ok(flat.rows === 6 && Math.abs(flat.min - 2.7) < 1e-9 && Math.abs(flat.max - 3.3) < 1e-9, 'a flat series gets a little room');
  // no band: history only, and a note-free legend
  const plain = renderForecastChart({ title: 'x', digits: 0, history, origin });
  t.notMatch(plain, /\+24h/);
  t.match(plain, /now/);
  t.equal(renderForecastChart({ title: 'x', digits: 0, history: [], origin }), 'x\n  (no data in the last day)\n');
});
