// The simulator's pure parts on tiny cases computed by hand: the metric functions, the
// recorder that accumulates them, the world model (throttling, host memory, the
// work-conserving what-if), the daily request rate and the goal check.
import t from 'tap';
import { MetricsRecorder, perVmDay, rate, slackOf, violated, weightedShare } from '../../simulator/metrics.js';
import { deliver, zoneCpu, type WorldVm } from '../../simulator/world.js';
import { rateAt } from '../../simulator/stream.js';
import { checkGoals } from '../../simulator/report.js';

t.test('violated: short by more than 1% and more than the noise floor, on either resource', async (t) => {
  t.equal(violated({ cpuCores: 2, memoryMiB: 1000 }, { cpuCores: 2, memoryMiB: 1000 }), false);
  t.equal(violated({ cpuCores: 2, memoryMiB: 1000 }, { cpuCores: 1.99, memoryMiB: 1000 }), false, '0.5% short: within tolerance');
  t.equal(violated({ cpuCores: 2, memoryMiB: 1000 }, { cpuCores: 1.9, memoryMiB: 1000 }), true, '5% short of CPU');
  t.equal(violated({ cpuCores: 2, memoryMiB: 1000 }, { cpuCores: 2, memoryMiB: 900 }), true, '10% short of memory');
  t.equal(violated({ cpuCores: 0.5, memoryMiB: 0 }, { cpuCores: 0.492, memoryMiB: 0 }), false, '1.6% short but under 0.01 cores');
  t.equal(violated({ cpuCores: 0, memoryMiB: 0 }, { cpuCores: 0, memoryMiB: 0 }), false, 'no demand, no violation');
});

t.test('weightedShare, slackOf, perVmDay, rate by hand', async (t) => {
  // gold: 1 of 10 steps violated, weight 1; bronze: 4 of 10, weight 0.5 -> (1 + 2) / (10 + 5) = 0.2
  t.equal(weightedShare([{ weight: 1, violated: 1, steps: 10 }, { weight: 0.5, violated: 4, steps: 10 }]), 0.2);
  t.equal(weightedShare([]), 0);
  // (10-4) + (5-5) + max(0, 2-3) = 6 over 17 allocated
  t.equal(slackOf([{ allocated: 10, used: 4 }, { allocated: 5, used: 5 }, { allocated: 2, used: 3 }]), 6 / 17);
  t.equal(slackOf([]), 0);
  // 288 VM-steps of 5 minutes = 1 VM-day
  t.equal(perVmDay(6, 288), 6);
  t.equal(perVmDay(6, 576), 3);
  t.equal(perVmDay(1, 0), 0);
  t.equal(rate(1, 4), 0.25);
  t.equal(rate(0, 0), 0);
});

t.test('MetricsRecorder: two classes, a few steps', async (t) => {
  const m = new MetricsRecorder(['gold', 'bronze', 'general'], 2);
  m.request('gold', true, false);
  m.request('gold', false, false);
  m.request('bronze', true, true);
  m.request('bronze', true, false);
  // gold: 2 steps, 1 violated (CPU); bronze: 2 steps, 1 violated (memory)
  m.vmStep('gold', { cpuCores: 1, memoryMiB: 100 }, { cpuCores: 0.5, memoryMiB: 100 });
  m.vmStep('gold', { cpuCores: 1, memoryMiB: 100 }, { cpuCores: 1, memoryMiB: 100 });
  m.vmStep('bronze', { cpuCores: 1, memoryMiB: 100 }, { cpuCores: 1, memoryMiB: 50 });
  m.vmStep('bronze', { cpuCores: 1, memoryMiB: 100 }, { cpuCores: 1, memoryMiB: 100 });
  m.zoneStep({ cpuCores: 4, memoryMiB: 1000 }, { cpuCores: 1, memoryMiB: 250 });
  m.zoneStep({ cpuCores: 4, memoryMiB: 1000 }, { cpuCores: 3, memoryMiB: 750 });
  m.vmResizeSteps = 2;
  m.zoneResizes = 1;
  const r = m.result();
  t.equal(r.requests, 4);
  t.equal(r.rejected, 1);
  t.equal(r.rejectionRate, 0.25);
  t.equal(r.overflowGrants, 1);
  t.equal(r.perClass.gold.rejectionRate, 0.5);
  t.equal(r.perClass.bronze.rejectionRate, 0);
  // weights: gold (rank 0 of 2 classes) = 3/3, bronze (rank 1) = 2/3, general = 1/3
  t.equal(r.perClass.gold.weight, 1);
  t.equal(r.perClass.bronze.weight, 2 / 3);
  // (1 x 1 + 2/3 x 1) / (1 x 2 + 2/3 x 2) = 0.5
  t.equal(r.sloViolation, 0.5);
  t.same(r.violations, { cpu: 1, memory: 1 });
  // cpu: (3 + 1) / 8; memory: (750 + 250) / 2000
  t.equal(r.slackCpu, 0.5);
  t.equal(r.slackMemory, 0.5);
  t.equal(r.slack, 0.5);
  // 3 actions over 4 VM-steps = 4/288 VM-days
  t.equal(r.actionsPerVmDay, 3 / (4 / 288));
  t.throws(() => m.request('platinum', true, false), /unknown zone/);
});

