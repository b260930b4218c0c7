// Placeholder (refined below)
import type { Horizon } from '../../daemon/model/types.js';
export interface SelectionCandidate { name: string; valLoss: number }
export function selectModel(c: readonly SelectionCandidate[], _h: Horizon): string {
  let best = c[0];
  for (const x of c) if (x.valLoss < best.valLoss) best = x;
  return best.name;
}
