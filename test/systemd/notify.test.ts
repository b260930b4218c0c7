// sd_notify through the native addon, received on a real AF_UNIX datagram socket with
// SO_PASSCRED (as systemd receives it): message format, sender PID attribution,
// abstract sockets, watchdog timing from WATCHDOG_USEC/WATCHDOG_PID, MONOTONIC_USEC on
// the same clock as systemd's, and failures that must not throw.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNotifier, loadSdNotifySend, watchdogIntervalFromEnv } from '../../daemon/process/notify.js';
import { spawnLines, type LineProcess } from './fixtures/lines.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const RECEIVER = join(HERE, 'fixtures', 'notify-receiver.py');

async function receiver(t: Test, path: string): Promise<LineProcess> {
  const r = spawnLines('python3', [RECEIVER, path]);
  t.teardown(() => r.kill());
  await r.waitFor((l) => l.listening === path);
  return r;
}

const messages = (r: LineProcess) => r.lines.filter((l) => typeof l.data === 'string');

t.test('the addon is built and loadable', async (t) => {
  const send = loadSdNotifySend();
  t.type(send, 'function');
  t.throws(() => send('relative/path', 'READY=1'), RangeError);
  t.throws(() => send(42 as unknown as string, 'READY=1'), TypeError);
  t.throws(() => send('/x/' + 'a'.repeat(120), 'READY=1'), /shorter than 108 bytes/);
  try {
    send('/nonexistent-dir/notify.sock', 'READY=1');
    t.fail('sent to a socket that does not exist');
  } catch (e) {
    t.equal((e as NodeJS.ErrnoException).code, 'ENOENT');
    t.equal((e as NodeJS.ErrnoException).syscall, 'sendto');
  }
});

t.test('outside systemd every call is a harmless no-op', async (t) => {
  const n = createNotifier({ env: {} });
  t.equal(n.enabled, false);
  t.equal(n.watchdogIntervalMs, undefined);
  t.equal(n.ready(), false);
  t.equal(n.watchdog(), false);
  const stop = n.startWatchdog();
  stop();
});

t.test('READY, STATUS, RELOADING, STOPPING, EXTEND_TIMEOUT reach the socket from this PID', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-notify-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'notify.sock');
  const r = await receiver(t, path);
  const n = createNotifier({ env: { NOTIFY_SOCKET: path } });
  t.equal(n.enabled, true);

  t.equal(n.ready('serving 3 zones'), true);
  t.equal(n.status('line one\nline two'), true);
  t.equal(n.reloading(), true);
  t.equal(n.extendTimeout(1500), true);
  t.equal(n.stopping(), true);
  await r.waitFor((l) => l.data?.startsWith('STOPPING=1'));
  const got = messages(r);
  t.same(got.map((m) => m.data.split('\n')[0]), ['READY=1', 'STATUS=line one line two', 'RELOADING=1', 'EXTEND_TIMEOUT_USEC=1500000', 'STOPPING=1']);
  t.equal(got[0].data, 'READY=1\nSTATUS=serving 3 zones');
  for (const m of got) t.equal(m.pid, process.pid, 'the kernel attributes each datagram to this process (NotifyAccess=main)');

  // RELOADING=1 carries MONOTONIC_USEC on CLOCK_MONOTONIC, the clock systemd compares it with
  const reloading = got[2];
  const sent = Number(/MONOTONIC_USEC=(\d+)/.exec(reloading.data)![1]);
  t.ok(sent > 0 && reloading.mono_us - sent >= 0 && reloading.mono_us - sent < 5_000_000, `MONOTONIC_USEC ${sent} is CLOCK_MONOTONIC (received at ${reloading.mono_us})`);
});

t.test('abstract-namespace sockets (NOTIFY_SOCKET=@name)', async (t) => {
  const name = `@virtzone-test-${process.pid}-${Date.now()}`;
  const r = await receiver(t, name);
  const n = createNotifier({ env: { NOTIFY_SOCKET: name } });
  t.equal(n.ready(), true);
  const m = await r.waitFor((l) => l.data === 'READY=1');
  t.equal(m.pid, process.pid);
});

