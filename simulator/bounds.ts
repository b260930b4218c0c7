// Reference admissions that no real policy can run, computed on the same workload, to
// tell how far the rejection goal is reachable at all:
//   - clairvoyant: knows every VM's whole future, the new one's included, and admits a
//     request iff the host's total demand stays within capacity over the request's life.
//     Nothing is ever short, so its SLO violation is 0; what it still rejects could not
//     have been admitted by anyone without overloading the host.
//   - known-present: knows the whole future of every VM already admitted — more than any
//     forecast of the running load can — but not the new VM's, which it charges at its
//     size x the pool's mean use/provisioned ratio (measured before the start, per
//     resource) over its life. This is the limit of every policy that, like virtzone's,
//     predicts the load of what runs and knows only the size of what is asked for.
//   - known-present+app: the same, but the new VM is charged at its app's profile (the
//     one the router charges it at, app-history.ts; full size when its app has none):
//     the limit of a policy that knows what runs and what its app used before.
// Both decide greedily in arrival order at the 5-minute step of the arrival, on one pool
// (no zones: zones can only take room away from a request). Once admitted, a VM adds its
// true demand. The SLO metric is the engine's: a step in which the host is over capacity
// shares it out in proportion to demand (as the world's work-conserving shares do).
import type { Config } from '../core/config/schema.js';
import { GENERAL_ZONE_NAME } from '../core/model/types.js';
import { capacityOf } from '../partitioner/index.js';
import type { AppProfile } from '../router/index.js';
import { appOf } from './app-history.js';
import { MetricsRecorder } from './metrics.js';
import type { Scenario } from './scenario.js';
import { useAt, type VmSpec, type Workload } from './stream.js';
import { STEP_SECONDS, type TracePool } from './trace-pool.js';

export type BoundName = 'clairvoyant' | 'known-present' | 'known-present+app';

/** History the mean use ratio is measured over: the 28 days before the start. */
export const HISTORY_STEPS = (28 * 86_400) / STEP_SECONDS;

export interface BoundRun {
  bound: BoundName;
  requests: number;
  rejected: number;
  rejectionRate: number;
  /** weighted as the engine weighs it (overflow priority weights) */
  sloViolation: number;
  /** 5-minute steps in which the admitted VMs together wanted more CPU or memory than the host has */
  overloadedSteps: number;
  /** known-present: the charge per resource, as a share of the request's size */
  chargeRatio?: { cpu: number; memory: number };
  /** known-present+app: requests whose app had a profile */
  appProfiled?: number;
  perClass: Record<string, { requests: number; rejected: number; rejectionRate: number; sloViolation: number }>;
}

/**
 * The pool's mean use/provisioned ratio per resource over `steps` 5-minute steps before
 * `index` (the history a daemon would have): sum of use / sum of provisioned size over
 * every trace VM and step.
 */
export function meanUseRatio(pool: TracePool, index: number, steps: number): { cpu: number; memory: number } {
  let useCpu = 0;
  let useMem = 0;
  let provCpu = 0;
  let provMem = 0;
  const from = Math.max(0, index - steps);
  for (const vm of pool.vms) {
    for (let j = from; j < index; j++) {
      const c = vm.cpu[j];
      const m = vm.memory[j];
      const pc = vm.cores[j];
      const pm = vm.memoryProvisionedMiB[j];
      if (!Number.isFinite(c) || !Number.isFinite(m) || !(pc > 0) || !(pm > 0)) continue;
      useCpu += Math.min(c, pc);
      useMem += Math.min(m, pm);
      provCpu += pc;
      provMem += pm;
    }
  }
  return { cpu: provCpu > 0 ? useCpu / provCpu : 1, memory: provMem > 0 ? useMem / provMem : 1 };
}

