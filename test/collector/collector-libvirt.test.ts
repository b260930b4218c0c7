// The collector through the real libvirt binding against the test driver
// (test/fixtures/host.xml: 7 domains in 3 classes, one shut off). The test driver's
// domain stats carry only the state, so rates are null there: that must not crash.
import t from 'tap';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Store } from '../../core/store/store.js';
import { Collector } from '../../collector/collector.js';
import { HostUnavailableError } from '../../core/host/errors.js';
import { CollectorRoutine, type Timer } from '../../collector/routine.js';
import type { HostAdapter, HostEvent } from '../../core/host/types.js';

const ADDON = fileURLToPath(new URL('../../build/Release/virtzone_libvirt.node', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/host.xml', import.meta.url));
const URI = `test://${FIXTURE}`;
const skip = !existsSync(ADDON) && 'native addon not built (npm run setup / node-gyp rebuild)';

const EXPECTED: Record<string, string> = {
  'gold-web-01': 'gold',
  'silver-db-02': 'silver',
  'bronze-cache-03': 'bronze',
  'gold-batch-04': 'gold',
  'silver-api-05': 'silver',
  'bronze-web-06': 'bronze',
  'gold-db-07': 'gold',
};

const dir = mkdtempSync(join(tmpdir(), 'virtzone-collector-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function domainXml(name: string, uuid: string, cls: string): string {
  return `<domain type='test'>
  <name>${name}</name>
  <uuid>${uuid}</uuid>
  <metadata><virtzone:zone xmlns:virtzone="https://virtzone.dev/xmlns/virtzone/1" class="${cls}" tenant="t-new"/></metadata>
  <memory unit='KiB'>1048576</memory>
  <vcpu placement='static'>2</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
</domain>`;
}

function waitFor(host: HostAdapter, pred: (e: HostEvent) => boolean, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('no host event'));
    }, ms);
    const off = host.onEvent((e) => {
      if (pred(e)) {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  });
}

t.test('a tick writes one row per domain, with the class from its metadata', { skip }, async (t) => {
  const { openHost } = await import('../../core/host/libvirt-host.js');
  const host = await openHost(URI);
  t.teardown(() => host.close());
  const store = Store.open(join(dir, 'tick.db'));
  t.teardown(() => store.close());
  const collector = new Collector({ host: () => host, store });
  t.teardown(() => collector.close());

  const T = 1_800_000_000_000; // ms, a bucket start
  const r1 = await collector.tick(T);
  t.equal(r1.domains, 7);
  t.equal(r1.samples, 7);
  t.equal(r1.newBaselines, 7);
  t.equal(r1.vanished, 0);
  const vms = store.listVms();
  t.same(Object.fromEntries(vms.map((v) => [v.name, v.class])), EXPECTED);
  const web = store.getVm('gold-web-01')!;
  t.same([web.tenant, web.app, web.uuid], ['acme', 'web', '7a2e0000-0000-4000-8000-000000000001']);
  t.same([web.vcpus, web.memoryMiB], [2, 2048], 'sizes from listDomains: the test driver stats have none');
  t.equal(store.samplesOf('gold-web-01').length, 1);
  t.equal(store.samplesOf('gold-web-01')[0].cpuCores, null, 'no cpu.time from the test driver: null, not 0');
  t.same([store.samplesOf('gold-db-07')[0].cpuCores, store.samplesOf('gold-db-07')[0].memoryMiB], [0, 0], 'shut off uses nothing');

  const r2 = await collector.tick(T + 10_000);
  t.same([r2.domains, r2.samples, r2.newBaselines, r2.vanished], [7, 7, 0, 0]);
  t.equal(store.counts().samples, 14);

  // a new domain appears with its class; redefined with another class, the next tick sees it
  const uuid = '7a2e0000-0000-4000-8000-0000000000aa';
  await host.define(domainXml('late-vm', uuid, 'silver'));
  const r3 = await collector.tick(T + 20_000);
  t.same([r3.domains, r3.newBaselines], [8, 1]);
  t.same([store.getVm('late-vm')!.class, store.getVm('late-vm')!.tenant], ['silver', 't-new']);
  const redefined = waitFor(host, (e) => e.type === 'domain' && e.event.kind === 'defined' && e.event.name === 'late-vm');
  await host.define(domainXml('late-vm', uuid, 'bronze'));
  await redefined;
  await collector.tick(T + 30_000);
  t.equal(store.getVm('late-vm')!.class, 'bronze', 'cache dropped on the defined event');

  // it vanishes
  await host.undefine('late-vm');
  const r5 = await collector.tick(T + 40_000);
  t.same([r5.domains, r5.vanished], [7, 1]);

  // the bucket closes on the first tick of the next one: per-VM and per-class rollups
  const r6 = await collector.tick(T + 300_000);
  t.ok(r6.rollups > 0);
  const gold = store.readRollups('class:gold');
  t.equal(gold.length, 1);
  t.equal(gold[0].ts, T / 1000);
  t.equal(gold[0].samples, 5, 'five ticks measured gold-db-07 (shut off: 0)');
  t.equal(gold[0].cpuMax, 0);
  t.equal(store.readRollups('vm:gold-web-01').length, 0, 'nothing measured for a running test-driver VM: no rollup');
});

t.test('no connection: the tick fails clearly; the routine logs it and goes on', { skip }, async (t) => {
  const { openHost } = await import('../../core/host/libvirt-host.js');
  const store = Store.open(join(dir, 'loop.db'));
  t.teardown(() => store.close());
  let host: HostAdapter | null = null;
  const collector = new Collector({ host: () => host, store });
  t.teardown(() => collector.close());
  await t.rejects(collector.tick(), HostUnavailableError);

  const pending: Array<() => void> = [];
  const timer: Timer = { setTimeout: (fn) => pending.push(fn), clearTimeout: () => {} };
  const warnings: string[] = [];
  const log = { debug() {}, info() {}, error() {}, warn: (_o: object, msg?: string) => void warnings.push(msg ?? '') };
  let now = 1_800_000_000_000;
  const routine = new CollectorRoutine({ collector, intervalSeconds: 10, timer, log, clock: () => now });
  routine.start();
  t.equal(pending.length, 1);
  await runNext(pending);
  t.equal(routine.failuresInARow, 1);
  t.match(warnings, [/tick failed; retrying/]);
  host = await openHost(URI);
  t.teardown(() => host!.close());
  now += 10_000;
  await runNext(pending);
  t.equal(routine.failuresInARow, 0);
  t.equal(store.counts().samples, 7);
  await routine.stop();
});

async function runNext(pending: Array<() => void>): Promise<void> {
  const fn = pending.shift()!;
  fn();
  // the routine's tick runs async; let it finish
  for (let i = 0; i < 50 && pending.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
}
