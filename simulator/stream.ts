// The workload, generated once per seed and shared by every policy: the VMs on the host
// at the start and the placement requests that arrive (Poisson with a daily pattern),
// each with a class, a lifetime, and the trace source its utilization will follow. The
// sizes are the source's provisioned cores and memory at the arrival time.
//
// Fairness: nothing here depends on what a policy decides. A source is taken for a
// request's whole lifetime whether the request is admitted or not, so every policy sees
// the same requests with the same sizes, following the same traces.
import type { Config } from '../core/config/schema.js';
import { DAY_STEPS, STEP_SECONDS, WEEK_STEPS, provisionedAt, valueAt, type TracePool, type TraceSource } from './trace-pool.js';
import { exponential, streamRng, uniformInt, weightedIndex, type Rng } from './random.js';
import type { Scenario } from './scenario.js';

export interface VmSpec {
  /** 'vm-0007' for initial VMs, 'req-00012' for requests */
  id: string;
  /** the class (zone) the request asks for */
  zone: string;
  source: TraceSource;
  /** e.g. "bitbrains-407+1w" */
  sourceName: string;
  vcpus: number;
  memoryMiB: number;
  /** seconds after the simulation start */
  at: number;
  /** the 5-minute step at which it leaves (exclusive end of its life); >= ticks: stays */
  endTick: number;
}

export interface Workload {
  /** trace index of simulated step 0 */
  startIndex: number;
  /** simulated 5-minute steps */
  ticks: number;
  initial: VmSpec[];
  /** in arrival order */
  requests: VmSpec[];
  /** requests whose source had to be shared with a live one (the pool ran out) */
  sharedSources: number;
}

/**
 * What a VM of `spec` uses at simulated step `step` (negative: before the start): its trace
 * source's use then, capped at the size it asked for.
 */
export function useAt(pool: TracePool, spec: Pick<VmSpec, 'source' | 'vcpus' | 'memoryMiB'>, startIndex: number, step: number): { cpu: number; memory: number } {
  const tv = pool.vms[spec.source.vm];
  const idx = startIndex + step + spec.source.shift;
  return { cpu: Math.min(valueAt(tv.cpu, idx), spec.vcpus), memory: Math.min(valueAt(tv.memory, idx), spec.memoryMiB) };
}

/** Requests per hour at simulated second `s`: rate x (1 + A cos(2 pi (hour - peak) / 24)). */
export function rateAt(s: Pick<Scenario, 'rate' | 'dailyAmplitude' | 'peakHourUtc'>, unixSeconds: number): number {
  const hour = ((unixSeconds % 86_400) + 86_400) % 86_400 / 3600;
  return s.rate * (1 + s.dailyAmplitude * Math.cos((2 * Math.PI * (hour - s.peakHourUtc)) / 24));
}

export function sourceName(pool: TracePool, src: TraceSource): string {
  const weeks = src.shift / WEEK_STEPS;
  return `${pool.vms[src.vm].name}${weeks === 0 ? '' : `${weeks > 0 ? '+' : ''}${weeks}w`}`;
}

export function startIndexOf(pool: TracePool, s: Pick<Scenario, 'startDay' | 'hours'>): number {
  const idx = Math.round(s.startDay * DAY_STEPS);
  const ticks = Math.round((s.hours * 3600) / STEP_SECONDS);
  if (idx + ticks > pool.length) {
    const days = pool.length / DAY_STEPS;
    throw new Error(`--start-day/--hours: the trace holds ${days.toFixed(1)} days; day ${s.startDay} plus ${s.hours} h runs past its end`);
  }
  return idx;
}

class SourceBook {
  /** source key -> the step at which it is free again */
  private busyUntil = new Map<string, number>();
  constructor(
    private readonly pool: TracePool,
    private readonly startIndex: number,
  ) {}

  private key(s: TraceSource): string {
    return `${s.vm}@${s.shift}`;
  }

  /** Sources free during [from, to) whose trace covers those steps and that are provisioned at `from`. */
  candidates(from: number, to: number): TraceSource[] {
    const out: TraceSource[] = [];
    const a = this.startIndex + from;
    const b = this.startIndex + to - 1;
    const kMin = Math.ceil(-a / WEEK_STEPS);
    const kMax = Math.floor((this.pool.length - 1 - b) / WEEK_STEPS);
    for (let vm = 0; vm < this.pool.vms.length; vm++) {
      for (let k = kMin; k <= kMax; k++) {
        const src = { vm, shift: k * WEEK_STEPS };
        if ((this.busyUntil.get(this.key(src)) ?? -Infinity) > from) continue;
        if (!provisionedAt(this.pool.vms[vm], a + src.shift)) continue;
        out.push(src);
      }
    }
    return out;
  }