export function admissionBound(
  kind: BoundName,
  pool: TracePool,
  w: Workload,
  s: Scenario,
  opts: { ratio?: { cpu: number; memory: number }; appProfiles?: ReadonlyMap<string, AppProfile> } = {},
): BoundRun {
  const { ratio, appProfiles } = opts;
  const config: Config = s.config;
  const classes = config.classes.map((c) => c.name);
  const zones = [...classes, GENERAL_ZONE_NAME];
  const cap = capacityOf({ cpus: s.cpus, memoryKiB: s.memoryGiB * 1024 * 1024 }, config);
  const T = w.ticks;
  const cpu = new Float64Array(T);
  const mem = new Float64Array(T);
  const clsOf = (v: VmSpec) => (classes.includes(v.zone) ? v.zone : GENERAL_ZONE_NAME);
  const demand = (v: VmSpec, j: number): [number, number] => {
    const u = useAt(pool, v, w.startIndex, j);
    return [u.cpu, u.memory];
  };
  const admitted: Array<{ spec: VmSpec; from: number }> = [];
  const add = (v: VmSpec, from: number) => {
    for (let j = from; j < Math.min(T, v.endTick); j++) {
      const [c, m] = demand(v, j);
      cpu[j] += c;
      mem[j] += m;
    }
    admitted.push({ spec: v, from });
  };
  for (const v of w.initial) add(v, 0);

  const r = kind === 'known-present' ? (ratio ?? meanUseRatio(pool, w.startIndex, HISTORY_STEPS)) : undefined;
  const metrics = new MetricsRecorder(zones, classes.length);
  let appProfiled = 0;
  for (const req of w.requests) {
    const from = Math.min(T - 1, Math.floor(req.at / STEP_SECONDS));
    let ok = true;
    let charge = r;
    if (kind === 'known-present+app') {
      const p = appProfiles?.get(appOf(req));
      if (p) appProfiled++;
      charge = p ?? { cpu: 1, memory: 1 };
    }
    for (let j = from; j < Math.min(T, req.endTick); j++) {
      const [c, m] = charge ? [req.vcpus * charge.cpu, req.memoryMiB * charge.memory] : demand(req, j);
      if (cpu[j] + c > cap.cpuCores + 1e-9 || mem[j] + m > cap.memoryMiB + 1e-9) {
        ok = false;
        break;
      }
    }
    metrics.request(clsOf(req), ok, false);
    if (ok && req.endTick > from) add(req, from);
  }

  let overloadedSteps = 0;
  for (let j = 0; j < T; j++) if (cpu[j] > cap.cpuCores + 1e-9 || mem[j] > cap.memoryMiB + 1e-9) overloadedSteps++;
  for (const { spec, from } of admitted) {
    for (let j = from; j < Math.min(T, spec.endTick); j++) {
      const [c, m] = demand(spec, j);
      const sc = cpu[j] > cap.cpuCores ? cap.cpuCores / cpu[j] : 1;
      const sm = mem[j] > cap.memoryMiB ? cap.memoryMiB / mem[j] : 1;
      metrics.vmStep(clsOf(spec), { cpuCores: c, memoryMiB: m }, { cpuCores: c * sc, memoryMiB: m * sm });
    }
  }
  const m = metrics.result();
  return {
    bound: kind,
    requests: m.requests,
    rejected: m.rejected,
    rejectionRate: m.rejectionRate,
    sloViolation: m.sloViolation,
    overloadedSteps,
    ...(r ? { chargeRatio: r } : {}),
    ...(kind === 'known-present+app' ? { appProfiled } : {}),
    perClass: Object.fromEntries(
      Object.entries(m.perClass).map(([k, c]) => [k, { requests: c.requests, rejected: c.rejected, rejectionRate: c.rejectionRate, sloViolation: c.sloViolation }]),
    ),
  };
}

/** Multiples of the pool's mean use ratio at which known-present charges a request (its frontier). */
export const KNOWN_PRESENT_MULTIPLES = [1, 2, 4, 6] as const;

/** The bounds `virtzone simulate` reports: clairvoyant, and known-present along its frontier. */
export function referenceBounds(pool: TracePool, w: Workload, s: Scenario, appProfiles: ReadonlyMap<string, AppProfile> = new Map()): BoundRun[] {
  const base = meanUseRatio(pool, w.startIndex, HISTORY_STEPS);
  return [
    admissionBound('clairvoyant', pool, w, s),
    ...KNOWN_PRESENT_MULTIPLES.map((k) => admissionBound('known-present', pool, w, s, { ratio: { cpu: Math.min(1, base.cpu * k), memory: Math.min(1, base.memory * k) } })),
    ...(appProfiles.size > 0 ? [admissionBound('known-present+app', pool, w, s, { appProfiles })] : []),
  ];
}
