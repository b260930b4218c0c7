// core/ticker.ts and config-reload.ts in-process (their signal-driven use is
// in signals.test.ts): no overlapping ticks, failures logged and survived, stop waits
// for the tick in flight, fixed-rate and grid cadence on a hand-driven timer and clock,
// an interval changed while running; reload outcomes and restart-only keys.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keepAliveTimer, nextTickDelayMs, realTimer, startTicker, type Timer } from '../../core/ticker.js';
import { createConfigReloader, changedConfigKeys } from '../../daemon/process/config-reload.js';
import { defaultConfig, loadConfigFile } from '../../core/config/load.js';
import type { Config } from '../../core/config/schema.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function memoryLog() {
  const entries: Array<{ level: string; obj: any; msg: string }> = [];
  const at = (level: string) => (obj: object, msg: string) => entries.push({ level, obj, msg });
  return { entries, log: { info: at('info'), warn: at('warn'), error: at('error') } };
}

t.test('ticker: never overlaps, survives a failing tick, stop() waits for the tick in flight', async (t) => {
  const { entries, log } = memoryLog();
  let running = 0;
  let maxRunning = 0;
  let n = 0;
  let finished = 0;
  const ticker = startTicker({
    name: 'test',
    intervalMs: 5,
    log,
    tick: async () => {
      n += 1;
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await sleep(20); // longer than the interval
      running -= 1;
      if (n === 2) throw new Error('boom');
      finished += 1;
    },
  });
  while (n < 4) await sleep(5);
  t.equal(maxRunning, 1, 'ticks never overlap');
  t.ok(entries.some((e) => e.level === 'error' && e.msg.startsWith('tick failed') && e.obj.err.message === 'boom'), 'failure logged');
  t.ok(entries.some((e) => e.level === 'warn' && e.msg === 'tick took longer than its interval'));
  t.equal(ticker.ticking, true, 'a tick is in flight');
  const before = n;
  await ticker.stop();
  t.equal(running, 0, 'stop() resolved after the tick in flight ended');
  t.equal(finished, before - 1, 'that tick completed (only the failing one did not)');
  await sleep(30);
  t.equal(n, before, 'no tick after stop');
  await ticker.stop(); // idempotent
  t.throws(() => startTicker({ name: 'bad', intervalMs: 0, log, tick: async () => {} }), /intervalMs must be > 0/);
});

/** A timer that fires only when the test says so, and a clock the ticks move. */
function handDriven() {
  const scheduled: Array<{ fn: () => void; ms: number; id: number }> = [];
  const cleared: number[] = [];
  let nextId = 1;
  const timer: Timer = {
    setTimeout: (fn, ms) => {
      const id = nextId++;
      scheduled.push({ fn, ms, id });
      return id;
    },
    clearTimeout: (h) => void cleared.push(h as number),
  };
  const clock = { now: 1_000_000 };
  /** fires the oldest pending timeout and waits until the tick has scheduled the next */
  async function fire(): Promise<void> {
    const s = scheduled.shift();
    if (!s) throw new Error('nothing scheduled');
    s.fn();
    for (let i = 0; i < 100 && scheduled.length === 0; i++) await new Promise((r) => setImmediate(r));
  }
  return { scheduled, cleared, timer, clock, fire };
}

t.test('nextTickDelayMs: fixed rate follows an overrun at once; the grid skips the missed slots', async (t) => {
  t.equal(nextTickDelayMs('fixed-rate', 10_000, 300), 9_700);
  t.equal(nextTickDelayMs('grid', 10_000, 300), 9_700, 'the same while a tick fits its interval');
  t.equal(nextTickDelayMs('fixed-rate', 10_000, 25_000), 0);
  t.equal(nextTickDelayMs('grid', 10_000, 25_000), 5_000, 'next at the 30 s slot');
  t.equal(nextTickDelayMs('fixed-rate', 10_000, 10_000), 0);
  t.equal(nextTickDelayMs('grid', 10_000, 10_000), 10_000, 'ended on a slot: the next slot');
  t.equal(nextTickDelayMs('grid', 10_000, 0), 10_000);
  t.equal(nextTickDelayMs('fixed-rate', 10_000, -5_000), 10_000, 'a clock stepped back: one interval');
  t.equal(nextTickDelayMs('grid', 10_000, -5_000), 10_000);
});

