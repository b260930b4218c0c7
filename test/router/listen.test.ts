// Where the API listens: socket mode and group, a stale socket replaced, a live one or
// a non-socket refused, the TCP token file checked before anything starts.
import { chmodSync, chownSync, lstatSync, mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { writeTokensFile } from '../fixtures/tokens.js';
import { call, closeAgents, removeDir, startHarness } from './helpers.js';

function someGroup(): { name: string; gid: number } {
  for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
    const [name, , gid] = line.split(':');
    if (name && gid && Number(gid) > 0) return { name, gid: Number(gid) };
  }
  throw new Error('no group in /etc/group');
}

t.test('socket mode and group from config; removed on close', async (t) => {
  const g = someGroup();
  const h = await startHarness({ config: { api: { socketMode: '0600', socketGroup: g.name } } });
  t.teardown(() => removeDir(h.dir));
  const st = statSync(h.socket);
  t.ok(st.isSocket());
  t.equal((st.mode & 0o777).toString(8), '600');
  t.equal(st.gid, g.gid, `group ${g.name}`);
  await h.close();
  closeAgents();
  t.notOk(existsSync(h.socket), 'socket file removed');
});

t.test('a stale socket is replaced; a live daemon or a non-socket is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-listen-'));
  t.teardown(() => removeDir(dir));
  const socket = join(dir, 'virtzoned.sock');
  // a stale socket: a process binds it and is killed; the file stays, nobody listens
  spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socket)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  t.ok(lstatSync(socket).isSocket(), 'stale socket file left by a killed process');

  const h = await startHarness({ dir });
  t.equal((await call({ socket }, 'GET', '/v1/zones')).status, 200, 'started over the stale socket');

  // a second daemon on the same socket is refused, and the first keeps serving
  await t.rejects(startHarness({ dir }), /another virtzoned is answering/);
  t.equal((await call({ socket }, 'GET', '/v1/zones')).status, 200);
  await h.close();
  closeAgents();

  // a regular file at the socket path is never deleted
  writeFileSync(socket, 'precious');
  await t.rejects(startHarness({ dir }), /exists and is not a socket/);
  t.equal(readFileSync(socket, 'utf8'), 'precious');
});

t.test('the TCP tokens file must be private, well-formed and non-empty', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-token-'));
  t.teardown(() => removeDir(dir));
  const tokenFile = join(dir, 'token');
  const withToken = (sub: string) => ({ dir: join(dir, sub), config: { api: { listen: '127.0.0.1:0', tokenFile } } });
  writeTokensFile(tokenFile, [{ token: 'tok-123', role: 'read' }]);
  chmodSync(tokenFile, 0o644);
  await t.rejects(startHarness(withToken('a')), /mode 0644 lets others access the tokens/);
  t.notOk(existsSync(join(dir, 'a', 'virtzoned.sock')), 'refused before the socket was created');
  // 0640 is what the docs say — with the daemon's group; another group may not read it
  chmodSync(tokenFile, 0o640);
  chownSync(tokenFile, process.getuid!(), process.getgid!() + 1);
  await t.rejects(startHarness(withToken('b')), /lets group \d+ read the tokens, which is not the daemon's group/);
  chmodSync(tokenFile, 0o660);
  chownSync(tokenFile, process.getuid!(), process.getgid!());
  await t.rejects(startHarness(withToken('b2')), /lets its group write or run it/);
  chmodSync(tokenFile, 0o640);
  const shared = await startHarness(withToken('b3'));
  t.ok(shared.listeners.tcp, "0640 with the daemon's group is accepted");
  await shared.close();
  writeFileSync(tokenFile, '  \n');
  chmodSync(tokenFile, 0o600);
  await t.rejects(startHarness(withToken('c')), /is empty/);
  await t.rejects(startHarness({ dir: join(dir, 'd'), config: { api: { listen: '127.0.0.1:0', tokenFile: join(dir, 'missing') } } }), /cannot read/);
  await t.rejects(startHarness({ dir: join(dir, 'f'), config: { api: { socketGroup: 'no-such-group-here' } } }), /no group named/);
  t.notOk(existsSync(join(dir, 'f', 'virtzoned.sock')), 'an unknown group is refused before binding');

  writeFileSync(tokenFile, 'tok-123\n');
  await t.rejects(startHarness(withToken('g')), /not a bare token/, 'a bare token is refused with the way to convert it');
  writeFileSync(tokenFile, 'tokens: [{ name: x, sha256: "abc", role: read }]\n');
  await t.rejects(startHarness(withToken('h')), /tokens\[0\]\.sha256/, 'an entry is checked field by field');
  writeTokensFile(tokenFile, [{ token: 'tok-123', role: 'read', classes: ['platinum'] }]);
  await t.rejects(startHarness(withToken('i')), /"platinum" is not a configured class/);
  writeTokensFile(tokenFile, [{ token: 'tok-123', role: 'read' }]);
  const h = await startHarness(withToken('e'));
  const tcp = { tcp: h.listeners.tcp! };
  t.equal(h.listeners.tcp!.host, '127.0.0.1');
  t.equal((await call(tcp, 'GET', '/v1/zones')).status, 401);
  t.equal((await call(tcp, 'GET', '/v1/zones', { headers: { authorization: 'Bearer tok-123' } })).status, 200);
  t.equal((await call({ socket: h.socket }, 'GET', '/v1/zones')).status, 200, 'no token needed on the Unix socket');
  await h.close();
  closeAgents();
});
