// virtzoned end to end: a real libvirtd (started here), four TCG guests in two classes,
// and the daemon itself as a process against qemu:///system. What is checked is what
// the host and the guests show — domstats, /proc/<qemu pid>/cgroup, cgroup directories,
// the guests' own console reports — and the daemon's SQLite file, never the daemon's
// word alone. Run: VZ_E2E=1 npx tap test/e2e/daemon.test.ts (see scripts/e2e/README.md)
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { buildZoneMetadata } from '../../daemon/host/metadata.js';
import { E2E_DIR, buildGuest, consoleLogPath, readGuestConsole, renderGuestXml, waitFor, type GuestImage, type GuestOptions } from './guest.js';
import { domstats, e2eSkipReason, qemuPid, removeDomain, startLibvirtd, stopLibvirtd, virsh } from './libvirtd.js';
import { cgroupHierarchies, partitionDir, processCgroups, removePartition } from './cgroups.js';
import { Virtzoned, e2eConfig } from './daemon.js';

const skip = e2eSkipReason();
if (skip) {
  t.plan(0, skip);
} else {
  await main();
}

async function main(): Promise<void> {
  const GOLD_BUSY = 'vz-e2e-gold-busy';
  const GOLD_IDLE = 'vz-e2e-gold-idle';
  const SILVER_IDLE = 'vz-e2e-silver-idle';
  const PLACED = 'vz-e2e-silver-web';
  const GUESTS = [GOLD_BUSY, GOLD_IDLE, SILVER_IDLE, PLACED];
  const ZONES = ['gold', 'silver', 'general'];
  // the idle silver guest starts to use HOG_MIB at guest uptime HOG_AT s: by then the
  // auto-scaler has ballooned it down (it is cold), and then has to grow it again
  const HOG_AT = 70;
  const HOG_MIB = 64;
  const dir = mkdtempSync(join(E2E_DIR, 'daemon-'));
  const observed: Record<string, unknown> = {};
  let daemon: Virtzoned | undefined;

  // Runs even when a step throws: no daemon, guest, libvirtd or partition is left behind.
  t.teardown(async () => {
    await daemon?.stop().catch(() => undefined);
    for (const name of GUESTS) await removeDomain(name);
    await stopLibvirtd();
    for (const z of ZONES) {
      try {
        removePartition(`/machine/virtzone-${z}`);
      } catch (e) {
        t.comment(`cannot remove partition of ${z}: ${(e as Error).message}`);
      }
    }
    writeFileSync(join(E2E_DIR, 'observed-daemon.json'), JSON.stringify(observed, null, 2));
    rmSync(dir, { recursive: true, force: true });
  });

  const image: GuestImage = await buildGuest();
  t.comment((await startLibvirtd()).split('\n').pop() ?? '');
  for (const name of GUESTS) await removeDomain(name);
  for (const z of ZONES) removePartition(`/machine/virtzone-${z}`); // from a run that died

  async function createGuest(o: Omit<GuestOptions, 'image'>): Promise<void> {
    const file = join(dir, `${o.name}.xml`);
    rmSync(consoleLogPath(o.name), { force: true });
    writeFileSync(file, renderGuestXml({ ...o, image }));
    await virsh('create', file);
  }
  const zoneMeta = (cls: string) => buildZoneMetadata({ class: cls, tenant: 'e2e', app: 'e2e-test' }, { forDomainXml: true });
  const lastReport = (name: string) => readGuestConsole(consoleLogPath(name)).reports.at(-1);
  const db = () => new Database(join(dir, 'virtzone.db'), { readonly: true, fileMustExist: true });
  const auditRows = (where = '1', ...args: unknown[]) => {
    const d = db();
    try {
      return d.prepare(`SELECT actor, vm, action, reason, before, after, result, error FROM audit WHERE ${where} ORDER BY id`).all(...args) as Array<Record<string, string>>;
    } finally {
      d.close();
    }
  };

  // --- the guests: a busy and an idle gold one, an idle silver one that later needs memory
  await createGuest({ name: GOLD_BUSY, burn: 1, metadata: zoneMeta('gold') });
  await createGuest({ name: GOLD_IDLE, burn: 0, metadata: zoneMeta('gold') });
  await createGuest({ name: SILVER_IDLE, burn: 0, hog: `0:${HOG_AT},${HOG_MIB}:3600`, metadata: zoneMeta('silver') });
  for (const name of [GOLD_BUSY, GOLD_IDLE, SILVER_IDLE]) await waitFor(`${name} to report`, () => lastReport(name), 60_000);

  const t0 = Date.now();
  daemon = await Virtzoned.start({ dir, config: e2eConfig(dir) });
  t.comment(`virtzoned ${daemon.pid} answering after ${Date.now() - t0} ms`);
  const d = daemon;

  await t.test('the collector records CPU for the busy guest, little for the idle ones', async (t) => {
    const vms = await waitFor(
      'a CPU sample of every guest',
      async () => {
        const r = await d.api('GET', '/v1/vms');
        const byName = new Map((r.body as Array<Record<string, any>>).map((v) => [v.name, v]));
        const all = [GOLD_BUSY, GOLD_IDLE, SILVER_IDLE].map((n) => byName.get(n));
        return all.every((v) => v && typeof v.cpuCores === 'number') ? all : undefined;
      },
      30_000,
      500,
    );
    const [busy, idle, silver] = vms as Array<Record<string, any>>;
    t.comment(`GET /v1/vms: ${JSON.stringify(vms.map((v) => ({ name: v!.name, zone: v!.zone, cpuCores: v!.cpuCores, memoryUsedMiB: v!.memoryUsedMiB })))}`);
    t.ok(busy.cpuCores > 0.3, `busy guest: ${busy.cpuCores.toFixed(2)} cores`);
    t.ok(idle.cpuCores < 0.3, `idle guest: ${idle.cpuCores.toFixed(2)} cores`);
    t.equal(busy.zone, 'gold');
    t.equal(silver.zone, 'silver', 'class from the virtzone metadata');
    // the same, from the database file
    const d2 = db();
    const rows = d2
      .prepare('SELECT v.name, COUNT(*) AS n, MAX(s.cpu_cores) AS maxCpu, MAX(s.memory_mib) AS maxMem FROM samples s JOIN vms v ON v.id = s.vm_id GROUP BY v.name ORDER BY v.name')
      .all() as Array<{ name: string; n: number; maxCpu: number; maxMem: number }>;
    d2.close();
    t.comment(`samples table: ${JSON.stringify(rows)}`);
    const busyRow = rows.find((r) => r.name === GOLD_BUSY);
    t.ok(busyRow && busyRow.maxCpu > 0.3, 'the samples table holds non-zero CPU of the busy guest');
    observed.collector = { vms: vms.map((v) => ({ name: v!.name, zone: v!.zone, cpuCores: v!.cpuCores, memoryUsedMiB: v!.memoryUsedMiB })), samples: rows };
  });

  await t.test('the plan creates every zone partition in every hierarchy libvirt uses', async (t) => {
    const zones = (await d.api('GET', '/v1/zones')).body as Array<Record<string, any>>;
    t.same(zones.map((z) => z.name), ZONES);
    const used = cgroupHierarchies().filter((h) => h.version === 2 || h.controllers.some((c) => ['cpu', 'cpuset', 'memory', 'blkio', 'freezer'].includes(c)));
    t.ok(used.some((h) => h.version === 2) || !existsSync('/sys/fs/cgroup/unified'), 'the hybrid v2 mount is among them');
    const dirs: string[] = [];
    for (const z of ZONES) {
      for (const h of used) {
        const p = join(h.mount, partitionDir(`/machine/virtzone-${z}`));
        t.ok(existsSync(p), p);
        dirs.push(p);
        if (h.controllers.includes('cpuset')) t.not(readFileSync(join(p, 'cpuset.cpus'), 'utf8').trim(), '', `${p}: cpuset.cpus initialised`);
      }
    }
    const gold = zones.find((z) => z.name === 'gold')!;
    const cpu = used.find((h) => h.version === 1 && h.controllers.includes('cpu'));
    if (cpu) {
      // the zone's weight follows its allocation (1024 shares per core); a hard cap
      // (cfs_quota) only with zones.cpuLimit 'quota'
      const goldDir = join(cpu.mount, 'machine/virtzone-gold.partition');
      const shares = Number(readFileSync(join(goldDir, 'cpu.shares'), 'utf8'));
      const quota = Number(readFileSync(join(goldDir, 'cpu.cfs_quota_us'), 'utf8'));
      t.equal(shares, Math.round(1024 * gold.allocation.cpuCores), `gold cpu.shares ${shares} for ${gold.allocation.cpuCores} cores`);
      t.ok(quota === -1 || Math.abs(quota - gold.allocation.cpuCores * 100_000) <= 1000, `gold cpu.cfs_quota_us ${quota}: none, or the allocation`);
      observed.goldCpu = { shares, quota };
    }
    t.comment(`zones: ${JSON.stringify(zones.map((z) => ({ name: z.name, allocation: z.allocation })))}`);
    observed.partitions = { dirs, zones: zones.map((z) => ({ name: z.name, allocation: z.allocation })) };
  });

  await t.test('POST /v1/placements with domainXml starts the guest in its zone partition', async (t) => {
    // libvirt removes a partition's directories when a start in it fails: the router
    // must put them back before every start, not trust the plan's earlier ensure
    const removed: string[] = [];
    for (const h of cgroupHierarchies().filter((h) => h.version === 2 || h.controllers.includes('cpuset'))) {
      const p = join(h.mount, partitionDir('/machine/virtzone-silver'));
      rmdirSync(p); // empty: no domain started in it yet
      removed.push(p);
    }
    t.ok(removed.length >= 1, `removed ${removed.join(' ')} behind the daemon's back`);
    const xml = renderGuestXml({ name: PLACED, image, burn: 0 });
    rmSync(consoleLogPath(PLACED), { force: true });
    const started = Date.now();
    const r = await d.api('POST', '/v1/placements', { tenant: 'e2e', app: 'e2e-web', vcpus: 1, memoryMiB: 256, domainXml: xml }, { 'idempotency-key': 'e2e-place-1' });
    t.comment(`POST /v1/placements: ${r.status} in ${Date.now() - started} ms: ${JSON.stringify(r.body)}`);
    t.equal(r.status, 201);
    t.equal(r.body.zone, 'silver', 'mapped by the app rule');
    t.equal(r.body.domain, PLACED);
    t.equal(r.body.partition, '/machine/virtzone-silver');
    const pid = await qemuPid(PLACED);
    const cg = processCgroups(pid);
    t.comment(`/proc/${pid}/cgroup: ${JSON.stringify(cg)}`);
    const inPartition = Object.entries(cg).filter(([, p]) => p.startsWith('/machine/virtzone-silver.partition/'));
    for (const ctl of ['cpu', 'memory', 'cpuset', '']) {
      const key = Object.keys(cg).find((k) => (ctl === '' ? k === '' : k.split(',').includes(ctl)));
      if (key !== undefined) t.match(cg[key], /^\/machine\/virtzone-silver\.partition\/qemu-\d+-vz-e2e-silver-web\.libvirt-qemu/, `${ctl || 'cgroup2'}: ${cg[key]}`);
    }
    const dumped = await virsh('dumpxml', PLACED);
    t.match(dumped, '<partition>/machine/virtzone-silver</partition>');
    t.match(dumped, /<virtzone:zone [^>]*class="silver"/, 'tagged with virtzone metadata');
    const repair = auditRows("action = 'zone-partition' AND vm = 'zone:silver'");
    t.equal(repair.length, 1, 'the repaired partition is audited');
    t.equal(repair[0]?.result, 'ok');
    await waitFor('the placed guest to report', () => lastReport(PLACED), 60_000);
    observed.placement = { status: r.status, body: r.body, cgroup: cg, inPartition: inPartition.length, repaired: removed };
  });

  await t.test('the busy guest gets more vCPUs live, and its kernel onlines them', async (t) => {
    const st = await waitFor(
      `${GOLD_BUSY} vcpu.current >= 2`,
      async () => {
        const s = await domstats(GOLD_BUSY, '--vcpu');
        return Number(s['vcpu.current']) >= 2 ? s : undefined;
      },
      120_000,
      1000,
    );
    t.ok(Number(st['vcpu.current']) >= 2, `vcpu.current ${st['vcpu.current']} (maximum ${st['vcpu.maximum']})`);
    const rep = await waitFor(`${GOLD_BUSY} to report ${st['vcpu.current']} CPUs online`, () => {
      const r = lastReport(GOLD_BUSY);
      return r && r.online >= Number(st['vcpu.current']) ? r : undefined;
    });
    t.comment(`guest: online=${rep.online} present=${rep.present} possible=${rep.possible}`);
    const rows = auditRows("vm = ? AND action = 'setVcpus'", GOLD_BUSY);
    t.comment(`audit: ${JSON.stringify(rows)}`);
    const ok = rows.filter((r) => r.result === 'ok');
    t.ok(ok.length >= 1, 'the hot-plug is in the audit table');
    t.equal(ok[0]?.actor, 'autoscaler');
    t.same(JSON.parse(ok[0].before), { vcpus: 1 });
    t.same(JSON.parse(ok[0].after), { vcpus: 2 }, 'one bounded step: 1 -> 2');
    observed.vcpus = { domstats: st, guest: rep, audit: rows };
  });

  await t.test('the idle guest is ballooned down, and up again when it needs memory', async (t) => {
    const KIB = 1024;
    const down = await waitFor(
      `${SILVER_IDLE} balloon below 256 MiB`,
      async () => {
        const s = await domstats(SILVER_IDLE, '--balloon');
        return Number(s['balloon.current']) < 256 * KIB ? s : undefined;
      },
      90_000,
      1000,
    );
    const hogStarted = lastReport(SILVER_IDLE)?.hog ?? 0;
    t.equal(hogStarted, 0, `ballooned down to ${Number(down['balloon.current']) / KIB} MiB before the guest's memory use rose`);
    // the lowest it goes before the guest starts using memory
    let low = Number(down['balloon.current']);
    await waitFor(
      `${SILVER_IDLE} to start its ${HOG_MIB} MiB hog (guest uptime ${HOG_AT} s)`,
      async () => {
        low = Math.min(low, Number((await domstats(SILVER_IDLE, '--balloon'))['balloon.current']));
        return (lastReport(SILVER_IDLE)?.hog ?? 0) >= HOG_MIB;
      },
      120_000,
      1000,
    );
    const guestLow = readGuestConsole(consoleLogPath(SILVER_IDLE)).reports.reduce((m, r) => Math.min(m, r.memtotalKiB), Infinity);
    t.comment(`balloon 256 MiB -> ${low / KIB} MiB; guest MemTotal down to ${guestLow} KiB`);
    const up = await waitFor(
      `${SILVER_IDLE} balloon to grow above ${low / KIB} MiB`,
      async () => {
        const s = await domstats(SILVER_IDLE, '--balloon');
        return Number(s['balloon.current']) >= low + 32 * KIB ? s : undefined;
      },
      120_000,
      1000,
    );
    t.ok(Number(up['balloon.current']) > low, `balloon ${low / KIB} -> ${Number(up['balloon.current']) / KIB} MiB`);
    const rep = await waitFor('the guest to see the memory', () => {
      const r = lastReport(SILVER_IDLE);
      return r && r.memtotalKiB > guestLow + 16 * KIB ? r : undefined;
    });
    t.comment(`guest MemTotal ${guestLow} -> ${rep.memtotalKiB} KiB (hog ${rep.hog} MiB)`);
    const rows = auditRows("vm = ? AND action = 'setMemory'", SILVER_IDLE);
    t.comment(`audit: ${JSON.stringify(rows.map((r) => ({ actor: r.actor, before: r.before, after: r.after, result: r.result })))}`);
    const moves = rows.filter((r) => r.result === 'ok').map((r) => [JSON.parse(r.before).memoryMiB, JSON.parse(r.after).memoryMiB] as [number, number]);
    t.ok(moves.some(([a, b]) => b < a), 'a shrink step is audited');
    t.ok(moves.some(([a, b]) => b > a), 'a grow step is audited');
    for (const [a, b] of moves) t.ok(Math.abs(b - a) <= Math.max(16, 0.25 * a) + 2, `step ${a} -> ${b} MiB is bounded by apply.maxStepFraction`);
    observed.balloon = { down: down['balloon.current'], low, up: up['balloon.current'], guestMemTotalKiB: { low: guestLow, after: rep.memtotalKiB }, moves };
  });

  await t.test('everything the daemon did is in the audit table', async (t) => {
    const rows = auditRows();
    const summary: Record<string, number> = {};
    for (const r of rows) summary[`${r.actor}/${r.action}/${r.result}`] = (summary[`${r.actor}/${r.action}/${r.result}`] ?? 0) + 1;
    t.comment(`audit summary: ${JSON.stringify(summary)}`);
    for (const want of ['autoscaler/setVcpus/ok', 'autoscaler/setMemory/ok', 'router/zone-partition/ok']) t.ok(summary[want] >= 1, want);
    const failed = rows.filter((r) => r.result === 'failed' || r.result === 'rolled_back');
    t.same(failed.map((r) => `${r.vm} ${r.action}: ${r.error}`), [], 'no step failed or was rolled back');
    const health = await d.api('GET', '/healthz');
    t.equal(health.body.checks.libvirt.ok, true);
    t.equal(health.body.checks.store.ok, true);
    observed.audit = summary;
  });

  await t.test('SIGTERM stops the daemon cleanly', async (t) => {
    const stop = await d.stop();
    t.equal(stop.code, 0, 'virtzoned exits 0');
    t.notOk(existsSync(d.socket), 'and removes its socket');
    const d2 = db();
    t.equal(d2.pragma('integrity_check', { simple: true }), 'ok', 'the database is intact');
    d2.close();
  });
}
