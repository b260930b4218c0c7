// The shipped polkit rule (systemd/50-virtzone.rules) against a real polkitd on a private
// system bus: the virtzone user may start, stop and set-property its zones' slices, and
// nothing else; another user may not even that. pkcheck asks polkitd about a process of
// the subject's uid, passing the unit and verb as systemd does.
import t from 'tap';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const POLKITD = '/usr/lib/polkit-1/polkitd';
const RULE = resolve('systemd/50-virtzone.rules');
const INSTALLED = '/etc/polkit-1/rules.d/49-virtzone-test.rules';
const missing = [POLKITD, '/usr/bin/pkcheck', '/usr/bin/dbus-daemon', '/usr/bin/setpriv'].filter((f) => !existsSync(f));
const skip = process.getuid?.() !== 0 ? 'needs root (to run pkcheck for another uid and install a rule)' : missing.length ? `missing ${missing.join(', ')}` : null;

const uidOf = (user: string): number | null => {
  const r = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : null;
};

if (skip) {
  t.pass(`skipped: ${skip}`, { skip: true });
} else {
  const dir = mkdtempSync(join(tmpdir(), 'vz-polkit-'));
  // polkitd drops to its own user: it must reach the bus socket in here
  chmodSync(dir, 0o755);
  const bus = join(dir, 'bus');
  writeFileSync(
    join(dir, 'bus.conf'),
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=${bus}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/></policy></busconfig>`,
  );
  const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${bus}` };
  let createdUser = false;
  if (uidOf('virtzone') === null) {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'virtzone']);
    createdUser = true;
  }
  copyFileSync(RULE, INSTALLED);
  const dbusPid = Number(execFileSync('dbus-daemon', [`--config-file=${join(dir, 'bus.conf')}`, '--fork', '--print-pid'], { encoding: 'utf8' }).trim());
  let polkitdLog = '';
  const polkitd: ChildProcess = spawn(POLKITD, ['--no-debug'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  polkitd.stdout!.on('data', (d) => (polkitdLog += d));
  polkitd.stderr!.on('data', (d) => (polkitdLog += d));
  const subjects: ChildProcess[] = [];
  t.teardown(() => {
    for (const p of subjects) p.kill('SIGKILL');
    polkitd.kill('SIGKILL');
    try {
      process.kill(dbusPid, 'SIGKILL');
    } catch {
      /* gone */
    }
    rmSync(INSTALLED, { force: true });
    if (createdUser) spawnSync('userdel', ['virtzone']);
    rmSync(dir, { recursive: true, force: true });
  });

  /** A process running as `user`, the subject pkcheck asks about. */
  const subject = (user: string): number => {
    const uid = uidOf(user)!;
    const p = spawn('setpriv', ['--reuid', String(uid), '--regid', String(uid), '--clear-groups', 'sleep', '600'], { stdio: 'ignore' });
    subjects.push(p);
    return p.pid!;
  };
  const allowed = (pid: number, action: string, details: Record<string, string>): { ok: boolean; out: string } => {
    const args = ['--action-id', action, '--process', String(pid), ...Object.entries(details).flatMap(([k, v]) => ['--detail', k, v])];
    const r = spawnSync('pkcheck', args, { env, encoding: 'utf8' });
    return { ok: r.status === 0, out: `${r.stdout}${r.stderr}`.trim() };
  };

  t.test('virtzone may manage its zones\' slices, and nothing else', async (t) => {
    // polkitd up and answering
    const deadline = Date.now() + 15_000;
    const root = spawn('sleep', ['600'], { stdio: 'ignore' });
    subjects.push(root);
    while (!allowed(root.pid!, 'org.freedesktop.systemd1.manage-units', { unit: 'x.slice', verb: 'start' }).ok) {
      if (Date.now() > deadline) throw new Error(`polkitd did not answer (${polkitdLog.slice(-600)}): ${allowed(root.pid!, 'org.freedesktop.systemd1.manage-units', { unit: 'x.slice', verb: 'start' }).out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 300));
    const vz = subject('virtzone');
    const nobody = subject('nobody');
    const manage = 'org.freedesktop.systemd1.manage-units';
    const gold = 'machine-virtzone\\x2dgold.slice';
    for (const verb of ['start', 'stop', 'set-property']) {
      const r = allowed(vz, manage, { unit: gold, verb });
      t.ok(r.ok, `virtzone: ${verb} ${gold} (${r.out || 'authorized'})`);
    }
    t.ok(allowed(vz, manage, { unit: 'machine-virtzone\\x2dbatch\\x2djobs.slice', verb: 'set-property' }).ok, 'a zone name with a dash, as systemd escapes it');
    const refused: Array<[string, Record<string, string>, string]> = [
      [manage, { unit: gold, verb: 'restart' }, 'restart would stop every VM scope in the slice'],
      [manage, { unit: 'machine.slice', verb: 'set-property' }, 'libvirt\'s parent slice'],
      [manage, { unit: 'machine-other.slice', verb: 'start' }, 'another slice under machine.slice'],
      [manage, { unit: 'libvirtd.service', verb: 'start' }, 'a service'],
      [manage, { unit: 'machine-virtzone\\x2dgold.slice.d', verb: 'start' }, 'a name that only starts like a zone'],
      ['org.freedesktop.systemd1.manage-unit-files', {}, 'unit files'],
      ['org.freedesktop.systemd1.reload-daemon', {}, 'daemon-reload'],
    ];
    for (const [action, details, why] of refused) {
      const r = allowed(vz, action, details);
      t.notOk(r.ok, `virtzone: ${action} ${JSON.stringify(details)} refused (${why})`);
    }
    t.notOk(allowed(nobody, manage, { unit: gold, verb: 'start' }).ok, 'another user may not start a zone slice');
    t.match(readFileSync(INSTALLED, 'utf8'), /subject\.user !== "virtzone"/, 'the shipped rule, unchanged, was the one checked');
  });
}
