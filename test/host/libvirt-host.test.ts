// LibvirtHost through the real addon against libvirt's test driver (test/fixtures/host.xml).
import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHost, type LibvirtHost } from '../../core/host/libvirt-host.js';
import { LibvirtError } from '../../core/host/errors.js';
import { buildZoneMetadata, parseZoneMetadata } from '../../core/host/metadata.js';
import { VIRTZONE_NS_URI } from '../../core/host/types.js';
import { generateTestHostXml } from '../../scripts/gen-test-host.js';
import { FIXTURE_URI, RUNNING, SHUT_OFF, nextEvent } from './helpers.js';

async function withHost(t: TestT, fn: (host: LibvirtHost) => Promise<void>): Promise<void> {
  const host = await openHost(FIXTURE_URI);
  t.teardown(() => host.close());
  await fn(host);
}

type TestT = Parameters<Parameters<typeof t.test>[0]>[0];

async function rejectsLibvirt(t: TestT, p: Promise<unknown>, codeName: string, what: string): Promise<LibvirtError> {
  try {
    await p;
  } catch (err) {
    t.type(err, LibvirtError, `${what}: a LibvirtError`);
    const e = err as LibvirtError;
    t.equal(e.codeName, codeName, `${what}: ${codeName} (got: ${e.message})`);
    t.type(e.code, 'number');
    t.type(e.domain, 'number');
    t.ok(e.message.length > 0);
    return e;
  }
  t.fail(`${what}: expected a rejection`);
  throw new Error('unreachable');
}

t.test('open, node info, close', async (t) => {
  const host = await openHost(FIXTURE_URI);
  t.equal(host.uri, FIXTURE_URI);
  t.ok(host.isAlive());
  t.equal(await host.checkAlive(), true);
  // The test driver is local: no link to keep alive (virConnectSetKeepAlive -> VIR_ERR_NO_SUPPORT).
  t.equal(host.keepalive, 'not applicable');
  t.ok(host.eventsEnabled);
  const n = await host.nodeInfo();
  t.same(n, { model: 'x86_64', memoryKiB: 64 * 1024 * 1024, cpus: 16, mhz: 2400, nodes: 1, sockets: 2, cores: 4, threads: 2 });
  const events: string[] = [];
  host.onEvent((e) => events.push(e.type === 'disconnected' ? `disconnected:${e.reason}` : 'domain'));
  await host.close();
  t.notOk(host.isAlive());
  t.same(events, ['disconnected:closed by client']);
  await host.close(); // idempotent
});

t.test('calls after close reject with a clear LibvirtError', async (t) => {
  const host = await openHost(FIXTURE_URI);
  await host.close();
  const e = await rejectsLibvirt(t, host.listDomains(), 'VIR_ERR_INVALID_CONN', 'listDomains after close');
  t.match(e.message, /closed/);
  await rejectsLibvirt(t, host.setVcpus(RUNNING[0], 2), 'VIR_ERR_INVALID_CONN', 'setVcpus after close');
  t.equal(await host.checkAlive(), false);
});

t.test('lists every fixture domain with sizes and states', (t) =>
  withHost(t, async (host) => {
    const list = await host.listDomains();
    t.same(list.map((d) => d.name).sort(), [...RUNNING, ...SHUT_OFF].sort());
    for (const d of list) {
      t.match(d.uuid, /^7a2e0000-0000-4000-8000-[0-9a-f]{12}$/);
      t.equal(d.persistent, true);
      t.equal(d.vcpusMax, 8, `${d.name} vcpusMax`);
      t.ok(d.vcpusCurrent < d.vcpusMax, `${d.name} has room to hot-plug`);
      t.ok(d.memoryKiB < d.maxMemoryKiB, `${d.name} has room to balloon up`);
    }
    for (const name of RUNNING) {
      const d = list.find((x) => x.name === name)!;
      t.equal(d.state, 'running', name);
      t.ok(d.id > 0);
    }
    const off = list.find((x) => x.name === SHUT_OFF[0])!;
    t.equal(off.state, 'shutoff');
    t.equal(off.id, -1);
  }),
);

