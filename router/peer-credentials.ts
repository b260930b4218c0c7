// Who is calling: the kernel's word for a Unix socket peer (SO_PEERCRED, through a tiny
// addon: router/native/peer_cred.c), nothing for loopback TCP, whose bearer token says
// only that the caller may use the API. What only an administrator may do is decided
// from this, never from the request's body.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/** What a request may do beyond the ordinary: for now one thing, being the host's administrator. */
export interface Caller {
  /** root (or the daemon's own user) on the Unix socket */
  admin: boolean;
  /** the peer's credentials on the Unix socket; null over TCP or when they cannot be read */
  peer: PeerCredentials | null;
}

type PeerCredentialsFn = (fd: number) => PeerCredentials;

const HERE = dirname(fileURLToPath(import.meta.url));
let loaded: PeerCredentialsFn | null | undefined;

function addon(): PeerCredentialsFn | null {
  if (loaded !== undefined) return loaded;
  // source tree (router/ → ..) or the build (dist/router/ → ../..)
  const path = [join(HERE, '..', 'build', 'Release', 'virtzone_peer_cred.node'), join(HERE, '..', '..', 'build', 'Release', 'virtzone_peer_cred.node')].find((p) => existsSync(p));
  loaded = path ? (createRequire(import.meta.url)(path) as { peerCredentials: PeerCredentialsFn }).peerCredentials : null;
  return loaded;
}

/** The credentials of a Unix socket connection's peer; null when they cannot be read (no addon, not a Unix socket). */
export function peerCredentials(socket: Socket): PeerCredentials | null {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  const read = addon();
  if (read === null || typeof fd !== 'number' || fd < 0) return null;
  try {
    return read(fd);
  } catch {
    return null;
  }
}

/** The caller of a request on the Unix socket (tcp false) or loopback TCP (tcp true). */
export function callerOf(socket: Socket, tcp: boolean): Caller {
  if (tcp) return { admin: false, peer: null };
  const peer = peerCredentials(socket);
  const admin = peer !== null && (peer.uid === 0 || peer.uid === process.getuid?.());
  return { admin, peer };
}
