// Real signals to a real child process running daemon/process (signals, config reload,
// ticker, notify): SIGHUP reloads or keeps the old config and says why; SIGTERM lets
// the tick in flight finish and exits 0; systemd sees RELOADING/READY/STOPPING from the
// child's own PID.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnLines, type LineProcess } from './fixtures/lines.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');
const CHILD = join(HERE, 'fixtures', 'signal-child.ts');
const RECEIVER = join(HERE, 'fixtures', 'notify-receiver.py');

interface Setup {
  child: LineProcess;
  notify: LineProcess;
  config: string;
}

async function start(t: Test, env: Record<string, string>, configText: string): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'vz-signals-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'virtzoned.yaml');
  writeFileSync(config, configText);
  const sock = join(dir, 'notify.sock');
  const notify = spawnLines('python3', [RECEIVER, sock]);
  t.teardown(() => notify.kill());
  await notify.waitFor((l) => l.listening === sock);
  const child = spawnLines(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: REPO,
    env: { ...process.env, CONFIG: config, NOTIFY_SOCKET: sock, ...env },
  });
  t.teardown(() => child.kill());
  await child.waitFor((l) => l.event === 'ready');
  await notify.waitFor((l) => l.data?.startsWith('READY=1'));
  return { child, notify, config };
}

const notes = (s: Setup) => s.notify.lines.filter((l) => typeof l.data === 'string').map((l) => ({ first: l.data.split('\n')[0], pid: l.pid }));

t.test('SIGHUP applies a valid config, rejects an invalid one and keeps the running one', async (t) => {
  const s = await start(t, { TICK_MS: '50' }, 'collect:\n  intervalSeconds: 5\n');
  const pid = s.child.child.pid!;
  await s.child.waitFor((l) => l.event === 'tick-end' && l.interval === 5);

  // valid change
  writeFileSync(s.config, 'collect:\n  intervalSeconds: 7\n');
  let from = s.child.lines.length;
  process.kill(pid, 'SIGHUP');
  const applied = await s.child.waitFor((l) => /^config reloaded/.test(l.msg ?? ''), 10000, from);
  t.same(applied.changedKeys, ['collect.intervalSeconds']);
  await s.child.waitFor((l) => l.event === 'tick-end' && l.interval === 7, 10000, from);

  // invalid: named key, old config stays, the process lives on
  writeFileSync(s.config, 'collect:\n  intervalSeconds: ten\n');
  from = s.child.lines.length;
  process.kill(pid, 'SIGHUP');
  const rejected = await s.child.waitFor((l) => /config reload rejected/.test(l.msg ?? ''), 10000, from);
  t.equal(rejected.level, 50, 'logged at error level');
  t.equal(rejected.key, 'collect.intervalSeconds', 'names the key');
  t.match(rejected.msg, /keeping the running configuration: .*key collect\.intervalSeconds: value "ten" is invalid/);
  const after = await s.child.waitFor((l) => l.event === 'tick-end', 10000, s.child.lines.indexOf(rejected));
  t.equal(after.interval, 7, 'ticks go on with the previous config');

  // broken YAML: also rejected
  writeFileSync(s.config, 'collect: [1, 2\n');
  from = s.child.lines.length;
  process.kill(pid, 'SIGHUP');
  const broken = await s.child.waitFor((l) => /config reload rejected/.test(l.msg ?? ''), 10000, from);
  t.match(broken.msg, /not valid YAML/);

  // a restart-only key: kept at its running value, with a warning that names it
  writeFileSync(s.config, 'collect:\n  intervalSeconds: 9\napi:\n  socket: /run/elsewhere.sock\n');
  from = s.child.lines.length;
  process.kill(pid, 'SIGHUP');
  const deferred = await s.child.waitFor((l) => /take effect only after a restart/.test(l.msg ?? ''), 10000, from);
  t.same(deferred.keys, ['api.socket']);
  const tick = await s.child.waitFor((l) => l.event === 'tick-end' && l.interval === 9, 10000, from);
  t.equal(tick.socket, '/run/virtzone/virtzoned.sock', 'the socket in effect did not move');

  // systemd saw each reload as RELOADING=1 ... READY=1 from the main PID
  await s.notify.waitFor(() => notes(s).filter((n) => n.first === 'READY=1').length >= 5);
  const seq = notes(s).map((n) => n.first).filter((f) => f !== 'WATCHDOG=1');
  t.same(seq, ['READY=1', 'RELOADING=1', 'READY=1', 'RELOADING=1', 'READY=1', 'RELOADING=1', 'READY=1', 'RELOADING=1', 'READY=1']);
  t.ok(notes(s).every((n) => n.pid === pid), 'every notification comes from the main PID');

  process.kill(pid, 'SIGTERM');
  t.equal((await s.child.exited).code, 0);
});