t.test('lookup by name, and unknown domain -> VIR_ERR_NO_DOMAIN', (t) =>
  withHost(t, async (host) => {
    const d = await host.lookup('silver-db-02');
    t.same(d, {
      name: 'silver-db-02',
      uuid: '7a2e0000-0000-4000-8000-000000000002',
      id: d.id,
      state: 'running',
      persistent: true,
      vcpusCurrent: 3,
      vcpusMax: 8,
      memoryKiB: 4194304,
      maxMemoryKiB: 8388608,
    });
    const e = await rejectsLibvirt(t, host.lookup('no-such-vm'), 'VIR_ERR_NO_DOMAIN', 'lookup');
    t.match(e.message, /lookup\("no-such-vm"\)/, 'message names the operation');
    await rejectsLibvirt(t, host.setVcpus('no-such-vm', 2), 'VIR_ERR_NO_DOMAIN', 'setVcpus');
    await rejectsLibvirt(t, host.getXml('no-such-vm'), 'VIR_ERR_NO_DOMAIN', 'getXml');
  }),
);

t.test('all-domain stats: one record per domain with its state', (t) =>
  withHost(t, async (host) => {
    const stats = await host.allDomainStats();
    t.equal(stats.length, RUNNING.length + SHUT_OFF.length);
    for (const s of stats) {
      t.equal(s.state, RUNNING.includes(s.name) ? 'running' : 'shutoff', s.name);
      // The test driver reports only the "state" group: INT fields, as numbers.
      t.type(s.raw['state.state'], 'number');
      t.type(s.raw['state.reason'], 'number');
      t.equal(s.cpuTimeNs, undefined);
      t.equal(s.balloon, undefined);
    }
    // Waiting for busy domains is a flag, accepted too.
    t.equal((await host.allDomainStats({ wait: true })).length, stats.length);
  }),
);

t.test('setVcpus hot-plugs up to the maximum and reads back; above it is a LibvirtError', (t) =>
  withHost(t, async (host) => {
    const name = 'gold-web-01';
    await host.setVcpus(name, 4, { live: true });
    t.equal((await host.lookup(name)).vcpusCurrent, 4);
    await host.setVcpus(name, 8); // current = live for a running domain
    t.equal((await host.lookup(name)).vcpusCurrent, 8);
    const e = await rejectsLibvirt(t, host.setVcpus(name, 9, { live: true }), 'VIR_ERR_INVALID_ARG', 'vcpus above maximum');
    t.match(e.libvirtMessage, /exceeds maximum/);
    // config only, on the shut-off domain
    await host.setVcpus(SHUT_OFF[0], 6, { config: true });
    t.equal((await host.lookup(SHUT_OFF[0])).vcpusCurrent, 6);
    // live on a shut-off domain is refused by libvirt
    await rejectsLibvirt(t, host.setVcpus(SHUT_OFF[0], 2, { live: true }), 'VIR_ERR_OPERATION_INVALID', 'live on shut off');
  }),
);

t.test('setMemory balloons and reads back', (t) =>
  withHost(t, async (host) => {
    const name = 'bronze-cache-03'; // 12 GiB max, 6 GiB current
    await host.setMemory(name, 8 * 1024 * 1024, { live: true });
    t.equal((await host.lookup(name)).memoryKiB, 8 * 1024 * 1024);
    await host.setMemory(name, 3 * 1024 * 1024);
    t.equal((await host.lookup(name)).memoryKiB, 3 * 1024 * 1024);
    await rejectsLibvirt(t, host.setMemory(name, 13 * 1024 * 1024, { live: true }), 'VIR_ERR_INVALID_ARG', 'above max');
  }),
);

