// The tokens file of the TCP listener: each bearer token is bound to a role and, for
// placements, to the tenants it may act for and the zones it may ask for. The file holds
// only each token's SHA-256, so reading it does not hand out the tokens; it is checked
// like a key file (0600, or 0640 with the daemon's group) and re-read on reload.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { keyOf } from '../../core/config/load.js';
import { GrantSchema } from '../../core/config/schema.js';
import { scopeOf, type Principal } from './principal.js';

export class TokenFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenFileError';
  }
}

const TokenEntry = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$', description: 'how logs and the rate limit name the token' }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: "the token's SHA-256, lowercase hex (e.g. `printf %s TOKEN | sha256sum`)" }),
    ...GrantSchema,
  },
  { additionalProperties: false },
);
const TokensFile = Type.Object({ tokens: Type.Array(TokenEntry, { minItems: 1 }) }, { additionalProperties: false });
const checker = TypeCompiler.Compile(TokensFile);

export type TokenEntryT = Static<typeof TokenEntry>;

/** The SHA-256 of a token, as the tokens file holds it. */
export const tokenSha256 = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** The principals of a tokens file, by their token's SHA-256. */
export class TokenTable {
  private constructor(private readonly byDigest: ReadonlyMap<string, Principal>) {}

  static of(entries: readonly TokenEntryT[]): TokenTable {
    return new TokenTable(new Map(entries.map((e) => [e.sha256, { name: `token:${e.name}`, role: e.role, tenants: scopeOf(e.tenants), classes: scopeOf(e.classes), hostAdmin: false }])));
  }

  get size(): number {
    return this.byDigest.size;
  }

  /**
   * The principal an Authorization header stands for, or null. The lookup is by the
   * presented token's digest, so how long it takes says nothing about any stored token.
   */
  principalOf(header: string | undefined): Principal | null {
    if (typeof header !== 'string') return null;
    const m = /^Bearer ([\x21-\x7e]{1,4096})$/i.exec(header.trim());
    return m ? (this.byDigest.get(tokenSha256(m[1])) ?? null) : null;
  }
}

/** Refuses a file others may read, anyone but its owner may write, or a group other than the daemon's may read. */
function checkMode(path: string, daemonGid: number | undefined): void {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw new TokenFileError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const mode = st.mode & 0o777;
  const shown = mode.toString(8).padStart(4, '0');
  if ((mode & 0o007) !== 0) throw new TokenFileError(`${path}: mode ${shown} lets others access the tokens; chmod 600 it (or 640 with the daemon's group)`);
  if ((mode & 0o030) !== 0) throw new TokenFileError(`${path}: mode ${shown} lets its group write or run it; chmod 600 it (or 640 with the daemon's group)`);
  if ((mode & 0o040) !== 0 && st.gid !== daemonGid) {
    throw new TokenFileError(`${path}: mode ${shown} lets group ${st.gid} read the tokens, which is not the daemon's group (${daemonGid}); chmod 600 it or chgrp it to the daemon's group`);
  }
}

/** Reads and checks a tokens file; every problem is one TokenFileError naming the file and the entry. */
export function loadTokenTable(path: string, opts: { daemonGid?: number; knownZones?: ReadonlySet<string> } = {}): TokenTable {
  const daemonGid = 'daemonGid' in opts ? opts.daemonGid : process.getgid?.();
  checkMode(path, daemonGid);
  const text = readFileSync(path, 'utf8');
  if (!text.trim()) throw new TokenFileError(`${path}: the file is empty`);
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new TokenFileError(`${path}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof raw === 'string' || raw === null || typeof raw !== 'object') {
    throw new TokenFileError(
      `${path}: expected YAML with a tokens: list (name, sha256, role, tenants, classes), not a bare token; to keep this token as an administrator's: tokens: [{ name: admin, sha256: <printf %s TOKEN | sha256sum>, role: admin }]`,
    );
  }
  const withDefaults = Value.Default(TokensFile, structuredClone(raw));
  const first = checker.Errors(withDefaults).First();
  if (first) throw new TokenFileError(`${path}: ${keyOf(first.path)}: ${first.message}${first.value === undefined ? '' : ` (got ${JSON.stringify(first.value)?.slice(0, 60)})`}`);
  const { tokens } = withDefaults as Static<typeof TokensFile>;
  const names = new Set<string>();
  const digests = new Set<string>();
  tokens.forEach((t, i) => {
    if (names.has(t.name)) throw new TokenFileError(`${path}: tokens[${i}].name: ${JSON.stringify(t.name)} is used twice`);
    if (digests.has(t.sha256)) throw new TokenFileError(`${path}: tokens[${i}].sha256: the same token is listed twice`);
    names.add(t.name);
    digests.add(t.sha256);
    const unknown = opts.knownZones && t.classes.find((c) => c !== '*' && !opts.knownZones!.has(c));
    if (unknown) throw new TokenFileError(`${path}: tokens[${i}].classes: ${JSON.stringify(unknown)} is not a configured class (nor general)`);
  });
  return TokenTable.of(tokens);
}
