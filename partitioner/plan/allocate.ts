// Splitting one resource of the host among the classes, highest priority first.
//
// Both algorithms reserve the floors of the classes not yet served, so a floor always
// holds. They differ when capacity runs out:
//   - seed: stops at the first class that does not fit; it and every class after it
//     get only their floor, and everything else becomes the general zone;
//   - proportional: the classes from that one on share what is left in proportion to
//     their demand, never below a floor (water-filling), and general gets nothing.
import type { PartitionAlgorithm } from './types.js';

const EPS = 1e-9;

/**
 * Allocates `capacity` to classes with the given demands and floors (same order, highest
 * priority first). Precondition: sum(floors) <= capacity and floors[i] <= demands[i].
 * Returns the allocations; the general zone is capacity - sum(result).
 */
export function allocate(
  demands: readonly number[],
  floors: readonly number[],
  capacity: number,
  algorithm: PartitionAlgorithm,
): number[] {
  const n = demands.length;
  const alloc = new Array<number>(n).fill(0);
  // floorsAfter[i] = sum of floors of classes i+1..n-1 (kept for them while serving i)
  const floorsAfter = new Array<number>(n).fill(0);
  for (let i = n - 2; i >= 0; i--) floorsAfter[i] = floorsAfter[i + 1] + floors[i + 1];
  let remaining = capacity;
  for (let i = 0; i < n; i++) {
    const available = remaining - floorsAfter[i];
    if (demands[i] <= available + EPS) {
      alloc[i] = demands[i];
      remaining -= demands[i];
      continue;
    }
    // Capacity runs out at class i.
    if (algorithm === 'seed') {
      for (let j = i; j < n; j++) alloc[j] = floors[j];
    } else {
      const shares = waterFill(demands.slice(i), floors.slice(i), Math.max(0, remaining));
      for (let j = i; j < n; j++) alloc[j] = shares[j - i];
    }
    break;
  }
  return alloc;
}

/**
 * Shares `total` among classes in proportion to demand, each at least its floor:
 * alloc_j = max(floor_j, λ·demand_j) with λ chosen so the allocations add up to total.
 * Requires sum(floor) <= total < sum(demand).
 */
export function waterFill(demands: readonly number[], floors: readonly number[], total: number): number[] {
  const n = demands.length;
  const pinned = new Array<boolean>(n).fill(false);
  let lambda = 0;
  // Each pass pins the classes whose proportional share falls below their floor; at
  // most n passes, and n is the number of classes (a handful).
  for (let pass = 0; pass <= n; pass++) {
    let pinnedFloors = 0;
    let freeDemand = 0;
    for (let j = 0; j < n; j++) {
      if (pinned[j]) pinnedFloors += floors[j];
      else freeDemand += demands[j];
    }
    lambda = freeDemand > 0 ? Math.max(0, total - pinnedFloors) / freeDemand : 0;
    let changed = false;
    for (let j = 0; j < n; j++) {
      if (!pinned[j] && lambda * demands[j] < floors[j] - EPS) {
        pinned[j] = true;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return demands.map((d, j) => (pinned[j] ? floors[j] : Math.max(floors[j], lambda * d)));
}
