// Bearer-token auth for the loopback TCP listener. The Unix socket is guarded by its
// file mode and group instead and needs no token.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

export class TokenFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenFileError';
  }
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Reads the token file, refusing one that others may read, that anyone but its owner
 * may write, or that a group other than the daemon's may read — 0600, or 0640 with the
 * daemon's group, as the docs say — and an empty one. Returns the token's SHA-256
 * digest: the comparison then runs over two 32-byte digests, so timingSafeEqual's
 * equal-length requirement never leaks the token's length.
 */
export function loadTokenDigest(path: string, daemonGid: number | undefined = process.getgid?.()): Buffer {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw new TokenFileError(`api.tokenFile ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const mode = st.mode & 0o777;
  const shown = mode.toString(8).padStart(4, '0');
  if ((mode & 0o007) !== 0) throw new TokenFileError(`api.tokenFile ${path}: mode ${shown} lets others access the token; chmod 600 it (or 640 with the daemon's group)`);
  if ((mode & 0o030) !== 0) throw new TokenFileError(`api.tokenFile ${path}: mode ${shown} lets its group write or run it; chmod 600 it (or 640 with the daemon's group)`);
  if ((mode & 0o040) !== 0 && st.gid !== daemonGid) {
    throw new TokenFileError(`api.tokenFile ${path}: mode ${shown} lets group ${st.gid} read the token, which is not the daemon's group (${daemonGid}); chmod 600 it or chgrp it to the daemon's group`);
  }
  const token = readFileSync(path, 'utf8').trim();
  if (!token) throw new TokenFileError(`api.tokenFile ${path}: the file is empty`);
  return digest(token);
}

/** Constant-time check of an Authorization header against the token digest. */
export function bearerMatches(header: string | undefined, tokenDigest: Buffer | null): boolean {
  if (!tokenDigest || typeof header !== 'string') return false;
  const m = /^Bearer ([\x21-\x7e]+)$/i.exec(header.trim());
  if (!m) return false;
  return timingSafeEqual(digest(m[1]), tokenDigest);
}
