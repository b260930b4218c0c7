// `virtzone train`, `forecast` and `history` against a daemon API whose forecaster really
// trains (test/cli/forecast-api.ts: router + store + forecast routine + libvirt test
// driver), on three real Bitbrains VMs imported and shifted to end within the last week.
import t from 'tap';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADDON, copyTraces, json, TEST_URI, virtzone, width } from './harness.js';

const work = mkdtempSync(join(tmpdir(), 'vz-cli-fapi-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

t.test('train, then forecast and history from the daemon', { skip: !existsSync(ADDON) && 'libvirt addon not built' }, async (t) => {
  const db = join(work, 'v.db');
  const trace = copyTraces(join(work, 'trace'), ['1', '22', '25']);
  const imp = await virtzone(['import-trace', '--format', 'bitbrains', trace, '--db', db, '--shift-to-now', '--json']);
  t.equal(imp.code, 0, imp.stderr);
  const { startForecastApi } = await import('./forecast-api.js');
  const socket = join(work, 'api.sock');
  const api = await startForecastApi({ db, socket, uri: TEST_URI });
  t.teardown(() => api.close());
  const s = ['--socket', socket];

  // before training: baseline predictions already (the routine's first refresh)
  const before = await virtzone(['forecast', 'class:gold', ...s, '--json']);
  t.equal(before.code, 0, before.stderr);
  const b = json(before);
  t.equal(b.predictions.length, 6);
  t.ok(b.predictions.every((p: { model: string }) => ['seasonal_naive', 'last_window'].includes(p.model)), 'baselines before any training');

  const r = await virtzone(['train', ...s, '--poll', '0.2', '--json'], { timeoutMs: 600_000 });
  t.equal(r.code, 0, r.stderr);
  const out = json(r);
  t.equal(out.failed, false);
  t.equal(out.result.runId, 1);
  t.equal(out.status.running, null, 'the run is over when train returns');
  t.equal(out.status.lastGood.id, 1);
  t.equal(out.status.modelRunId, 1, 'its models are in use');
  // progress on stderr (not a terminal: one line per phase)
  const bars = r.stderr.split('\n').filter((l) => /^\[[#.-]{30}\]/.test(l));
  t.ok(bars.length >= 2, `progress shown:\n${r.stderr}`);
  t.ok(bars.some((l) => /^\[[#-]{30}\] +\d+% +\S/.test(l)), 'a bar with a percentage and a phase');

  const after = json(await virtzone(['forecast', 'class:gold', ...s, '--json']));
  t.equal(after.predictions.length, 6);
  t.equal(after.source, 'daemon');
  t.equal(after.history.length, 288, 'the last day before the origin');
  t.equal(after.history[after.history.length - 1].ts, after.origin);
  const text = await virtzone(['forecast', 'class:gold', ...s]);
  t.equal(text.code, 0, text.stderr);
  t.match(text.stdout, /\nCPU, cores\n[\s\S]*\+24h\n/);
  for (const l of text.stdout.split('\n')) t.ok(width(l) <= 80, `fits 80 columns: ${l}`);

  const h = await virtzone(['history', 'bitbrains-22', ...s, '--since', '-8d', '--json']);
  t.equal(h.code, 0, h.stderr);
  const hist = json(h);
  t.equal(hist.series, 'vm:bitbrains-22');
  t.equal(hist.class, 'silver');
  const offline = json(await virtzone(['history', 'bitbrains-22', '--db', db, '--since', hist.since, '--json']));
  t.same(hist.rollups, offline.rollups.slice(0, hist.count), 'the daemon serves what the database holds');
  const bad = await virtzone(['history', 'bitbrains-22', ...s, '--since', '-1d', '--until', '-2d']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /--until \(.*\) must be after --since/);

  // training again while nothing changed still works and gets a new run
  const again = json(await virtzone(['train', ...s, '--poll', '0.2', '--json'], { timeoutMs: 600_000 }));
  t.equal(again.status.lastGood.id, 2);
});
