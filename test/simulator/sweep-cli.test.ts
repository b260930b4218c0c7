// `virtzone simulate` with the ratio policy, the run metrics and --sweep, as a user runs
// it (child processes) on a small slice of the real traces: the new JSON keys are there
// and consistent, the sweep's frontiers are mutually non-dominated, its SVG parses as
// XML, and bad ratios exit 2 naming the option.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SaxesParser } from 'saxes';
import { ROOT, virtzone as runVirtzone } from '../cli/harness.js';

const TRACE = join(ROOT, '../shared/traces/bitbrains-rnd');
const work = mkdtempSync(join(tmpdir(), 'virtzone-sweep-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const virtzone = (...args: string[]) => runVirtzone(args, { timeoutMs: 300_000 });
const small = ['--trace', TRACE, '--hours', '12', '--initial-vms', '8', '--cpus', '16', '--memory-gib', '64', '--rate', '6', '--quiet'];

interface Point {
  policy: string;
  knobs: Record<string, number>;
  rejectionRate: number;
  sloViolation: number;
  topClassSloViolation: number;
  admittedVmDays: number;
  vmDays: number;
  utilization: { cpu: number; memory: number };
}

const dominates = (a: number[], b: number[]) => a.every((x, i) => x <= b[i]) && a.some((x, i) => x < b[i]);

t.test('every policy: vmDays, admittedVmDays, utilization and per-class rates, consistent', async (t) => {
  const r = await virtzone('simulate', ...small, '--policy', 'all', '--json', '--cpu-ratio', '3', '--ram-ratio', '2.5');
  t.equal(r.code, 0, r.stderr);
  const records = JSON.parse(r.stdout) as Array<Record<string, any>>;
  t.same(records.map((x) => x.policy), ['static', 'reactive', 'predictive', 'oracle', 'ratio']);
  for (const x of records) {
    t.ok(x.vmDays > 0, `${x.policy}.vmDays ${x.vmDays}`);
    t.ok(x.admittedVmDays >= 0 && x.admittedVmDays <= x.vmDays, `${x.policy}.admittedVmDays ${x.admittedVmDays} of ${x.vmDays}`);
    t.equal(x.admittedVmDays > 0, x.rejected < x.requests, `${x.policy}: VM-days admitted iff something was admitted`);
    for (const k of ['cpu', 'memory']) t.ok(x.utilization[k] > 0 && x.utilization[k] <= 1, `${x.policy}.utilization.${k} = ${x.utilization[k]}`);
    // the per-class rates, weighted by each class's requests, give back the total
    const classes = Object.values(x.perClass) as Array<{ requests: number; rejectionRate: number; sloViolation: number }>;
    const rejected = classes.reduce((s, c) => s + c.requests * c.rejectionRate, 0);
    t.ok(Math.abs(rejected / x.requests - x.rejectionRate) < 1e-5, `${x.policy}: per-class rejection rates combine to ${x.rejectionRate}`);
    for (const c of classes) t.ok(c.sloViolation >= 0 && c.sloViolation <= 1);
  }
  const ratio = records.find((x) => x.policy === 'ratio')!;
  t.equal(ratio.overflowGrants, 0);
  t.same([ratio.scenario.cpuRatio, ratio.scenario.ramRatio], [3, 2.5], 'the ratios are part of the scenario record');
  // a stricter CPU ratio admits no more
  const strict = await virtzone('simulate', ...small, '--policy', 'ratio', '--json', '--cpu-ratio', '1', '--ram-ratio', '2.5');
  t.equal(strict.code, 0, strict.stderr);
  t.ok(JSON.parse(strict.stdout).rejected >= ratio.rejected);
});

t.test('--sweep: per-policy points and frontiers, non-dominated; the dominance summary; an SVG that parses', async (t) => {
  const plot = join(work, 'sweep.svg');
  const r = await virtzone('simulate', ...small, '--sweep', '--json', '--plot', plot);
  t.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { topClass: string; policies: Record<string, { points: Point[]; frontier: { rejectionViolation: Point[]; vmDaysTopClassViolation: Point[] } }>; dominance: Array<Record<string, any>> };
  t.equal(out.topClass, 'gold');
  t.same(Object.keys(out.policies), ['static', 'reactive', 'predictive', 'oracle', 'ratio']);
  t.equal(out.policies.static.points.length, 1);
  t.ok(out.policies.ratio.points.length >= 24 && out.policies.predictive.points.length >= 8);
  const same = (a: Point, b: Point) => JSON.stringify(a) === JSON.stringify(b);
  for (const [policy, p] of Object.entries(out.policies)) {
    for (const [name, front, score] of [
      ['rejectionViolation', p.frontier.rejectionViolation, (x: Point) => [x.rejectionRate, x.sloViolation]],
      ['vmDaysTopClassViolation', p.frontier.vmDaysTopClassViolation, (x: Point) => [-x.admittedVmDays, x.topClassSloViolation]],
    ] as const) {
      t.ok(front.length >= 1, `${policy} ${name}: not empty`);
      t.ok(front.every((f) => p.points.some((x) => same(x, f))), `${policy} ${name}: its points are sweep points`);
      const bad = front.filter((a) => front.some((b) => dominates(score(b), score(a))));
      t.same(bad, [], `${policy} ${name}: mutually non-dominated`);
      const missed = p.points.filter((a) => !p.points.some((b) => dominates(score(b), score(a))) && !front.some((f) => score(f).every((v, i) => v === score(a)[i])));
      t.same(missed, [], `${policy} ${name}: every non-dominated point is on it`);
    }
  }
  const compared = out.policies.reactive.frontier.rejectionViolation.length + out.policies.ratio.frontier.rejectionViolation.length;
  t.equal(out.dominance.length, compared, 'one dominance entry per reactive and ratio frontier point');
  for (const d of out.dominance) {
    t.ok(['reactive', 'ratio'].includes(d.policy));
    if (d.atNoMoreViolation) t.ok(d.atNoMoreViolation.sloViolation <= d.sloViolation, 'predictive at no more violation');
    if (d.atNoMoreRejection) t.ok(d.atNoMoreRejection.rejectionRate <= d.rejectionRate, 'predictive at no more rejections');
  }

  // the plot: well-formed XML, an <svg> root, a frontier line and one circle per point
  const svg = readFileSync(plot, 'utf8');
  const parser = new SaxesParser({ xmlns: true });
  const elements: string[] = [];
  let error: Error | null = null;
  parser.on('opentag', (tag) => elements.push(tag.local));
  parser.on('error', (e) => (error ??= e));
  parser.write(svg).close();
  t.equal(error, null, 'the SVG parses as XML');
  t.equal(elements[0], 'svg');
  const points = Object.values(out.policies).reduce((n, p) => n + p.points.length, 0);
  t.equal(elements.filter((e) => e === 'circle').length, 2 * points + Object.keys(out.policies).length, 'each point in both panels, and the legend');
  t.ok(elements.includes('polyline'), 'frontier lines');
});

t.test('--sweep without --json: the frontier table and the dominance summary', async (t) => {
  const r = await virtzone('simulate', ...small, '--sweep', '--policy', 'ratio');
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /Policy\s+Knobs\s+Rejected/);
  t.match(r.stdout, /ratio\s+cpuRatio=\d+ ramRatio=[\d.]+/);
  t.notMatch(r.stdout, /Predictive against/, 'no predictive points: no dominance summary');
});

t.test('bad --cpu-ratio / --ram-ratio: exit 2 and the option named', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--cpu-ratio', 'lots'], /--cpu-ratio: "lots" is not a number/],
    [['--cpu-ratio', '0'], /--cpu-ratio: expected a positive number, got 0/],
    [['--cpu-ratio=-2'], /--cpu-ratio: expected a positive number, got -2/],
    [['--cpu-ratio', 'Infinity'], /--cpu-ratio: "Infinity" is not a number/],
    [['--ram-ratio', ''], /--ram-ratio: "" is not a number/],
  ];
  const runs = await Promise.all(cases.map(([args]) => virtzone('simulate', ...small, '--policy', 'ratio', ...args)));
  runs.forEach((r, i) => {
    t.equal(r.code, 2, `${cases[i][0].join(' ')}: exit 2`);
    t.match(r.stderr, cases[i][1]);
    t.equal(r.stdout, '', 'nothing printed');
  });
});
