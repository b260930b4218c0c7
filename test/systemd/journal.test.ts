// What the journal gets: with stdout (and stderr) connected to journald — JOURNAL_STREAM
// naming that very stream — every line starts with its syslog priority (<3> error, <6>
// info ...), so `journalctl -p err` finds errors and start-up refusals; without it, or
// when the variable names another stream, the lines are bare JSON. And `--check-config`,
// which `systemctl reload` runs first: 0 for a valid file, 78 for an invalid one.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';

const ROOT = new URL('../..', import.meta.url).pathname;
const FIXTURE = join(ROOT, 'test/fixtures/host.xml');
const DAEMON = ['--import', 'tsx', join(ROOT, 'daemon/bin/virtzoned.ts')];
// the shell's own fd 1 (the pipe to this test) is the stream JOURNAL_STREAM names, as systemd sets it
const AS_JOURNAL = 'JOURNAL_STREAM=$(stat -L -c %d:%i /proc/$$/fd/1) exec "$@" 2>&1';

function runAsJournal(args: string[]) {
  return spawnSync('sh', ['-c', AS_JOURNAL, 'sh', process.execPath, ...DAEMON, ...args], { cwd: ROOT, encoding: 'utf8' });
}

t.test('--check-config: 0 for a valid file, 78 naming the key for an invalid one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-check-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'classes: [{ name: gold }, { name: silver }]\n');
  let r = spawnSync(process.execPath, [...DAEMON, '--check-config', good], { cwd: ROOT, encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /configuration .*good\.yaml is valid/);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'api: { socketMode: "0666" }\n');
  r = spawnSync(process.execPath, [...DAEMON, '--check-config', bad], { cwd: ROOT, encoding: 'utf8' });
  t.equal(r.status, 78);
  t.match(r.stderr, /key api\.socketMode/);
  r = spawnSync(process.execPath, [...DAEMON, '--config', bad, '--check-config'], { cwd: ROOT, encoding: 'utf8' });
  t.equal(r.status, 78, 'without FILE it checks --config');
  r = spawnSync(process.execPath, [...DAEMON, '--check-config', join(dir, 'missing.yaml')], { cwd: ROOT, encoding: 'utf8' });
  t.equal(r.status, 78, 'a file that is not there');
  t.match(r.stderr, /cannot read config file \(ENOENT\)/);
});

t.test('a start-up refusal on the journal is filed as an error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-journal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'api: { socketMode: "0666" }\n');
  const r = runAsJournal(['--config', bad]);
  t.equal(r.status, 78);
  t.match(r.stdout, /^<3>virtzoned: invalid configuration: .*api\.socketMode/m);
  // not the journal: no prefix
  const plain = spawnSync(process.execPath, [...DAEMON, '--config', bad], { cwd: ROOT, encoding: 'utf8' });
  t.match(plain.stderr, /^virtzoned: invalid configuration/);
  // a JOURNAL_STREAM inherited by a process whose output went elsewhere: no prefix either
  const stale = spawnSync(process.execPath, [...DAEMON, '--config', bad], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, JOURNAL_STREAM: '8:12345' } });
  t.match(stale.stderr, /^virtzoned: invalid configuration/);
});

t.test('the running daemon files each line at its level', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-journal-run-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'virtzoned.yaml');
  const base = `libvirt: { uri: "test://${FIXTURE}" }\nstore: { path: "${dir}/d.db" }\napi: { socket: "${dir}/s.sock" }\nzones: { manageCgroups: false }\nforecast: { schedule: "0 3 1 1 *" }\n`;
  writeFileSync(configPath, base);
  const child = spawn('sh', ['-c', AS_JOURNAL, 'sh', process.execPath, ...DAEMON, '--config', configPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const waitFor = async (re: RegExp) => {
    for (let i = 0; i < 600; i++) {
      if (re.test(out)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${re}: ${out.slice(-2000)}`);
  };
  await waitFor(/"msg":"virtzoned serving"/);
  t.match(out, /^<6>\{"level":"info".*"msg":"virtzoned serving"/m, 'info: <6>');
  // a reload the daemon refuses is an error line
  writeFileSync(configPath, base + 'classes: [{ name: gold, buffer: -1 }]\n');
  child.kill('SIGHUP');
  await waitFor(/config reload rejected/);
  t.match(out, /^<3>\{"level":"error".*config reload rejected/m, 'error: <3>');
  t.notOk(out.split('\n').some((l) => l.startsWith('{')), 'every line has its priority');
});
