import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, existsSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cgroupfsPartitionPath,
  escapePartitionComponent,
  limitWrites,
  sharesToWeight,
  systemdEscape,
  systemdSliceName,
  systemdSlicePath,
  zoneLimits,
} from '../../partitioner/cgroups/layout.js';
import { detectCgroupSystem, ZonePartitions } from '../../partitioner/cgroups/partitions.js';
import { ensureZonePartitions } from '../../partitioner/cgroups/zone-limits.js';
import { config } from './helpers.js';

t.test('partition path -> cgroupfs directory, as libvirt maps it without systemd', async (t) => {
  t.equal(cgroupfsPartitionPath('/machine/virtzone-gold'), '/machine/virtzone-gold.partition');
  t.equal(cgroupfsPartitionPath('/machine/virtzone-general'), '/machine/virtzone-general.partition');
  t.equal(cgroupfsPartitionPath('/machine'), '/machine', 'top-level machine keeps its name');
  t.equal(cgroupfsPartitionPath('/machine/engineering/testing'), '/machine/engineering.partition/testing.partition');
  t.equal(cgroupfsPartitionPath('/other'), '/other.partition', 'only machine/system/user are exempt');
  t.equal(cgroupfsPartitionPath('/machine/has.dot'), '/machine/has.dot', 'a component with a dot keeps it');
  t.equal(escapePartitionComponent('cpu.partition'), '_cpu.partition', 'a controller-like name is escaped');
  t.equal(escapePartitionComponent('cgroup.procs'), '_cgroup.procs');
  t.equal(escapePartitionComponent('_x.partition'), '__x.partition');
  t.equal(cgroupfsPartitionPath('/machine/memory'), '/machine/_memory.partition');
  t.throws(() => cgroupfsPartitionPath('machine/x'), /must start with/);
});

t.test('partition path -> systemd slice, as libvirt names it with machined', async (t) => {
  t.equal(systemdEscape('virtzone-gold'), 'virtzone\\x2dgold');
  t.equal(systemdSliceName('/machine/virtzone-gold'), 'machine-virtzone\\x2dgold.slice');
  t.equal(systemdSliceName('/machine'), 'machine.slice');
  t.equal(systemdSlicePath('/machine/virtzone-gold'), '/machine.slice/machine-virtzone\\x2dgold.slice');
  t.equal(systemdSliceName('/machine/engineering/testing'), 'machine-engineering-testing.slice', 'libvirt docs example');
});

t.test('zone limits: CPU capped at the allocation, memory never below what the VMs hold', async (t) => {
  const l = zoneLimits({ allocation: { cpuCores: 2.5, memoryMiB: 4096 }, provisionedMemoryMiB: 0, vmCount: 0, vmOverheadMiB: 100 });
  t.equal(l.cpuQuotaUs, 250_000);
  t.equal(l.cpuShares, 2560);
  t.equal(l.memoryLimitBytes, (4096 + 100) * 1024 * 1024);
  const tight = zoneLimits({ allocation: { cpuCores: 1, memoryMiB: 4096 }, provisionedMemoryMiB: 6000, vmCount: 3, vmOverheadMiB: 100 });
  t.equal(tight.memoryLimitBytes, (6000 + 400) * 1024 * 1024, 'a limit under the guests would OOM-kill them');
  t.equal(sharesToWeight(1024), 40, 'libvirt shares->weight: 1024 shares = weight 40 (v2 default is 100 for 2.5k)');
  t.same(limitWrites('v2', l).map((w) => [w.file, w.value]), [
    ['cpu.max', '250000 100000'],
    ['cpu.weight', String(sharesToWeight(2560))],
    ['memory.max', String((4096 + 100) * 1024 * 1024)],
  ]);
  t.same(limitWrites('v1', l).map((w) => [w.controller, w.file, w.value]), [
    ['cpu', 'cpu.cfs_period_us', '100000'],
    ['cpu', 'cpu.cfs_quota_us', '250000'],
    ['cpu', 'cpu.shares', '2560'],
    ['memory', 'memory.limit_in_bytes', String((4096 + 100) * 1024 * 1024)],
  ]);
});

