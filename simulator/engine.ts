// The replay engine: one policy over one workload, in virtual time. Each 5-minute trace
// step is cut into the auto-scaler's ticks (config autoscaler.intervalSeconds, 30 s by
// default: 10 ticks a step). Per step:
//   1. VMs whose lifetime is over leave;
//   2. zone policies re-partition when due (partition() from the predictions);
//   3. per tick: the requests arriving in it are decided (router mapping + admission,
//      then the overflow manager when nothing has room), the world (world.ts) gives
//      every VM what it gets, and the auto-scaler (decide()) moves allocations and
//      resizes VMs, one bounded step per VM per tick as the executor does;
//   4. the step's metrics, the class history the forecaster reads, and the timeline.
// Everything that decides is the daemon's own code; only the hypervisor is replaced.
import type { Config } from '../core/config/schema.js';
import { GENERAL_ZONE_NAME, HORIZON_STEPS, type Horizon, type LoadPrediction } from '../core/model/types.js';
import {
  capacityOf,
  decide,
  emptyMemory,
  memoryMinimum,
  partition,
  planSteps,
  type DomainSnapshot,
  type Resources,
  type ScalerMemory,
  type ScalerZone,
  type VmTarget,
  type VmView,
} from '../partitioner/index.js';
import { admit, candidateZones, overflowView, zoneCapacityOf, type ZoneCapacity } from '../router/placement/admission.js';
import { buildZoneStates, type LatestUse, type ZoneMember } from '../partitioner/zones/state.js';
import type { Plan } from '../partitioner/plan/types.js';
import { mapToZone } from '../router/placement/mapping.js';
import { overflowPolicy, probabilisticPolicy, type OverflowPolicy } from '../router/overflow/policy.js';
import { appOf } from './app-history.js';
import type { AppProfile } from '../router/placement/app-profile.js';
import { classSeries, cloneHistory, recordClassUse, type ClassHistory } from './history.js';
import type { ClassForecaster } from './forecast.js';
import { MetricsRecorder, type PolicyMetrics } from './metrics.js';
import { streamRng } from './random.js';
import { substepsOf, type PolicyName, type Scenario } from './scenario.js';
import { useAt, type VmSpec, type Workload } from './stream.js';
import { DAY_STEPS, STEP_SECONDS, type TracePool } from './trace-pool.js';
import { deliver, type Delivered, type WorldVm } from './world.js';

/** The zone the reactive policy runs everything in: the whole host, no partitions. */
export const HOST_POOL = 'host';
/** Days of history a forecast refresh reads (the daemon's refreshDays default). */
const REFRESH_DAYS = 8;
/** A zone allocation change smaller than this is not a resize (the auto-scaler's own minimum). */
const MIN_ZONE_CPU_CHANGE = 0.05;

export interface EngineInput {
  policy: PolicyName;
  scenario: Scenario;
  pool: TracePool;
  workload: Workload;
  /** the class history (history.ts); the engine appends the measured use to it */
  history: ClassHistory;
  /** the router's app profiles at the start (app-history.ts); absent or empty: class ratios only */
  appProfiles?: ReadonlyMap<string, AppProfile>;
  /** the trained forecaster (predictive only) */
  forecaster?: ClassForecaster;
  /** record an hourly timeline (for --plot) */
  timeline?: boolean;
  onStep?: (tick: number, ticks: number) => void;
}

export interface ZonePoint {
  /** mean over the hour: what members demanded, what the zone had, what they got */
  demand: Resources;
  allocation: Resources;
  used: Resources;
  vms: number;
  requests: number;
  rejected: number;
}

export interface TimelineHour {
  /** hours since the simulation start */
  hour: number;
  zones: Record<string, ZonePoint>;
}

export interface PolicyRun extends PolicyMetrics {
  policy: PolicyName;
  /** wall time of this run (the predictive one includes training, when it trained) */
  seconds: number;
  zones: string[];
  timeline?: TimelineHour[];
}

interface Vm {
  spec: VmSpec;
  /** class the request asked for (metrics) */
  cls: string;
  /** zone it runs in (the class; the host pool for reactive) */
  zone: number;
  vcpus: number;
  memoryMiB: number;
  maxVcpus: number;
  maxMemoryMiB: number;
  demandCpu: number;
  demandMemory: number;
  usedCpu: number | null;
  usedMemory: number | null;
  gotCpu: number;
  gotMemory: number;
  /** memory it got in each of its last DAY_STEPS steps (a ring), for its day peak */
  memoryDay: Float64Array;
  /** the highest of memoryDay: what the daemon reads from its rollups as the VM's day peak; null before a day is seen */
  peakMemory: number | null;
  /** steps of memoryDay filled */
  memorySteps: number;
  /** world view, kept in step with the fields above */
  world: WorldVm;
}

