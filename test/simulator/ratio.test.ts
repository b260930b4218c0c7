// The ratio policy (Nova-style allocation ratios on provisioned sizes) on hand-made
// traces where every admission, VM-day and core of use can be counted by hand, run
// through the simulator's own engine (runPolicy) and world model.
import t from 'tap';
import { defaultConfig } from '../../core/config/load.js';
import { runPolicy } from '../../simulator/engine.js';
import { buildClassHistory } from '../../simulator/history.js';
import { ratioAdmits, ratioLimits } from '../../simulator/policies/ratio.js';
import { makeScenario, type Scenario } from '../../simulator/scenario.js';
import type { VmSpec, Workload } from '../../simulator/stream.js';
import type { TracePool, TraceVmSeries } from '../../simulator/trace-pool.js';

const T = 8;
const DAY = 86_400 / 300;

function series(id: string, cpu: number): TraceVmSeries {
  return {
    id,
    name: id,
    cpu: new Float64Array(T).fill(cpu),
    memory: new Float64Array(T).fill(256),
    cores: new Float64Array(T).fill(4),
    memoryProvisionedMiB: new Float64Array(T).fill(4096),
  };
}

// trace VM 0 uses 1 core, trace VM 1 uses 4; both 256 MiB
const pool: TracePool = { dir: 'hand-made', start: 0, step: 300, length: T, vms: [series('calm', 1), series('busy', 4)] };

/** A VM of `vcpus` x `memoryMiB` arriving 1 s into step `step` (decided before the step's first tick), leaving at `endTick`. */
const vm = (id: string, zone: string, step: number, vcpus: number, memoryMiB: number, endTick = T, src = 0): VmSpec => ({
  id,
  zone,
  source: { vm: src, shift: 0 },
  sourceName: pool.vms[src].name,
  vcpus,
  memoryMiB,
  at: step === 0 && id.startsWith('vm-') ? 0 : step * 300 + 1,
  endTick,
});

/** A 4-CPU, 8 GiB host with no reserve and no CPU overcommit. */
function scenario(cpuRatio: number, ramRatio: number): Scenario {
  const config = defaultConfig();
  config.host.reserve = { cpuCores: 0, memoryMiB: 0 };
  config.host.cpuOvercommit = 1;
  return makeScenario({ trace: 'hand-made', cpus: 4, memoryGiB: 8, startDay: 0, trainDays: 0, hours: (T * 300) / 3600, initialVms: 1, config, cpuRatio, ramRatio });
}

async function run(s: Scenario, initial: VmSpec[], requests: VmSpec[]) {
  const workload: Workload = { startIndex: 0, ticks: T, initial, requests, sharedSources: 0 };
  return runPolicy({ policy: 'ratio', scenario: s, pool, workload, history: buildClassHistory(pool, workload, s) });
}

t.test('CPU ratio: admits while provisioned vCPUs stay within ratio x cores, exactly up to the limit', async (t) => {
  // limit 2 x 4 = 8 vCPUs; memory limit 4 x 8 GiB never binds
  const r = await run(
    scenario(2, 4),
    [vm('vm-0', 'gold', 0, 4, 2048)],
    [
      vm('req-1', 'bronze', 0, 2, 1024, 3), // 4 + 2 = 6: admitted; leaves at step 3
      vm('req-2', 'bronze', 1, 2, 1024), // 6 + 2 = 8, exactly the limit: admitted
      vm('req-3', 'gold', 2, 1, 512), // 8 + 1 = 9: rejected
      vm('req-4', 'bronze', 4, 2, 1024), // req-1 has left: 4 + 2 + 2 = 8: admitted
      vm('req-5', 'silver', 5, 1, 512), // 9 again: rejected
    ],
  );
  t.equal(r.policy, 'ratio');
  t.same(r.zones, ['host'], 'no zones: one pool');
  t.equal(r.requests, 5);
  t.equal(r.rejected, 2);
  t.same([r.perClass.gold.rejected, r.perClass.silver.rejected, r.perClass.bronze.rejected], [1, 1, 0]);
  t.equal(r.overflowGrants, 0, 'admission by ratio is never an overflow grant');
  // admitted VM-steps: req-1 steps 0-2 (3), req-2 steps 1-7 (7), req-4 steps 4-7 (4)
  t.equal(r.admittedVmDays, 14 / DAY);
  t.equal(r.vmDays, (T + 14) / DAY, 'the initial VM counts in vmDays, not in admittedVmDays');
  // VMs on the host per step: 2, 3, 3, 2, 3, 3, 3, 3 = 22, each using 1 core and 256 MiB of 4 cores / 8192 MiB
  t.equal(r.utilization.cpu, 22 / (T * 4));
  t.equal(r.utilization.memory, (22 * 256) / (T * 8192));
  t.equal(r.sloViolation, 0, '3 cores wanted of 4: nobody is short');
  t.same(r.actions, { vmResizeSteps: 0, zoneResizes: 0 });
});

