// Who a caller is to the API, once its credential was checked: a role (the way libvirt
// splits libvirt-sock-ro from libvirt-sock, plus an administrator above both) and, for
// placements, the tenants it may act for and the zones it may ask for.

export type Role = 'read' | 'provision' | 'admin';

/** Each role may do what the roles below it may. */
const RANK: Record<Role, number> = { read: 0, provision: 1, admin: 2 };

export const ROLES: readonly Role[] = ['read', 'provision', 'admin'];

export type Scope = '*' | ReadonlySet<string>;

export interface Principal {
  /** how logs, audit records and the rate limit name it: token:NAME, uid:N, root */
  name: string;
  role: Role;
  /** tenants it may place for */
  tenants: Scope;
  /** zones (classes, or general) it may ask for */
  classes: Scope;
  /** root or the daemon's own user on the Unix socket: the host's administrator */
  hostAdmin: boolean;
}

export const mayDo = (principal: Principal, needed: Role): boolean => RANK[principal.role] >= RANK[needed];

const inScope = (scope: Scope, name: string) => scope === '*' || scope.has(name);

/** Whether it may place for, release or confirm a reservation of `tenant` (an admin may for any). */
export const mayActFor = (principal: Principal, tenant: string): boolean => principal.role === 'admin' || inScope(principal.tenants, tenant);

/** Whether it may ask for room in `zone` (an admin may in any). */
export const mayAskFor = (principal: Principal, zone: string): boolean => principal.role === 'admin' || inScope(principal.classes, zone);

/** A scope from a config list: ["*"] (or any list holding "*") is every name. */
export const scopeOf = (names: readonly string[]): Scope => (names.includes('*') ? '*' : new Set(names));

/** The host's administrator: every role, every tenant and zone. */
export const HOST_ADMIN = (name: string): Principal => ({ name, role: 'admin', tenants: '*', classes: '*', hostAdmin: true });