/** A v1 tree like this machine's: one dir per controller, cpu,cpuacct co-mounted with symlinks. */
function v1Tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'vz-cg1-'));
  for (const h of ['cpu,cpuacct', 'cpuset', 'memory', 'blkio', 'devices', 'freezer', 'pids', 'systemd', 'net_cls,net_prio', 'perf_event']) {
    mkdirSync(join(root, h));
    writeFileSync(join(root, h, 'cgroup.procs'), '');
  }
  symlinkSync('cpu,cpuacct', join(root, 'cpu'));
  symlinkSync('cpu,cpuacct', join(root, 'cpuacct'));
  mkdirSync(join(root, 'unified'));
  writeFileSync(join(root, 'unified', 'cgroup.procs'), '');
  writeFileSync(join(root, 'unified', 'cgroup.controllers'), '');
  writeFileSync(join(root, 'cpuset', 'cpuset.cpus'), '0-15');
  writeFileSync(join(root, 'cpuset', 'cpuset.mems'), '0');
  return root;
}

/** Every path under `dir` with its content (files) or '/' (directories), to show that nothing changed. */
function treeSnapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        out[p] = '/';
        walk(p);
      } else out[p] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

function v2Tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'vz-cg2-'));
  writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc');
  writeFileSync(join(root, 'cgroup.subtree_control'), 'cpu memory');
  writeFileSync(join(root, 'cgroup.procs'), '');
  return root;
}

t.test('this machine: what cgroups look like here (read only)', async (t) => {
  // Informational: the daemon must work with whatever the host has.
  if (!existsSync('/sys/fs/cgroup')) return t.pass('no /sys/fs/cgroup');
  const sys = detectCgroupSystem('/sys/fs/cgroup', { layout: 'auto' });
  t.comment(`version ${sys.version}, systemd ${sys.systemd}, ${sys.hierarchies.map((h) => h.dir).join(' ') || sys.v2Controllers.join(' ')}`);
  t.ok(sys.version === 'v1' || sys.version === 'v2');
});

