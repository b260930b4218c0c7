// Virtual time: the step loop over one workload. Each 5-minute trace step is cut into
// the auto-scaler's ticks (config autoscaler.intervalSeconds, 30 s by default: 10 ticks a
// step). Per step:
//   1. VMs whose lifetime is over leave;
//   2. the policy refreshes forecasts and re-partitions when due;
//   3. per tick: the requests arriving in it are decided by the policy, the world gives
//      every VM what it gets, and the auto-scaler (when the policy runs it) moves
//      allocations and resizes VMs;
//   4. the step's metrics, the class history the forecaster reads, and the timeline.
import type { Config } from '../core/config/schema.js';
import type { Resources } from '../partitioner/index.js';
import type { SimulatedAutoscaler } from './autoscale.js';
import { recordClassUse, type ClassHistory } from './history.js';
import { HOST_POOL, ZERO, type SimulatedHost } from './host.js';
import type { HourlyTimeline, ZoneStep } from './hourly.js';
import type { MetricsRecorder } from './metrics.js';
import type { PolicyContext, ZonePolicy } from './policies/index.js';
import type { Workload } from './stream.js';
import { STEP_SECONDS } from './trace-pool.js';

export interface StepRun {
  config: Config;
  classes: readonly string[];
  host: SimulatedHost;
  policy: ZonePolicy;
  /** present when the policy runs the auto-scaler */
  autoscaler?: SimulatedAutoscaler;
  workload: Workload;
  /** unix seconds of step 0 */
  startUnix: number;
  /** auto-scaler ticks per step */
  substeps: number;
  metrics: MetricsRecorder;
  /** the engine appends each class's measured use to it */
  history: ClassHistory;
  timeline?: HourlyTimeline;
  onStep?: (tick: number, ticks: number) => void;
}

export function runSteps(run: StepRun): void {
  const { config, classes, host, policy, workload: w, substeps, metrics, timeline } = run;
  const tickSeconds = STEP_SECONDS / substeps;
  const ctx: PolicyContext = { host, countZoneResizes: (n) => (metrics.zoneResizes += n) };
  const requests = w.requests;
  let next = 0;
  const allocSum = host.zones.map(() => ZERO());

  // the zones' sizes before the first step, for the VMs on the host at the start
  policy.start(ctx);
  for (let tick = 0; tick < w.ticks; tick++) {
    // 1. departures
    if (host.removeEnded(tick)) policy.membersChanged(ctx);
    host.beginStep(tick);
    // 2. forecasts and re-partition
    policy.beforeStep(ctx, tick);
    for (const a of allocSum) {
      a.cpuCores = 0;
      a.memoryMiB = 0;
    }
    // 3. the auto-scaler's ticks
    for (let sub = 0; sub < substeps; sub++) {
      const tickEnd = tick * STEP_SECONDS + (sub + 1) * tickSeconds;
      while (next < requests.length && requests[next].at < tickEnd) {
        const spec = requests[next++];
        const { admitted, overflow } = policy.decide(ctx, spec);
        const cls = host.classOf(spec);
        metrics.request(cls, admitted, overflow);
        timeline?.request(policy.zoned ? cls : HOST_POOL, admitted);
        if (admitted && spec.endTick > tick) {
          host.addVm(spec, tick);
          policy.membersChanged(ctx);
        }
      }
      host.runTick(config.zones.cpuLimit);
      // the zone monitor observes the domains every auto-scaler tick (whether or not the
      // auto-scaler may act): what was placed before now is seen, its reservation fulfilled
      host.reservations.fulfilAll();
      host.alloc.forEach((a, i) => {
        allocSum[i].cpuCores += a.cpuCores;
        allocSum[i].memoryMiB += a.memoryMiB;
      });
      if (run.autoscaler) {
        const done = run.autoscaler.tick(host, run.startUnix + tickEnd);
        metrics.zoneResizes += done.zoneResizes;
        metrics.vmResizeSteps += done.vmResizeSteps;
      }
    }
    // 4. the step's metrics
    recordStep(run, tick, tickSeconds, allocSum);
    timeline?.endStep(tick, tick === w.ticks - 1);
    run.onStep?.(tick + 1, w.ticks);
  }
}

/** The step's metrics, class history and hourly sums: a VM that arrived during the step is judged on the ticks it was there. */
function recordStep(run: StepRun, tick: number, tickSeconds: number, allocSum: readonly Resources[]): void {
  const { classes, host, substeps, metrics, timeline } = run;
  const zoneUse: ZoneStep[] = host.zones.map(() => ({ demand: ZERO(), used: ZERO(), vms: 0 }));
  const classUse = new Map<string, Resources>(classes.map((c) => [c, ZERO()]));
  // the host's use over the step: each VM's total over the ticks, over every tick of the step
  const hostUse = ZERO();
  for (const v of host.vms) {
    hostUse.cpuCores += v.gotCpu / substeps;
    hostUse.memoryMiB += v.gotMemory / substeps;
    const arrivedSub = v.spec.at > tick * STEP_SECONDS && v.spec.at < (tick + 1) * STEP_SECONDS ? Math.floor((v.spec.at - tick * STEP_SECONDS) / tickSeconds) : 0;
    const ticksHere = substeps - arrivedSub;
    const got = { cpuCores: v.gotCpu / ticksHere, memoryMiB: v.gotMemory / ticksHere };
    metrics.vmStep(v.cls, { cpuCores: v.demandCpu, memoryMiB: v.demandMemory }, got, !v.initial);
    host.recordDay(v, tick, got.memoryMiB);
    const zu = zoneUse[v.zone];
    zu.demand.cpuCores += v.demandCpu;
    zu.demand.memoryMiB += v.demandMemory;
    zu.used.cpuCores += got.cpuCores;
    zu.used.memoryMiB += got.memoryMiB;
    zu.vms++;
    const cu = classUse.get(v.cls);
    if (cu) {
      cu.cpuCores += got.cpuCores;
      cu.memoryMiB += got.memoryMiB;
    }
  }
  metrics.hostStep(hostUse, host.capacity);
  host.zones.forEach((z, i) => {
    const meanAlloc = { cpuCores: allocSum[i].cpuCores / substeps, memoryMiB: allocSum[i].memoryMiB / substeps };
    if (zoneUse[i].vms > 0) metrics.zoneStep(meanAlloc, zoneUse[i].used);
    timeline?.zoneStep(z, zoneUse[i], meanAlloc);
  });
  for (const [cls, u] of classUse) recordClassUse(run.history, cls, tick, u.cpuCores, u.memoryMiB);
}
