// core/ticker.ts and config-reload.ts in-process (their signal-driven use is
// in signals.test.ts): no overlapping ticks, failures logged and survived, stop waits
// for the tick in flight; reload outcomes and restart-only keys.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTicker } from '../../core/ticker.js';
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
