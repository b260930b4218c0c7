// `virtzone simulate` as a user runs it (child processes): two runs with the same seed
// print identical JSON (only `seconds`, the wall time, may differ), another seed prints
// other numbers; the JSON has its documented shape; bad options exit 2 naming the option.
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, virtzone as runVirtzone } from '../cli/harness.js';

const TRACE = join(ROOT, '../shared/traces/bitbrains-rnd');
const work = mkdtempSync(join(tmpdir(), 'virtzone-sim-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const virtzone = (...args: string[]) => runVirtzone(args);

const small = ['--trace', TRACE, '--hours', '8', '--initial-vms', '8', '--cpus', '16', '--memory-gib', '64', '--rate', '6', '--quiet'];
const withoutSeconds = (out: string) => JSON.stringify((JSON.parse(out) as Array<Record<string, unknown>>).map((r) => ({ ...r, seconds: null })));

t.test('same seed: identical JSON; another seed: different', async (t) => {
  const plot = join(work, 'chart.svg');
  const [a, b, c] = await Promise.all([
    virtzone('simulate', ...small, '--policy', 'all', '--seed', '3', '--json', '--plot', plot),
    virtzone('simulate', ...small, '--policy', 'all', '--seed', '3', '--json'),
    virtzone('simulate', ...small, '--policy', 'all', '--seed', '4', '--json'),
  ]);
  for (const r of [a, b, c]) t.equal(r.code, 0, r.stderr);
  t.equal(withoutSeconds(a.stdout), withoutSeconds(b.stdout), 'seed 3 twice: the same numbers');
  t.not(withoutSeconds(a.stdout), withoutSeconds(c.stdout), 'seed 4: other numbers');
  const records = JSON.parse(a.stdout) as Array<Record<string, unknown>>;
  t.same(records.map((r) => r.policy), ['static', 'reactive', 'predictive', 'oracle', 'ratio'], '--policy all: an array, one object per policy');
  for (const r of records) {
    for (const k of ['rejectionRate', 'sloViolation', 'slack', 'actionsPerVmDay', 'seconds']) t.type(r[k], 'number', `${r.policy}.${k}`);
    t.same(Object.keys(r.perClass as object), ['gold', 'silver', 'bronze', 'general']);
  }
  t.ok(existsSync(plot) && /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/.test(readFileSync(plot, 'utf8')), 'an SVG chart was written');
});

t.test('one policy: one object; without --json: the table and the goals', async (t) => {
  const one = await virtzone('simulate', ...small, '--policy', 'reactive', '--json');
  t.equal(one.code, 0, one.stderr);
  const r = JSON.parse(one.stdout);
  t.equal(r.policy, 'reactive');
  const table = await virtzone('simulate', ...small, '--policy', 'all');
  t.equal(table.code, 0, table.stderr);
  t.match(table.stdout, /Policy\s+Requests\s+Rejected/);
  t.match(table.stdout, /\nGoals:\n/);
  t.match(table.stdout, /Reference bound\s+Charge/);
  t.match(table.stdout, /clairvoyant\s+true future\s+[\d.]+% \(\d+\)\s+0\.00%\s+0\n/, 'the clairvoyant bound never overloads');
  t.equal((table.stdout.match(/^ known-present /gm) ?? []).length, 4);
});

t.test('bad input: exit 2 and the option named', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--policy', 'clairvoyant'], /--policy: "clairvoyant" is not a policy/],
    [['--rate', 'lots'], /--rate: "lots" is not a number/],
    [['--mix', 'platinum=1'], /--mix: "platinum" is not a configured class/],
    [['--hours', '100000'], /--hours: expected/],
  ];
  const runs = await Promise.all(cases.map(([args]) => virtzone('simulate', ...small, ...args)));
  runs.forEach((r, i) => {
    t.equal(r.code, 2, `${cases[i][0].join(' ')}: exit 2`);
    t.match(r.stderr, cases[i][1]);
  });
  const missing = await virtzone('simulate', '--trace', join(work, 'nowhere'));
  t.equal(missing.code, 2);
  t.match(missing.stderr, /--trace: .* is not a folder/);
});
