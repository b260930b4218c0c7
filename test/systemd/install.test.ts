// scripts/install and scripts/uninstall into a staging root (never the host): what
// lands where, that an operator's config survives install and uninstall, that the
// installed unit verifies, that the account and libvirt membership are made in the
// staged /etc, and that --purge removes config and state.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import {
  chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const INSTALL = join(REPO, 'scripts', 'install');
const UNINSTALL = join(REPO, 'scripts', 'uninstall');

function run(script: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync('bash', [script, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A small built package: the layout install expects, with one prod and one dev dependency. */
function makeSource(dir: string): string {
  const src = join(dir, 'src');
  const files: Record<string, string> = {
    'package.json': JSON.stringify({ name: 'virtzone', version: '0.0.0-test', type: 'module', dependencies: { 'dep-a': '1.0.0' }, devDependencies: { 'dev-b': '1.0.0' } }),
    'node_modules/dep-a/package.json': JSON.stringify({ name: 'dep-a', version: '1.0.0', dependencies: { 'dep-c': '1.0.0' } }),
    'node_modules/dep-a/node_modules/dep-c/package.json': JSON.stringify({ name: 'dep-c', version: '1.0.0' }),
    'node_modules/dev-b/package.json': JSON.stringify({ name: 'dev-b', version: '1.0.0' }),
    'dist/daemon/bin/virtzoned.js': 'console.log(JSON.stringify({ daemon: process.argv.slice(2) }));\n',
    'dist/cli/virtzone.js': 'console.log(JSON.stringify({ cli: process.argv.slice(2) }));\n',
    'build/Release/virtzone_libvirt.node': 'not a real addon: install only copies it\n',
  };
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(src, rel)), { recursive: true });
    writeFileSync(join(src, rel), text);
  }
  // the real unit, sample and sysusers file: those are what is under test
  mkdirSync(join(src, 'systemd'));
  for (const f of ['virtzoned.service', 'virtzoned.example.yaml', 'virtzone.sysusers.conf', '50-virtzone.rules']) {
    copyFileSync(join(REPO, 'systemd', f), join(src, 'systemd', f));
  }
  mkdirSync(join(src, 'dashboard'));
  for (const f of ['index.html', 'app.js', 'style.css']) copyFileSync(join(REPO, 'dashboard', f), join(src, 'dashboard', f));
  mkdirSync(join(src, 'man'));
  for (const f of ['virtzone.1', 'virtzoned.8', 'virtzoned.yaml.5']) copyFileSync(join(REPO, 'man', f), join(src, 'man', f));
  return src;
}

