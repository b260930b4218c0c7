// `virtzone backtest` as an operator runs it: bad input names the option and exits 2;
// a quick run (baselines only, 3 VMs) prints the protocol's JSON shape.
import t from 'tap';
import { existsSync } from 'node:fs';
import { virtzone, TRACES } from '../cli/harness.js';

t.test('bad input is a usage error naming the option', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['backtest'], /either --trace DIR .* or --db FILE/],
    [['backtest', '--trace', '/nonexistent', '--format', 'bitbrains'], /--trace: \/nonexistent is not a directory/],
    [['backtest', '--trace', TRACES], /--format: required with --trace/],
    [['backtest', '--trace', TRACES, '--format', 'csv'], /--format: "csv" is not a known trace format/],
    [['backtest', '--trace', TRACES, '--format', 'bitbrains', '--limit', 'x'], /--limit: "x" is not a whole number/],
    [['backtest', '--trace', TRACES, '--format', 'bitbrains', '--country', 'ZZ'], /--country: "ZZ" is not a country/],
    [['backtest', '--db', '/nonexistent.db'], /--db: database file not found/],
  ];
  for (const [args, message] of cases) {
    const r = await virtzone(args);
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, message);
  }
});

t.test('a quick run prints the protocol JSON', { skip: existsSync(TRACES) ? false : 'no traces' }, async (t) => {
  const r = await virtzone(['backtest', '--trace', TRACES, '--format', 'bitbrains', '--limit', '3', '--no-lstm', '--json']);
  t.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.same(Object.keys(out), ['series', 'quantiles', 'horizons', 'seconds']);
  t.equal(out.series, 6);
  t.same(out.quantiles, [0.5, 0.9, 0.95, 0.99]);
  t.same(Object.keys(out.horizons), ['5m', '30m', '24h']);
  t.same(Object.keys(out.horizons['30m']), ['seasonal_naive', 'last_window', 'ets', 'peak_quantile', 'selected']);
  for (const s of Object.values(out.horizons['30m']) as Array<{ spl: number; splMedian: number; coverage95: number }>) {
    t.ok(s.spl > 0 && s.splMedian > 0 && s.coverage95 > 0.5 && s.coverage95 <= 1);
  }
  t.match(r.stderr, /reading VM/, 'progress on stderr');
});
