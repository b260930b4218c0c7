// The allocation each zone of a plan gets, by zone name: what the auto-scaler starts
// from and moves, and what the partitions' limits are computed from.
import type { Plan, Resources } from './types.js';

/** A copy: moving an allocation never writes into the plan. */
export function allocationsOf(plan: Pick<Plan, 'zones'>): Record<string, Resources> {
  return Object.fromEntries(plan.zones.map((z) => [z.name, { ...z.allocation }]));
}
