// The e2e stack itself, before any virtzone code runs on it: a real libvirtd (started
// here), TCG QEMU guests built from Debian packages, and every libvirt knob virtzone
// turns — checked from the host (domstats, cgroup files) and from inside the guest
// (its console reports). Run: VZ_E2E=1 npx tap test/e2e/guest.test.ts
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { E2E_DIR, buildGuest, consoleLogPath, readGuestConsole, renderGuestXml, waitFor, type GuestImage, type GuestOptions } from './guest.js';
import { domstats, e2eSkipReason, parseVirshTable, qemuPid, removeDomain, startLibvirtd, stopLibvirtd, virsh } from './libvirtd.js';
import { createPartition, partitionDir, processCgroups, removePartition } from './cgroups.js';

const skip = e2eSkipReason();
if (skip) {
  t.plan(0, skip);
} else {
  await main();
}

async function main(): Promise<void> {
  const BUSY = 'vz-e2e-busy';
  const PARTED = 'vz-e2e-parted';
  const ORPHAN = 'vz-e2e-orphan';
  const PARTITION = '/machine/virtzone-e2etest';
  const MISSING_PARTITION = '/machine/virtzone-e2emissing';
  const xmlDir = mkdtempSync(join(E2E_DIR, 'xml-'));

  // Runs even when an assertion or a step throws: no guest, partition or daemon is left behind.
  t.teardown(async () => {
    for (const name of [BUSY, PARTED, ORPHAN]) await removeDomain(name);
    removePartition(PARTITION);
    removePartition(MISSING_PARTITION);
    rmSync(xmlDir, { recursive: true, force: true });
    await stopLibvirtd();
  });

  const t0 = Date.now();
  const image: GuestImage = await buildGuest();
  t.comment(`guest ${image.kver} ready in ${Date.now() - t0} ms (cached after the first build)`);
  const t1 = Date.now();
  t.comment((await startLibvirtd()).split('\n').pop() ?? '');
  t.comment(`libvirtd up in ${Date.now() - t1} ms`);
  // an earlier run that died may have left its guests
  for (const name of [BUSY, PARTED, ORPHAN]) await removeDomain(name);

  async function createGuest(o: Omit<GuestOptions, 'image'>): Promise<void> {
    const file = join(xmlDir, `${o.name}.xml`);
    // a report left from an earlier boot must not pass for this one
    rmSync(consoleLogPath(o.name), { force: true });
    writeFileSync(file, renderGuestXml({ ...o, image }));
    await virsh('create', file);
  }
  const guestConsole = (name: string) => readGuestConsole(consoleLogPath(name));
  const lastReport = (name: string) => guestConsole(name).reports.at(-1);

  await t.test('a guest boots and reports from inside within seconds', async (t) => {
    const start = Date.now();
    await createGuest({ name: BUSY, burn: 2 });
    const created = Date.now() - start;
    const first = await waitFor('the first VZ report', () => lastReport(BUSY), 30_000, 100);
    const booted = Date.now() - start;
    t.comment(`virsh create ${created} ms, first guest report ${booted} ms after create`);
    t.ok(booted < 20_000, `booted in ${booted} ms`);
    t.ok(guestConsole(BUSY).ready, 'init loaded its modules');
    t.notMatch(guestConsole(BUSY).text, /VZ insmod-failed/, 'every module loaded');
    t.equal(first.online, 1, 'one CPU online');
    t.equal(first.possible, 4, 'four possible CPUs (vcpu max)');
    t.equal(first.burn, 2, 'burning with 2 loops');
  });

  await t.test('domstats: cpu.time grows, balloon fields are there', async (t) => {
    const a = await domstats(BUSY);
    await new Promise((r) => setTimeout(r, 2000));
    const b = await domstats(BUSY);
    const cores = (Number(b['cpu.time']) - Number(a['cpu.time'])) / 2e9;
    t.comment(`cpu.time ${a['cpu.time']} -> ${b['cpu.time']}: ${cores.toFixed(2)} cores`);
    t.ok(cores > 0.3, 'a busy guest uses CPU');
    t.equal(b['vcpu.current'], 1);
    t.equal(b['vcpu.maximum'], 4);
    // the guest's balloon driver inflates to <currentMemory> after boot, a few MiB at a
    // time: on a loaded host that takes longer than the first seconds of the guest's life
    const settled = await waitFor('the balloon at currentMemory', async () => {
      const s = await domstats(BUSY);
      return Number(s['balloon.current']) === 256 * 1024 ? s : undefined;
    }, 60_000, 500).catch(() => undefined);
    t.equal(Number((settled ?? (await domstats(BUSY)))['balloon.current']), 256 * 1024, 'balloon.current = currentMemory');
    t.equal(b['balloon.maximum'], 512 * 1024, 'balloon.maximum = memory');
    t.ok(Number(b['balloon.rss']) > 0, `balloon.rss ${b['balloon.rss']}`);
    // The guest driver reports its stats every 2 s (<stats period='2'/>). Right after boot
    // the balloon is still inflating from 512 MiB towards currentMemory (256 MiB), so
    // wait until the guest's own view has come down to it.
    const s = await waitFor('guest balloon stats at most 256 MiB available', async () => {
      const st = await domstats(BUSY, '--balloon');
      return typeof st['balloon.unused'] === 'number' && Number(st['balloon.available']) <= 256 * 1024 ? st : undefined;
    });
    t.comment(`balloon.unused ${s['balloon.unused']} KiB, balloon.available ${s['balloon.available']} KiB`);
    t.ok(Number(s['balloon.unused']) < Number(s['balloon.available']), 'unused < available');
  });

  await t.test('setvcpus --live hot-plugs a vCPU and the guest onlines it', async (t) => {
    await virsh('setvcpus', BUSY, '2', '--live');
    const st = await domstats(BUSY, '--vcpu');
    t.equal(st['vcpu.current'], 2, 'vcpu.current');
    const since = lastReport(BUSY)?.up ?? 0;
    const r = await waitFor('a guest report with 2 CPUs online', () => {
      const rep = lastReport(BUSY);
      return rep && rep.up > since && rep.online === 2 ? rep : undefined;
    });
    t.equal(r.present, 2, 'guest: 2 CPUs present');
    t.equal(r.online, 2, 'guest: 2 CPUs online');
    t.ok(guestConsole(BUSY).onlined.includes('cpu1'), 'init onlined cpu1');
  });

  await t.test('setmem --live moves the balloon, the guest sees it', async (t) => {
    const before = await waitFor('a report', () => lastReport(BUSY));
    await virsh('setmem', BUSY, String(192 * 1024), '--live');
    const down = await waitFor('balloon.current 192 MiB', async () => {
      const st = await domstats(BUSY, '--balloon');
      return st['balloon.current'] === 192 * 1024 ? st : undefined;
    });
    t.equal(down['balloon.current'], 192 * 1024);
    const small = await waitFor('the guest to lose 64 MiB', () => {
      const r = lastReport(BUSY);
      return r && r.memtotalKiB <= before.memtotalKiB - 60 * 1024 ? r : undefined;
    });
    t.comment(`guest MemTotal ${before.memtotalKiB} -> ${small.memtotalKiB} KiB`);
    await virsh('setmem', BUSY, String(320 * 1024), '--live');
    await waitFor('balloon.current 320 MiB', async () => (await domstats(BUSY, '--balloon'))['balloon.current'] === 320 * 1024);
    const big = await waitFor('the guest to gain 128 MiB', () => {
      const r = lastReport(BUSY);
      return r && r.memtotalKiB >= small.memtotalKiB + 120 * 1024 ? r : undefined;
    });
    t.comment(`guest MemTotal -> ${big.memtotalKiB} KiB`);
    t.pass('balloon moved both ways');
  });

  await t.test('schedinfo and memtune land in the domain cgroup', async (t) => {
    await virsh('schedinfo', BUSY, '--live', '--set', 'cpu_shares=512', 'vcpu_period=100000', 'vcpu_quota=50000');
    const sched = parseVirshTable(await virsh('schedinfo', BUSY, '--live'));
    t.equal(sched.cpu_shares, '512');
    t.equal(sched.vcpu_quota, '50000');
    await virsh('memtune', BUSY, '--live', '--hard-limit', String(768 * 1024), '--soft-limit', String(400 * 1024));
    const mem = parseVirshTable(await virsh('memtune', BUSY, '--live'));
    t.equal(mem.hard_limit, String(768 * 1024));
    t.equal(mem.soft_limit, String(400 * 1024));

    // the same values, read from the cgroup files (v1 here; v2 names differ)
    const cg = processCgroups(await qemuPid(BUSY));
    const cpuKey = Object.keys(cg).find((k) => k.split(',').includes('cpu'));
    const memKey = Object.keys(cg).find((k) => k.split(',').includes('memory'));
    if (cpuKey && memKey) {
      const domCpu = join('/sys/fs/cgroup', cpuKey, cg[cpuKey].replace(/\/emulator$/, ''));
      const domMem = join('/sys/fs/cgroup', memKey, cg[memKey]);
      t.equal(readFileSync(join(domCpu, 'cpu.shares'), 'utf8').trim(), '512', `${domCpu}/cpu.shares`);
      t.equal(readFileSync(join(domCpu, 'vcpu0', 'cpu.cfs_quota_us'), 'utf8').trim(), '50000', 'vcpu0 quota');
      t.equal(readFileSync(join(domMem, 'memory.limit_in_bytes'), 'utf8').trim(), String(768 * 1024 * 1024), 'memory limit');
    } else {
      t.comment(`cgroup v2 host (${JSON.stringify(cg)}): file checks are v1-only`);
    }
  });

  await t.test('a domain starts in a resource partition once its cgroups exist', async (t) => {
    // without the partition's directories libvirt refuses to start the domain
    await t.rejects(createGuest({ name: ORPHAN, partition: MISSING_PARTITION }), /cgroup/, 'missing partition: start fails');

    const dirs = createPartition(PARTITION);
    t.comment(`partition directories: ${dirs.join(' ')}`);
    await createGuest({ name: PARTED, burn: 0, partition: PARTITION });
    const xml = await virsh('dumpxml', PARTED);
    t.match(xml, `<partition>${PARTITION}</partition>`);
    const cg = processCgroups(await qemuPid(PARTED));
    t.comment(`/proc/<qemu pid>/cgroup: ${JSON.stringify(cg)}`);
    const want = `/machine/${partitionDir(PARTITION).split('/').pop()}/`;
    const placed = Object.entries(cg).filter(([, path]) => path.startsWith(want));
    t.ok(placed.length >= 1, `QEMU is under ${want}`);
    for (const ctl of ['cpu', 'memory']) {
      const key = Object.keys(cg).find((k) => k.split(',').includes(ctl));
      if (key) t.ok(cg[key].startsWith(want), `${ctl}: ${cg[key]}`);
    }
    // leaving the partition: destroying the guest removes its own cgroup, not the partition
    await virsh('destroy', PARTED);
    for (const d of dirs) t.ok(readFileSync(join(d, 'cgroup.procs'), 'utf8').trim() === '', `${d} is empty and still there`);
  });
}
