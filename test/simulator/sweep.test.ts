// The sweep's pure parts: Pareto frontiers and the dominance summary as properties over
// random point sets (fast-check), checked against brute force, plus hand-made cases; the
// grid and how a point's knobs reach the config a run uses.
import t from 'tap';
import fc from 'fast-check';
import { defaultConfig } from '../../core/config/load.js';
import { dominanceSummary, shareOf, type TradeOff } from '../../simulator/sweep/dominance.js';
import { frontiersOf, summarizeSweep, type SweepMeasure } from '../../simulator/sweep/frontiers.js';
import { applyKnobs, DEFAULT_SWEEP_GRID, gridPoints } from '../../simulator/sweep/grid.js';
import { dominates, paretoFrontier } from '../../simulator/sweep/pareto.js';
import { makeScenario } from '../../simulator/scenario.js';

// small integer grids make ties and duplicates common, where frontiers go wrong
const value = fc.integer({ min: 0, max: 6 });
const points2 = fc.array(fc.tuple(value, value), { maxLength: 25 });
const points3 = fc.array(fc.tuple(value, value, value), { maxLength: 20 });
const objectives2 = [(p: readonly number[]) => p[0], (p: readonly number[]) => p[1]];
const objectives3 = [...objectives2, (p: readonly number[]) => p[2]];

t.test('dominates: by hand', async (t) => {
  t.equal(dominates([1, 1], [2, 2]), true);
  t.equal(dominates([1, 2], [2, 2]), true, 'better on one, equal on the other');
  t.equal(dominates([2, 2], [2, 2]), false, 'equal points do not dominate each other');
  t.equal(dominates([1, 3], [2, 2]), false, 'a trade-off');
});

t.test('paretoFrontier: by hand', async (t) => {
  const pts = [
    [5, 1],
    [1, 5],
    [3, 3],
    [4, 4], // dominated by [3, 3]
    [3, 3], // a duplicate: kept once
    [2, 6], // dominated by [1, 5]
  ];
  t.same(paretoFrontier(pts, objectives2), [[1, 5], [3, 3], [5, 1]]);
  t.equal(paretoFrontier(pts, objectives2)[1], pts[2], 'the first of equal points is the one kept');
  t.same(paretoFrontier([], objectives2), []);
});

t.test('paretoFrontier: properties', async (t) => {
  for (const [name, arb, objectives] of [
    ['2 objectives', points2, objectives2],
    ['3 objectives', points3, objectives3],
  ] as const) {
    fc.assert(
      fc.property(arb, (pts: readonly (readonly number[])[]) => {
        const front = paretoFrontier(pts, objectives);
        // a subset of the input
        if (!front.every((f) => pts.includes(f))) return false;
        // mutually non-dominated, no objective vector twice
        for (const a of front) for (const b of front) if (a !== b && (dominates(a, b) || a.every((x, i) => x === b[i]))) return false;
        // every input point is on it, or dominated by or equal to a point on it
        for (const p of pts) if (!front.some((f) => f === p || dominates(f, p) || f.every((x, i) => x === p[i]))) return false;
        // nothing left out: brute force, every point no one dominates has its vector on the frontier
        for (const p of pts) if (!pts.some((q) => dominates(q, p)) && !front.some((f) => f.every((x, i) => x === p[i]))) return false;
        // sorted by the first objective
        for (let i = 1; i < front.length; i++) if (front[i - 1][0] > front[i][0]) return false;
        return true;
      }),
    );
    t.pass(name);
  }
  // with two objectives, along the frontier one goes up as the other goes down
  fc.assert(
    fc.property(points2, (pts) => {
      const front = paretoFrontier(pts, objectives2);
      for (let i = 1; i < front.length; i++) if (!(front[i][0] > front[i - 1][0] && front[i][1] < front[i - 1][1])) return false;
      return true;
    }),
  );
});

const tradeOff = fc.record({ rejectionRate: fc.integer({ min: 0, max: 10 }).map((x) => x / 10), sloViolation: fc.integer({ min: 0, max: 10 }).map((x) => x / 100), id: fc.nat(1000) }).map(({ rejectionRate, sloViolation, id }): TradeOff => ({ knobs: { id }, rejectionRate, sloViolation }));

t.test('dominanceSummary: by hand', async (t) => {
  const predictive: TradeOff[] = [
    { knobs: { buffer: 0 }, rejectionRate: 0.05, sloViolation: 0.02 },
    { knobs: { buffer: 0.2 }, rejectionRate: 0.08, sloViolation: 0.01 },
    { knobs: { buffer: 0.4 }, rejectionRate: 0.12, sloViolation: 0.004 },
  ];
  const [reactive, low] = dominanceSummary(predictive, {
    reactive: [
      { knobs: { threshold: 0.2 }, rejectionRate: 0.16, sloViolation: 0.01 },
      { knobs: { threshold: 0.5 }, rejectionRate: 0.02, sloViolation: 0.001 },
    ],
  });
  t.equal(reactive.policy, 'reactive');
  t.same(reactive.atNoMoreViolation, { knobs: { buffer: 0.2 }, rejectionRate: 0.08, sloViolation: 0.01, ratio: 0.5 }, 'no more than 1% violation: 8% rejected, half of 16%');
  t.same(reactive.atNoMoreRejection, { knobs: { buffer: 0.4 }, rejectionRate: 0.12, sloViolation: 0.004, ratio: 0.4 }, 'no more than 16% rejected: 0.4% violation, 0.4 of 1%');
  t.equal(low.atNoMoreViolation, null, 'no predictive point violates as little as 0.1%');
  t.equal(low.atNoMoreRejection, null, 'nor rejects as little as 2%');
  t.equal(shareOf(0, 0), 1);
  t.equal(shareOf(0.1, 0), null);
  t.equal(shareOf(0.1, 0.4), 0.25);
});

