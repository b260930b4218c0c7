// The overflow policies, pure: the grant rate of the probabilistic policy over 10,000
// seeded decisions per point matches its p within ±2 percentage points; priorities,
// threshold and forecast move p the way router/README.md says; quota is deterministic.
import t from 'tap';
import {
  freeShare,
  grantProbability,
  priorityWeight,
  probabilisticPolicy,
  quotaPolicy,
  type OverflowInput,
} from '../../router/overflow/policy.js';
import { mulberry32 } from '../../router/overflow/rng.js';

const settings = { threshold: 0.2, exponent: 2 };

function input(free: number, rank: number, growth = 0, overflowInUse = 0): OverflowInput {
  return {
    zone: 'z',
    rank,
    classCount: 3,
    request: { cpuCores: 1, memoryMiB: 1024 },
    // free share = (free - request) / total = the given share
    free: { cpuCores: free * 100 + 1, memoryMiB: free * 102400 + 1024 },
    total: { cpuCores: 100, memoryMiB: 102400 },
    expectedGrowth: { cpuCores: growth * 100, memoryMiB: 0 },
    overflowInUse: { cpuCores: overflowInUse, memoryMiB: overflowInUse * 1024 },
  };
}

t.test('curve: 1 at and above the threshold, 0 at no free capacity, monotone between', async (t) => {
  for (const rank of [0, 1, 2, 3]) {
    t.equal(grantProbability(0.2, rank, 3, 0, settings).probability, 1);
    t.equal(grantProbability(0.9, rank, 3, 0, settings).probability, 1);
    t.equal(grantProbability(0, rank, 3, 0, settings).probability, 0);
    let prev = 0;
    for (let f = 0.01; f < 0.2; f += 0.01) {
      const p = grantProbability(f, rank, 3, 0, settings).probability;
      t.ok(p > prev && p < 1, `rank ${rank}: p(${f.toFixed(2)}) = ${p} rises`);
      prev = p;
    }
  }
  // gold (rank 0, weight 1): p = (f/T)^2
  t.equal(grantProbability(0.1, 0, 3, 0, settings).probability, 0.25);
  // general (rank 3, weight 1/4): p = (f/T)^8
  t.equal(grantProbability(0.1, 3, 3, 0, settings).probability, Math.pow(0.5, 8));
});

t.test('higher priorities keep a higher p at the same free share', async (t) => {
  t.same([0, 1, 2, 3].map((r) => priorityWeight(r, 3)), [1, 0.75, 0.5, 0.25]);
  for (const f of [0.02, 0.05, 0.1, 0.15, 0.19]) {
    const ps = [0, 1, 2, 3].map((r) => grantProbability(f, r, 3, 0, settings).probability);
    for (let i = 1; i < ps.length; i++) t.ok(ps[i - 1] > ps[i], `f=${f}: rank ${i - 1} (${ps[i - 1]}) > rank ${i} (${ps[i]})`);
  }
});

t.test('the forecast moves threshold and curve: rising load lowers p, falling load raises it', async (t) => {
  const f = 0.15;
  const steady = grantProbability(f, 1, 3, 0, settings);
  const rising = grantProbability(f, 1, 3, 0.1, settings);
  const falling = grantProbability(f, 1, 3, -0.1, settings);
  t.equal(steady.threshold, 0.2);
  t.ok(Math.abs(rising.threshold - 0.3) < 1e-12, 'rising load raises the threshold by its share');
  t.ok(Math.abs(falling.threshold - 0.1) < 1e-12, 'falling load lowers it');
  t.ok(rising.probability < steady.probability, `rising ${rising.probability} < steady ${steady.probability}`);
  t.equal(falling.probability, 1, 'above the lowered threshold: granted');
  // growth share is taken from the input's forecast
  const d = probabilisticPolicy(settings, mulberry32(1)).decide(input(0.25, 0, 0.1));
  t.ok(Math.abs(d.threshold - 0.3) < 1e-12 && d.probability < 1, 'free share 0.25 is below a threshold raised to 0.3');
});

t.test('grant rate over 10,000 seeded decisions per point matches p within ±2 points', async (t) => {
  const points: [number, number, number][] = [];
  for (const f of [0.02, 0.05, 0.08, 0.1, 0.12, 0.15, 0.18]) for (const rank of [0, 1, 2, 3]) points.push([f, rank, 0]);
  for (const g of [-0.05, 0.05, 0.1]) points.push([0.12, 1, g]);
  let seed = 1;
  for (const [f, rank, g] of points) {
    const policy = probabilisticPolicy(settings, mulberry32(seed++));
    const inp = input(f, rank, g);
    const p = policy.decide(inp).probability;
    t.ok(Math.abs(freeShare(inp) - f) < 1e-12, 'free share as given');
    let granted = 0;
    const n = 10_000;
    for (let i = 0; i < n; i++) if (policy.decide(inp).grant) granted++;
    const rate = granted / n;
    t.ok(Math.abs(rate - p) <= 0.02, `f=${f} rank=${rank} growth=${g}: rate ${rate.toFixed(4)} vs p ${p.toFixed(4)}`);
  }
});

t.test('a request larger than what is unused gets p = 0', async (t) => {
  const inp = { ...input(0.5, 0), request: { cpuCores: 100, memoryMiB: 1 } };
  t.equal(freeShare(inp), 0);
  t.equal(probabilisticPolicy(settings, mulberry32(1)).decide(inp).probability, 0);
});

t.test('the same seed gives the same decisions', async (t) => {
  const run = (seed: number) => {
    const policy = probabilisticPolicy(settings, mulberry32(seed));
    return Array.from({ length: 200 }, () => policy.decide(input(0.1, 1)).grant);
  };
  t.same(run(7), run(7));
  t.not(run(7).join(), run(8).join());
});

t.test('quota policy: deterministic per-class quota, shrunk by forecast growth', async (t) => {
  const q = quotaPolicy(settings);
  // gold quota = 100 cores x 0.2 x 1 = 20 cores
  t.equal(q.decide(input(0, 0, 0, 19)).grant, true, 'gold with 19 in use may take 1 more');
  t.equal(q.decide(input(0, 0, 0, 20)).grant, false, 'gold with 20 in use may not');
  t.equal(q.decide(input(0, 0, 0, 20)).probability, 0);
  // bronze quota = 100 x 0.2 x 0.5 = 10
  t.equal(q.decide(input(0, 2, 0, 9)).grant, true);
  t.equal(q.decide(input(0, 2, 0, 10)).grant, false);
  // expected growth of 5 cores shrinks gold's quota to 15
  t.equal(q.decide(input(0, 0, 0.05, 14)).grant, true);
  t.equal(q.decide(input(0, 0, 0.05, 15)).grant, false);
  // no randomness: the same input always gives the same answer
  const answers = new Set(Array.from({ length: 100 }, () => q.decide(input(0, 1, 0, 14)).grant));
  t.equal(answers.size, 1);
});
