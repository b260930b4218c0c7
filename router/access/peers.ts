// Roles of local callers on the Unix socket: the kernel says who the peer is
// (SO_PEERCRED: uid, gid and supplementary groups at connect time), config api.peers
// says what that user or group may do. The first matching rule decides; root and the
// daemon's own user are the host's administrators; anyone else who could connect
// (api.socketMode let them) gets api.socketRole.
import { readFileSync } from 'node:fs';
import type { Config } from '../../core/config/schema.js';
import type { PeerCredentials } from './peer-credentials.js';
import { HOST_ADMIN, scopeOf, type Principal, type Role, type Scope } from './principal.js';

export class PeerRuleError extends Error {
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(message);
    this.name = 'PeerRuleError';
  }
}

/** The id of a name in /etc/passwd or /etc/group (a number is taken as the id itself); null when unknown. */
export function idOf(file: '/etc/passwd' | '/etc/group', name: string): number | null {
  if (/^\d+$/.test(name)) return Number(name);
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && /^\d+$/.test(f[2] ?? '')) return Number(f[2]);
  }
  return null;
}

interface PeerRule {
  uid?: number;
  gid?: number;
  role: Role;
  tenants: Scope;
  classes: Scope;
}

export class PeerRoles {
  private constructor(
    private readonly rules: readonly PeerRule[],
    private readonly fallback: Role | null,
    private readonly daemonUid: number | undefined,
  ) {}

  /**
   * Resolves api.peers (user and group names through /etc/passwd and /etc/group).
   * Throws PeerRuleError naming the rule for an unknown name, a rule naming both or
   * neither, or a class that is not configured.
   */
  static fromConfig(config: Config, knownZones: ReadonlySet<string>, daemonUid: number | undefined = process.getuid?.()): PeerRoles {
    const rules = config.api.peers.map((r, i): PeerRule => {
      const key = `api.peers[${i}]`;
      if ((r.user === undefined) === (r.group === undefined)) throw new PeerRuleError(`${key}: expected either user or group (one of them)`, key);
      const unknown = r.classes.find((c) => c !== '*' && !knownZones.has(c));
      if (unknown) throw new PeerRuleError(`${key}.classes: ${JSON.stringify(unknown)} is not a configured class (nor general)`, `${key}.classes`);
      const base = { role: r.role, tenants: scopeOf(r.tenants), classes: scopeOf(r.classes) };
      if (r.user !== undefined) {
        const uid = idOf('/etc/passwd', r.user);
        if (uid === null) throw new PeerRuleError(`${key}.user: no user named ${JSON.stringify(r.user)} in /etc/passwd`, `${key}.user`);
        return { ...base, uid };
      }
      const gid = idOf('/etc/group', r.group!);
      if (gid === null) throw new PeerRuleError(`${key}.group: no group named ${JSON.stringify(r.group)} in /etc/group`, `${key}.group`);
      return { ...base, gid };
    });
    return new PeerRoles(rules, config.api.socketRole === 'none' ? null : config.api.socketRole, daemonUid);
  }

  /** The principal of a Unix socket peer; null: it may not use the API at all. */
  principalOf(peer: PeerCredentials | null): Principal | null {
    if (peer === null) return null; // the kernel could not say who it is: no role
    if (peer.uid === 0) return HOST_ADMIN('root');
    if (peer.uid === this.daemonUid) return HOST_ADMIN(`uid:${peer.uid}`);
    const name = `uid:${peer.uid}`;
    for (const r of this.rules) {
      const matches = r.uid !== undefined ? r.uid === peer.uid : r.gid === peer.gid || (peer.groups ?? []).includes(r.gid!);
      if (matches) return { name, role: r.role, tenants: r.tenants, classes: r.classes, hostAdmin: false };
    }
    return this.fallback === null ? null : { name, role: this.fallback, tenants: '*', classes: '*', hostAdmin: false };
  }
}