const ZERO = (): Resources => ({ cpuCores: 0, memoryMiB: 0 });

/** The config a policy runs with: the oracle and static size zones exactly (no buffer). */
function configFor(policy: PolicyName, config: Config): Config {
  if (policy !== 'oracle' && policy !== 'static') return config;
  return { ...config, classes: config.classes.map((c) => ({ ...c, buffer: 0 })) };
}

export async function runPolicy(input: EngineInput): Promise<PolicyRun> {
  const started = performance.now();
  const { policy, scenario: s, pool, workload: w } = input;
  // this run's own copy: the engine appends what it measures, and runs must not share that
  const history = cloneHistory(input.history);
  const config = configFor(policy, s.config);
  const classes = config.classes.map((c) => c.name);
  const classZones = [...classes, GENERAL_ZONE_NAME];
  const zoned = policy !== 'reactive';
  const forecastDriven = policy === 'predictive' || policy === 'oracle';
  const zones = zoned ? classZones : [HOST_POOL];
  const zoneIndex = new Map(zones.map((z, i) => [z, i]));
  const rankOf = (zone: string) => {
    const i = classes.indexOf(zone);
    return i < 0 ? classes.length : i;
  };
  const capacity = capacityOf({ cpus: s.cpus, memoryKiB: s.memoryGiB * 1024 * 1024 }, config);
  const substeps = substepsOf(config);
  const tickSeconds = STEP_SECONDS / substeps;
  const startUnix = pool.start + w.startIndex * STEP_SECONDS;
  const repartitionTicks = Math.max(1, Math.round((s.repartitionHours * 3600) / STEP_SECONDS));
  const refreshTicks = Math.max(1, Math.round((config.forecast.refreshMinutes * 60) / STEP_SECONDS));
  const horizons: Horizon[] = [...new Set<Horizon>([config.partitioner.horizon, '30m'])];
  const overflowSettings = { threshold: config.overflow.threshold, exponent: config.overflow.exponent };
  const rng = streamRng(s.seed, 'overflow');
  // reactive is the probabilistic mechanism by definition; the zone policies use the configured one
  const overflow: OverflowPolicy = policy === 'reactive' ? probabilisticPolicy(overflowSettings, rng) : overflowPolicy(config.overflow.policy, overflowSettings, rng);
  if (policy === 'predictive' && !input.forecaster) throw new Error('predictive policy: no forecaster given');

  const metrics = new MetricsRecorder(classZones, classes.length);
  const vms: Vm[] = [];
  let alloc: Resources[] = zones.map(() => ZERO());
  if (!zoned) alloc = [{ ...capacity }];
  let exhausted: Record<string, boolean> = {};
  let scaler: ScalerMemory = emptyMemory();
  let predictions: LoadPrediction[] = [];
  /** the last partition() plan (zone names, ranks, forecast peaks) for the router's zone view */
  let plan: Pick<Plan, 'zones'> = { zones: [] };
  let tick = 0;

  const demandOf = (vm: Vm, t: number): void => {
    const u = useAt(pool, vm.spec, w.startIndex, t);
    vm.demandCpu = u.cpu;
    vm.demandMemory = u.memory;
    vm.world.demandCpu = vm.demandCpu;
    vm.world.demandMemory = vm.demandMemory;
  };

  const addVm = (spec: VmSpec): Vm => {
    const zone = zoned ? (zoneIndex.get(spec.zone) ?? zoneIndex.get(GENERAL_ZONE_NAME)!) : 0;
    const vm: Vm = {
      spec,
      cls: classZones.includes(spec.zone) ? spec.zone : GENERAL_ZONE_NAME,
      zone,
      vcpus: spec.vcpus,
      memoryMiB: spec.memoryMiB,
      maxVcpus: spec.vcpus,
      maxMemoryMiB: spec.memoryMiB,
      demandCpu: 0,
      demandMemory: 0,
      usedCpu: null,
      usedMemory: null,
      gotCpu: 0,
      gotMemory: 0,
      memoryDay: new Float64Array(DAY_STEPS),
      peakMemory: null,
      memorySteps: 0,
      world: { zone, vcpus: spec.vcpus, memoryMiB: spec.memoryMiB, demandCpu: 0, demandMemory: 0 },
    };
    demandOf(vm, tick);
    vms.push(vm);
    return vm;
  };

  const members = (z: number) => vms.filter((v) => v.zone === z);
  const sumOf = (list: readonly Vm[], f: (v: Vm) => number) => list.reduce((a, v) => a + f(v), 0);

  // --- zone sizing --------------------------------------------------------------------

  /** A VM's size and use as the daemon's inventory reports them (the plan's and the auto-scaler's view). */
  const sizeAndUse = (v: Vm) => ({
    name: v.spec.id,
    vcpus: v.vcpus,
    maxVcpus: v.maxVcpus,
    memoryMiB: v.memoryMiB,
    maxMemoryMiB: v.maxMemoryMiB,
    usedCpuCores: v.usedCpu,
    usedMemoryMiB: v.usedMemory,
    peakMemoryMiB: v.peakMemory,
  });

  const vmViews = (): VmView[] => vms.map((v) => ({ ...sizeAndUse(v), zone: zones[v.zone], managed: true, running: true }));

  const setAllocations = (next: Record<string, Resources>, count: boolean): void => {
    zones.forEach((z, i) => {
      const a = next[z] ?? ZERO();
      const changed =
        Math.abs(a.cpuCores - alloc[i].cpuCores) >= MIN_ZONE_CPU_CHANGE || Math.abs(a.memoryMiB - alloc[i].memoryMiB) >= Math.max(1, config.apply.minChangeMemoryMiB);
      if (count && changed) metrics.zoneResizes++;
      alloc[i] = { cpuCores: a.cpuCores, memoryMiB: a.memoryMiB };
    });
  };

  /** static: every zone is exactly its members' provisioned sizes (shared out when they do not fit). */
  const fixStaticZones = (): void => {
    const fallback: Record<string, Resources> = {};
    for (const c of classes) fallback[c] = ZERO();
    for (const v of vms) {
      const z = zones[v.zone];
      if (z === GENERAL_ZONE_NAME) continue;
      fallback[z].cpuCores += v.maxVcpus;
      fallback[z].memoryMiB += v.maxMemoryMiB;
    }
    plan = partition([], capacity, config, { fallback });
    setAllocations(Object.fromEntries(plan.zones.map((z) => [z.name, z.allocation])), false);
  };

  const forecastHorizon = (t: number): LoadPrediction[] => {
    if (policy === 'predictive') {
      const to = history.before + t; // steps up to t - 1 are known
      return input.forecaster!.predict(classSeries(history, to - REFRESH_DAYS * DAY_STEPS, to), { quantile: config.partitioner.quantile, horizons });
    }
    return oraclePredictions(t);
  };

  /** The true future: each class's current members' demand over each horizon. */
  const oraclePredictions = (t: number): LoadPrediction[] => {
    const out: LoadPrediction[] = [];
    for (const cls of classes) {
      const z = zoneIndex.get(cls)!;
      const list = members(z);
      for (const h of horizons) {
        const steps = HORIZON_STEPS[h];
        let peakCpu = 0;
        let peakMem = 0;
        let sumCpu = 0;
        let sumMem = 0;
        for (let j = t; j < t + steps; j++) {
          let c = 0;
          let m = 0;
          for (const v of list) {
            if (j >= v.spec.endTick) continue;
            const u = useAt(pool, v.spec, w.startIndex, j);
            c += u.cpu;
            m += u.memory;
          }
          peakCpu = Math.max(peakCpu, c);
          peakMem = Math.max(peakMem, m);
          sumCpu += c;
          sumMem += m;
        }
        const origin = startUnix + (t - 1) * STEP_SECONDS;
        const mk = (resource: 'cpu' | 'memory', peak: number, avg: number): LoadPrediction => ({
          series: `class:${cls}`,
          resource,
          horizon: h,
          origin,
          peakLoad: peak,
          averageLoad: avg,
          trend: 0,
          distribution: { '0.5': peak, '0.9': peak, '0.95': peak, '0.99': peak },
          model: 'oracle',
          confidence: 1,
        });
        out.push(mk('cpu', peakCpu, sumCpu / steps), mk('memory', peakMem, sumMem / steps));
      }
    }
    return out;
  };

  const repartition = (count: boolean): void => {
    plan = partition(predictions, capacity, config, { vms: vmViews() });
    setAllocations(Object.fromEntries(plan.zones.map((z) => [z.name, z.allocation])), count);
  };

  // --- admission ----------------------------------------------------------------------

  // the router's view, built as the daemon builds it (buildZoneStates: the plan, the
  // auto-scaler's allocations and exhausted flags, members and their latest use); the
  // allocations are shares of capacityOf(), whose CPU already includes the overcommit
  const zoneCapacities = (): ZoneCapacity[] => {
    const domains: ZoneMember[] = vms.map((v) => ({ name: v.spec.id, zone: zones[v.zone], running: true, vcpus: v.vcpus, memoryMiB: v.memoryMiB }));
    const usage = new Map<string, LatestUse>(vms.map((v) => [v.spec.id, { cpuCores: v.usedCpu, memoryMiB: v.usedMemory }]));
    const allocations = Object.fromEntries(zones.map((z, i) => [z, alloc[i]]));
    const states = buildZoneStates(plan, domains, usage, forecastDriven ? exhausted : {}, allocations, config.router.useRatioQuantile);
    return states.map((z) => zoneCapacityOf(z, rankOf(z.name), ZERO()));
  };

  /** Expected change of the class's load over 30 minutes (the router's expectedGrowth). */
  const expectedGrowth = (zone: string, used: Resources): Resources => {
    const find = (resource: 'cpu' | 'memory') => predictions.find((p) => p.series === `class:${zone}` && p.horizon === '30m' && p.resource === resource)?.averageLoad;
    const cpu = find('cpu');
    const mem = find('memory');
    return { cpuCores: cpu === undefined ? 0 : cpu - used.cpuCores, memoryMiB: mem === undefined ? 0 : mem - used.memoryMiB };
  };

  const decideRequest = (spec: VmSpec): { admitted: boolean; overflow: boolean } => {
    const request = { cpuCores: spec.vcpus, memoryMiB: spec.memoryMiB };
    const rank = rankOf(spec.zone);
    if (!zoned) {
      // reactive: no zones, no reservations by size — the overflow manager alone, on
      // what is not in use on the whole host right now
      const used = { cpuCores: sumOf(vms, (v) => v.usedCpu ?? 0), memoryMiB: sumOf(vms, (v) => v.usedMemory ?? 0) };
      const d = overflow.decide({
        zone: spec.zone,
        rank,
        classCount: classes.length,
        request,
        free: { cpuCores: Math.max(0, capacity.cpuCores - used.cpuCores), memoryMiB: Math.max(0, capacity.memoryMiB - used.memoryMiB) },
        total: { ...capacity },
        expectedGrowth: ZERO(),
        overflowInUse: ZERO(),
      });
      return { admitted: d.grant, overflow: d.grant };
    }
    const mapped = mapToZone({ tenant: 'simulator', app: 'simulator', priority: spec.zone }, classes, []);
    if (!mapped.ok) throw new Error(`request ${spec.id}: ${mapped.detail}`);
    const caps = zoneCapacities();
    const target = caps.find((z) => z.name === mapped.zone)!;
    // static sizes zones by provisioned size, so it admits by provisioned size too
    // a request of an app the router has a profile of is charged at it, as the daemon does
    const appRatio = policy !== 'static' && config.router.admission === 'expected' ? input.appProfiles?.get(appOf(spec)) : undefined;
    const a = admit(request, candidateZones(target, caps), policy === 'static' ? 'provisioned' : config.router.admission, appRatio);
    if (a.kind === 'fits') return { admitted: true, overflow: false };
    // static never over-commits: what does not fit by provisioned size is rejected
    if (policy === 'static') return { admitted: false, overflow: false };
    const d = overflow.decide({
      zone: mapped.zone,
      rank,
      classCount: classes.length,
      request,
      ...overflowView(a, caps, config.overflow.scope),
      expectedGrowth: expectedGrowth(mapped.zone, target.used),
      overflowInUse: ZERO(),
    });
    return { admitted: d.grant, overflow: d.grant };
  };

  // --- auto-scaler --------------------------------------------------------------------

  const scalerZones = (): ScalerZone[] =>
    zones.map((name, i) => {
      const cls = config.classes.find((c) => c.name === name);
      return {
        name,
        rank: rankOf(name),
        allocation: { ...alloc[i] },
        floor: cls ? { ...cls.floor } : ZERO(),
        vms: members(i).map((v) => ({ ...sizeAndUse(v), poolMember: false })),
      };
    });

  const autoscale = (now: number): void => {
    const d = decide(scalerZones(), scaler, config, now);
    scaler = d.memory;
    exhausted = d.exhausted;
    setAllocations(d.allocations, true);
    // VM resizes go through the executor's step rules: one bounded step per VM per tick
    const targets: VmTarget[] = [];
    const snaps = new Map<string, DomainSnapshot>();
    const byName = new Map(vms.map((v) => [v.spec.id, v]));
    for (const a of d.actions) {
      if (a.kind !== 'resize-vm') continue;
      const v = byName.get(a.vm);
      if (!v) continue;
      const floor = config.partitioner.vmMemoryFloorMiB;
      targets.push({
        vm: a.vm,
        zone: a.zone,
        vcpus: a.vcpus,
        memoryMiB: a.memoryMiB,
        minMemoryMiB: memoryMinimum(v.usedMemory, v.memoryMiB, floor, config.partitioner),
        usedMemoryMiB: v.usedMemory,
        memoryFloorMiB: floor,
        reason: a.reason,
      });
      snaps.set(a.vm, { name: a.vm, running: true, vcpus: v.vcpus, maxVcpus: v.maxVcpus, memoryMiB: v.memoryMiB, maxMemoryMiB: v.maxMemoryMiB, usedMemoryMiB: v.usedMemory, sched: null, memtune: null });
    }
    if (targets.length === 0) return;
    const { steps } = planSteps(targets, snaps, config, { maxStepsPerVm: 1 });
    for (const st of steps) {
      const v = byName.get(st.vm)!;
      // the host refuses what the domain cannot take (above its maximum)
      if (st.kind === 'vcpus' && st.to.vcpus <= v.maxVcpus && st.to.vcpus !== v.vcpus) {
        v.vcpus = st.to.vcpus;
        v.world.vcpus = v.vcpus;
        metrics.vmResizeSteps++;
      }
      if (st.kind === 'memory' && st.to.memoryMiB <= v.maxMemoryMiB && st.to.memoryMiB !== v.memoryMiB) {
        v.memoryMiB = st.to.memoryMiB;
        v.world.memoryMiB = v.memoryMiB;
        metrics.vmResizeSteps++;
      }
    }
  };

  // --- the run ------------------------------------------------------------------------

  for (const spec of w.initial) {
    // the daemon's store holds the initial VMs' day before the start (as history.ts has it)
    const v = addVm(spec);
    for (let j = 1; j <= DAY_STEPS; j++) v.memoryDay[(DAY_STEPS - j) % DAY_STEPS] = useAt(pool, spec, w.startIndex, -j).memory;
    v.memorySteps = DAY_STEPS;
    v.peakMemory = v.memoryDay.reduce((a, x) => (x > a ? x : a), 0);
  }
  if (policy === 'static') fixStaticZones();
  if (forecastDriven) {
    predictions = forecastHorizon(0);
    repartition(false);
  }

  const requests = w.requests;
  let next = 0;
  const timeline: TimelineHour[] = [];
  const hourAcc = new Map<string, ZonePoint>();
  const hourTicks = 3600 / STEP_SECONDS;
  const resetHour = () => {
    for (const z of zones) hourAcc.set(z, { demand: ZERO(), allocation: ZERO(), used: ZERO(), vms: 0, requests: 0, rejected: 0 });
  };
  resetHour();
  let delivered: Delivered = { cpu: new Float64Array(0), memory: new Float64Array(0) };
  const allocSum = zones.map(() => ZERO());

  for (tick = 0; tick < w.ticks; tick++) {
    // 1. departures
    const before = vms.length;
    for (let i = vms.length - 1; i >= 0; i--) if (vms[i].spec.endTick <= tick) vms.splice(i, 1);
    if (policy === 'static' && vms.length !== before) fixStaticZones();
    for (const v of vms) {
      demandOf(v, tick);
      v.gotCpu = 0;
      v.gotMemory = 0;
    }
    // 2. forecasts and re-partition
    if (forecastDriven && tick > 0) {
      if (tick % repartitionTicks === 0 || tick % refreshTicks === 0) predictions = forecastHorizon(tick);
      if (tick % repartitionTicks === 0) repartition(true);
    }
    for (const a of allocSum) {
      a.cpuCores = 0;
      a.memoryMiB = 0;
    }
    // 3. the auto-scaler's ticks
    for (let sub = 0; sub < substeps; sub++) {
      const tickEnd = tick * STEP_SECONDS + (sub + 1) * tickSeconds;
      while (next < requests.length && requests[next].at < tickEnd) {
        const spec = requests[next++];
        const { admitted, overflow: viaOverflow } = decideRequest(spec);
        const cls = classZones.includes(spec.zone) ? spec.zone : GENERAL_ZONE_NAME;
        metrics.request(cls, admitted, viaOverflow);
        const acc = hourAcc.get(zoned ? cls : HOST_POOL)!;
        acc.requests++;
        if (!admitted) acc.rejected++;
        if (admitted && spec.endTick > tick) {
          addVm(spec);
          if (policy === 'static') fixStaticZones();
        }
      }
      if (delivered.cpu.length < vms.length) delivered = { cpu: new Float64Array(vms.length * 2), memory: new Float64Array(vms.length * 2) };
      deliver(
        vms.map((v) => v.world),
        alloc.map((a) => a.cpuCores),
        capacity.memoryMiB,
        delivered,
        config.zones.cpuLimit,
      );
      vms.forEach((v, i) => {
        v.usedCpu = delivered.cpu[i];
        v.usedMemory = delivered.memory[i];
        v.gotCpu += delivered.cpu[i];
        v.gotMemory += delivered.memory[i];
      });
      alloc.forEach((a, i) => {
        allocSum[i].cpuCores += a.cpuCores;
        allocSum[i].memoryMiB += a.memoryMiB;
      });
      if (forecastDriven && config.autoscaler.enabled) autoscale(startUnix + tickEnd);
    }
    // 4. the step's metrics: a VM that arrived during the step is judged on the ticks it was there
    const zoneUse = zones.map(() => ({ demand: ZERO(), used: ZERO(), vms: 0 }));
    const classUse = new Map<string, Resources>(classes.map((c) => [c, ZERO()]));
    for (const v of vms) {
      const arrivedSub = v.spec.at > tick * STEP_SECONDS && v.spec.at < (tick + 1) * STEP_SECONDS ? Math.floor((v.spec.at - tick * STEP_SECONDS) / tickSeconds) : 0;
      const ticksHere = substeps - arrivedSub;
      const got = { cpuCores: v.gotCpu / ticksHere, memoryMiB: v.gotMemory / ticksHere };
      metrics.vmStep(v.cls, { cpuCores: v.demandCpu, memoryMiB: v.demandMemory }, got);
      v.memoryDay[tick % DAY_STEPS] = got.memoryMiB;
      v.memorySteps++;
      if (v.memorySteps >= DAY_STEPS) v.peakMemory = v.memoryDay.reduce((a, x) => (x > a ? x : a), 0);
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
    zones.forEach((z, i) => {
      const meanAlloc = { cpuCores: allocSum[i].cpuCores / substeps, memoryMiB: allocSum[i].memoryMiB / substeps };
      if (zoneUse[i].vms > 0) metrics.zoneStep(meanAlloc, zoneUse[i].used);
      const acc = hourAcc.get(z)!;
      acc.demand.cpuCores += zoneUse[i].demand.cpuCores / hourTicks;
      acc.demand.memoryMiB += zoneUse[i].demand.memoryMiB / hourTicks;
      acc.allocation.cpuCores += meanAlloc.cpuCores / hourTicks;
      acc.allocation.memoryMiB += meanAlloc.memoryMiB / hourTicks;
      acc.used.cpuCores += zoneUse[i].used.cpuCores / hourTicks;
      acc.used.memoryMiB += zoneUse[i].used.memoryMiB / hourTicks;
      acc.vms += zoneUse[i].vms / hourTicks;
    });
    for (const [cls, u] of classUse) recordClassUse(history, cls, tick, u.cpuCores, u.memoryMiB);
    if (input.timeline && ((tick + 1) % hourTicks === 0 || tick === w.ticks - 1)) {
      timeline.push({ hour: Math.floor(tick / hourTicks), zones: Object.fromEntries([...hourAcc].map(([z, p]) => [z, round(p)])) });
      resetHour();
    }
    input.onStep?.(tick + 1, w.ticks);
  }

  const m = metrics.result();
  return {
    policy,
    ...m,
    seconds: (performance.now() - started) / 1000,
    zones,
    ...(input.timeline ? { timeline } : {}),
  };
}

function round(p: ZonePoint): ZonePoint {
  const r = (x: number) => Math.round(x * 1000) / 1000;
  const rr = (x: Resources) => ({ cpuCores: r(x.cpuCores), memoryMiB: Math.round(x.memoryMiB) });
  return { demand: rr(p.demand), allocation: rr(p.allocation), used: rr(p.used), vms: r(p.vms), requests: p.requests, rejected: p.rejected };
}