t.test('world: VM size, zone quota, host memory', async (t) => {
  const vms: WorldVm[] = [
    { zone: 0, vcpus: 2, memoryMiB: 1000, demandCpu: 3, demandMemory: 500 }, // capped by its 2 vCPUs
    { zone: 0, vcpus: 4, memoryMiB: 1000, demandCpu: 2, demandMemory: 1500 }, // capped by its balloon
    { zone: 1, vcpus: 4, memoryMiB: 4000, demandCpu: 1, demandMemory: 2000 },
  ];
  // zone 0 wants 2 + 2 = 4 cores but has 3: each gets 3/4 of what it wants
  const d = deliver(vms, [3, 10], 100_000);
  t.same([...d.cpu], [1.5, 1.5, 1]);
  t.same([...d.memory], [500, 1000, 2000]);
  // the host has 1750 MiB for 3500 wanted: everyone gets half
  const m = deliver(vms, [3, 10], 1750);
  t.same([...m.memory], [250, 500, 1000]);
  // shared (what-if): zone 1 leaves 9 cores idle, zone 0 gets the 1 it lacks
  const s = deliver(vms, [3, 10], 100_000, undefined, 'shares');
  t.same([...s.cpu], [2, 2, 1]);
});

t.test('zoneCpu: quota caps, shared water-fills by allocation and never gives more than wanted', async (t) => {
  t.same([...zoneCpu([5, 1, 0], [2, 2, 2], 'quota')], [2, 1, 0]);
  // idle: 1 (zone 1) + 2 (zone 2) = 3, all to zone 0, which lacks 3
  t.same([...zoneCpu([5, 1, 0], [2, 2, 2], 'shares')], [5, 1, 0]);
  // two short zones share 2 idle cores by their allocations 1:3
  const g = zoneCpu([10, 10, 0], [1, 3, 2], 'shares');
  t.same([...g].map((x) => Math.round(x * 1000) / 1000), [1.5, 4.5, 0]);
  // a zone that needs less than its share hands the rest on (second pass)
  const h = zoneCpu([10, 1.2, 0], [1, 1, 4], 'shares');
  t.same([...h].map((x) => Math.round(x * 1000) / 1000), [4.8, 1.2, 0]);
});

t.test('request rate follows the daily pattern', async (t) => {
  const s = { rate: 4, dailyAmplitude: 0.5, peakHourUtc: 12 };
  const day = Date.UTC(2013, 7, 5) / 1000;
  t.equal(rateAt(s, day + 12 * 3600), 6, 'peak: rate x 1.5');
  t.ok(Math.abs(rateAt(s, day) - 2) < 1e-9, 'trough, 12 h later: rate x 0.5');
  t.ok(Math.abs(rateAt({ ...s, dailyAmplitude: 0 }, day + 5 * 3600) - 4) < 1e-9, 'flat');
});

t.test('checkGoals on hand-made numbers', async (t) => {
  const g = checkGoals([
    { policy: 'reactive', rejectionRate: 0.2, sloViolation: 0.02, slack: 0.6 },
    { policy: 'predictive', rejectionRate: 0.1, sloViolation: 0.02, slack: 0.35 },
    { policy: 'oracle', rejectionRate: 0.12, sloViolation: 0.01, slack: 0.24 },
  ]);
  t.same(
    g.map((x) => x.met),
    [true, true, true, false],
    'reactive >= 10%; predictive exactly half passes; equal SLO counts as no higher; slack 11 pp from oracle misses',
  );
  t.same(checkGoals([{ policy: 'static', rejectionRate: 1, sloViolation: 0, slack: 1 }]).map((x) => x.met), [null, null, null, null]);
});
