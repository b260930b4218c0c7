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
 * Reads the token file, refusing one that group or others may access (a token anybody
 * can read guards nothing) or that is empty. Returns the token's SHA-256 digest: the
 * comparison then runs over two 32-byte digests, so timingSafeEqual's equal-length
 * requirement never leaks the token's length.
 */
export function loadTokenDigest(path: string): Buffer {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err) {
    throw new TokenFileError(`api.tokenFile ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if ((mode & 0o077) !== 0) {
    throw new TokenFileError(
      `api.tokenFile ${path}: mode ${(mode & 0o777).toString(8).padStart(4, '0')} lets group or others access the token; chmod 600 it`,
    );
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
