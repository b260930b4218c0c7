// Tenant quotas (config quotas): which quota a placement would exceed. Pure.
import type { Config } from '../../core/config/schema.js';

export interface Held {
  vcpus: number;
  memoryMiB: number;
  /** reservations in force */
  reservations: number;
}

export type TenantQuota = Config['quotas']['default'] & {};

export interface QuotaExceeded {
  quota: keyof Held;
  limit: number;
  held: number;
  asked: number;
}

/** The tenant's quota: its own entry over the default; undefined: unlimited. */
export function quotaOf(quotas: Config['quotas'], tenant: string): TenantQuota | undefined {
  const own = Object.hasOwn(quotas.tenants, tenant) ? quotas.tenants[tenant] : undefined;
  if (!own && !quotas.default) return undefined;
  return { ...quotas.default, ...own };
}

/** The first quota that holding `held` and adding `ask` would exceed; null when all hold. */
export function exceededQuota(quota: TenantQuota | undefined, held: Held, ask: { vcpus: number; memoryMiB: number }): QuotaExceeded | null {
  if (!quota) return null;
  const asked: Held = { reservations: 1, vcpus: ask.vcpus, memoryMiB: ask.memoryMiB };
  for (const k of ['reservations', 'vcpus', 'memoryMiB'] as const) {
    const limit = quota[k];
    if (limit !== undefined && held[k] + asked[k] > limit) return { quota: k, limit, held: held[k], asked: asked[k] };
  }
  return null;
}
