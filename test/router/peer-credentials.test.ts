// SO_PEERCRED through the addon: the server side of a real Unix socket connection sees
// the connecting process's pid, uid and gid; a TCP connection has none.
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { peerCredentials } from '../../router/access/peer-credentials.js';

async function accepted(listenOn: string | number): Promise<{ socket: Socket; close: () => void }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(listenOn as never, r));
  const address = server.address();
  const client = typeof address === 'string' ? createConnection(address) : createConnection(address!.port, '127.0.0.1');
  const socket = await new Promise<Socket>((r) => server.once('connection', r));
  return {
    socket,
    close: () => {
      client.destroy();
      socket.destroy();
      server.close();
    },
  };
}

t.test('a Unix socket peer is this process', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-peer-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { socket, close } = await accepted(join(dir, 's.sock'));
  t.teardown(close);
  const peer = peerCredentials(socket);
  t.match(peer, { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
  t.ok(Array.isArray(peer?.groups) && peer!.groups.every((g) => Number.isInteger(g)), 'supplementary groups: a list of gids');
});

t.test('a TCP peer has no credentials and is never the administrator', async (t) => {
  const { socket, close } = await accepted(0);
  t.teardown(close);
  t.equal(peerCredentials(socket), null);
});
