// ratio: OpenStack Nova-style allocation ratios on provisioned sizes, no zones. The whole
// host is one pool; a request is admitted while the provisioned vCPUs of every VM running
// plus the new one stay within cpuRatio x the host's cores, and their provisioned memory
// within ramRatio x the host's memory (both after the host reserve, as Nova's placement
// takes (total - reserved) x allocation_ratio); otherwise it is rejected. Measured use
// plays no part in the decision: what the VMs then get, and so the SLO violations, comes
// from the same world model as every other policy. Nothing is ever re-sized.
import type { Config } from '../../core/config/schema.js';
import { capacityOf, type Resources } from '../../partitioner/index.js';
import type { RequestOutcome } from '../placement.js';
import type { Scenario } from '../scenario.js';
import type { PolicySetup, ZonePolicy } from './policy.js';

/** Rounding slack: a sum that lands exactly on the limit is within it. */
const EPSILON = 1e-9;

/** The most provisioned vCPUs (cpuCores) and memory the ratios allow on the host. */
export function ratioLimits(s: Pick<Scenario, 'cpus' | 'memoryGiB' | 'cpuRatio' | 'ramRatio'>, config: Pick<Config, 'host'>): Resources {
  // the host's own cores and memory after the reserve; the ratio is the overcommit, not config host.cpuOvercommit
  const host = capacityOf({ cpus: s.cpus, memoryKiB: s.memoryGiB * 1024 * 1024 }, { host: { ...config.host, cpuOvercommit: 1 } });
  return { cpuCores: host.cpuCores * s.cpuRatio, memoryMiB: host.memoryMiB * s.ramRatio };
}

/** Nova's rule: admitted iff committed + request stays within the limit on both resources. */
export function ratioAdmits(committed: Resources, request: Resources, limit: Resources): boolean {
  return committed.cpuCores + request.cpuCores <= limit.cpuCores + EPSILON && committed.memoryMiB + request.memoryMiB <= limit.memoryMiB + EPSILON;
}

export function ratioPolicy(setup: PolicySetup): ZonePolicy {
  const limit = ratioLimits(setup.scenario, setup.config);
  return {
    name: 'ratio',
    zoned: false,
    autoscales: false,
    start: () => {},
    membersChanged: () => {},
    beforeStep: () => {},
    decide({ host }, spec): RequestOutcome {
      const committed: Resources = { cpuCores: 0, memoryMiB: 0 };
      for (const v of host.vms) {
        committed.cpuCores += v.spec.vcpus;
        committed.memoryMiB += v.spec.memoryMiB;
      }
      return { admitted: ratioAdmits(committed, { cpuCores: spec.vcpus, memoryMiB: spec.memoryMiB }, limit), overflow: false };
    },
  };
}
