// The app profiles the router would hold when the simulation starts. Each request replays
// one trace source (a trace VM a whole number of weeks away), and asks as tenant
// "simulator" with the source's name as its app: the same app a provisioning script asks
// for again. What the daemon's store would know of that app is the source's use over the
// router.appHistoryDays before the start, in simulated time (the same convention as the
// class history, history.ts) — never anything the VM will replay. VMs the simulation runs
// do not add to it (the daemon's would: this is the conservative side).
import { addSample, appKey, appProfileOf, emptyHistogram, type AppProfile } from '../router/index.js';
import type { Scenario } from './scenario.js';
import type { VmSpec, Workload } from './stream.js';
import { DAY_STEPS, type TracePool } from './trace-pool.js';

/** The tenant every simulated request asks as. */
export const SIMULATOR_TENANT = 'simulator';

export const appOf = (spec: Pick<VmSpec, 'sourceName'>): string => appKey(SIMULATOR_TENANT, spec.sourceName);

/** Profiles of the requests' apps, keyed as the router keys them (appKey). Empty when app history is off. */
export function appProfilesAtStart(pool: TracePool, w: Workload, s: Scenario): Map<string, AppProfile> {
  const { appHistoryDays, appMinSamples, useRatioQuantile } = s.config.router;
  const out = new Map<string, AppProfile>();
  if (appHistoryDays <= 0) return out;
  const steps = Math.round(appHistoryDays * DAY_STEPS);
  for (const spec of w.requests) {
    const key = appOf(spec);
    if (out.has(key)) continue;
    const vm = pool.vms[spec.source.vm];
    const end = w.startIndex + spec.source.shift;
    const h = emptyHistogram();
    for (let j = Math.max(0, end - steps); j < end; j++) {
      const cores = vm.cores[j];
      const mem = vm.memoryProvisionedMiB[j];
      addSample(h, cores > 0 ? vm.cpu[j] / cores : NaN, mem > 0 ? vm.memory[j] / mem : NaN);
    }
    const p = appProfileOf(h, useRatioQuantile, appMinSamples);
    if (p) out.set(key, p);
  }
  return out;
}
