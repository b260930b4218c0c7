// The CLI's client when the daemon is not there, not reachable, or answers with errors:
// each case is a real socket (or its absence) and the CLI a real child process; the
// message and the exit code (3 unreachable, 2 bad request, 1 daemon failure) are checked.
import t from 'tap';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupName, permissionMessage, problemError, resolveTarget } from '../../cli/client.js';
import { virtzone } from './harness.js';

const work = mkdtempSync(join(tmpdir(), 'vz-cli-client-'));
chmodSync(work, 0o755); // `nobody` must reach the sockets below
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const listen = (server: Server | ReturnType<typeof createHttpServer>, path: string) =>
  new Promise<void>((resolve) => server.listen(path, () => resolve()));
const close = (server: Server | ReturnType<typeof createHttpServer>) => new Promise<void>((resolve) => server.close(() => resolve()));

t.test('no socket: exit 3 and how to start the daemon', async (t) => {
  const missing = join(work, 'nothing-here.sock');
  const r = await virtzone(['status', '--socket', missing]);
  t.equal(r.code, 3, r.stderr);
  t.match(r.stderr, `virtzone status: virtzoned is not running: no socket at ${missing}`);
  t.match(r.stderr, /systemctl start virtzoned/);
  t.match(r.stderr, /virtzoned --config/);
  t.equal(r.stdout, '');

  // the same through $VIRTZONE_SOCKET, for another subcommand
  const env = await virtzone(['zones', '--json'], { env: { VIRTZONE_SOCKET: missing } });
  t.equal(env.code, 3);
  t.match(env.stderr, `no socket at ${missing}`);
});

t.test('a socket nobody listens on (left by a killed daemon): exit 3', async (t) => {
  const path = join(work, 'stale.sock');
  // a child binds the socket and is killed: the file stays, nothing answers
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`]);
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  t.ok(existsSync(path), 'the socket file is left behind');
  const r = await virtzone(['vms', '--socket', path]);
  t.equal(r.code, 3);
  t.match(r.stderr, /virtzoned is not running: nothing answers on .*stale\.sock/);
  t.match(r.stderr, /systemctl start virtzoned/);
});

const asRoot = process.getuid?.() === 0;

t.test('permission denied on the socket names the group to join', { skip: !asRoot && 'needs root to run the CLI as nobody' }, async (t) => {
  const path = join(work, 'guarded.sock');
  const server = createServer((s) => s.end());
  await listen(server, path);
  t.teardown(() => close(server));
  // root:adm 0660, as the daemon sets api.socketMode/api.socketGroup; nobody is not in adm
  chownSync(path, 0, 4);
  chmodSync(path, 0o660);
  const asNobody = { user: 'nobody', group: 'nogroup' };
  const r = await virtzone(['status', '--socket', path], { asUser: asNobody });
  t.equal(r.code, 3, r.stderr);
  const group = groupName(4);
  t.not(group, '4', 'gid 4 has a name in /etc/group');
  t.match(r.stderr, `virtzone status: permission denied on ${path} (mode 0660, group ${group}): join group ${group}`);
  t.match(r.stderr, `sudo usermod -aG ${group} $USER`);

  // chmod 000: still the socket's group that is named
  chmodSync(path, 0o000);
  const none = await virtzone(['zones', '--socket', path], { asUser: asNobody });
  t.equal(none.code, 3);
  t.match(none.stderr, `(mode 0000, group ${group})`);

  // a socket owned by group root: join nothing, configure api.socketGroup
  chownSync(path, 0, 0);
  chmodSync(path, 0o660);
  const rootGroup = await virtzone(['vms', '--socket', path], { asUser: asNobody });
  t.equal(rootGroup.code, 3);
  t.match(rootGroup.stderr, /group root\): run as root, or set api.socketGroup/);
});

t.test('the permission message and group lookup, as functions', async (t) => {
  const dir = mkdtempSync(join(work, 'guarded-dir-'));
  chownSync(dir, 0, 4);
  chmodSync(dir, 0o750);
  // the socket itself cannot be stat'ed (missing here; EACCES for a non-member): the directory is named
  const msg = permissionMessage(join(dir, 'virtzoned.sock'), (gid) => (gid === 4 ? 'virtzone-test' : String(gid)));
  t.equal(
    msg,
    `permission denied on ${join(dir, 'virtzoned.sock')} (its directory ${dir} is mode 0750, group virtzone-test): join group virtzone-test (\`sudo usermod -aG virtzone-test $USER\`, then log in again or run \`newgrp virtzone-test\`), or run as root`,
  );
  t.equal(groupName(0), 'root');
  t.equal(groupName(4_000_000), '4000000', 'a gid without a name stays a number');
});