  take(src: TraceSource, until: number): void {
    this.busyUntil.set(this.key(src), until);
  }
}

function classOrder(config: Pick<Config, 'classes'>, mix: Record<string, number>): Array<[string, number]> {
  const order = [...config.classes.map((c) => c.name), 'general'];
  return order.filter((n) => n in mix).map((n) => [n, mix[n]]);
}

export function generateWorkload(pool: TracePool, s: Scenario): Workload {
  const startIndex = startIndexOf(pool, s);
  const ticks = Math.round((s.hours * 3600) / STEP_SECONDS);
  const book = new SourceBook(pool, startIndex);
  const lifetimeSeconds = s.lifetimeHours * 3600;
  const endOf = (atSeconds: number, life: number) => Math.max(Math.floor(atSeconds / STEP_SECONDS) + 1, Math.round((atSeconds + life) / STEP_SECONDS));
  let sharedSources = 0;

  // Initial VMs: the trace VMs as they were at the start day (then the same VMs a week,
  // two weeks... later, for more than the trace holds), classes in turn; each has a
  // remaining lifetime from the same (memoryless) distribution as new VMs.
  const initRng = streamRng(s.seed, 'initial');
  const classes = s.config.classes.map((c) => c.name);
  const initial: VmSpec[] = [];
  for (let k = 0; initial.length < s.initialVms; k++) {
    const shift = k * WEEK_STEPS;
    if (startIndex + ticks - 1 + shift >= pool.length) {
      throw new Error(`--initial-vms: the trace holds only ${initial.length} VM-weeks that cover the simulated time; ask for fewer`);
    }
    for (let vm = 0; vm < pool.vms.length && initial.length < s.initialVms; vm++) {
      const src = { vm, shift };
      const size = provisionedAt(pool.vms[vm], startIndex + shift);
      if (!size) continue; // not provisioned at the start: not on the host
      const endTick = Math.min(ticks, endOf(0, exponential(initRng, lifetimeSeconds)));
      book.take(src, endTick);
      initial.push({
        id: `vm-${String(initial.length + 1).padStart(4, '0')}`,
        zone: classes[initial.length % classes.length],
        source: src,
        sourceName: sourceName(pool, src),
        vcpus: size.cpuCores,
        memoryMiB: size.memoryMiB,
        at: 0,
        endTick,
      });
    }
  }

  // Requests: a Poisson process thinned to the daily pattern.
  const arrivals = streamRng(s.seed, 'arrivals');
  const pick: Rng = streamRng(s.seed, 'requests');
  const mix = classOrder(s.config, s.mix);
  const maxRate = s.rate * (1 + s.dailyAmplitude);
  const requests: VmSpec[] = [];
  const startUnix = pool.start + startIndex * STEP_SECONDS;
  let t = 0;
  const horizon = ticks * STEP_SECONDS;
  while (maxRate > 0) {
    t += exponential(arrivals, 3600 / maxRate);
    if (t >= horizon) break;
    if (arrivals() * maxRate >= rateAt(s, startUnix + t)) continue;
    const zone = mix[weightedIndex(pick, mix.map(([, w]) => w))][0];
    const life = exponential(pick, lifetimeSeconds);
    const tick = Math.floor(t / STEP_SECONDS);
    const endTick = endOf(t, life);
    const until = Math.min(endTick, ticks);
    let cands = book.candidates(tick, until);
    if (cands.length === 0) {
      // every source is taken: share one (documented; counted in sharedSources)
      sharedSources++;
      cands = new SourceBook(pool, startIndex).candidates(tick, until);
      if (cands.length === 0) throw new Error(`the trace has no VM provisioned at simulated step ${tick}`);
    }
    const src = cands[uniformInt(pick, cands.length)];
    book.take(src, until);
    const size = provisionedAt(pool.vms[src.vm], startIndex + tick + src.shift)!;
    requests.push({
      id: `req-${String(requests.length + 1).padStart(5, '0')}`,
      zone,
      source: src,
      sourceName: sourceName(pool, src),
      vcpus: size.cpuCores,
      memoryMiB: size.memoryMiB,
      at: t,
      endTick,
    });
  }
  return { startIndex, ticks, initial, requests, sharedSources };
}
