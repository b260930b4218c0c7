// The raw addon: off-main-thread calls, typed parameters, what the test driver refuses,
// and that open connections never keep a process alive.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../../core/host/native.js';
import { LibvirtError } from '../../core/host/errors.js';
import { openHost, toDomainStats } from '../../core/host/libvirt-host.js';
import { generateTestHostXml } from '../../scripts/gen-test-host.js';
import { FIXTURE_URI, RUNNING } from './helpers.js';

const addon = loadNative();
const K = addon.constants;

t.test('the loaded libvirt is the one built against, and constants come from its headers', async (t) => {
  t.ok(addon.libvirtVersion() >= 9_000_000, `libvirt ${addon.libvirtVersion()}`);
  t.equal(K.VIR_DOMAIN_AFFECT_CURRENT, 0);
  t.equal(K.VIR_DOMAIN_AFFECT_LIVE, 1);
  t.equal(K.VIR_DOMAIN_AFFECT_CONFIG, 2);
  t.equal(K.VIR_DOMAIN_METADATA_ELEMENT, 2);
  t.equal(K.VIR_DOMAIN_MEMORY_PARAM_UNLIMITED, Number.MAX_SAFE_INTEGER);
});

t.test('64-bit values arrive as BigInt, 32-bit as number', async (t) => {
  const c = await addon.open(FIXTURE_URI);
  t.teardown(() => c.close());
  const d = await c.lookupByName(RUNNING[0]);
  t.type(d.cpuTimeNs, 'bigint');
  t.type(d.memoryKiB, 'number');
  const mem = await c.getMemoryParams(RUNNING[0]);
  t.type(mem.hard_limit, 'bigint'); // VIR_TYPED_PARAM_ULLONG
  // A value beyond 2^53 survives the round trip exactly (a JS number could not hold it).
  const big = 2n ** 60n + 7n;
  await c.setMemoryParams(RUNNING[0], { soft_limit: big });
  t.equal((await c.getMemoryParams(RUNNING[0])).soft_limit, big);
  // ...and a number that is not exactly representable is refused rather than rounded.
  await t.rejects(c.setMemoryParams(RUNNING[0], { soft_limit: 2 ** 60 }), { name: 'LibvirtError', codeName: 'VIR_ERR_INVALID_ARG' });
  const sched = await c.getSchedulerParams(RUNNING[0]);
  t.same(sched, { type: 'fair', params: { weight: 50 } });
  t.type(sched.params.weight, 'number'); // VIR_TYPED_PARAM_UINT
});

t.test('bad arguments are TypeErrors; libvirt failures are LibvirtErrors', async (t) => {
  const c = await addon.open(FIXTURE_URI);
  t.teardown(() => c.close());
  t.throws(() => c.lookupByName(42 as unknown as string), TypeError);
  t.throws(() => c.setVcpus(RUNNING[0], -1), TypeError);
  t.throws(() => c.setSchedulerParams(RUNNING[0], { weight: 'a' as unknown as number }), TypeError);
  const err = await c.lookupByName('nope').then(
    () => null,
    (e: unknown) => e,
  );
  t.type(err, LibvirtError);
  t.match(err, { name: 'LibvirtError', codeName: 'VIR_ERR_NO_DOMAIN', code: 42, domainName: 'VIR_FROM_TEST', level: 2 });
});

t.test('what the test driver does not support comes back as its LibvirtError', async (t) => {
  const c = await addon.open(FIXTURE_URI, { keepaliveInterval: 5, keepaliveCount: 3 });
  t.teardown(() => c.close());
  // virConnectSetKeepAlive -> VIR_ERR_NO_SUPPORT on a local driver: reported, not fatal.
  t.equal(c.keepalive, 'not applicable');
  // It only has the "state" stats group; enforcing another one is refused.
  await t.rejects(c.getAllDomainStats(K.VIR_DOMAIN_STATS_BALLOON, K.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS), {
    name: 'LibvirtError',
    codeName: 'VIR_ERR_ARGUMENT_UNSUPPORTED',
  });
  const balloonOnly = await c.getAllDomainStats(K.VIR_DOMAIN_STATS_BALLOON, 0);
  t.same(balloonOnly[0].params, {}, 'groups it lacks are simply empty without ENFORCE_STATS');
  // schedinfo with live/config flags, and undefine with checkpoint/NVRAM flags.
  await t.rejects(c.getSchedulerParams(RUNNING[0], K.VIR_DOMAIN_AFFECT_CONFIG), { name: 'LibvirtError', codeName: 'VIR_ERR_INVALID_ARG' });
  await t.rejects(c.undefine(RUNNING[0], K.VIR_DOMAIN_UNDEFINE_KEEP_NVRAM), { name: 'LibvirtError', codeName: 'VIR_ERR_INVALID_ARG' });
});

