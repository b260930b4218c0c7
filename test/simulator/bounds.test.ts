// The reference bounds: hand-made traces where the right answer is known, then the real
// traces, where the clairvoyant bound must never overload the host.
import t from 'tap';
import { appOf } from '../../simulator/app-history.js';
import { admissionBound, meanUseRatio, referenceBounds, KNOWN_PRESENT_MULTIPLES } from '../../simulator/bounds.js';
import { defaultConfig } from '../../core/config/load.js';
import { makeScenario, type Scenario } from '../../simulator/scenario.js';
import { generateWorkload, type VmSpec, type Workload } from '../../simulator/stream.js';
import { loadTracePool, type TracePool, type TraceVmSeries } from '../../simulator/trace-pool.js';

const TRACE = new URL('../../../shared/traces/bitbrains-rnd', import.meta.url).pathname;
const T = 10;

function series(id: string, cpu: number[], cores: number, memMiB = 100, memProvMiB = 1000): TraceVmSeries {
  return {
    id,
    name: id,
    cpu: Float64Array.from(cpu),
    memory: new Float64Array(cpu.length).fill(memMiB),
    cores: new Float64Array(cpu.length).fill(cores),
    memoryProvisionedMiB: new Float64Array(cpu.length).fill(memProvMiB),
  };
}

// A 4-core host (no reserve, no overcommit) with plenty of memory. Trace VM 0 uses 2 cores
// throughout; trace VM 1 is idle for 5 steps, then uses 3 cores.
const pool: TracePool = {
  dir: 'hand-made',
  start: 0,
  step: 300,
  length: T,
  vms: [series('steady', new Array(T).fill(2), 4), series('late', [0, 0, 0, 0, 0, 3, 3, 3, 3, 3], 4)],
};
const config = defaultConfig();
config.host.reserve = { cpuCores: 0, memoryMiB: 0 };
config.host.cpuOvercommit = 1;
const scenario = { cpus: 4, memoryGiB: 64, config } as Scenario;
const vm = (id: string, src: number, at: number, endTick: number, zone = 'gold'): VmSpec => ({
  id,
  zone,
  source: { vm: src, shift: 0 },
  sourceName: pool.vms[src].name,
  vcpus: 4,
  memoryMiB: 1000,
  at,
  endTick,
});
const workload = (requests: VmSpec[]): Workload => ({ startIndex: 0, ticks: T, initial: [vm('vm-0', 0, 0, T)], requests, sharedSources: 0 });

t.test('clairvoyant rejects what would overload the host later, and admits what fits', async (t) => {
  const late = admissionBound('clairvoyant', pool, workload([vm('req-late', 1, 0, T)]), scenario);
  t.equal(late.rejected, 1, '2 + 3 cores from step 5 exceeds 4: rejected although it is idle on arrival');
  t.equal(late.sloViolation, 0);
  t.equal(late.overloadedSteps, 0);
  // the same VM leaving before it gets busy fits
  const short = admissionBound('clairvoyant', pool, workload([vm('req-short', 1, 0, 5)]), scenario);
  t.equal(short.rejected, 0);
  t.equal(short.perClass.gold.requests, 1);
});

t.test('known-present charges the new VM at the ratio, and pays for it in violations', async (t) => {
  // 4 vCPUs x 0.5 = 2 cores charged: 2 + 2 fits, so it is admitted; from step 5 the host
  // wants 5 of 4 cores for the 5 remaining steps of both VMs
  const b = admissionBound('known-present', pool, workload([vm('req-late', 1, 0, T)]), scenario, { ratio: { cpu: 0.5, memory: 0.5 } });
  t.equal(b.rejected, 0);
  t.equal(b.overloadedSteps, 5);
  t.same(b.chargeRatio, { cpu: 0.5, memory: 0.5 });
  // vm-0 violated 5 of 10 steps, req-late 5 of 10 (steps 0-4 it wants nothing): 10 / 20, both gold
  t.equal(b.sloViolation, 0.5);
  // a higher charge rejects it
  const strict = admissionBound('known-present', pool, workload([vm('req-late', 1, 0, T)]), scenario, { ratio: { cpu: 0.75, memory: 0.5 } });
  t.equal(strict.rejected, 1);
  t.equal(strict.overloadedSteps, 0);
});

t.test('known-present+app charges the new VM at its app profile, at full size without one', async (t) => {
  const req = vm('req-late', 1, 0, T);
  const profiles = new Map([[appOf(req), { cpu: 0.5, memory: 0.5, samples: 288 }]]);
  const b = admissionBound('known-present+app', pool, workload([req]), scenario, { appProfiles: profiles });
  t.equal(b.rejected, 0, '4 x 0.5 = 2 cores fits next to the 2 in use');
  t.equal(b.appProfiled, 1);
  t.equal(b.overloadedSteps, 5);
  const none = admissionBound('known-present+app', pool, workload([req]), scenario, { appProfiles: new Map() });
  t.equal(none.rejected, 1, 'no profile: its full 4 vCPUs do not fit');
  t.equal(none.appProfiled, 0);
});

t.test('meanUseRatio: use over provisioned, summed over VMs and the steps before the index', async (t) => {
  // steps 0-4: (2 + 0) x 5 = 10 cores used of 8 x 5 = 40 provisioned; memory 200 x 5 of 2000 x 5
  t.same(meanUseRatio(pool, 5, 5), { cpu: 0.25, memory: 0.1 });
  // steps 5-9: (2 + 3) x 5 = 25 of 40
  t.same(meanUseRatio(pool, 10, 5), { cpu: 25 / 40, memory: 0.1 });
  t.same(meanUseRatio(pool, 0, 5), { cpu: 1, memory: 1 }, 'no history: charge the full size');
});

t.test('on the real traces: clairvoyant never overloads, and every bound sees every request', async (t) => {
  const real = await loadTracePool(TRACE, { limit: 8 });
  const s = makeScenario({ trace: TRACE, seed: 4, hours: 48, cpus: 24, memoryGiB: 96, initialVms: 8, rate: 3 });
  const w = generateWorkload(real, s);
  const bounds = referenceBounds(real, w, s);
  t.equal(bounds.length, 1 + KNOWN_PRESENT_MULTIPLES.length);
  const [clairvoyant, ...known] = bounds;
  t.equal(clairvoyant.bound, 'clairvoyant');
  t.equal(clairvoyant.overloadedSteps, 0);
  t.equal(clairvoyant.sloViolation, 0);
  for (const b of bounds) t.equal(b.requests, w.requests.length);
  t.ok(w.requests.length > 50, `${w.requests.length} requests`);
  t.ok(clairvoyant.rejected < w.requests.length, 'it admits something');
  // a higher charge is stricter on its first decision; the charges grow along the frontier
  for (let i = 1; i < known.length; i++) t.ok(known[i].chargeRatio!.cpu >= known[i - 1].chargeRatio!.cpu);
  // deterministic: the same workload gives the same bounds
  t.same(referenceBounds(real, w, s), bounds);
});