t.test('ticker on an injected timer and clock: fixed rate, immediate:false, stop clears the wait', async (t) => {
  const { entries, log } = memoryLog();
  const h = handDriven();
  const durations = [300, 12_000, 0];
  const seen: number[] = [];
  const ticker = startTicker({
    name: 'hand',
    intervalMs: 10_000,
    immediate: false,
    timer: h.timer,
    clock: () => h.clock.now,
    log,
    tick: async () => {
      seen.push(h.clock.now);
      h.clock.now += durations[seen.length - 1] ?? 0;
    },
  });
  t.same(h.scheduled.map((s) => s.ms), [10_000], 'immediate:false: the first tick after one interval');
  t.equal(ticker.intervalMs, 10_000);
  await h.fire();
  t.equal(h.scheduled[0].ms, 9_700, 'one interval after the tick started');
  await h.fire();
  t.equal(h.scheduled[0].ms, 0, 'a 12 s tick: the next one at once');
  t.match(entries, [{ level: 'warn', msg: 'tick took longer than its interval', obj: { ticker: 'hand', elapsedMs: 12_000, intervalMs: 10_000 } }]);
  await h.fire();
  t.equal(h.scheduled[0].ms, 10_000);
  t.equal(ticker.count, 3);
  t.equal(seen.length, 3, 'the injected timer alone drove the ticks');
  const pending = h.scheduled[0].id;
  await ticker.stop();
  t.same(h.cleared, [pending], 'stop clears the pending wait');
  await ticker.stop();
  t.equal(h.cleared.length, 1, 'once');
});

t.test('ticker with the grid cadence: a slow tick skips slots rather than drifting', async (t) => {
  const { log } = memoryLog();
  const h = handDriven();
  const durations = [25_000, 300, 10_000];
  let n = 0;
  const ticker = startTicker({
    name: 'grid',
    intervalMs: 10_000,
    cadence: 'grid',
    timer: h.timer,
    clock: () => h.clock.now,
    log,
    tick: async () => {
      h.clock.now += durations[n++];
    },
  });
  t.equal(h.scheduled[0].ms, 0, 'the first tick at once');
  await h.fire();
  t.equal(h.scheduled[0].ms, 5_000, '25 s tick: next at the 30 s slot');
  await h.fire();
  t.equal(h.scheduled[0].ms, 9_700);
  await h.fire();
  t.equal(h.scheduled[0].ms, 10_000, 'a tick of exactly one interval: the slot after');
  await ticker.stop();
});

t.test('ticker.setIntervalMs: a pending wait becomes a tick now, then the new interval holds', async (t) => {
  const { log } = memoryLog();
  const h = handDriven();
  let release: (() => void) | undefined;
  let hold = false;
  const ticker = startTicker({
    name: 'reload',
    intervalMs: 3_600_000,
    timer: h.timer,
    clock: () => h.clock.now,
    log,
    tick: async () => {
      h.clock.now += 100;
      if (hold) await new Promise<void>((r) => (release = r));
    },
  });
  await h.fire();
  t.equal(h.scheduled[0].ms, 3_600_000 - 100, 'waiting out the hour');
  const pending = h.scheduled[0].id;
  ticker.setIntervalMs(10_000);
  t.same(h.cleared, [pending], 'the hour-long wait is cancelled');
  t.same(h.scheduled.map((s) => s.ms), [3_600_000 - 100, 0], 'a tick right away');
  h.scheduled.shift();
  await h.fire();
  t.equal(h.scheduled[0].ms, 10_000 - 100, 'then every 10 s');
  t.equal(ticker.intervalMs, 10_000);
  ticker.setIntervalMs(10_000);
  t.equal(h.cleared.length, 1, 'the same interval: nothing changes');
  t.throws(() => ticker.setIntervalMs(0), /intervalMs must be > 0/);
  t.equal(ticker.intervalMs, 10_000, 'a bad interval leaves the old one');

  // a change while a tick is in flight: no extra tick, the new interval after this one
  hold = true;
  h.scheduled.shift()!.fn();
  t.equal(ticker.ticking, true);
  ticker.setIntervalMs(60_000);
  t.equal(h.scheduled.length, 0, 'nothing scheduled while the tick runs');
  release!();
  for (let i = 0; i < 100 && h.scheduled.length === 0; i++) await new Promise((r) => setImmediate(r));
  t.same(h.scheduled.map((s) => s.ms), [60_000 - 100]);
  t.equal(ticker.count, 3);
  await ticker.stop();
  ticker.setIntervalMs(5_000);
  t.equal(h.scheduled.length, 1, 'stopped: a new interval schedules nothing');
});

