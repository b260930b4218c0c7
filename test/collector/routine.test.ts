// CollectorRoutine's loop: scheduling on the interval grid, failures logged and retried,
// retention every N ticks, stop. Time is a hand-driven timer; the tick is a plain function.
import t from 'tap';
import { CollectorRoutine } from '../../collector/routine.js';
import type { Timer } from '../../core/ticker.js';
import type { TickReport } from '../../collector/collector.js';

function harness() {
  const scheduled: Array<{ fn: () => void; ms: number; id: number }> = [];
  let nextId = 1;
  const cleared: number[] = [];
  const timer: Timer = {
    setTimeout: (fn, ms) => {
      const id = nextId++;
      scheduled.push({ fn, ms, id });
      return id;
    },
    clearTimeout: (h) => void cleared.push(h as number),
  };
  const logs: Array<[string, string]> = [];
  const log = {
    debug: (_o: object, m?: string) => void logs.push(['debug', m ?? '']),
    info: (_o: object, m?: string) => void logs.push(['info', m ?? '']),
    warn: (_o: object, m?: string) => void logs.push(['warn', m ?? '']),
    error: (_o: object, m?: string) => void logs.push(['error', m ?? '']),
  };
  return { scheduled, cleared, timer, logs, log };
}

const report = (at: number): TickReport => ({ at, domains: 1, newBaselines: 0, vanished: 0, samples: 1, rollups: 0, statsMs: 1, totalMs: 2 });

async function fire(h: ReturnType<typeof harness>): Promise<number> {
  const s = h.scheduled.shift();
  if (!s) throw new Error('nothing scheduled');
  s.fn();
  for (let i = 0; i < 100 && h.scheduled.length === 0; i++) await new Promise((r) => setImmediate(r));
  return s.ms;
}

t.test('ticks every interval, keeps going after failures, logs the first and every 10th', async (t) => {
  const h = harness();
  let now = 1_000_000;
  const outcomes = [true, false, false, true, ...Array(12).fill(false), true];
  const seen: number[] = [];
  const collector = {
    tick: async (at: number) => {
      seen.push(at);
      now += 300; // each tick takes 300 ms
      if (!outcomes[seen.length - 1]) throw new Error(`libvirt down #${seen.length}`);
      return report(at);
    },
  };
  const errors: unknown[] = [];
  const r = new CollectorRoutine({ collector, intervalSeconds: 10, timer: h.timer, clock: () => now, log: h.log, onError: (e) => errors.push(e) });
  r.start();
  t.equal(h.scheduled[0].ms, 0, 'first tick right away');
  const delays: number[] = [];
  for (let i = 0; i < outcomes.length; i++) {
    await fire(h);
    delays.push(h.scheduled[0].ms);
    now = seen[seen.length - 1] + 10_000; // the timer fires on time
  }
  t.equal(seen.length, outcomes.length, 'a tick per interval, failures included');
  t.ok(delays.every((d) => d === 9_700), 'next tick on the 10 s grid (10 s minus the 300 ms the tick took)');
  t.equal(errors.length, outcomes.filter((o) => !o).length);
  const warns = h.logs.filter(([l]) => l === 'warn');
  // failures: #2,#3 (run 1: logs first) then #5..#16 (run 2: logs 1st and 10th)
  t.equal(warns.length, 3);
  t.equal(h.logs.filter(([l, m]) => l === 'info' && /recovered/.test(m)).length, 2);
  t.equal(r.failuresInARow, 0);
  await r.stop();
  t.same(h.cleared.length, 1);
});

t.test('a slow tick skips slots rather than piling up', async (t) => {
  const h = harness();
  let now = 0;
  const collector = { tick: async (at: number) => ((now += 25_000), report(at)) };
  const r = new CollectorRoutine({ collector, intervalSeconds: 10, timer: h.timer, clock: () => now });
  r.start();
  await fire(h);
  t.equal(h.scheduled[0].ms, 5_000, '25 s tick: next at the 30 s slot');
  await r.stop();
});

t.test('retention runs every N ticks and its failure does not stop the loop', async (t) => {
  const h = harness();
  let calls = 0;
  const store = {
    runRetention: () => {
      calls++;
      if (calls === 1) throw new Error('database is locked');
      return { samplesDeleted: 5, rollupsDeleted: 0, complete: true };
    },
  };
  const collector = { tick: async (at: number) => report(at) };
  const r = new CollectorRoutine({ collector, intervalSeconds: 10, timer: h.timer, clock: () => 0, store, retentionEveryTicks: 3, log: h.log });
  r.start();
  for (let i = 0; i < 9; i++) await fire(h);
  t.equal(calls, 3, 'after ticks 3, 6, 9');
  t.ok(h.logs.some(([l, m]) => l === 'warn' && /retention failed/.test(m)));
  t.equal(h.scheduled.length, 1, 'still scheduled');
  await r.stop();
  // default: about every 5 minutes
  const r2 = new CollectorRoutine({ collector, intervalSeconds: 10, timer: h.timer, store });
  t.equal((r2 as unknown as { retentionEvery: number }).retentionEvery, 30);
});

t.test('stop waits for a tick in progress and schedules nothing after it', async (t) => {
  const h = harness();
  let release!: () => void;
  const collector = { tick: (at: number) => new Promise<TickReport>((res) => (release = () => res(report(at)))) };
  const r = new CollectorRoutine({ collector, intervalSeconds: 10, timer: h.timer, clock: () => 0 });
  r.start();
  h.scheduled.shift()!.fn();
  let stopped = false;
  const stopping = r.stop().then(() => (stopped = true));
  await new Promise((res) => setImmediate(res));
  t.notOk(stopped, 'waits for the tick');
  release();
  await stopping;
  t.equal(h.scheduled.length, 0);
});

t.test('a bad interval is refused', async (t) => {
  t.throws(() => new CollectorRoutine({ collector: { tick: async (a: number) => report(a) }, intervalSeconds: 0 }), RangeError);
});

t.test('setIntervalSeconds (a reload): the pending wait is replaced by a tick now, then the new interval', async (t) => {
  const h = harness();
  let now = 0;
  const collector = { tick: async (at: number) => ((now += 100), report(at)) };
  const r = new CollectorRoutine({ collector, intervalSeconds: 3600, timer: h.timer, clock: () => now });
  r.start();
  await fire(h);
  t.equal(h.scheduled[0].ms, 3_600_000 - 100, 'waiting out the hour');
  const pendingId = h.scheduled[0].id;
  r.setIntervalSeconds(10);
  t.same(h.cleared, [pendingId], 'the hour-long wait is cancelled');
  t.equal(h.scheduled.at(-1)!.ms, 0, 'a tick right away');
  h.scheduled.splice(0, h.scheduled.length - 1);
  await fire(h);
  t.equal(h.scheduled[0].ms, 10_000 - 100, 'then every 10 s');
  r.setIntervalSeconds(10);
  t.equal(h.cleared.length, 1, 'the same interval: nothing changes');
  t.throws(() => r.setIntervalSeconds(0), RangeError);
  await r.stop();
});
