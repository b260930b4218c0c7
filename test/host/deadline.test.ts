// Deadlines on host calls, and the age of the last successful call: on the test driver,
// with a call held back by a gate standing in for a libvirtd that does not answer.
import t from 'tap';
import { withDeadline } from '../../core/host/deadline.js';
import { decorateCalls } from '../../core/host/decorate.js';
import { HostCallTimeout, HostUnavailableError } from '../../core/host/errors.js';
import { openHost } from '../../core/host/libvirt-host.js';
import { HostSupervisor } from '../../core/host/supervisor.js';
import { supervisedHost } from '../../core/host/supervised-host.js';
import { libvirtCheck } from '../../router/plugins/health.js';
import { FIXTURE_URI } from './helpers.js';

t.test('a call past its deadline rejects with HostCallTimeout; the call itself runs on', async (t) => {
  const real = await openHost(FIXTURE_URI);
  t.teardown(() => real.close());
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const slow = decorateCalls(real, (name, run) => (name === 'listDomains' ? gate.then(run) : run()));
  const host = withDeadline(slow, 100);

  t.equal((await host.lookup('gold-web-01')).name, 'gold-web-01', 'calls in time answer as usual');
  await t.rejects(host.lookup('nope'), { codeName: 'VIR_ERR_NO_DOMAIN' }, 'and fail as usual');

  const began = Date.now();
  const err = (await host.listDomains().catch((e: unknown) => e)) as HostCallTimeout;
  const took = Date.now() - began;
  t.type(err, HostCallTimeout);
  t.type(err, HostUnavailableError, 'a timeout is the host being unavailable, for callers that only know that');
  t.equal(err.operation, 'listDomains');
  t.equal(err.timeoutMs, 100);
  t.ok(took >= 95 && took < 1000, `rejected at the deadline (${took} ms)`);
  let settled = false;
  void err.settled.then(() => (settled = true));
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(settled, false, 'the call has not ended');
  open();
  await err.settled;
  t.equal(settled, true, 'settled once the call ended');
  t.throws(() => withDeadline(real, 0), RangeError);
});

t.test('the supervisor records when a call last succeeded, and probes an idle connection', async (t) => {
  const sup = new HostSupervisor({ uri: FIXTURE_URI, reconnectInitialMs: 50, reconnectMaxMs: 100, probeIdleMs: 200 });
  t.teardown(() => sup.close());
  t.equal(sup.lastSuccessAgeSeconds(), null, 'none before connecting');
  await sup.start().whenConnected(5000);
  const host = supervisedHost(sup);
  t.ok(sup.lastSuccessAt !== null, 'the connect counts');
  const before = sup.lastSuccessAt!;
  await new Promise((resolve) => setTimeout(resolve, 20));
  await host.lookup('gold-web-01');
  t.ok(sup.lastSuccessAt! > before, 'a successful call moves it');
  const afterCall = sup.lastSuccessAt!;
  await new Promise((resolve) => setTimeout(resolve, 20));
  await host.lookup('nope').catch(() => undefined);
  t.equal(sup.lastSuccessAt, afterCall, 'a failed call does not');
  await new Promise((resolve) => setTimeout(resolve, 600));
  t.ok(sup.lastSuccessAt! > afterCall, 'an idle connection is probed');
  t.ok(sup.lastSuccessAgeSeconds()! < 0.5);
});

t.test('/healthz judges libvirt by the age of its last successful call', async (t) => {
  const host = { uri: 'test:///x', isAlive: () => true } as never;
  const ctx = (age: number | null | undefined, alive = true) =>
    ({ deps: { host: alive ? host : { uri: 'test:///x', isAlive: () => false }, config: { libvirt: { healthyWithinSeconds: 30 } }, hostCallAgeSeconds: age === undefined ? undefined : () => age } }) as never;
  t.match(libvirtCheck(ctx(5)), { ok: true, detail: /connected to test:\/\/\/x; last call succeeded 5 s ago/ });
  t.match(libvirtCheck(ctx(31)), { ok: false, detail: /no libvirt call has succeeded for 31 s \(limit 30 s\)/ });
  t.match(libvirtCheck(ctx(undefined)), { ok: true, detail: 'connected to test:///x' });
  t.match(libvirtCheck(ctx(1, false)), { ok: false, detail: /lost/ });
});
