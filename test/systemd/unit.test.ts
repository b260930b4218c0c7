// systemd/virtzoned.service: `systemd-analyze verify` passes without a warning,
// `systemd-analyze security` scores it as systemd/README.md says, the design choices
// hold (Wants not Requires, Type=notify with a watchdog, no ProtectControlGroups...),
// and its SystemCallFilter admits every system call the daemon's workload makes
// (measured with strace).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const UNIT_PATH = join(REPO, 'systemd', 'virtzoned.service');
const UNIT = readFileSync(UNIT_PATH, 'utf8');
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** The unit as installed on this machine: ExecStart's node is the one running the tests. */
function unitCopy(dir: string, transform: (text: string) => string = (s) => s): string {
  const path = join(dir, 'virtzoned.service');
  writeFileSync(path, transform(UNIT.replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${process.execPath} `).replace(/^ExecReload=\/usr\/bin\/node /m, `ExecReload=${process.execPath} `)));
  return path;
}

/** Settings as systemd reads them (continuation lines are not used in this unit). */
function settings(key: string): string[] {
  return UNIT.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
}

t.test('systemd-analyze verify passes with no warning', { skip: have('systemd-analyze') ? false : 'systemd-analyze missing (apt-get install systemd)' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-unit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const good = spawnSync('systemd-analyze', ['verify', unitCopy(dir)], { encoding: 'utf8', cwd: dir });
  t.equal(good.status, 0, `exit 0: ${good.stderr}`);
  const aboutUs = good.stderr.split('\n').filter((l) => /virtzone/.test(l));
  t.same(aboutUs, [], 'no warning about the unit');
  t.equal(good.stderr.trim(), '', 'no warning at all');

  // the check can fail: an unknown key and a missing binary are both reported
  const badDir = mkdtempSync(join(tmpdir(), 'vz-unit-bad-'));
  t.teardown(() => rmSync(badDir, { recursive: true, force: true }));
  const bad = spawnSync('systemd-analyze', ['verify', unitCopy(badDir, (s) => s.replace(/^UMask=/m, 'UMaks=0027\nUMask=').replace(/^ExecStart=\S+/m, 'ExecStart=/nonexistent/node'))], { encoding: 'utf8', cwd: badDir });
  t.not(bad.status, 0);
  t.match(bad.stderr, /Unknown key name 'UMaks'|Unknown key 'UMaks'/);
  t.match(bad.stderr, /\/nonexistent\/node is not executable/);
});

t.test('systemd-analyze security: the score recorded in systemd/README.md, at most 2.0', { skip: have('systemd-analyze') ? false : 'systemd-analyze missing' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-unit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = unitCopy(dir);
  const r = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', path], { encoding: 'utf8', cwd: dir });
  const m = /Overall exposure level for virtzoned\.service: (\d+\.\d) (\S+)/.exec(r.stdout + r.stderr);
  t.ok(m, `an overall exposure level: ${r.stdout.slice(-300)} ${r.stderr}`);
  const score = Number(m![1]);
  t.ok(score <= 2.0, `exposure ${score} <= 2.0 (${m![2]})`);
  const readme = readFileSync(join(REPO, 'systemd', 'README.md'), 'utf8');
  const recorded = /exposure level[^\d]*(\d+\.\d)/i.exec(readme);
  t.ok(recorded, 'README records a score');
  t.equal(Number(recorded![1]), score, 'README score is the current one (update systemd/README.md after changing the unit)');

  const json = spawnSync('systemd-analyze', ['security', '--offline=true', '--json=short', path], { encoding: 'utf8', cwd: dir });
  const items = JSON.parse(json.stdout) as Array<{ name: string; set: boolean; exposure: number | null }>;
  const failed = new Set(items.filter((i) => !i.set && (i.exposure ?? 0) > 0).map((i) => i.name));
  // the exceptions the unit explains, and nothing else
  const explained = [
    'SystemCallFilter=~@privileged', // @chown re-allowed for api.socketGroup
    'SystemCallFilter=~@resources', // set_mempolicy re-allowed (libnuma via libvirt)
    'RootDirectory=/RootImage=',
    'AmbientCapabilities=', // CAP_DAC_OVERRIDE for the cgroup directories
    'CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)',
    'ProtectControlGroups=',
    'MemoryDenyWriteExecute=', // V8 JIT, WebAssembly
    'RestrictAddressFamilies=~AF_NETLINK',
    'RestrictAddressFamilies=~AF_UNIX',
    'RestrictAddressFamilies=~AF_(INET|INET6)',
    'ProcSubset=',
    'PrivateNetwork=',
    'PrivateUsers=',
    'DeviceAllow=',
    'IPAddressDeny=',
    'UMask=',
  ];
  const unexplained = [...failed].filter((n) => !explained.includes(n));
  t.same(unexplained, [], 'every remaining exposure is one the unit explains');
  for (const must of ['NoNewPrivileges=', 'ProtectSystem=', 'ProtectHome=', 'PrivateTmp=', 'PrivateDevices=', 'ProtectKernelTunables=', 'ProtectKernelModules=', 'RestrictNamespaces=~user', 'LockPersonality=', 'SystemCallArchitectures=', 'User=/DynamicUser=', 'NotifyAccess=']) {
    t.ok(items.find((i) => i.name === must)?.set, `${must} is in force`);
  }
});

t.test('design choices the comments promise', async (t) => {
  t.same(settings('Type'), ['notify']);
  t.same(settings('NotifyAccess'), ['main']);
  t.ok(settings('WatchdogSec').length === 1, 'watchdog armed');
  t.same(settings('Requires'), [], 'no Requires=: a libvirtd restart must not stop virtzoned');
  t.same(settings('BindsTo'), []);
  t.same(settings('Wants'), [], 'Wants= comes from the install drop-in (modular vs monolithic libvirt)');
  t.match(settings('After').join(' '), /libvirtd\.service/);
  t.match(settings('After').join(' '), /virtqemud\.service/);
  t.same(settings('Restart'), ['on-failure']);
  t.ok(settings('StartLimitBurst').length && settings('StartLimitIntervalSec').length, 'restarts are rate limited');
  t.same(settings('RuntimeDirectory'), ['virtzone']);
  t.same(settings('StateDirectory'), ['virtzone']);
  t.same(settings('ConfigurationDirectory'), ['virtzone']);
  t.match(settings('ExecReload'), [/virtzoned\.js --check-config$/, /kill -HUP \$MAINPID/], 'reload checks the file first, then signals');
  t.same(settings('MemoryMax'), ['2G']);
  t.same(settings('TasksMax'), ['256']);
  t.same(settings('ProtectControlGroups'), [], 'cgroups are written: not protected');
  t.same(settings('MemoryDenyWriteExecute'), [], 'V8 JIT and WebAssembly need W+X');
  t.match(settings('ReadWritePaths').join(' '), /\/sys\/fs\/cgroup/);
  t.same(settings('RestrictAddressFamilies'), ['AF_UNIX AF_INET AF_INET6 AF_NETLINK']);
  t.same(settings('CapabilityBoundingSet'), ['CAP_DAC_OVERRIDE']);
  for (const why of ['Not ProtectControlGroups=', 'Not MemoryDenyWriteExecute=', 'Not PrivateUsers=', 'Not ProcSubset=pid', 'Not PrivateNetwork=']) {
    t.match(UNIT, why, `explains: ${why}`);
  }
});

/** The unit's SystemCallFilter= lines applied in order, as systemd does. */
function allowedSyscalls(): Set<string> {
  const expand = (name: string, seen = new Set<string>()): string[] => {
    if (!name.startsWith('@')) return [name];
    if (seen.has(name)) return [];
    seen.add(name);
    const r = spawnSync('systemd-analyze', ['syscall-filter', name], { encoding: 'utf8' });
    return r.stdout
      .split('\n')
      .slice(1)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .flatMap((l) => expand(l, seen));
  };
  const allowed = new Set<string>();
  for (const line of settings('SystemCallFilter')) {
    const deny = line.startsWith('~');
    for (const item of line.replace(/^~/, '').split(/\s+/).filter(Boolean)) {
      for (const call of expand(item)) deny ? allowed.delete(call) : allowed.add(call);
    }
  }
  return allowed;
}

t.test('SystemCallFilter admits every call of the daemon workload (strace census)', { skip: have('strace') && have('systemd-analyze') ? false : 'needs strace and systemd-analyze (apt-get install strace systemd)' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-syscalls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const census = join(dir, 'strace.txt');
  const probe = join(REPO, 'test', 'systemd', 'fixtures', 'syscall-probe.mjs');
  const r = spawnSync('strace', ['-f', '-qq', '-c', '-o', census, process.execPath, probe, dir], { encoding: 'utf8', cwd: REPO, timeout: 120000 });
  t.equal(r.status, 0, `probe ran: ${r.stderr}`);
  t.match(r.stdout, /"backend":"wasm"/, 'the WebAssembly backend really ran');
  if (existsSync(join(REPO, 'build', 'Release', 'virtzone_libvirt.node'))) {
    t.match(r.stdout, /"libvirtDomains":1/, 'the libvirt addon ran against the test driver');
  }
  const used = readFileSync(census, 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((cols) => cols.length >= 5 && /^\d/.test(cols[0]))
    .map((cols) => cols[cols.length - 1])
    .filter((name) => name !== 'total');
  t.ok(used.length > 30, `${used.length} distinct system calls seen`);
  const allowed = allowedSyscalls();
  t.ok(allowed.has('pkey_alloc'), 'pkey_alloc allowed (V8)');
  t.ok(allowed.has('fchown'), 'fchown allowed (api.socketGroup)');
  t.ok(allowed.has('set_mempolicy'), 'set_mempolicy allowed (libnuma)');
  t.notOk(allowed.has('setrlimit'), 'the rest of @resources is not');
  t.notOk(allowed.has('mount'), 'mount is not');
  t.notOk(allowed.has('setuid'), 'setuid is not');
  t.notOk(allowed.has('ptrace'), 'ptrace is not');
  const refused = used.filter((c) => !allowed.has(c));
  t.same(refused, [], 'calls the filter would refuse');
});