t.test('scheduler parameters: read, typed set, unknown and out-of-range names rejected', (t) =>
  withHost(t, async (host) => {
    const name = 'gold-web-01';
    // The test driver's "fair" scheduler has one UINT parameter.
    t.same(await host.getSchedulerParams(name), { weight: 50 });
    // Accepted and type-converted (the test driver stores nothing: its setter is a no-op).
    await host.setSchedulerParams(name, { weight: 100 });
    await host.setSchedulerParams(name, { weight: 100n });
    const unknown = await rejectsLibvirt(t, host.setSchedulerParams(name, { cpu_shares: 512 }), 'VIR_ERR_INVALID_ARG', 'unknown');
    t.match(unknown.message, /unknown scheduler parameter 'cpu_shares'.*weight/);
    const negative = await rejectsLibvirt(t, host.setSchedulerParams(name, { weight: -1 }), 'VIR_ERR_INVALID_ARG', 'negative');
    t.match(negative.message, /'weight' takes an unsigned 32-bit integer; got -1/);
    await rejectsLibvirt(t, host.setSchedulerParams(name, { weight: 1.5 }), 'VIR_ERR_INVALID_ARG', 'fraction');
    await rejectsLibvirt(t, host.setSchedulerParams(name, { weight: 2n ** 32n }), 'VIR_ERR_INVALID_ARG', 'too big');
    // The test driver takes no live/config flags for schedinfo: libvirt's own error comes through.
    await rejectsLibvirt(t, host.getSchedulerParams(name, { live: true }), 'VIR_ERR_INVALID_ARG', 'live flag');
  }),
);

t.test('memory parameters: 64-bit values as BigInt, set and read back', (t) =>
  withHost(t, async (host) => {
    const name = 'silver-db-02';
    const before = await host.getMemoryParams(name);
    const unlimited = 2n ** 53n - 1n; // VIR_DOMAIN_MEMORY_PARAM_UNLIMITED
    t.same(before, { hard_limit: unlimited, soft_limit: unlimited, swap_hard_limit: unlimited });
    t.type(before.hard_limit, 'bigint');
    await host.setMemoryParams(name, { hard_limit: 6 * 1024 * 1024, soft_limit: 5n * 1024n * 1024n }, { live: true });
    const after = await host.getMemoryParams(name, { live: true });
    t.equal(after.hard_limit, 6n * 1024n * 1024n);
    t.equal(after.soft_limit, 5n * 1024n * 1024n);
    t.equal(after.swap_hard_limit, unlimited);
    await rejectsLibvirt(t, host.setMemoryParams(name, { min_guarantee: 1 }), 'VIR_ERR_INVALID_ARG', 'unknown');
    await rejectsLibvirt(t, host.setMemoryParams(name, { hard_limit: -5 }), 'VIR_ERR_INVALID_ARG', 'negative');
  }),
);

t.test('virtzone metadata: fixture value, set/get round trip, removal', (t) =>
  withHost(t, async (host) => {
    const fromFixture = await host.getMetadata('silver-db-02');
    t.same(parseZoneMetadata(fromFixture!), { class: 'silver', tenant: 'globex', app: 'db' });

    const zone = { class: 'bronze', tenant: 'Q&A "team" <x>', app: "it's\tfine\n\u263A", reservation: 'r-42' };
    await host.setMetadata('silver-db-02', buildZoneMetadata(zone), { live: true, config: true });
    t.same(parseZoneMetadata((await host.getMetadata('silver-db-02'))!), zone);
    // Stored under our namespace in the domain XML, as virsh dumpxml shows it.
    const xml = await host.getXml('silver-db-02', { inactive: true });
    t.match(xml, `<virtzone:zone xmlns:virtzone="${VIRTZONE_NS_URI}"`);
    t.match(xml, 'tenant="Q&amp;A &quot;team&quot; &lt;x&gt;"');

    await host.setMetadata('silver-db-02', null, { live: true, config: true });
    t.equal(await host.getMetadata('silver-db-02'), null);
    await rejectsLibvirt(t, host.getMetadata('no-such-vm'), 'VIR_ERR_NO_DOMAIN', 'unknown domain');
  }),
);

