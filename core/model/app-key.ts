// The key of a tenant's app in the store's app samples and the router's app profiles:
// apps of different tenants are different apps.
export const appKey = (tenant: string, app: string): string => `${tenant}\u0000${app}`;
