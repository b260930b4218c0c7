// The demo's hypervisor: libvirt's test driver (real libvirt: domains, XML, metadata,
// setvcpus, setmem, events) whose domains named bitbrains-<id> are given the CPU and
// memory use of that VM in the real Bitbrains trace, replayed at an accelerated clock.
// The test driver's own domstats carry only the state; this decorator adds what a QEMU
// host would report (cpu.time, vcpu.*, balloon.*), so the collector, the auto-scaler
// and the router see real-world load moving. Used by `virtzoned --demo-replay`, never by
// the product's normal path.
import type { DomainStats, HostAdapter } from '../core/host/types.js';
import { cpuCoresInUse, listBitbrainsVms, memoryMiBInUse, readBitbrainsVm } from '../core/trace/bitbrains.js';
import { shiftToNowSeconds, WEEK_SECONDS } from '../core/trace/import.js';

const STEP = 300;

/** One trace VM's use on the 300 s grid (NaN where the trace has no row). */
export interface ReplaySeries {
  start: number; // unix seconds of index 0
  cores: Float64Array;
  memMiB: Float64Array;
}

export async function loadReplaySeries(dir: string, ids?: readonly string[]): Promise<Map<string, ReplaySeries>> {
  const out = new Map<string, ReplaySeries>();
  for (const vm of listBitbrainsVms(dir)) {
    if (ids && !ids.includes(vm.id)) continue;
    const { rows } = await readBitbrainsVm(vm);
    if (rows.length === 0) continue;
    const start = Math.floor(rows[0].ts / STEP) * STEP;
    const n = Math.floor((rows[rows.length - 1].ts - start) / STEP) + 1;
    const cores = new Float64Array(n).fill(NaN);
    const memMiB = new Float64Array(n).fill(NaN);
    for (const r of rows) {
      const i = Math.floor((r.ts - start) / STEP);
      cores[i] = cpuCoresInUse(r);
      memMiB[i] = memoryMiBInUse(r);
    }
    out.set(`bitbrains-${vm.id}`, { start, cores, memMiB });
  }
  return out;
}

/** The value at trace time t: the last row at or before t (gaps hold the last value). */
export function valueAt(arr: Float64Array, start: number, t: number): number {
  let i = Math.min(arr.length - 1, Math.max(0, Math.floor((t - start) / STEP)));
  while (i > 0 && Number.isNaN(arr[i])) i--;
  return Number.isNaN(arr[i]) ? 0 : arr[i];
}

export interface ReplayClock {
  /** trace time (unix seconds) for a real time (unix ms) */
  traceTime(realMs: number): number;
}

/**
 * Maps real time to trace time so that at speed 1 the replay continues the history that
 * `import-trace --shift-to-now` stored (same whole-week shift), and at speed N it runs N
 * times faster from there; past the trace's end it wraps back by whole weeks.
 */
export function replayClock(series: Map<string, ReplaySeries>, speed: number, realStartMs: number): ReplayClock {
  let first = Infinity;
  let last = -Infinity;
  for (const s of series.values()) {
    first = Math.min(first, s.start);
    last = Math.max(last, s.start + (s.cores.length - 1) * STEP);
  }
  const realStart = Math.floor(realStartMs / 1000);
  const shift = shiftToNowSeconds(last, realStart);
  const anchor = realStart - shift;
  return {
    traceTime(realMs: number): number {
      let t = anchor + ((realMs / 1000 - realStart) * speed);
      while (t > last) t -= WEEK_SECONDS;
      while (t < first) t += WEEK_SECONDS;
      return t;
    },
  };
}

export function replayHost(inner: HostAdapter, series: Map<string, ReplaySeries>, clock: ReplayClock, now: () => number = Date.now): HostAdapter {
  // cumulative guest CPU time per domain, advanced by (replayed cores x real elapsed time)
  const cpuNs = new Map<string, { at: number; ns: bigint }>();
  const allDomainStats = async (): Promise<DomainStats[]> => {
    const [stats, domains] = await Promise.all([inner.allDomainStats(), inner.listDomains()]);
    const byName = new Map(domains.map((d) => [d.name, d]));
    const realNow = now();
    const t = clock.traceTime(realNow);
    return stats.map((s) => {
      const trace = series.get(s.name);
      const d = byName.get(s.name);
      if (!trace || !d || s.state !== 'running') return s;
      // a VM cannot use more CPU than its vCPUs, nor more memory than its balloon
      const cores = Math.min(valueAt(trace.cores, trace.start, t), d.vcpusCurrent);
      const usedKiB = Math.min(valueAt(trace.memMiB, trace.start, t) * 1024, d.memoryKiB);
      const prev = cpuNs.get(s.name) ?? { at: realNow, ns: 0n };
      const ns = prev.ns + BigInt(Math.round(cores * (realNow - prev.at) * 1e6));
      cpuNs.set(s.name, { at: realNow, ns });
      return {
        ...s,
        cpuTimeNs: ns,
        vcpuCurrent: d.vcpusCurrent,
        vcpuMaximum: d.vcpusMax,
        balloon: {
          currentKiB: d.memoryKiB,
          maximumKiB: d.maxMemoryKiB,
          unusedKiB: Math.max(0, Math.round(d.memoryKiB - usedKiB)),
          availableKiB: d.memoryKiB,
        },
      };
    });
  };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'allDomainStats') return allDomainStats;
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