t.test('define, start, destroy, undefine a new domain, with lifecycle events', (t) =>
  withHost(t, async (host) => {
    const name = 'gold-new-99';
    const xml = `<domain type='test'>
  <name>${name}</name>
  <metadata>${buildZoneMetadata({ class: 'gold', app: 'new' }, { forDomainXml: true })}</metadata>
  <memory unit='KiB'>2097152</memory>
  <currentMemory unit='KiB'>1048576</currentMemory>
  <vcpu current='1'>4</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
</domain>`;
    const defined = nextEvent(host, (e) => e.type === 'domain' && e.event.name === name && e.event.kind === 'defined');
    t.equal(await host.define(xml), name);
    await defined;
    const d = await host.lookup(name);
    t.equal(d.state, 'shutoff');
    t.equal(d.vcpusCurrent, 1);
    t.equal(d.vcpusMax, 4);
    t.same(parseZoneMetadata((await host.getMetadata(name))!), { class: 'gold', app: 'new' });

    const started = nextEvent(host, (e) => e.type === 'domain' && e.event.name === name && e.event.kind === 'started');
    await host.start(name);
    const ev = await started;
    t.equal(ev.type === 'domain' && ev.event.uuid, d.uuid);
    t.equal((await host.lookup(name)).state, 'running');

    const stopped = nextEvent(host, (e) => e.type === 'domain' && e.event.name === name && e.event.kind === 'stopped');
    await host.destroy(name);
    await stopped;
    t.equal((await host.lookup(name)).state, 'shutoff');

    const undefinedEv = nextEvent(host, (e) => e.type === 'domain' && e.event.name === name && e.event.kind === 'undefined');
    await host.undefine(name);
    await undefinedEv;
    await rejectsLibvirt(t, host.lookup(name), 'VIR_ERR_NO_DOMAIN', 'after undefine');

    await rejectsLibvirt(t, host.define('<domain type="test"><name>broken</nam></domain>'), 'VIR_ERR_XML_DETAIL', 'bad XML');
  }),
);

t.test('shutdown of a running domain', (t) =>
  withHost(t, async (host) => {
    const stopped = nextEvent(host, (e) => e.type === 'domain' && e.event.name === 'gold-batch-04' && e.event.kind === 'stopped');
    await host.shutdown('gold-batch-04');
    await stopped;
    t.equal((await host.lookup('gold-batch-04')).state, 'shutoff');
    await rejectsLibvirt(t, host.destroy('gold-batch-04'), 'VIR_ERR_OPERATION_INVALID', 'destroy of a stopped domain');
  }),
);

t.test('each open of a test:// URI starts from the file', async (t) => {
  const a = await openHost(FIXTURE_URI);
  const b = await openHost(FIXTURE_URI);
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  await a.setVcpus('gold-web-01', 5);
  t.equal((await a.lookup('gold-web-01')).vcpusCurrent, 5);
  t.equal((await b.lookup('gold-web-01')).vcpusCurrent, 2);
});

t.test('open errors name the URI and carry libvirt codes', async (t) => {
  const refused = await rejectsLibvirt(t, openHost('qemu+tcp://127.0.0.1:1/system'), 'VIR_ERR_SYSTEM_ERROR', 'unreachable');
  t.match(refused.message, /cannot open libvirt connection 'qemu\+tcp:\/\/127\.0\.0\.1:1\/system'/);
  t.match(refused.message, /Connection refused/);

  const missing = join(mkdtempSync(join(tmpdir(), 'vz-host-')), 'missing.xml');
  const e = await rejectsLibvirt(t, openHost(`test://${missing}`), 'VIR_ERR_XML_ERROR', 'missing file');
  t.match(e.message, missing);
});

t.test('a generated host with 300 domains lists completely', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-host-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'host.xml');
  writeFileSync(file, generateTestHostXml({ domains: 300 }));
  const host = await openHost(`test://${file}`);
  t.teardown(() => host.close());
  const list = await host.listDomains();
  t.equal(list.length, 300);
  t.equal(list.filter((d) => d.state === 'shutoff').length, Math.floor(300 / 7));
  t.equal(new Set(list.map((d) => d.uuid)).size, 300);
  const stats = await host.allDomainStats();
  t.equal(stats.length, 300);
});
