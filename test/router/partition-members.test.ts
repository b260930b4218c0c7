// What the router's hook before a domain start (the daemon's ensurePartition) counts
// into a zone's limits, without listing every domain per placement: the inventory's last
// read, kept current by lifecycle events, plus the domains announced to start. Two
// creations in one zone at once must each count the other. Real test-driver host.
import t from 'tap';
import { openHost } from '../../core/host/libvirt-host.js';
import { decorateCalls } from '../../core/host/decorate.js';
import { Inventory } from '../../partitioner/vm-targets/inventory.js';
import { FIXTURE_URI } from '../host/helpers.js';

const NO_USE = new Map();
const CLASSES = new Set(['gold', 'silver', 'bronze']);

t.test('members(): the last read, events, announced starts; no listing', async (t) => {
  const real = await openHost(FIXTURE_URI);
  t.teardown(() => real.close());
  let lists = 0;
  const host = decorateCalls(real, (name, run) => {
    if (name === 'listDomains') lists++;
    return run();
  });
  let now = 1000;
  const inv = new Inventory(host, CLASSES, () => now);
  t.equal(inv.hasRead, false);
  t.same(inv.members(), [], 'nothing before the first read');
  const vms = await inv.read(NO_USE);
  t.equal(lists, 1);
  t.ok(inv.hasRead);
  const running = (zone: string) => inv.members().filter((m) => m.zone === zone && m.running);
  const goldBefore = running('gold').length;
  t.ok(goldBefore > 0, 'the fixture has running gold VMs');

  // two creations in gold at once: the second counts the first
  inv.noteIncoming({ name: 'new-a', zone: 'gold', vcpus: 2, memoryMiB: 1024 });
  t.equal(running('gold').length, goldBefore + 1);
  inv.noteIncoming({ name: 'new-b', zone: 'gold', vcpus: 1, memoryMiB: 512 });
  t.same(running('gold').filter((m) => m.name.startsWith('new-')).map((m) => [m.name, m.memoryMiB]), [['new-a', 1024], ['new-b', 512]]);
  t.equal(lists, 1, 'no listing for members()');

  // events keep the read current
  const gold = vms.find((v) => v.zone === 'gold' && v.running)!;
  inv.noteEvent({ name: gold.name, uuid: gold.uuid, kind: 'stopped', detail: 0 });
  t.equal(running('gold').length, goldBefore + 1, 'a stopped member no longer counts');
  t.equal(vms.find((v) => v.name === gold.name)!.running, true, "the caller's array of the read is not changed");
  inv.noteEvent({ name: gold.name, uuid: gold.uuid, kind: 'started', detail: 0 });
  t.equal(running('gold').length, goldBefore + 2);
  inv.noteEvent({ name: 'new-b', uuid: '00000000-0000-0000-0000-00000000000b', kind: 'undefined', detail: 0 });
  t.equal(running('gold').length, goldBefore + 1, 'an announced domain undefined (its creation undone) is dropped');

  // a read that does not show the announced domain running keeps it counted
  await inv.read(NO_USE);
  t.ok(inv.members().some((m) => m.name === 'new-a' && m.running), 'still counted: the host has not shown it running');
  // until the grace runs out (a start that failed without any event)
  now += 301;
  await inv.read(NO_USE);
  t.notOk(inv.members().some((m) => m.name === 'new-a'), 'dropped after the grace');
});

t.test('an announced domain is retired by a read that began after it and shows it running', async (t) => {
  const real = await openHost(FIXTURE_URI);
  t.teardown(() => real.close());
  const inv = new Inventory(real, CLASSES);
  await inv.read(NO_USE);
  const shutOff = (await real.listDomains()).find((d) => d.state === 'shutoff')!;
  // a read in flight while the domain is announced and started cannot vouch for it
  const early = inv.read(NO_USE);
  inv.noteIncoming({ name: shutOff.name, zone: 'gold', vcpus: 1, memoryMiB: 64 });
  await real.start(shutOff.name);
  await early;
  t.match(inv.members().find((m) => m.name === shutOff.name), { zone: 'gold', running: true, memoryMiB: 64 }, 'the announcement still stands');
  await inv.read(NO_USE);
  const m = inv.members().filter((x) => x.name === shutOff.name);
  t.equal(m.length, 1, 'counted once');
  t.equal(m[0].running, true);
  t.not(m[0].memoryMiB, 64, 'now from the host, the announcement retired');
});
