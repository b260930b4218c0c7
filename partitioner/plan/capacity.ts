// What the zones may share: the host's CPUs and memory minus what the host keeps for
// itself, with CPU optionally overcommitted (memory never is: a guest whose memory is
// not there gets swapped or killed, a guest whose CPU is not there only waits).
import type { Config } from '../../core/config/schema.js';
import type { NodeInfo } from '../../core/host/types.js';
import { FloorsExceedCapacityError, RESOURCES, type Resources } from './types.js';

export function capacityOf(node: Pick<NodeInfo, 'cpus' | 'memoryKiB'>, config: Pick<Config, 'host'>): Resources {
  const { reserve, cpuOvercommit } = config.host;
  return {
    cpuCores: Math.max(0, node.cpus - reserve.cpuCores) * cpuOvercommit,
    memoryMiB: Math.max(0, Math.floor(node.memoryKiB / 1024) - reserve.memoryMiB),
  };
}

export function floorsOf(config: Pick<Config, 'classes'>): Resources {
  return {
    cpuCores: config.classes.reduce((s, c) => s + c.floor.cpuCores, 0),
    memoryMiB: config.classes.reduce((s, c) => s + c.floor.memoryMiB, 0),
  };
}

/**
 * The load-time check: the floors alone must fit the capacity, else no plan can keep
 * them. Throws FloorsExceedCapacityError naming the resource.
 */
export function checkFloors(capacity: Resources, config: Pick<Config, 'classes'>): void {
  const floors = floorsOf(config);
  for (const r of RESOURCES) {
    if (floors[r] > capacity[r] + 1e-9) throw new FloorsExceedCapacityError(r, floors[r], capacity[r]);
  }
}
