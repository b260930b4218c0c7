// The per-class load history the predictive policy's forecaster sees: what the daemon's
// store would hold as class:<name> rollups. Before the simulation starts it is the sum
// of the initial VMs' traces over the history days (each capped at the VM's size, as a
// collector could never measure more); during the simulation the engine appends each
// class's measured use step by step — so the forecaster sees membership change exactly
// as it would on a real host, and nothing of the future.
import type { LoadSeries } from '../forecaster/index.js';
import { DAY_STEPS, STEP_SECONDS, type TracePool } from './trace-pool.js';
import { useAt, type Workload } from './stream.js';
import type { Scenario } from './scenario.js';

export interface ClassHistory {
  /** unix seconds of index 0 */
  start: number;
  /** steps before the simulation starts */
  before: number;
  cpu: Map<string, Float64Array>;
  memory: Map<string, Float64Array>;
}

export function buildClassHistory(pool: TracePool, workload: Workload, s: Scenario): ClassHistory {
  const before = Math.round(s.trainDays * DAY_STEPS);
  const n = before + workload.ticks;
  const h: ClassHistory = { start: pool.start + (workload.startIndex - before) * STEP_SECONDS, before, cpu: new Map(), memory: new Map() };
  for (const c of s.config.classes) {
    h.cpu.set(c.name, new Float64Array(n).fill(NaN));
    h.memory.set(c.name, new Float64Array(n).fill(NaN));
    h.cpu.get(c.name)!.fill(0, 0, before);
    h.memory.get(c.name)!.fill(0, 0, before);
  }
  for (const vm of workload.initial) {
    const cpu = h.cpu.get(vm.zone);
    const mem = h.memory.get(vm.zone);
    if (!cpu || !mem) continue; // an initial VM in general: no class series
    for (let i = 0; i < before; i++) {
      const u = useAt(pool, vm, workload.startIndex, i - before);
      cpu[i] += u.cpu;
      mem[i] += u.memory;
    }
  }
  return h;
}

/** Records the measured use of one class at simulated step `tick`. */
export function recordClassUse(h: ClassHistory, cls: string, tick: number, cpu: number, memory: number): void {
  const c = h.cpu.get(cls);
  const m = h.memory.get(cls);
  if (!c || !m) return;
  c[h.before + tick] = cpu;
  m[h.before + tick] = memory;
}

/**
 * The class series as the forecaster gets them: history steps [from, to) (indices
 * into the history, so the simulation's step t is index before + t).
 */
export function classSeries(h: ClassHistory, from: number, to: number): LoadSeries[] {
  const out: LoadSeries[] = [];
  const a = Math.max(0, from);
  for (const [cls, values] of h.cpu) {
    const start = h.start + a * STEP_SECONDS;
    out.push({ series: `class:${cls}`, resource: 'cpu', start, step: STEP_SECONDS, values: values.slice(a, to) });
    out.push({ series: `class:${cls}`, resource: 'memory', start, step: STEP_SECONDS, values: h.memory.get(cls)!.slice(a, to) });
  }
  return out;
}

export function cloneHistory(h: ClassHistory): ClassHistory {
  return {
    start: h.start,
    before: h.before,
    cpu: new Map([...h.cpu].map(([k, v]) => [k, v.slice()])),
    memory: new Map([...h.memory].map(([k, v]) => [k, v.slice()])),
  };
}