t.test('cgroup v1 without systemd: every controller gets the partition, cpuset copied', async (t) => {
  const root = v1Tree();
  const sys = detectCgroupSystem(root, { layout: 'cgroupfs' });
  t.equal(sys.version, 'v1');
  t.equal(sys.systemd, false);
  t.same(
    sys.hierarchies.map((h) => h.dir.slice(root.length + 1)),
    ['blkio', 'cpu,cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'net_cls,net_prio', 'perf_event'],
    'libvirt controllers only: not pids, not name=systemd, not the v2 "unified" mount, symlinks folded',
  );
  const parts = new ZonePartitions(sys);
  const members = [{ name: 'a', zone: 'gold', running: true, vcpus: 2, memoryMiB: 2048 }];
  const reports = await ensureZonePartitions(parts, { gold: { cpuCores: 4, memoryMiB: 8192 }, general: { cpuCores: 2, memoryMiB: 1024 } }, members, config({ zones: { vmOverheadMiB: 128, cpuLimit: 'quota' } }));
  t.equal(reports.length, 2);
  for (const h of sys.hierarchies) {
    t.ok(existsSync(join(h.dir, 'machine', 'virtzone-gold.partition')), `${h.dir}/machine/virtzone-gold.partition`);
    t.ok(existsSync(join(h.dir, 'machine', 'virtzone-general.partition')));
  }
  // hybrid host: the cgroup2 "unified" mount gets the partition too (libvirt asks it first)
  t.equal(sys.unified?.dir, join(root, 'unified'), 'the v2 mount of the hybrid layout is found');
  t.ok(existsSync(join(root, 'unified', 'machine', 'virtzone-gold.partition')), 'unified/machine/virtzone-gold.partition');
  t.same(
    parts.dirsOf('gold').map((d) => d.slice(root.length + 1)).sort(),
    [...sys.hierarchies.map((h) => h.dir.slice(root.length + 1)), 'unified'].map((m) => `${m}/machine/virtzone-gold.partition`).sort(),
    'dirsOf: every v1 hierarchy and the unified mount',
  );
  t.same(parts.missingDirsOf('gold'), []);
  t.notOk(existsSync(join(root, 'unified', 'cgroup.subtree_control')), 'no controller to delegate in unified here: only directories');
  t.notOk(existsSync(join(root, 'systemd', 'machine')), 'never mkdir in name=systemd');
  t.notOk(existsSync(join(root, 'pids', 'machine')));
  const cs = join(root, 'cpuset', 'machine');
  t.equal(readFileSync(join(cs, 'cpuset.cpus'), 'utf8'), '0-15', '/machine inherits cpuset from the root');
  t.equal(readFileSync(join(cs, 'virtzone-gold.partition', 'cpuset.cpus'), 'utf8'), '0-15');
  t.equal(readFileSync(join(cs, 'virtzone-gold.partition', 'cpuset.mems'), 'utf8'), '0');
  const cpu = join(root, 'cpu,cpuacct', 'machine', 'virtzone-gold.partition');
  t.equal(readFileSync(join(cpu, 'cpu.cfs_quota_us'), 'utf8'), '400000');
  t.equal(readFileSync(join(cpu, 'cpu.cfs_period_us'), 'utf8'), '100000');
  t.equal(readFileSync(join(cpu, 'cpu.shares'), 'utf8'), '4096');
  const mem = readFileSync(join(root, 'memory', 'machine', 'virtzone-gold.partition', 'memory.limit_in_bytes'), 'utf8');
  t.equal(Number(mem), (8192 + 128 * 2) * 1024 * 1024, 'allocation + overhead for its VM and one more');
  // Idempotent: a second ensure creates nothing.
  const again = await parts.ensure('gold', zoneLimits({ allocation: { cpuCores: 3, memoryMiB: 8192 }, provisionedMemoryMiB: 0, vmCount: 0, vmOverheadMiB: 0 }));
  t.same(again.created, []);
  t.equal(readFileSync(join(cpu, 'cpu.cfs_quota_us'), 'utf8'), '300000', 'limits updated');

  // A failed domain start makes libvirt remove the partition in the other hierarchies:
  // ensure() puts back exactly what is missing, cpuset initialised again.
  for (const d of ['unified', 'cpuset', 'freezer']) rmSync(join(root, d, 'machine', 'virtzone-gold.partition'), { recursive: true });
  t.same(parts.missingDirsOf('gold').map((d) => d.slice(root.length + 1)).sort(), ['cpuset/machine/virtzone-gold.partition', 'freezer/machine/virtzone-gold.partition', 'unified/machine/virtzone-gold.partition']);
  const repaired = await parts.ensure('gold', zoneLimits({ allocation: { cpuCores: 3, memoryMiB: 8192 }, provisionedMemoryMiB: 0, vmCount: 0, vmOverheadMiB: 0 }));
  t.same(repaired.created.map((d) => d.slice(root.length + 1)).sort(), ['cpuset/machine/virtzone-gold.partition', 'freezer/machine/virtzone-gold.partition', 'unified/machine/virtzone-gold.partition']);
  t.equal(readFileSync(join(cs, 'virtzone-gold.partition', 'cpuset.cpus'), 'utf8'), '0-15', 'cpuset copied again');
  t.same(parts.missingDirsOf('gold'), []);
});

t.test('pure cgroup v1 (no cgroup2 mount): no unified directory', async (t) => {
  const root = v1Tree();
  rmSync(join(root, 'unified'), { recursive: true });
  const sys = detectCgroupSystem(root, { layout: 'cgroupfs' });
  t.equal(sys.unified, null);
  const parts = new ZonePartitions(sys);
  await parts.ensure('gold', zoneLimits({ allocation: { cpuCores: 1, memoryMiB: 1024 }, provisionedMemoryMiB: 0, vmCount: 0, vmOverheadMiB: 0 }));
  t.equal(parts.dirsOf('gold').length, sys.hierarchies.length);
  t.notOk(existsSync(join(root, 'unified')));
});

t.test('cgroup v2 without systemd: one directory, controllers enabled down the tree', async (t) => {
  const root = v2Tree();
  const sys = detectCgroupSystem(root, { layout: 'cgroupfs' });
  t.equal(sys.version, 'v2');
  const parts = new ZonePartitions(sys);
  const r = await parts.ensure('silver', zoneLimits({ allocation: { cpuCores: 1.5, memoryMiB: 2048 }, provisionedMemoryMiB: 0, vmCount: 0, vmOverheadMiB: 0 }));
  const dir = join(root, 'machine', 'virtzone-silver.partition');
  t.same(r.created, [join(root, 'machine'), dir]);
  const enabled = (p: string) => readFileSync(join(p, 'cgroup.subtree_control'), 'utf8').split(/\s+/).map((w) => w.replace('+', '')).sort();
  t.same(enabled(root), ['cpu', 'cpuset', 'io', 'memory', 'pids'], 'root enables what /machine needs (kept cpu, memory; not hugetlb/rdma/misc)');
  t.same(enabled(join(root, 'machine')), ['cpu', 'cpuset', 'io', 'memory', 'pids']);
  t.same(enabled(dir), ['cpu', 'cpuset', 'io', 'memory', 'pids'], 'and the partition enables them for the domains under it');
  t.equal(readFileSync(join(dir, 'cpu.max'), 'utf8'), '150000 100000');
  t.equal(readFileSync(join(dir, 'memory.max'), 'utf8'), String(2048 * 1024 * 1024));
  t.equal(parts.dirsOf('silver')[0], dir);
});

t.test('systemd hosts: a slice per zone, started and limited through systemd; no unit file', async (t) => {
  const root = v2Tree();
  const sys = detectCgroupSystem(root, { layout: 'systemd' });
  t.equal(sys.systemd, true);
  const before = treeSnapshot(root);
  const ran: string[][] = [];
  const parts = new ZonePartitions(sys, { run: async (cmd, args) => void ran.push([cmd, ...args]) });
  const gold = 'machine-virtzone\\x2dgold.slice';
  t.equal(parts.dirsOf('gold')[0], join(root, 'machine.slice', gold));
  const limits = zoneLimits({ allocation: { cpuCores: 2, memoryMiB: 1024 }, provisionedMemoryMiB: 0, vmCount: 0, vmOverheadMiB: 0 });
  const r = await parts.ensure('gold', limits);
  t.same(r.unit, { name: gold }, 'the slice by name only: there is no unit file to point at');
  t.same(r.written, {}, 'no file written');
  t.same(r.created, [], 'no mkdir in a systemd-owned tree');
  t.same(r.warnings, []);
  t.same(r.commands, [
    ['systemctl', 'start', gold],
    ['systemctl', 'set-property', '--runtime', gold, 'CPUQuota=200%', 'CPUWeight=79', 'MemoryMax=1073741824'],
  ], 'exactly start, then set-property: no daemon-reload, no restart');
  t.same(ran, r.commands, 'what the report says is what ran');
  t.same(treeSnapshot(root), before, 'the cgroup tree is untouched: systemd makes the slice');

  const smaller = zoneLimits({ allocation: { cpuCores: 1, memoryMiB: 512 }, provisionedMemoryMiB: 0, vmCount: 0, vmOverheadMiB: 0 });
  ran.length = 0;
  const again = await parts.setLimits('gold', smaller);
  t.same(again.commands, [['systemctl', 'set-property', '--runtime', gold, 'CPUQuota=100%', 'CPUWeight=40', 'MemoryMax=536870912']], 'a limit change is set-property only');
  t.same(ran, again.commands);
  t.same(again.written, {});
  t.same(treeSnapshot(root), before);

  // without a runner nothing runs, and the report still says what would have
  const dry = await new ZonePartitions(sys).ensure('silver', limits);
  t.same(dry.commands?.map((c) => c.slice(0, 2)), [['systemctl', 'start'], ['systemctl', 'set-property']]);

  // a refused call (polkit says no) is a warning naming the command, not a throw
  const refused = new ZonePartitions(sys, {
    run: async (cmd, args) => {
      if (args[0] === 'start') throw new Error('Access denied');
    },
  });
  const denied = await refused.ensure('gold', limits);
  t.equal(denied.warnings.length, 1);
  t.match(denied.warnings[0], /^systemctl start machine-virtzone\\x2dgold\.slice failed: Access denied/);
});

t.test('zones.cpuLimit shares: no CPU cap, weight in proportion to the allocation; memory stays hard', async (t) => {
  const l = zoneLimits({ allocation: { cpuCores: 2.5, memoryMiB: 4096 }, provisionedMemoryMiB: 0, vmCount: 0, vmOverheadMiB: 100, cpuLimit: 'shares' });
  t.equal(l.cpuQuotaUs, null);
  t.equal(l.cpuShares, 2560);
  t.same(limitWrites('v2', l).map((w) => [w.file, w.value]).slice(0, 1), [['cpu.max', 'max 100000']]);
  t.equal(limitWrites('v1', l).find((w) => w.file === 'cpu.cfs_quota_us')?.value, '-1');
  t.ok(l.memoryLimitBytes !== null && l.memoryLimitBytes > 0);
});