/** A staged OS /etc with a libvirt group, so accounts are made in it (not on the host). */
function makeRoot(dir: string, withLibvirt = true): string {
  const root = join(dir, 'root');
  mkdirSync(join(root, 'etc'), { recursive: true });
  for (const f of ['passwd', 'shadow', 'gshadow']) writeFileSync(join(root, 'etc', f), '');
  writeFileSync(join(root, 'etc', 'group'), withLibvirt ? 'libvirt:x:120:\n' : '');
  chmodSync(join(root, 'etc', 'shadow'), 0o600);
  return root;
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
/** The message for an exit-code check: the script's output only when it failed. */
const said = (what: string, r: { code: number | null; out: string; err: string }) => (r.code === 0 ? what : `${what}\n${r.out}${r.err}`);

t.test('install into a staging root, then uninstall (keeps config and state), then --purge', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-install-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const src = makeSource(dir);
  const root = makeRoot(dir);
  // a host with polkit (the daemon's zone slices need it)
  mkdirSync(join(root, 'usr/lib/polkit-1'), { recursive: true });
  writeFileSync(join(root, 'usr/lib/polkit-1/polkitd'), '');
  chmodSync(join(root, 'usr/lib/polkit-1/polkitd'), 0o755);

  const r = run(INSTALL, ['--root', root, '--source', src]);
  t.equal(r.code, 0, said('install exits 0', r));
  t.notMatch(r.out, /polkitd is not installed/, 'polkitd is there: no warning');

  const pkg = join(root, 'opt/virtzone');
  for (const f of ['package.json', 'dist/daemon/bin/virtzoned.js', 'dist/cli/virtzone.js', 'build/Release/virtzone_libvirt.node',
    'node_modules/dep-a/package.json', 'node_modules/dep-a/node_modules/dep-c/package.json', 'systemd/virtzoned.service', 'dashboard/index.html', 'bin/virtzoned', 'bin/virtzone']) {
    t.ok(existsSync(join(pkg, f)), `package has ${f}`);
  }
  t.notOk(existsSync(join(pkg, 'node_modules/dev-b')), 'devDependencies are not installed');

  t.ok(isLink(join(root, 'usr/bin/virtzoned')), '/usr/bin/virtzoned is a symlink');
  t.equal(readlinkSync(join(root, 'usr/bin/virtzoned')), '/opt/virtzone/bin/virtzoned', 'pointing at the final (not staged) path');
  t.equal(readlinkSync(join(root, 'usr/bin/virtzone')), '/opt/virtzone/bin/virtzone');

  // the wrapper runs the entry point with the node found at install time
  const wrapper = readFileSync(join(pkg, 'bin/virtzoned'), 'utf8');
  t.match(wrapper, `exec '${process.execPath}' '/opt/virtzone/dist/daemon/bin/virtzoned.js' "$@"`);
  const staged = spawnSync('sh', ['-c', wrapper.replace('/opt/virtzone', pkg).split('\n').filter((l) => l.startsWith('exec')).join('\n'), 'sh', '--once', 'a b'], { encoding: 'utf8' });
  t.same(JSON.parse(staged.stdout), { daemon: ['--once', 'a b'] }, 'arguments pass through the wrapper unchanged');

  const unit = readFileSync(join(root, 'etc/systemd/system/virtzoned.service'), 'utf8');
  t.match(unit, new RegExp(`^ExecStart=${process.execPath} /opt/virtzone/dist/daemon/bin/virtzoned.js$`, 'm'));
  const dropin = readFileSync(join(root, 'etc/systemd/system/virtzoned.service.d/10-libvirt.conf'), 'utf8');
  t.match(dropin, /^Wants=libvirtd\.service$/m, 'monolithic libvirt by default');
  t.notMatch(dropin, /^Requires=/m);

  // the installed unit (with its drop-in, which systemd-analyze loads from next to it) verifies
  const v = spawnSync('systemd-analyze', ['verify', join(root, 'etc/systemd/system/virtzoned.service')], { encoding: 'utf8', cwd: dir });
  t.equal(v.status, 0, `systemd-analyze verify exits 0: ${v.stderr}`);
  t.equal(v.stderr.trim(), '', 'no warnings');

  // account and libvirt membership, made in the staged /etc
  t.match(readFileSync(join(root, 'etc/passwd'), 'utf8'), /^virtzone:x:\d+:\d+:virtzone daemon:\/var\/lib\/virtzone:\/usr\/sbin\/nologin$/m);
  t.match(readFileSync(join(root, 'etc/group'), 'utf8'), /^libvirt:x:120:virtzone$/m, 'virtzone is in group libvirt');
  t.ok(existsSync(join(root, 'usr/lib/sysusers.d/virtzone.conf')));

  const config = join(root, 'etc/virtzone/virtzoned.yaml');
  t.equal(readFileSync(config, 'utf8'), readFileSync(join(REPO, 'systemd/virtzoned.example.yaml'), 'utf8'), 'config starts as the sample');
  t.equal(lstatSync(config).mode & 0o777, 0o640, 'config is 0640');
  const gid = /^virtzone:x:(\d+):/m.exec(readFileSync(join(root, 'etc/group'), 'utf8'))![1];
  t.equal(lstatSync(config).gid, Number(gid), 'config group is virtzone (staged gid)');

  // the operator edits the config; a reinstall (upgrade) must not touch it
  const edited = 'collect:\n  intervalSeconds: 5\n';
  writeFileSync(config, edited);
  const r2 = run(INSTALL, ['--root', root, '--source', src]);
  t.equal(r2.code, 0, said('reinstall exits 0', r2));
  t.equal(readFileSync(config, 'utf8'), edited, 'reinstall keeps the operator config');
  t.match(r2.out, /kept the existing .*virtzoned\.yaml/);
  t.ok(existsSync(join(root, 'etc/virtzone/virtzoned.example.yaml')), 'current sample next to it');
  t.equal((readFileSync(join(root, 'etc/passwd'), 'utf8').match(/^virtzone:/gm) ?? []).length, 1, 'the account is not duplicated');

  // state the daemon would have made
  mkdirSync(join(root, 'var/lib/virtzone'), { recursive: true });
  writeFileSync(join(root, 'var/lib/virtzone/virtzone.db'), 'db');
  // an operator's own drop-in must survive uninstall
  writeFileSync(join(root, 'etc/systemd/system/virtzoned.service.d/20-local.conf'), '[Service]\nEnvironment=X=1\n');

  const rule = join(root, 'etc/polkit-1/rules.d/50-virtzone.rules');
  t.equal(readFileSync(rule, 'utf8'), readFileSync(join(REPO, 'systemd/50-virtzone.rules'), 'utf8'), 'the polkit rule is installed as shipped');
  t.equal(statSync(rule).mode & 0o777, 0o644);
  for (const page of ['man1/virtzone.1', 'man8/virtzoned.8', 'man5/virtzoned.yaml.5']) t.ok(existsSync(join(root, 'usr/share/man', page)), `man page ${page}`);
  const u = run(UNINSTALL, ['--root', root]);
  t.equal(u.code, 0, said('uninstall exits 0', u));
  for (const gone of ['opt/virtzone', 'usr/bin/virtzoned', 'usr/bin/virtzone', 'etc/systemd/system/virtzoned.service',
    'etc/systemd/system/virtzoned.service.d/10-libvirt.conf', 'usr/lib/sysusers.d/virtzone.conf', 'etc/virtzone/virtzoned.example.yaml',
    'etc/polkit-1/rules.d/50-virtzone.rules', 'usr/share/man/man1/virtzone.1', 'usr/share/man/man8/virtzoned.8', 'usr/share/man/man5/virtzoned.yaml.5']) {
    t.notOk(existsSync(join(root, gone)) || isLink(join(root, gone)), `removed ${gone}`);
  }
  t.equal(readFileSync(config, 'utf8'), edited, 'uninstall keeps the config');
  t.equal(readFileSync(join(root, 'var/lib/virtzone/virtzone.db'), 'utf8'), 'db', 'uninstall keeps the state');
  t.ok(existsSync(join(root, 'etc/systemd/system/virtzoned.service.d/20-local.conf')), "the operator's drop-in stays");
  t.match(readFileSync(join(root, 'etc/passwd'), 'utf8'), /^virtzone:/m, 'the user stays without --purge');

  // install again, then purge
  t.equal(run(INSTALL, ['--root', root, '--source', src]).code, 0);
  t.equal(readFileSync(config, 'utf8'), edited, 'a later install still keeps it');
  const p = run(UNINSTALL, ['--root', root, '--purge']);
  t.equal(p.code, 0, said('purge exits 0', p));
  t.notOk(existsSync(join(root, 'etc/virtzone')), 'config purged');
  t.notOk(existsSync(join(root, 'var/lib/virtzone')), 'state purged');
  t.notMatch(readFileSync(join(root, 'etc/passwd'), 'utf8'), /^virtzone:/m, 'user removed');
  t.notMatch(readFileSync(join(root, 'etc/group'), 'utf8'), /^virtzone:/m, 'group removed');
});