t.test('realTimer does not hold the process open; keepAliveTimer (the default) does', async (t) => {
  const unref = realTimer.setTimeout(() => {}, 60_000) as NodeJS.Timeout;
  const ref = keepAliveTimer.setTimeout(() => {}, 60_000) as NodeJS.Timeout;
  t.equal(unref.hasRef(), false);
  t.equal(ref.hasRef(), true);
  realTimer.clearTimeout(unref);
  keepAliveTimer.clearTimeout(ref);
});

t.test('changedConfigKeys lists leaf keys; arrays compare as a whole', async (t) => {
  const a = defaultConfig();
  const b = structuredClone(a) as Config;
  b.collect.intervalSeconds = 3;
  b.classes[1].buffer = 0.5;
  b.api.listen = '127.0.0.1:9000';
  t.same(changedConfigKeys(a, b), ['api.listen', 'classes', 'collect.intervalSeconds']);
  t.same(changedConfigKeys(a, structuredClone(a) as Config), []);
});

t.test('config reloader: valid, invalid, restart-only, unchanged', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-reload-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'virtzoned.yaml');
  writeFileSync(file, 'collect:\n  intervalSeconds: 5\n');
  let config = loadConfigFile(file);
  const applied: string[][] = [];
  const { entries, log } = memoryLog();
  const reloader = createConfigReloader({
    load: () => loadConfigFile(file),
    current: () => config,
    apply: (next, _prev, changed) => {
      applied.push(changed);
      config = next;
    },
    log,
  });

  t.same(await reloader.reloadWithOutcome(), { ok: true, changedKeys: [], deferredKeys: [] }, 'unchanged file: nothing applied');
  t.same(applied, []);

  writeFileSync(file, 'collect:\n  intervalSeconds: 8\nstore:\n  path: /elsewhere.db\n');
  const r = await reloader.reloadWithOutcome();
  t.same(r, { ok: true, changedKeys: ['collect.intervalSeconds'], deferredKeys: ['store.path'] });
  t.equal(config.collect.intervalSeconds, 8);
  t.equal(config.store.path, '/var/lib/virtzone/virtzone.db', 'restart-only key keeps its running value');
  t.ok(entries.some((e) => e.level === 'warn' && /store\.path/.test(e.msg)));

  writeFileSync(file, 'collect:\n  intervalSeconds: 0\n');
  const bad = await reloader.reloadWithOutcome();
  t.equal(bad.ok, false);
  t.equal((bad as { key?: string }).key, 'collect.intervalSeconds');
  t.equal(config.collect.intervalSeconds, 8, 'running config kept');
  t.equal(applied.length, 1, 'apply not called for an invalid file');
  const err = entries.find((e) => e.level === 'error')!;
  t.match(err.msg, /config reload rejected, keeping the running configuration: .*collect\.intervalSeconds/);

  // a failing apply is the caller's error: it propagates (signals.ts logs it)
  writeFileSync(file, 'collect:\n  intervalSeconds: 9\n');
  const failing = createConfigReloader({ load: () => loadConfigFile(file), current: () => config, apply: () => { throw new Error('cannot apply'); }, log });
  await t.rejects(failing.reload(), /cannot apply/);
});