t.test('--url: nothing listening is exit 3; --url with --socket is exit 2', async (t) => {
  const port = await freePort();
  const r = await virtzone(['status', '--url', `http://127.0.0.1:${port}`]);
  t.equal(r.code, 3);
  t.match(r.stderr, `virtzoned is not listening on http://127.0.0.1:${port}`);
  const both = await virtzone(['status', '--url', `http://127.0.0.1:${port}`, '--socket', '/x.sock']);
  t.equal(both.code, 2);
  t.match(both.stderr, /--url and --socket: give one of them/);
  const bad = await virtzone(['status', '--url', 'ftp://127.0.0.1']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /--url: "ftp:\/\/127.0.0.1": expected http:\/\/HOST:PORT/);
  const token = await virtzone(['status', '--url', `http://127.0.0.1:${port}`, '--token-file', join(work, 'no-token')]);
  t.equal(token.code, 2);
  t.match(token.stderr, /--token-file: cannot read .*no-token: ENOENT/);
});

t.test('a daemon that accepts and never answers: --timeout, exit 3', async (t) => {
  const path = join(work, 'silent.sock');
  const held: import('node:net').Socket[] = [];
  const server = createServer((s) => held.push(s));
  await listen(server, path);
  t.teardown(async () => {
    for (const s of held) s.destroy();
    await close(server);
  });
  const r = await virtzone(['zones', '--socket', path, '--timeout', '0.5']);
  t.equal(r.code, 3);
  t.match(r.stderr, /virtzoned did not answer on .*silent\.sock within 0\.5 s/);
  const bad = await virtzone(['zones', '--socket', path, '--timeout', 'soon']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /--timeout: "soon" is not a positive number of seconds/);
});

t.test('problem+json: 4xx is exit 2 with the field, 5xx is exit 1', async (t) => {
  const path = join(work, 'problems.sock');
  const server = createHttpServer((req, res) => {
    const status = req.url === '/v1/zones' ? 500 : 404;
    const body =
      status === 500
        ? { type: 'https://virtzone.dev/problems/internal', title: 'Internal error', status, detail: 'the zone monitor is broken' }
        : { type: 'https://virtzone.dev/problems/not-found', title: 'Not found', status, detail: 'no zone "platinum": zones are gold, general', field: 'zone' };
    res.writeHead(status, { 'content-type': 'application/problem+json' }).end(JSON.stringify(body));
  });
  await listen(server, path);
  t.teardown(() => close(server));
  const five = await virtzone(['zones', '--socket', path]);
  t.equal(five.code, 1);
  t.equal(five.stderr, 'virtzone zones: the zone monitor is broken\n');
  const four = await virtzone(['zones', 'platinum', '--socket', path]);
  t.equal(four.code, 2);
  t.equal(four.stderr, 'virtzone zones: no zone "platinum": zones are gold, general (field: zone)\n');
});

t.test('target resolution and problem mapping', async (t) => {
  t.same(resolveTarget({}, {}), { kind: 'socket', path: '/run/virtzone/virtzoned.sock' });
  t.same(resolveTarget({}, { VIRTZONE_SOCKET: '/s.sock' }), { kind: 'socket', path: '/s.sock' });
  t.same(resolveTarget({ socket: '/a.sock' }, { VIRTZONE_URL: 'http://127.0.0.1:1' }), { kind: 'socket', path: '/a.sock' }, '--socket beats $VIRTZONE_URL');
  const tcp = resolveTarget({}, { VIRTZONE_URL: 'http://127.0.0.1:8750', VIRTZONE_TOKEN: ' abc \n' });
  t.equal(tcp.kind, 'tcp');
  t.equal(tcp.kind === 'tcp' && tcp.token, 'abc');
  t.throws(() => resolveTarget({ tokenFile: '/t' }, {}), /--token-file: only used with --url/);
  // the token never leaves the host unless told to
  for (const url of ['http://10.0.0.5:8750', 'http://vz-host.example:8750', 'http://[2001:db8::1]:8750']) {
    t.throws(() => resolveTarget({}, { VIRTZONE_URL: url, VIRTZONE_TOKEN: 'abc' }), /is not a loopback address: the bearer token would cross the network in clear text; add --allow-remote/, url);
    const allowed = resolveTarget({ allowRemote: true }, { VIRTZONE_URL: url, VIRTZONE_TOKEN: 'abc' });
    t.equal(allowed.kind === 'tcp' && allowed.token, 'abc', `${url} with --allow-remote`);
    t.equal(resolveTarget({}, { VIRTZONE_URL: url }).kind, 'tcp', `${url} without a token: nothing to leak`);
  }
  for (const url of ['http://127.0.0.1:8750', 'http://127.1.2.3:8750', 'http://localhost:8750', 'http://[::1]:8750']) {
    t.equal(resolveTarget({}, { VIRTZONE_URL: url, VIRTZONE_TOKEN: 'abc' }).kind, 'tcp', `${url} is loopback`);
  }
  const e = problemError(401, { status: 401, title: 'Unauthorized', detail: 'a valid bearer token is required on TCP', field: 'Authorization' });
  t.equal(e.exitCode, 2);
  t.equal(e.message, 'a valid bearer token is required on TCP (field: Authorization): give the daemon\'s token with --token-file FILE or $VIRTZONE_TOKEN');
  t.equal(problemError(502, undefined).message, 'HTTP 502');
  t.equal(problemError(502, undefined).exitCode, 1);
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
