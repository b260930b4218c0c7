// Losing a real remote connection: a private libvirtd (test driver only) is killed or
// frozen under a connection. The close callback and keepalive run on the addon's event
// loop thread and must reach JavaScript as 'disconnected'; the supervisor reconnects.
import t from 'tap';
import { openHost } from '../../core/host/libvirt-host.js';
import { HostSupervisor } from '../../core/host/supervisor.js';
import { HostUnavailableError, LibvirtError } from '../../core/host/errors.js';
import type { HostAdapter, HostEvent } from '../../core/host/types.js';
import { PrivateLibvirtd } from './private-libvirtd.js';

function nextDisconnect(host: HostAdapter, timeoutMs: number): Promise<Extract<HostEvent, { type: 'disconnected' }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'disconnected' within ${timeoutMs} ms`)), timeoutMs);
    host.onEvent((e) => {
      if (e.type !== 'disconnected') return;
      clearTimeout(timer);
      resolve(e);
    });
  });
}

t.test('libvirtd killed: the close callback reports end of file, calls fail, isAlive is false', async (t) => {
  const daemon = new PrivateLibvirtd();
  t.teardown(() => daemon.dispose());
  await daemon.start();
  const host = await openHost(daemon.uri, { keepaliveIntervalSeconds: 1, keepaliveCount: 2 });
  t.teardown(() => host.close());
  t.equal(host.keepalive, 'enabled', 'keepalive runs on a remote connection');
  t.same((await host.listDomains()).map((d) => d.name), ['test']);

  const lost = nextDisconnect(host, 10_000);
  daemon.signal('SIGKILL');
  t.same(await lost, { type: 'disconnected', reason: 'end of file from libvirtd' });
  t.equal(host.isAlive(), false);
  await t.rejects(host.listDomains(), LibvirtError);
});

t.test('libvirtd frozen: keepalive declares the connection dead', async (t) => {
  const daemon = new PrivateLibvirtd();
  t.teardown(() => daemon.dispose());
  await daemon.start();
  const host = await openHost(daemon.uri, { keepaliveIntervalSeconds: 1, keepaliveCount: 1 });
  t.teardown(() => host.close());
  await host.nodeInfo();
  const lost = nextDisconnect(host, 15_000);
  daemon.signal('SIGSTOP'); // the socket stays open; only keepalive can notice
  t.same(await lost, { type: 'disconnected', reason: 'keepalive timeout' });
});

t.test('supervisor: libvirtd restarts, the daemon side reconnects on its own', async (t) => {
  const daemon = new PrivateLibvirtd();
  t.teardown(() => daemon.dispose());
  await daemon.start();
  const sup = new HostSupervisor({
    uri: daemon.uri,
    reconnectInitialMs: 20,
    reconnectMaxMs: 100,
    jitter: 0,
    hostOptions: { keepaliveIntervalSeconds: 1, keepaliveCount: 2 },
  });
  t.teardown(() => sup.close());
  const events: string[] = [];
  sup.on('connected', () => events.push('connected'));
  sup.on('disconnected', (e) => events.push(`disconnected: ${e.reason}`));
  let failedAttempts = 0;
  sup.on('connect-failed', () => failedAttempts++);

  const first = await sup.start().whenConnected(10_000);
  const disconnected = new Promise((r) => sup.once('disconnected', r));
  await daemon.stop();
  await disconnected;
  t.throws(() => sup.current(), HostUnavailableError);

  // Let it fail against the dead socket a few times, then bring libvirtd back.
  while (failedAttempts < 2) await new Promise((r) => setTimeout(r, 10));
  await daemon.start();
  const second = await sup.whenConnected(10_000);
  t.not(second, first);
  t.same((await second.listDomains()).map((d) => d.name), ['test']);
  t.same(events, ['connected', 'disconnected: end of file from libvirtd', 'connected']);
});
