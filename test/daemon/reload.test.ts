// SIGHUP on the real daemon process: a reloaded config reaches the router (the overflow
// policy answers differently), and a config whose floors the host cannot honour is
// refused whole — the running one stays in effect and the daemon keeps serving.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, closeAgents } from '../router/helpers.js';
import { writeTokensFile } from '../fixtures/tokens.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const FIXTURE = join(ROOT, 'test/fixtures/host.xml');

t.test('SIGHUP reaches the router; floors above the host are refused and the old config stays', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-reload-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const socket = join(dir, 's.sock');
  const configPath = join(dir, 'virtzoned.yaml');
  const base = `libvirt: { uri: "test://${FIXTURE}" }\nstore: { path: "${dir}/d.db" }\napi: { socket: "${socket}" }\nzones: { manageCgroups: false }\nforecast: { schedule: "0 3 1 1 *" }\n`;
  writeFileSync(configPath, base + 'overflow: { policy: quota }\n');
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'daemon/bin/virtzoned.ts'), '--config', configPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: any[] = [];
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(line));
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  t.teardown(() => {
    child.kill('SIGKILL');
    closeAgents();
  });
  const waitFor = async (what: string, pred: (l: any) => boolean, from = 0, ms = 60_000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const hit = lines.slice(from).find(pred);
      if (hit) return hit;
      if (child.exitCode !== null) throw new Error(`virtzoned exited (${child.exitCode}) waiting for ${what}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}; stderr: ${stderr}`);
  };
  await waitFor('serving', (l) => l.msg === 'virtzoned serving');
  // far more than the host: no zone has room, so the overflow policy answers
  const huge = (key: string) => call({ socket }, 'POST', '/v1/placements', { body: { tenant: 'acme', app: 'web', priority: 'gold', vcpus: 1024, memoryMiB: 4194304 }, key });
  let r = await huge('reload-0001');
  t.equal(r.status, 429, r.text);
  t.equal(r.json.policy, 'quota', 'the policy of the config it started with');

  writeFileSync(configPath, base + 'overflow: { policy: probabilistic }\n');
  let from = lines.length;
  child.kill('SIGHUP');
  const applied = await waitFor('reload', (l) => /^config reloaded/.test(l.msg ?? ''), from);
  t.same(applied.changedKeys, ['overflow.policy']);
  r = await huge('reload-0002');
  t.equal(r.status, 429);
  t.equal(r.json.policy, 'probabilistic', 'the reloaded policy decides the next request');

  writeFileSync(configPath, base + 'overflow: { policy: quota }\nclasses:\n  - name: gold\n    floor: { cpuCores: 500 }\n');
  from = lines.length;
  child.kill('SIGHUP');
  const refused = await waitFor('refusal', (l) => /reload failed/.test(l.msg ?? ''), from);
  t.match(JSON.stringify(refused), /floors add up to 500/);
  r = await huge('reload-0003');
  t.equal(r.json.policy, 'probabilistic', 'refused whole: not even the overflow policy of that file was taken');
  t.equal(child.exitCode, null, 'still running');
});

t.test('SIGHUP re-reads the tokens file even when the config is unchanged', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-reload-tokens-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const tokens = writeTokensFile(join(dir, 'tokens.yaml'), [{ token: 'first-token-0123456789', role: 'read' }]);
  const configPath = join(dir, 'virtzoned.yaml');
  writeFileSync(
    configPath,
    `libvirt: { uri: "test://${FIXTURE}" }\nstore: { path: "${dir}/d.db" }\napi: { socket: "${join(dir, 's.sock')}", listen: "127.0.0.1:0", tokenFile: "${tokens}" }\nzones: { manageCgroups: false }\nforecast: { schedule: "0 3 1 1 *" }\n`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'daemon/bin/virtzoned.ts'), '--config', configPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  t.teardown(() => {
    child.kill('SIGKILL');
    closeAgents();
  });
  const waitFor = async (re: RegExp, from: number) => {
    for (let i = 0; i < 600; i++) {
      const m = re.exec(out.slice(from));
      if (m) return m;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${re}: ${out.slice(-2000)}`);
  };
  const port = Number((await waitFor(/"tcp":\{"host":"127\.0\.0\.1","port":(\d+)\}/, 0))[1]);
  const zones = (token: string) => call({ tcp: { host: '127.0.0.1', port } }, 'GET', '/v1/zones', { headers: { authorization: `Bearer ${token}` } });
  t.equal((await zones('first-token-0123456789')).status, 200);
  writeTokensFile(tokens, [{ token: 'second-token-0123456789', role: 'read' }]);
  const from = out.length;
  child.kill('SIGHUP');
  await waitFor(/config reloaded: nothing to change/, from);
  t.equal((await zones('first-token-0123456789')).status, 401, 'the removed token is refused after the reload');
  t.equal((await zones('second-token-0123456789')).status, 200, 'the new one is served');
});