t.test('SIGTERM finishes the tick in flight, then closes and exits 0', async (t) => {
  const s = await start(t, { TICK_MS: '600' }, '');
  const pid = s.child.child.pid!;
  const started = await s.child.waitFor((l) => l.event === 'tick-start');
  const startIdx = s.child.lines.indexOf(started);
  process.kill(pid, 'SIGTERM');
  const exit = await s.child.exited;
  t.equal(exit.code, 0, `exit 0\n${s.child.stderr()}`);
  const events = s.child.lines.slice(startIdx).map((l) => l.event ?? l.msg);
  const iShut = events.indexOf('shutting down: finishing the current work');
  const iEnd = events.indexOf('tick-end');
  const iClosed = events.indexOf('closed');
  const iClean = events.indexOf('shut down cleanly');
  t.ok(iShut > 0, 'the shutdown began during the tick');
  t.ok(iShut < iEnd && iEnd < iClosed && iClosed < iClean, `tick finished before closing: ${events.join(' > ')}`);
  t.equal(events.filter((e) => e === 'tick-start').length, 1, 'no tick starts after SIGTERM');
  await s.notify.waitFor((l) => l.data?.startsWith('STOPPING=1'));
  t.equal(s.notify.lines.find((l) => l.data?.startsWith('STOPPING=1'))!.pid, pid);
});

t.test('SIGINT behaves like SIGTERM; a second SIGINT exits at once with 130', async (t) => {
  const s = await start(t, { TICK_MS: '30000' }, '');
  const pid = s.child.child.pid!;
  await s.child.waitFor((l) => l.event === 'tick-start');
  process.kill(pid, 'SIGINT');
  await s.child.waitFor((l) => l.msg === 'shutting down: finishing the current work');
  // a repeated SIGTERM is only noted
  process.kill(pid, 'SIGTERM');
  await s.child.waitFor((l) => l.msg === 'already shutting down');
  t.equal(s.child.child.exitCode, null, 'still finishing the (long) tick');
  process.kill(pid, 'SIGINT');
  const exit = await s.child.exited;
  t.equal(exit.code, 130);
  t.notOk(s.child.lines.some((l) => l.event === 'closed'), 'did not wait for the tick');
});

t.test('SIGHUPs during a slow reload are coalesced into one more reload; SIGTERM waits for it', async (t) => {
  const s = await start(t, { TICK_MS: '20', RELOAD_MS: '400' }, 'collect:\n  intervalSeconds: 5\n');
  const pid = s.child.child.pid!;
  writeFileSync(s.config, 'collect:\n  intervalSeconds: 6\n');
  process.kill(pid, 'SIGHUP');
  await s.child.waitFor((l) => l.event === 'reload-start' && l.reloads === 1);
  for (let i = 0; i < 3; i++) process.kill(pid, 'SIGHUP');
  await s.child.waitFor((l) => l.event === 'reload-start' && l.reloads === 2);
  // SIGTERM while the second reload runs: it completes before the shutdown
  process.kill(pid, 'SIGTERM');
  const exit = await s.child.exited;
  t.equal(exit.code, 0);
  t.equal(s.child.lines.filter((l) => l.event === 'reload-start').length, 2, 'four SIGHUPs, two reloads');
  const msgs = s.child.lines.map((l) => l.msg);
  t.ok(msgs.lastIndexOf('reload finished') < msgs.indexOf('closed'), 'the reload in flight finished before closing');
});