t.test('dominanceSummary: properties against brute force', async (t) => {
  fc.assert(
    fc.property(fc.array(tradeOff, { maxLength: 12 }), fc.array(tradeOff, { maxLength: 8 }), (predictive, others) => {
      const out = dominanceSummary(predictive, { ratio: others });
      if (out.length !== others.length) return false;
      return out.every((d, i) => {
        const q = others[i];
        const noMoreViolation = predictive.filter((p) => p.sloViolation <= q.sloViolation);
        const noMoreRejection = predictive.filter((p) => p.rejectionRate <= q.rejectionRate);
        const a = d.atNoMoreViolation;
        const b = d.atNoMoreRejection;
        if ((a === null) !== (noMoreViolation.length === 0) || (b === null) !== (noMoreRejection.length === 0)) return false;
        if (a && !(a.sloViolation <= q.sloViolation && noMoreViolation.every((p) => p.rejectionRate >= a.rejectionRate) && a.ratio === shareOf(a.rejectionRate, q.rejectionRate))) return false;
        if (b && !(b.rejectionRate <= q.rejectionRate && noMoreRejection.every((p) => p.sloViolation >= b.sloViolation) && b.ratio === shareOf(b.sloViolation, q.sloViolation))) return false;
        return true;
      });
    }),
  );
  t.pass('best predictive point at no more violation / no more rejections');
});

const measure = (policy: SweepMeasure['policy'], rejectionRate: number, sloViolation: number, admittedVmDays: number, topClassSloViolation: number): SweepMeasure => ({
  policy,
  knobs: { rejectionRate, sloViolation },
  rejectionRate,
  sloViolation,
  topClassSloViolation,
  admittedVmDays,
  vmDays: admittedVmDays + 10,
  utilization: { cpu: 0.5, memory: 0.2 },
  seconds: 1,
});

t.test('summarizeSweep: both frontiers per policy, dominance against reactive and ratio only', async (t) => {
  const ms = [
    measure('reactive', 0.2, 0.01, 100, 0.002),
    measure('reactive', 0.1, 0.02, 120, 0.004),
    measure('reactive', 0.3, 0.02, 90, 0.001), // dominated on (a); on (b) it is the least gold violation
    measure('predictive', 0.08, 0.01, 130, 0.001),
    measure('oracle', 0.1, 0.001, 125, 0),
  ];
  const s = summarizeSweep(ms);
  t.same(Object.keys(s.policies), ['reactive', 'predictive', 'oracle']);
  t.same(s.policies.reactive!.frontier.rejectionViolation, [ms[1], ms[0]]);
  t.same(s.policies.reactive!.frontier.vmDaysTopClassViolation, [ms[1], ms[0], ms[2]], 'most VM-days first');
  t.equal(s.dominance.length, 2, 'one entry per reactive frontier point; oracle is not compared');
  t.ok(s.dominance.every((d) => d.policy === 'reactive' && d.atNoMoreViolation?.rejectionRate === 0.08));
  t.same(summarizeSweep(ms.filter((m) => m.policy !== 'predictive')).dominance, [], 'no predictive points: nothing to compare');
  t.same(frontiersOf([]), { rejectionViolation: [], vmDaysTopClassViolation: [] });
});

t.test('grid: every policy its own knobs; knobs reach the config without touching the scenario', async (t) => {
  const points = gridPoints(['static', 'reactive', 'predictive', 'oracle', 'ratio']);
  const count = (p: string) => points.filter((x) => x.policy === p).length;
  const g = DEFAULT_SWEEP_GRID;
  t.equal(count('static'), 1);
  t.equal(count('ratio'), g.ratio.cpuRatio.length * g.ratio.ramRatio.length);
  t.equal(count('reactive'), 1 + (g.reactive.threshold.length - 1) * g.reactive.exponent.length, 'threshold 0: one point, the exponent shapes nothing');
  t.equal(count('predictive'), g.predictive.buffer.length * g.predictive.quantile.length);
  t.equal(count('oracle'), g.oracle.buffer.length);
  t.same(gridPoints(['oracle'], { ...g, oracle: { buffer: [0.3] } }), [{ policy: 'oracle', knobs: { buffer: 0.3 } }]);

  const s = makeScenario({ trace: 'x', config: defaultConfig() });
  const before = JSON.stringify(s);
  const ratio = applyKnobs({ policy: 'ratio', knobs: { cpuRatio: 2, ramRatio: 1.5 } }, s);
  t.same([ratio.scenario.cpuRatio, ratio.scenario.ramRatio], [2, 1.5]);
  const reactive = applyKnobs({ policy: 'reactive', knobs: { threshold: 0.3, exponent: 4 } }, s);
  t.same([reactive.config.overflow.threshold, reactive.config.overflow.exponent], [0.3, 4]);
  const predictive = applyKnobs({ policy: 'predictive', knobs: { buffer: 0.4, quantile: 0.5 } }, s);
  t.same(predictive.config.classes.map((c) => c.buffer), [0.4, 0.4, 0.4]);
  t.equal(predictive.config.partitioner.quantile, 0.5);
  t.same(applyKnobs({ policy: 'oracle', knobs: { buffer: 0.2 } }, s).config.classes.map((c) => c.buffer), [0.2, 0.2, 0.2], "the oracle's buffer, which it otherwise runs without");
  t.same(applyKnobs({ policy: 'oracle', knobs: {} }, s).config.classes.map((c) => c.buffer), [0, 0, 0]);
  t.equal(JSON.stringify(s), before, 'the scenario given is not changed');
});