t.test('RAM ratio: admits while provisioned memory stays within ratio x memory', async (t) => {
  // limit 0.5 x 8192 = 4096 MiB; the CPU limit (16 x 4) never binds
  const r = await run(scenario(16, 0.5), [vm('vm-0', 'gold', 0, 1, 2048)], [vm('req-1', 'gold', 0, 1, 1024), vm('req-2', 'gold', 1, 1, 1024), vm('req-3', 'silver', 2, 1, 1)]);
  t.equal(r.perClass.gold.rejected, 0, '2048 + 1024 + 1024 = 4096: both admitted');
  t.equal(r.perClass.silver.rejected, 1, 'one MiB more is over the limit');
});

t.test('what the admitted VMs then get comes from the world model: contention shows as violations', async (t) => {
  // limit 8 vCPUs: a second 4-vCPU VM is admitted; both want 4 cores of the 4 there are, so each gets 2
  const r = await run(scenario(2, 1), [vm('vm-0', 'gold', 0, 4, 1024, T, 1)], [vm('req-1', 'gold', 0, 4, 1024, T, 1)]);
  t.equal(r.rejected, 0);
  t.equal(r.sloViolation, 1, 'every VM-step is short by half');
  t.equal(r.perClass.gold.violatedSteps, 2 * T);
  t.equal(r.utilization.cpu, 1, 'the host is fully used');
  // the same VMs with the ratio at 1: the second is rejected, and nobody is short
  const strict = await run(scenario(1, 1), [vm('vm-0', 'gold', 0, 4, 1024, T, 1)], [vm('req-1', 'gold', 0, 4, 1024, T, 1)]);
  t.equal(strict.rejected, 1);
  t.equal(strict.sloViolation, 0);
});

t.test('ratioLimits: the host after its reserve times the ratio, whatever cpuOvercommit says', async (t) => {
  const config = defaultConfig();
  config.host.reserve = { cpuCores: 1, memoryMiB: 1024 };
  config.host.cpuOvercommit = 2;
  t.same(ratioLimits({ cpus: 96, memoryGiB: 384, cpuRatio: 4, ramRatio: 1.5 }, config), { cpuCores: 95 * 4, memoryMiB: (384 * 1024 - 1024) * 1.5 });
  const limit = { cpuCores: 8, memoryMiB: 100 };
  t.equal(ratioAdmits({ cpuCores: 6, memoryMiB: 50 }, { cpuCores: 2, memoryMiB: 50 }, limit), true, 'exactly at both limits');
  t.equal(ratioAdmits({ cpuCores: 6, memoryMiB: 50 }, { cpuCores: 2.5, memoryMiB: 1 }, limit), false, 'over on CPU');
  t.equal(ratioAdmits({ cpuCores: 0, memoryMiB: 50 }, { cpuCores: 1, memoryMiB: 51 }, limit), false, 'over on memory');
});

t.test('--cpu-ratio and --ram-ratio must be positive finite numbers', async (t) => {
  for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    t.throws(() => scenario(bad, 1), /--cpu-ratio: expected a (positive )?number/, `cpu ratio ${bad}`);
    t.throws(() => scenario(1, bad), /--ram-ratio: expected a (positive )?number/, `ram ratio ${bad}`);
  }
  t.equal(makeScenario({ trace: 'x' }).cpuRatio, 4, "Nova's default CPU ratio");
  t.equal(makeScenario({ trace: 'x' }).ramRatio, 1);
});
