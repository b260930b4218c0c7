// virtzoned's own start-up contract, as a real process: an invalid config and floors the
// host cannot honour stop it with exit 78 and one line naming the problem; an unreachable
// libvirt URI under --once fails at once with libvirt's message.
import t from 'tap';
import { writeTokensFile } from '../fixtures/tokens.js';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;
const FIXTURE = join(ROOT, 'test/fixtures/host.xml');

function virtzoned(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'daemon/bin/virtzoned.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

t.test('start-up failures', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-startup-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const base = `libvirt: { uri: "test://${FIXTURE}" }\nstore: { path: "${dir}/d.db" }\napi: { socket: "${dir}/s.sock" }\nzones: { manageCgroups: false }\n`;

  const badKey = join(dir, 'bad.yaml');
  writeFileSync(badKey, base + 'collect: { intervalSeconds: "ten" }\n');
  let r = virtzoned(['--config', badKey]);
  t.equal(r.status, 78, 'invalid config: exit 78');
  t.match(r.stderr, /key collect\.intervalSeconds: value "ten" is invalid: expected number/);

  const floors = join(dir, 'floors.yaml');
  writeFileSync(floors, base + 'classes:\n  - name: gold\n    floor: { cpuCores: 500 }\n');
  r = virtzoned(['--config', floors]);
  t.equal(r.status, 78, 'floors above capacity: exit 78');
  t.match(r.stderr, /classes\[\*\]\.floor\.cpuCores: the floors add up to 500 but the host offers/);

  // a template's base XML file others could have written, or one that decides what the
  // daemon owns (the size), is a config error before anything starts
  const baseXml = join(dir, 'base.xml');
  writeFileSync(baseXml, "<domain type='kvm'><os><type arch='x86_64'>hvm</type></os></domain>");
  chmodSync(baseXml, 0o666);
  const template = (file: string) => `templates:\n  small:\n    pool: images\n    networks: [default]\n    baseXmlFile: ${file}\n`;
  const writable = join(dir, 'writable.yaml');
  writeFileSync(writable, base + template(baseXml));
  r = virtzoned(['--config', writable]);
  t.equal(r.status, 78, 'a base XML file others may write: exit 78');
  t.match(r.stderr, /key templates\.small\.baseXmlFile: .* expected a file owned by root and writable by root only/);
  if (process.getuid?.() === 0) {
    const sized = join(dir, 'sized.xml');
    writeFileSync(sized, "<domain type='kvm'><vcpu>64</vcpu><os><type arch='x86_64'>hvm</type></os></domain>");
    chmodSync(sized, 0o644);
    const sizedYaml = join(dir, 'sized.yaml');
    writeFileSync(sizedYaml, base + template(sized));
    r = virtzoned(['--config', sizedYaml]);
    t.equal(r.status, 78, 'a base XML that sets the size: exit 78');
    t.match(r.stderr, /key templates\.small\.baseXmlFile: .*<vcpu>/);
  }

  // a token file others can read is a config error, found before libvirt is touched
  const token = join(dir, 'token');
  writeTokensFile(token, [{ token: 'tok-0123456789', role: 'read' }]);
  chmodSync(token, 0o644);
  const tokenYaml = join(dir, 'token.yaml');
  writeFileSync(
    tokenYaml,
    `libvirt: { uri: "qemu+tcp://127.0.0.1:1/system" }\nstore: { path: "${dir}/t.db" }\napi: { socket: "${dir}/t.sock", listen: "127.0.0.1:0", tokenFile: "${token}" }\nzones: { manageCgroups: false }\n`,
  );
  r = virtzoned(['--config', tokenYaml]);
  t.equal(r.status, 78, 'a token file others may read: exit 78, not 1 after trying libvirt');
  t.match(r.stderr, /key api\.tokenFile: .*\/token: mode 0644 lets others access the tokens/);
  // a bare token (the tokens file holds roles now) is a config error with the way to convert it
  writeFileSync(token, 'tok-0123456789\n');
  chmodSync(token, 0o600);
  r = virtzoned(['--config', tokenYaml]);
  t.equal(r.status, 78, 'a bare token: exit 78');
  t.match(r.stderr, /expected YAML with a tokens: list .*not a bare token/);
  // a peers rule naming a group the host does not have
  const peersYaml = join(dir, 'peers.yaml');
  writeFileSync(peersYaml, `libvirt: { uri: "qemu+tcp://127.0.0.1:1/system" }\nstore: { path: "${dir}/t.db" }\napi: { socket: "${dir}/t.sock", peers: [{ group: no-such-group-here, role: provision }] }\nzones: { manageCgroups: false }\n`);
  r = virtzoned(['--config', peersYaml]);
  t.equal(r.status, 78, 'an unknown peers group: exit 78');
  t.match(r.stderr, /api\.peers\[0\]\.group: no group named "no-such-group-here"/);

  r = virtzoned(['--once', '--connect', 'qemu+tcp://127.0.0.1:1/system', '--db', join(dir, 'once.db')]);
  t.equal(r.status, 1, 'unreachable URI: exit 1');
  t.match(r.stderr, /cannot open libvirt connection 'qemu\+tcp:\/\/127\.0\.0\.1:1\/system'/);

  r = virtzoned(['--once', '--connect', `test://${FIXTURE}`, '--db', join(dir, 'once.db')]);
  t.equal(r.status, 0, '--once against the test driver');
  const report = JSON.parse(r.stdout);
  t.equal(report.domains, 7, 'one tick over the fixture\'s 7 domains');
  t.equal(report.samples, 7);
});