t.test('calls run off the main thread: timers keep firing while many calls run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-native-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'host.xml');
  writeFileSync(file, generateTestHostXml({ domains: 1000 }));
  const c = await addon.open(`test://${file}`);
  t.teardown(() => c.close());

  let ticks = 0;
  const interval = setInterval(() => ticks++, 1);
  const calls: Promise<unknown>[] = [];
  const started = performance.now();
  for (let i = 0; i < 24; i++) calls.push(c.listAllDomains(), c.getAllDomainStats());
  const queuedMs = performance.now() - started;
  t.equal(ticks, 0, 'no tick yet: the calls were only queued');
  const results = await Promise.all(calls);
  const totalMs = performance.now() - started;
  clearInterval(interval);
  t.equal((results[0] as unknown[]).length, 1000);
  // A blocking binding would do all the work inside the calls above, so queuing them
  // would take (nearly) all the time. Judged by time, not by timer ticks: on a loaded
  // machine the main thread may not be scheduled again until the workers are done.
  t.ok(queuedMs < totalMs / 2, `queuing took ${queuedMs.toFixed(1)} ms of ${totalMs.toFixed(1)} ms (${ticks} interval ticks meanwhile)`);
});

t.test('close while calls are in flight: they finish, later calls reject', async (t) => {
  const c = await addon.open(FIXTURE_URI);
  const inFlight = [c.listAllDomains(), c.nodeInfo(), c.getAllDomainStats()];
  const closing = c.close();
  t.equal(c.isClosed(), true);
  const settled = await Promise.allSettled(inFlight);
  t.same(settled.map((s) => s.status), ['fulfilled', 'fulfilled', 'fulfilled']);
  await closing;
  await t.rejects(c.nodeInfo(), { name: 'LibvirtError', codeName: 'VIR_ERR_INVALID_CONN', message: /closed/ });
  t.equal(await c.isAlive(), false);
});

t.test('toDomainStats maps a QEMU-style record: BigInt sums, KiB balloon, raw kept', async (t) => {
  const params = {
    'state.state': 1,
    'state.reason': 1,
    'cpu.time': 123456789012345678n,
    'cpu.user': 1n,
    'vcpu.current': 2,
    'vcpu.maximum': 8,
    'balloon.current': 2097152n,
    'balloon.maximum': 4194304n,
    'balloon.unused': 1048576n,
    'balloon.available': 2000000n,
    'balloon.rss': 1500000n,
    'net.count': 2,
    'net.0.name': 'vnet0',
    'net.0.rx.bytes': 2n ** 62n,
    'net.0.tx.bytes': 10n,
    'net.1.rx.bytes': 2n ** 62n,
    'net.1.tx.bytes': 5n,
    'block.count': 1,
    'block.0.name': 'vda',
    'block.0.rd.bytes': 4096n,
    'block.0.wr.bytes': 8192n,
  };
  const s = toDomainStats({ name: 'vm', uuid: 'u', params });
  t.equal(s.state, 'running');
  t.equal(s.cpuTimeNs, 123456789012345678n);
  t.equal(s.vcpuCurrent, 2);
  t.equal(s.vcpuMaximum, 8);
  t.same(s.balloon, { currentKiB: 2097152, maximumKiB: 4194304, unusedKiB: 1048576, availableKiB: 2000000, rssKiB: 1500000 });
  t.equal(s.netRxBytes, 2n ** 63n, 'no precision lost past 2^53');
  t.equal(s.netTxBytes, 15n);
  t.equal(s.blockRdBytes, 4096n);
  t.equal(s.blockWrBytes, 8192n);
  t.equal(s.raw, params);
  const bare = toDomainStats({ name: 'off', uuid: 'u2', params: { 'state.state': 5, 'state.reason': 0 } });
  t.same(
    [bare.state, bare.cpuTimeNs, bare.balloon, bare.netRxBytes, bare.blockWrBytes],
    ['shutoff', undefined, undefined, undefined, undefined],
  );
});

// A child process that opens connections (with events on) and then just returns.
const CHILD = `
import { openHost } from ${JSON.stringify(new URL('../../core/host/libvirt-host.ts', import.meta.url).href)};
const a = await openHost(${JSON.stringify(FIXTURE_URI)});
const b = await openHost(${JSON.stringify(FIXTURE_URI)});
a.onEvent(() => {});
await a.start('gold-db-07');
await a.close();
if (process.argv[2] === 'close-all') await b.close();
console.log('done');
`;

for (const mode of ['close-all', 'leave-one-open']) {
  t.test(`the process exits on its own (${mode})`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'vz-exit-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const script = join(dir, 'child.mts');
    writeFileSync(script, CHILD);
    const tsx = fileURLToPath(import.meta.resolve('tsx'));
    const r = spawnSync(process.execPath, ['--import', tsx, script, mode], { encoding: 'utf8', timeout: 20_000 });
    t.equal(r.signal, null, 'not killed by the timeout');
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stdout.trim(), 'done');
  });
}
