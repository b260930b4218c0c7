// Who may do what on the API: every request gets a Caller (its principal and, on the
// Unix socket, the kernel's credentials) before anything else runs, and every route
// names the least role it needs (route config `role`; read when it names none).
// Credentials: the kernel's word on the Unix socket (api.peers), a bearer token from
// the tokens file on TCP. A reload swaps both at once for the next request.
import type { Socket } from 'node:net';
import type { Config } from '../../core/config/schema.js';
import { GENERAL_ZONE } from '../../core/config/load.js';
import { peerCredentials, type PeerCredentials } from './peer-credentials.js';
import { PeerRoles } from './peers.js';
import type { Principal, Role } from './principal.js';
import { loadTokenTable, type TokenTable } from './tokens-file.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** the least role a route needs (default read) */
    role?: Role;
  }
  interface FastifyRequest {
    /** who sent it: set by the server's first hook, before any route runs */
    caller: Caller;
  }
}

export interface Caller {
  principal: Principal;
  /** the host's administrator (root or the daemon's own user on the Unix socket) */
  admin: boolean;
  /** the peer's credentials on the Unix socket; null over TCP */
  peer: PeerCredentials | null;
}

export type Identified = { kind: 'caller'; caller: Caller } | { kind: 'unauthenticated' } | { kind: 'no-role'; who: string };

/** The zones a grant may name: the configured classes and general. */
export const knownZones = (config: Config): ReadonlySet<string> => new Set([...config.classes.map((c) => c.name), GENERAL_ZONE]);

/**
 * The credentials a configuration names, loaded and checked: api.peers resolved, the
 * tokens file read. Throws (PeerRuleError, TokenFileError) on any problem, so config
 * validation and reload can refuse a configuration before it takes effect.
 */
export function loadCredentials(config: Config): { peers: PeerRoles; tokens: TokenTable | null } {
  const zones = knownZones(config);
  return { peers: PeerRoles.fromConfig(config, zones), tokens: config.api.tokenFile === undefined ? null : loadTokenTable(config.api.tokenFile, { knownZones: zones }) };
}

export class AccessControl {
  // a Unix peer's credentials cannot change for a connection's life: read once
  private readonly peerCache = new WeakMap<Socket, { generation: number; identified: Identified }>();
  private generation = 0;

  constructor(
    private peers: PeerRoles,
    private tokens: TokenTable | null,
  ) {}

  /** A reload: the next request is judged by these (connections open now too). */
  replace(credentials: { peers: PeerRoles; tokens: TokenTable | null }): void {
    this.peers = credentials.peers;
    this.tokens = credentials.tokens;
    this.generation++;
  }

  /** Who sent a request on `socket` (tcp: accepted by the TCP listener). */
  identify(socket: Socket, tcp: boolean, authorization: string | undefined): Identified {
    if (tcp) {
      const principal = this.tokens?.principalOf(authorization) ?? null;
      return principal ? { kind: 'caller', caller: { principal, admin: false, peer: null } } : { kind: 'unauthenticated' };
    }
    const hit = this.peerCache.get(socket);
    if (hit && hit.generation === this.generation) return hit.identified;
    const peer = peerCredentials(socket);
    const principal = this.peers.principalOf(peer);
    const identified: Identified = principal
      ? { kind: 'caller', caller: { principal, admin: principal.hostAdmin, peer } }
      : { kind: 'no-role', who: peer ? `uid ${peer.uid}` : 'a caller the kernel cannot name' };
    this.peerCache.set(socket, { generation: this.generation, identified });
    return identified;
  }
}
