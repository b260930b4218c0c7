// HostSupervisor against the test driver: connect, lose the connection, reconnect with
// backoff. Backoff times are injected in milliseconds, so nothing sleeps for long.
import t from 'tap';
import { HostSupervisor, backoffDelay } from '../../core/host/supervisor.js';
import { HostUnavailableError, LibvirtError } from '../../core/host/errors.js';
import { openHost, type OpenHostOptions } from '../../core/host/libvirt-host.js';
import type { HostAdapter, HostEvent } from '../../core/host/types.js';
import { FIXTURE_URI, RUNNING } from './helpers.js';

// Nothing listens on port 1: libvirt's remote driver fails at once with "Connection refused".
const REFUSED_URI = 'qemu+tcp://127.0.0.1:1/system';

function once<T>(sup: HostSupervisor, event: 'connected' | 'disconnected'): Promise<T> {
  return new Promise((resolve) => sup.once(event, ((arg: T) => resolve(arg)) as never));
}

t.test('backoffDelay doubles from the initial delay up to the maximum', async (t) => {
  t.same([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, 500, 30000)), [500, 1000, 2000, 4000, 8000, 16000]);
  t.equal(backoffDelay(7, 500, 30000), 30000);
  t.equal(backoffDelay(60, 500, 30000), 30000, 'no overflow for long outages');
  t.equal(backoffDelay(1, 1000, 30000, 0.1, () => 0), 900);
  t.equal(backoffDelay(1, 1000, 30000, 0.1, () => 0.999999), 1100);
  t.equal(backoffDelay(10, 1000, 30000, 0.5, () => 0.999999), 30000, 'jitter never exceeds the maximum');
});

t.test('connects, and current() throws HostUnavailableError until then', async (t) => {
  const sup = new HostSupervisor({ uri: FIXTURE_URI, reconnectInitialMs: 10, reconnectMaxMs: 40 });
  t.teardown(() => sup.close());
  t.throws(() => sup.current(), HostUnavailableError);
  sup.start();
  const host = await sup.whenConnected();
  t.equal(sup.state, 'connected');
  t.equal(sup.current(), host);
  t.equal((await host.listDomains()).length, 7);
  t.equal(await sup.whenConnected(), host, 'resolves at once when connected');
});

t.test('reconnects after the connection is closed under it', async (t) => {
  const sup = new HostSupervisor({ uri: FIXTURE_URI, reconnectInitialMs: 10, reconnectMaxMs: 40, jitter: 0 });
  t.teardown(() => sup.close());
  const seen: string[] = [];
  sup.on('connected', () => seen.push('connected'));
  sup.on('disconnected', (e) => seen.push(`disconnected: ${e.reason}`));
  const hostEvents: HostEvent[] = [];
  sup.onHostEvent((e) => hostEvents.push(e));

  const first = await sup.start().whenConnected();
  await first.setVcpus(RUNNING[0], 6);

  const reconnected = once<HostAdapter>(sup, 'connected');
  await first.close(); // someone else closes the connection
  t.equal(sup.state, 'waiting');
  const err = t.throws(() => sup.current(), HostUnavailableError) as HostUnavailableError;
  t.match(err.message, /connection lost: closed by client; reconnecting/);
  t.equal(err.uri, FIXTURE_URI);

  const second = await reconnected;
  t.not(second, first, 'a new connection');
  t.equal(sup.current(), second);
  t.ok(second.isAlive());
  // The test driver starts each connection from the file again.
  t.equal((await second.lookup(RUNNING[0])).vcpusCurrent, 2);
  t.same(seen, ['connected', 'disconnected: closed by client', 'connected']);

  // Host events follow the current connection.
  const before = hostEvents.length;
  await second.destroy(RUNNING[1]);
  await new Promise((r) => setTimeout(r, 50));
  t.ok(
    hostEvents.slice(before).some((e) => e.type === 'domain' && e.event.name === RUNNING[1] && e.event.kind === 'stopped'),
    'lifecycle event of the new connection delivered',
  );
});

t.test('retries with exponential backoff while the host cannot be reached', async (t) => {
  let attempts = 0;
  // The first three opens go to a URI that really fails in libvirt, then the real one.
  const open = (uri: string, opts: OpenHostOptions) => openHost(attempts++ < 3 ? REFUSED_URI : uri, opts);
  const sup = new HostSupervisor({ uri: FIXTURE_URI, reconnectInitialMs: 5, reconnectMaxMs: 12, jitter: 0, open });
  t.teardown(() => sup.close());
  const failures: Array<{ attempt: number; retryInMs: number; error: Error }> = [];
  sup.on('connect-failed', (f) => failures.push(f));
  sup.start();
  const host = await sup.whenConnected(5000);
  t.ok(host.isAlive());
  t.same(failures.map((f) => [f.attempt, f.retryInMs]), [[1, 5], [2, 10], [3, 12]]);
  for (const f of failures) {
    t.type(f.error, LibvirtError);
    t.match(f.error.message, /cannot open libvirt connection 'qemu\+tcp:\/\/127\.0\.0\.1:1\/system'.*Connection refused/);
  }
  t.equal(attempts, 4);
});

t.test('close() stops retrying and rejects waiters; a listener that throws breaks nothing', async (t) => {
  const sup = new HostSupervisor({ uri: REFUSED_URI, reconnectInitialMs: 5, reconnectMaxMs: 10, jitter: 0 });
  let failures = 0;
  sup.on('connect-failed', () => {
    failures++;
    throw new Error('a careless listener');
  });
  sup.start();
  const waiting = sup.whenConnected();
  await new Promise((r) => setTimeout(r, 60));
  t.ok(failures >= 2, `kept retrying (${failures} attempts) despite the throwing listener`);
  t.throws(() => sup.current(), { name: 'HostUnavailableError', message: /Connection refused/ });
  // the handler is attached before close() rejects the waiter: a rejection with no handler
  // yet, even for a tick, is reported by tap as a failure of its own
  const waiterRejected = t.rejects(waiting, HostUnavailableError);
  await sup.close();
  await waiterRejected;
  const after = failures;
  await new Promise((r) => setTimeout(r, 30));
  t.equal(failures, after, 'no attempt after close');
  t.equal(sup.state, 'closed');
  await t.rejects(sup.whenConnected(), { message: /supervisor is closed/ });
  t.throws(() => sup.start(), /after close/);
});

t.test('whenConnected(timeout) rejects when not connected in time', async (t) => {
  const sup = new HostSupervisor({ uri: REFUSED_URI, reconnectInitialMs: 1000, reconnectMaxMs: 1000 }).start();
  t.teardown(() => sup.close());
  await t.rejects(sup.whenConnected(30), { name: 'HostUnavailableError', message: /not connected within 30 ms/ });
});

t.test('fromConfig takes the libvirt section of the daemon config', async (t) => {
  const sup = HostSupervisor.fromConfig({
    uri: FIXTURE_URI,
    keepaliveIntervalSeconds: 5,
    keepaliveCount: 3,
    reconnectInitialMs: 500,
    reconnectMaxMs: 30000,
  });
  t.teardown(() => sup.close());
  const host = await sup.start().whenConnected();
  t.equal(host.uri, FIXTURE_URI);
  t.throws(() => new HostSupervisor({ uri: FIXTURE_URI, reconnectInitialMs: 100, reconnectMaxMs: 50 }), RangeError);
});
