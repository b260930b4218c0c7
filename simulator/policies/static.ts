// static: every zone is exactly its members' provisioned sizes, re-fixed whenever a VM
// arrives or leaves (shared out by partition() when they do not fit the host); admission
// by provisioned room only, never an overflow grant; no forecast, no auto-scaler.
import { GENERAL_ZONE_NAME } from '../../core/model/types.js';
import { partition, type Resources } from '../../partitioner/index.js';
import { placementConfigOf } from '../../router/index.js';
import { ZERO } from '../host.js';
import { placeInZones, type ZonedPlacement } from '../placement.js';
import type { PolicyContext, PolicySetup, ZonePolicy } from './policy.js';

export function staticPolicy(setup: PolicySetup): ZonePolicy {
  const { config, classes } = setup;
  // zones sized by provisioned size admit by provisioned size, and never over-commit
  const placement: ZonedPlacement = {
    config: { ...placementConfigOf(config), admission: 'provisioned' },
    useRatioQuantile: config.router.useRatioQuantile,
    overflow: null,
    appProfiles: new Map(),
    predictions: [],
  };
  const fixZones = ({ host }: PolicyContext): void => {
    const fallback: Record<string, Resources> = {};
    for (const c of classes) fallback[c] = ZERO();
    for (const v of host.vms) {
      const z = host.zones[v.zone];
      if (z === GENERAL_ZONE_NAME) continue;
      fallback[z].cpuCores += v.maxVcpus;
      fallback[z].memoryMiB += v.maxMemoryMiB;
    }
    host.plan = partition([], host.capacity, config, { fallback });
    host.setAllocations(Object.fromEntries(host.plan.zones.map((z) => [z.name, z.allocation])));
  };
  return {
    name: 'static',
    zoned: true,
    autoscales: false,
    start: fixZones,
    membersChanged: fixZones,
    beforeStep: () => {},
    decide: ({ host }, spec) => placeInZones(host, spec, placement),
  };
}