t.test('useradd fallback, modular libvirt detection, custom prefix, no libvirt group', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-install-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const src = makeSource(dir);
  const root = makeRoot(dir, false);
  // a host that enabled the modular daemons
  mkdirSync(join(root, 'etc/systemd/system/sockets.target.wants'), { recursive: true });
  writeFileSync(join(root, 'etc/systemd/system/sockets.target.wants/virtqemud.socket'), '');

  const r = run(INSTALL, ['--root', root, '--source', src, '--prefix', '/usr/lib/virtzone'], { VIRTZONE_INSTALL_USE_USERADD: '1' });
  t.equal(r.code, 0, said('install exits 0', r));
  t.match(r.out, /WARNING: no libvirt group/, 'says that libvirt is missing');
  t.match(r.out, /WARNING: polkitd is not installed/, 'says that polkit is missing (zones would not be enforced)');
  t.match(readFileSync(join(root, 'etc/passwd'), 'utf8'), /^virtzone:x:\d+:\d+:virtzone daemon:\/var\/lib\/virtzone:\/usr\/sbin\/nologin$/m, 'useradd made the user');
  t.notMatch(readFileSync(join(root, 'etc/group'), 'utf8'), /^libvirt:/m, 'no libvirt group invented');
  t.match(readFileSync(join(root, 'etc/systemd/system/virtzoned.service.d/10-libvirt.conf'), 'utf8'), /^Wants=virtqemud\.socket$/m, 'modular host detected');
  const unit = readFileSync(join(root, 'etc/systemd/system/virtzoned.service'), 'utf8');
  t.match(unit, /^ExecStart=\S+ \/usr\/lib\/virtzone\/dist\/daemon\/bin\/virtzoned\.js$/m, 'prefix rewritten in ExecStart');
  t.notMatch(unit, /\/opt\/virtzone/, 'no trace of the default prefix');
  t.equal(readlinkSync(join(root, 'usr/bin/virtzone')), '/usr/lib/virtzone/bin/virtzone');

  // uninstall needs the same prefix, and refuses a wrong one
  const wrong = run(UNINSTALL, ['--root', root]);
  t.not(wrong.code, 0);
  t.match(wrong.err, /nothing installed in .*\/opt\/virtzone/);
  t.equal(run(UNINSTALL, ['--root', root, '--prefix', '/usr/lib/virtzone']).code, 0);
  t.notOk(existsSync(join(root, 'usr/lib/virtzone')));
  t.notOk(isLink(join(root, 'usr/bin/virtzone')));
});

