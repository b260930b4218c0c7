// The workload on the real traces: the same for every host and policy, seeded, never
// two live VMs on one trace source, sizes taken from the trace, Poisson arrivals that
// follow the daily pattern and the class mix.
import t from 'tap';
import { loadTracePool, provisionedAt, STEP_SECONDS } from '../../simulator/trace-pool.js';
import { generateWorkload, rateAt } from '../../simulator/stream.js';
import { makeScenario } from '../../simulator/scenario.js';

const TRACE = new URL('../../../shared/traces/bitbrains-rnd', import.meta.url).pathname;
const pool = await loadTracePool(TRACE, { limit: 8 });

const scenario = (over: Record<string, unknown> = {}) => makeScenario({ trace: TRACE, hours: 168, initialVms: 12, rate: 4, ...over });

t.test('the workload depends on the seed, not on the host', async (t) => {
  const a = generateWorkload(pool, scenario({ cpus: 16, memoryGiB: 64 }));
  const b = generateWorkload(pool, scenario({ cpus: 256, memoryGiB: 1024 }));
  t.same(b, a, 'another host, the same requests');
  const c = generateWorkload(pool, scenario({ seed: 2 }));
  t.not(JSON.stringify(c.requests), JSON.stringify(a.requests), 'another seed, other requests');
});

t.test('sources are never shared by two live VMs; sizes come from the trace', async (t) => {
  // 8 trace VMs x ~12 weekly shifts = ~96 sources for ~40 live VMs
  const w = generateWorkload(pool, scenario({ rate: 1.5, lifetimeHours: 24 }));
  t.equal(w.sharedSources, 0);
  const spans = [...w.initial, ...w.requests].map((v) => ({ key: `${v.source.vm}@${v.source.shift}`, from: Math.floor(v.at / STEP_SECONDS), to: Math.min(v.endTick, w.ticks), v }));
  const byKey = new Map<string, typeof spans>();
  for (const s of spans) byKey.set(s.key, [...(byKey.get(s.key) ?? []), s]);
  let overlaps = 0;
  for (const list of byKey.values()) {
    list.sort((x, y) => x.from - y.from);
    for (let i = 1; i < list.length; i++) if (list[i].from < list[i - 1].to) overlaps++;
  }
  t.equal(overlaps, 0, 'no two VMs follow one source at the same time');
  let wrong = 0;
  for (const s of spans) {
    const p = provisionedAt(pool.vms[s.v.source.vm], w.startIndex + s.from + s.v.source.shift);
    if (!p || p.cpuCores !== s.v.vcpus || p.memoryMiB !== s.v.memoryMiB) wrong++;
    if (s.v.source.shift % (7 * 288) !== 0) wrong++;
  }
  t.equal(wrong, 0, 'each size is its source VM\'s provisioned size at the arrival, sources shifted by whole weeks');
  t.ok(w.initial.every((v) => v.source.shift >= 0), 'initial VMs are the trace VMs themselves (then later weeks)');
  // more live VMs than sources: sharing is counted, not hidden
  t.ok(generateWorkload(pool, scenario({ rate: 6, lifetimeHours: 48 })).sharedSources > 0);
});

t.test('arrivals: Poisson count around rate x hours, more at the peak hour, classes by the mix', async (t) => {
  const s = scenario({ rate: 4, dailyAmplitude: 0.8, peakHourUtc: 12 });
  const w = generateWorkload(pool, s);
  const expected = 4 * 168;
  t.ok(Math.abs(w.requests.length - expected) < 4 * Math.sqrt(expected), `${w.requests.length} requests, expected about ${expected}`);
  const start = pool.start + w.startIndex * STEP_SECONDS;
  const hourOf = (at: number) => Math.floor(((start + at) % 86_400) / 3600);
  const near = w.requests.filter((r) => Math.abs(hourOf(r.at) - 12) <= 2).length;
  const far = w.requests.filter((r) => hourOf(r.at) <= 2 || hourOf(r.at) >= 22).length;
  t.ok(near > 3 * far, `${near} arrivals around noon vs ${far} around midnight (rate ${rateAt(s, 12 * 3600)} vs ${rateAt(s, 0).toFixed(2)}/h)`);
  const share = (c: string) => w.requests.filter((r) => r.zone === c).length / w.requests.length;
  t.ok(Math.abs(share('gold') - 0.3) < 0.06 && Math.abs(share('bronze') - 0.4) < 0.06, `gold ${share('gold').toFixed(2)}, bronze ${share('bronze').toFixed(2)}`);
  t.ok(w.requests.every((r, i) => i === 0 || r.at >= w.requests[i - 1].at), 'in arrival order');
  t.ok(w.requests.every((r) => r.at < w.ticks * STEP_SECONDS && r.endTick > Math.floor(r.at / STEP_SECONDS)), 'inside the simulated time, each alive at least one step');
});

t.test('bad scenarios are refused by option name', async (t) => {
  t.throws(() => scenario({ rate: -1 }), /--rate/);
  t.throws(() => scenario({ mix: { platinum: 1 } }), /--mix: "platinum" is not a configured class/);
  t.throws(() => scenario({ trainDays: 40, startDay: 35 }), /--train-days/);
  t.throws(() => generateWorkload(pool, scenario({ startDay: 88, hours: 168 })), /runs past its end/);
});
