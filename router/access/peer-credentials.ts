// Who is calling on the Unix socket: the kernel's word for the peer (SO_PEERCRED and
// SO_PEERGROUPS, through a tiny addon: router/native/peer_cred.c). What a caller may do
// is decided from this (access.ts), never from the request's body.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
  /** supplementary groups at connect time (SO_PEERGROUPS); empty where the kernel cannot say */
  groups: number[];
}

type PeerCredentialsFn = (fd: number) => PeerCredentials;

const HERE = dirname(fileURLToPath(import.meta.url));
let loaded: PeerCredentialsFn | null | undefined;

function addon(): PeerCredentialsFn | null {
  if (loaded !== undefined) return loaded;
  // source tree (router/access/ → ../..) or the build (dist/router/access/ → ../../..)
  const path = [join(HERE, '..', '..', 'build', 'Release', 'virtzone_peer_cred.node'), join(HERE, '..', '..', '..', 'build', 'Release', 'virtzone_peer_cred.node')].find((p) => existsSync(p));
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