t.test('install refuses what it must not do', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-install-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const src = makeSource(dir);
  const root = join(dir, 'bare'); // no etc/passwd: accounts are left to the target
  mkdirSync(root);

  // a foreign /usr/bin/virtzone is not overwritten
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  writeFileSync(join(root, 'usr/bin/virtzone'), '#!/bin/sh\necho someone else\n');
  const clash = run(INSTALL, ['--root', root, '--source', src]);
  t.not(clash.code, 0);
  t.match(clash.err, /usr\/bin\/virtzone exists and is not virtzone's/);
  t.equal(readFileSync(join(root, 'usr/bin/virtzone'), 'utf8'), '#!/bin/sh\necho someone else\n', 'left alone');
  rmSync(join(root, 'usr/bin/virtzone'));

  const ok = run(INSTALL, ['--root', root, '--source', src]);
  t.equal(ok.code, 0, ok.err);
  t.match(ok.out, /user\/group virtzone will be created by systemd-sysusers on the target/);
  t.notOk(existsSync(join(root, 'etc/passwd')), 'no passwd invented in a bare root');

  const unbuilt = join(dir, 'unbuilt');
  mkdirSync(unbuilt);
  writeFileSync(join(unbuilt, 'package.json'), '{"name":"virtzone"}');
  const nb = run(INSTALL, ['--root', root, '--source', unbuilt]);
  t.not(nb.code, 0);
  t.match(nb.err, /dist\/daemon\/bin\/virtzoned\.js is missing: build first/);

  for (const [args, msg] of [
    [['--prefix', 'opt/x'], /--prefix must be an absolute path/],
    [['--prefix', '/usr'], /would replace a system directory/],
    [['--libvirt', 'both'], /--libvirt must be auto, monolithic, modular or none/],
    [['--bogus'], /unknown option --bogus/],
  ] as Array<[string[], RegExp]>) {
    const r = run(INSTALL, ['--root', root, '--source', src, ...args]);
    t.not(r.code, 0, args.join(' '));
    t.match(r.err, msg);
  }

  // a node that ProtectHome=yes would hide from the service (here: a link under /root)
  if (process.getuid?.() === 0) {
    const home = mkdtempSync('/root/vz-node-');
    t.teardown(() => rmSync(home, { recursive: true, force: true }));
    copyFileSync(process.execPath, join(home, 'node'));
    chmodSync(join(home, 'node'), 0o755);
    const hidden = run(INSTALL, ['--root', root, '--source', src, '--node', join(home, 'node')]);
    t.not(hidden.code, 0, 'a node under /root');
    t.match(hidden.err, /under a home directory, which the unit's ProtectHome=yes hides/);
  }
});

// The real package, when it has been built: production dependencies suffice to load the
// daemon's modules from the installed copy, and the installed notify module finds the
// installed sd_notify addon.
const built = existsSync(join(REPO, 'dist/daemon/bin/virtzoned.js')) && existsSync(join(REPO, 'dist/daemon/process/notify.js'));
t.test('the real built package installs and its modules load from the staged copy', { skip: built ? false : 'not built (npm run build)' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-install-real-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'root');
  mkdirSync(root);
  const r = run(INSTALL, ['--root', root]);
  t.equal(r.code, 0, said('install exits 0', r));
  const pkg = join(root, 'opt/virtzone');
  t.notOk(existsSync(join(pkg, 'node_modules/typescript')), 'no dev dependencies');
  t.ok(existsSync(join(pkg, 'node_modules/better-sqlite3')), 'prod dependencies');
  const probe = `
    const { loadConfigFile } = await import('${pkg}/dist/core/config/load.js');
    const notify = await import('${pkg}/dist/daemon/process/notify.js');
    const c = loadConfigFile('${root}/etc/virtzone/virtzoned.yaml');
    const send = notify.loadSdNotifySend();
    console.log(JSON.stringify({ classes: c.classes.map((x) => x.name), addon: typeof send, candidates: notify.sdNotifyAddonCandidates() }));`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8', cwd: dir });
  t.equal(out.status, 0, out.stderr);
  const parsed = JSON.parse(out.stdout);
  t.same(parsed.classes, ['gold', 'silver', 'bronze'], 'installed sample config loads as the defaults');
  t.equal(parsed.addon, 'function', 'sd_notify addon loads from the installed package');
  t.ok(parsed.candidates.every((p: string) => p.startsWith(pkg)), 'and is looked up inside the installed package');
  t.equal(run(UNINSTALL, ['--root', root]).code, 0);
});