t.test('watchdog: armed from WATCHDOG_USEC, pings at half the timeout, stops on request', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-notify-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'notify.sock');
  const r = await receiver(t, path);
  const n = createNotifier({ env: { NOTIFY_SOCKET: path, WATCHDOG_USEC: '200000', WATCHDOG_PID: String(process.pid) } });
  t.equal(n.watchdogIntervalMs, 100);
  const stop = n.startWatchdog();
  await r.waitFor(() => messages(r).filter((m) => m.data === 'WATCHDOG=1').length >= 4, 5000);
  stop();
  const pings = messages(r).filter((m) => m.data === 'WATCHDOG=1');
  // pings come at the interval (half the timeout), not in a burst: the median gap is
  // about 100 ms. Not a latency bound: a loaded machine may delay one timer.
  const gaps = pings.slice(1).map((p, i) => (p.mono_us - pings[i].mono_us) / 1000).sort((a, b) => a - b);
  const median = gaps[Math.floor(gaps.length / 2)];
  t.ok(median >= 90 && median < 1000, `median gap ${median.toFixed(1)} ms follows the 100 ms interval`);
  const count = messages(r).length;
  await new Promise((res) => setTimeout(res, 350));
  t.equal(messages(r).length, count, 'no pings after stop');
});

t.test('watchdogIntervalFromEnv reads the variables as sd_watchdog_enabled does', async (t) => {
  t.equal(watchdogIntervalFromEnv({}, 10), undefined);
  t.equal(watchdogIntervalFromEnv({ WATCHDOG_USEC: '30000000' }, 10), 15000);
  t.equal(watchdogIntervalFromEnv({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '10' }, 10), 15000);
  t.equal(watchdogIntervalFromEnv({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '11' }, 10), undefined, 'meant for another process');
  t.equal(watchdogIntervalFromEnv({ WATCHDOG_USEC: '0' }, 10), undefined);
  t.equal(watchdogIntervalFromEnv({ WATCHDOG_USEC: '-5' }, 10), undefined);
  t.equal(watchdogIntervalFromEnv({ WATCHDOG_USEC: 'soon' }, 10), undefined);
  t.equal(createNotifier({ env: { WATCHDOG_USEC: '30000000' } }).watchdogIntervalMs, undefined, 'no NOTIFY_SOCKET, no watchdog');
});

t.test('a lost socket is logged once per cause and never throws', async (t) => {
  const warnings: Array<{ obj: any; msg: string }> = [];
  const n = createNotifier({ env: { NOTIFY_SOCKET: join(tmpdir(), `vz-missing-${process.pid}.sock`) }, log: { warn: (obj, msg) => warnings.push({ obj, msg }) } });
  t.equal(n.ready(), false);
  t.equal(n.watchdog(), false);
  t.equal(n.watchdog(), false);
  t.equal(warnings.length, 1, 'one warning for the same cause');
  t.equal(warnings[0].obj.err.code, 'ENOENT');
  t.equal(warnings[0].msg, 'sd_notify failed');
});

t.test('a child process started with NOTIFY_SOCKET reports as itself', async (t) => {
  // what systemd sees from the real daemon: the datagram comes from the main PID
  const dir = mkdtempSync(join(tmpdir(), 'vz-notify-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'notify.sock');
  const r = await receiver(t, path);
  const repo = resolve(HERE, '..', '..');
  const script = `const { createNotifier } = await import(${JSON.stringify(join(repo, 'daemon/process/notify.ts'))});
    createNotifier().ready('child up');`;
  const child = spawnLines(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repo, env: { ...process.env, NOTIFY_SOCKET: path } });
  t.teardown(() => child.kill());
  const exit = await child.exited;
  t.equal(exit.code, 0, child.stderr());
  const m = await r.waitFor((l) => l.data?.startsWith('READY=1'));
  t.equal(m.data, 'READY=1\nSTATUS=child up');
  t.equal(m.pid, child.child.pid);
});
