// Each policy over a day of the real traces on a small host (8 trace VMs): what must
// hold whatever the numbers — the same requests for every policy, static never
// over-commits and never resizes, reactive has no zones, zones never add up to more
// than the host, the oracle keeps no more slack than static — and the same seed gives
// the same result in one process (the CLI test checks two processes).
import t from 'tap';
import { loadTracePool } from '../../simulator/trace-pool.js';
import { makeScenario } from '../../simulator/scenario.js';
import { simulate } from '../../simulator/simulate.js';
import { policyJson } from '../../simulator/report.js';
import { capacityOf } from '../../partitioner/index.js';

const TRACE = new URL('../../../shared/traces/bitbrains-rnd', import.meta.url).pathname;
const pool = await loadTracePool(TRACE, { limit: 8 });
const scenario = makeScenario({ trace: TRACE, hours: 24, initialVms: 8, cpus: 24, memoryGiB: 96, rate: 3, lifetimeHours: 12, seed: 7 });
const result = await simulate({ scenario, policies: ['static', 'reactive', 'predictive', 'oracle'], pool, timeline: true });
const by = Object.fromEntries(result.runs.map((r) => [r.policy, r]));

t.test('every policy sees the same requests; the numbers are shares', async (t) => {
  const n = result.workload.requests;
  t.ok(n > 30, `${n} requests`);
  for (const r of result.runs) {
    t.equal(r.requests, n, `${r.policy}: every request decided once`);
    t.equal(Object.values(r.perClass).reduce((s, c) => s + c.requests, 0), n);
    t.equal(Object.values(r.perClass).reduce((s, c) => s + c.rejected, 0), r.rejected);
    for (const k of ['rejectionRate', 'sloViolation', 'slack', 'slackCpu', 'slackMemory'] as const) {
      t.ok(r[k] >= 0 && r[k] <= 1, `${r.policy}.${k} = ${r[k]}`);
    }
    t.ok(r.vmDays > 0 && r.seconds >= 0);
  }
});

t.test('static: admission by provisioned size only, nothing resized', async (t) => {
  t.equal(by.static.overflowGrants, 0, 'no overflow grants');
  t.same(by.static.actions, { vmResizeSteps: 0, zoneResizes: 0 });
  t.ok(by.static.rejectionRate >= by.reactive.rejectionRate, `static rejects ${by.static.rejectionRate}, reactive ${by.reactive.rejectionRate}`);
});

t.test('reactive: one pool, the overflow manager decides everything, nothing resized', async (t) => {
  t.same(by.reactive.zones, ['host']);
  t.equal(by.reactive.overflowGrants, by.reactive.requests - by.reactive.rejected);
  t.same(by.reactive.actions, { vmResizeSteps: 0, zoneResizes: 0 });
});

t.test('zone policies: zones never add up to more than the host; the auto-scaler acts', async (t) => {
  const cap = capacityOf({ cpus: scenario.cpus, memoryKiB: scenario.memoryGiB * 1024 * 1024 }, scenario.config);
  for (const p of ['static', 'predictive', 'oracle']) {
    let worst = 0;
    for (const h of by[p].timeline!) {
      const cpu = Object.values(h.zones).reduce((s, z) => s + z.allocation.cpuCores, 0);
      const mem = Object.values(h.zones).reduce((s, z) => s + z.allocation.memoryMiB, 0);
      worst = Math.max(worst, cpu - cap.cpuCores, (mem - cap.memoryMiB) / 1024);
    }
    t.ok(worst < 0.01, `${p}: at most the host (worst excess ${worst})`);
  }
  t.ok(by.predictive.actions.zoneResizes > 0 && by.oracle.actions.zoneResizes > 0);
  t.ok(result.forecast && Object.keys(result.forecast.selected).includes('class:gold|cpu'), 'the forecaster was trained on the class history');
});

t.test('the oracle keeps no more slack than static on the same stream', async (t) => {
  t.ok(by.oracle.slack <= by.static.slack, `oracle ${by.oracle.slack} <= static ${by.static.slack}`);
  t.ok(by.predictive.slack <= by.static.slack, `predictive ${by.predictive.slack} <= static ${by.static.slack}`);
});

t.test('same seed, same JSON (in one process); the timeline is hourly', async (t) => {
  const again = await simulate({ scenario, policies: ['static', 'reactive', 'predictive', 'oracle'], pool });
  const strip = (o: Record<string, unknown>) => JSON.stringify({ ...o, seconds: 0 });
  t.same(again.runs.map((r) => strip(policyJson(r, again))), result.runs.map((r) => strip(policyJson(r, result))));
  t.equal(by.predictive.timeline!.length, 24);
});
