// Pure: one VmSample from two consecutive stats snapshots of the same domain.
//
// Rates are deltas of libvirt's cumulative counters over the wall time between the two
// snapshots. A snapshot starts a new baseline (all rates null, never a negative or a
// huge rate) when there is no previous snapshot, when the domain's uuid changed (same
// name, different domain), when time did not advance, or when the CPU counter went
// backwards (the VM restarted, so every counter restarted). A single I/O counter going
// backwards (a NIC or disk unplugged) nulls only that rate.
import type { DomainInfo, DomainStats } from '../core/host/types.js';
import type { VmSample } from '../core/model/types.js';

export interface StatsSnapshot {
  /** when the stats were read, unix milliseconds */
  t: number;
  stats: DomainStats;
}

/** Rates above these are artifacts of a bad baseline, not load: they become null. */
const MAX_PLAUSIBLE_BPS = 1e12; // 1 TB/s (8 Tbit/s) per VM
/** cpu.time covers the emulator and I/O threads too, so allow a little over the vCPUs. */
const CPU_SLACK_CORES = 1;
const MAX_PLAUSIBLE_VCPUS = 4096;

export type BaselineReason = 'first' | 'uuid-changed' | 'clock' | 'cpu-counter-reset';

/** Why `cur` cannot be compared with `prev` (a new baseline), or null when it can. */
function baselineReason(prev: StatsSnapshot | undefined, cur: StatsSnapshot): BaselineReason | null {
  if (!prev) return 'first';
  if (prev.stats.uuid !== cur.stats.uuid) return 'uuid-changed';
  if (!(cur.t > prev.t)) return 'clock';
  const a = big(prev.stats.cpuTimeNs);
  const b = big(cur.stats.cpuTimeNs);
  if (a !== undefined && b !== undefined && b < a) return 'cpu-counter-reset';
  return null;
}

/** Domains that use no CPU or memory at all (their counters are gone). */
const INACTIVE = new Set(['shutoff', 'crashed']);

export function computeSample(prev: StatsSnapshot | undefined, cur: StatsSnapshot): VmSample {
  const s = cur.stats;
  const inactive = INACTIVE.has(s.state);
  const comparable = !inactive && baselineReason(prev, cur) === null;
  const dt = comparable ? (cur.t - prev!.t) / 1000 : 0;
  const p = prev?.stats;
  const vcpuLimit = (s.vcpuMaximum ?? s.vcpuCurrent ?? MAX_PLAUSIBLE_VCPUS) + CPU_SLACK_CORES;

  let cpuCores: number | null = null;
  if (inactive) cpuCores = 0;
  else if (comparable) {
    const r = rate(p!.cpuTimeNs, s.cpuTimeNs, dt);
    cpuCores = r === null ? null : r / 1e9;
    if (cpuCores !== null && cpuCores > vcpuLimit) cpuCores = null;
  }

  const io = (a: bigint | undefined, b: bigint | undefined): number | null => {
    if (inactive) return 0;
    if (!comparable) return null;
    const r = rate(a, b, dt);
    return r !== null && r <= MAX_PLAUSIBLE_BPS ? r : null;
  };

  return {
    vm: s.name,
    uuid: s.uuid,
    ts: Math.floor(cur.t / 1000),
    cpuCores,
    memoryMiB: inactive ? 0 : memoryInUseMiB(s),
    vcpus: s.vcpuCurrent ?? null,
    memoryCurrentMiB: s.balloon?.currentKiB !== undefined ? s.balloon.currentKiB / 1024 : null,
    netRxBps: io(p?.netRxBytes, s.netRxBytes),
    netTxBps: io(p?.netTxBytes, s.netTxBytes),
    blockRdBps: io(p?.blockRdBytes, s.blockRdBytes),
    blockWrBps: io(p?.blockWrBytes, s.blockWrBytes),
  };
}

/**
 * Memory the guest uses: balloon.current − balloon.unused (what the guest reports as
 * not in use), else the QEMU process RSS; MiB. null when neither is reported.
 */
export function memoryInUseMiB(s: DomainStats): number | null {
  const b = s.balloon;
  if (!b) return null;
  if (b.currentKiB !== undefined && b.unusedKiB !== undefined && b.unusedKiB <= b.currentKiB) {
    return (b.currentKiB - b.unusedKiB) / 1024;
  }
  if (b.rssKiB !== undefined) return b.rssKiB / 1024;
  return null;
}

/** Per-second rate of a cumulative counter, or null when missing or going backwards. */
function rate(prev: bigint | number | undefined, cur: bigint | number | undefined, dtSeconds: number): number | null {
  const a = big(prev);
  const b = big(cur);
  if (a === undefined || b === undefined || b < a || !(dtSeconds > 0)) return null;
  return Number(b - a) / dtSeconds;
}

/** Counters are BigInt by contract; accept a plain number too rather than throw. */
function big(v: bigint | number | undefined): bigint | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'bigint') return v;
  return Number.isFinite(v) ? BigInt(Math.trunc(v)) : undefined;
}


/** One VM at one tick, ready for the store (same shape as store's VmObservation). */
/** A VM's class, tenant and app, from its virtzone metadata (null: none). */
export interface VmMembership {
  class: string | null;
  tenant: string | null;
  app: string | null;
}

export const NO_MEMBERSHIP: VmMembership = Object.freeze({ class: null, tenant: null, app: null });

export interface Observation extends VmMembership {
  sample: VmSample;
  vcpus: number | null;
  memoryMiB: number | null;
}

export interface TickSamples {
  observations: Observation[];
  /** the snapshots to compare the next tick with (vanished domains dropped) */
  next: Map<string, StatsSnapshot>;
  /** domains whose rates start over (new, restarted, redefined) */
  newBaselines: number;
  /** domains of the previous tick that are gone */
  vanished: string[];
}

/**
 * Pure: the observations of one tick from all domains' stats. `prev` holds last tick's
 * snapshots by domain name; a new domain starts a baseline, a vanished one is dropped
 * (if it comes back it starts over). Every sample carries the tick time `tickMs` so a
 * class's VMs line up per tick; rates use `readAtMs`, when the stats were read.
 * Provisioned sizes come from the stats, else from `infos` (listDomains).
 */
export function collectSamples(
  prev: ReadonlyMap<string, StatsSnapshot>,
  stats: readonly DomainStats[],
  tickMs: number,
  readAtMs: number,
  membership: (uuid: string) => VmMembership | undefined,
  infos?: ReadonlyMap<string, DomainInfo> | null,
): TickSamples {
  const next = new Map<string, StatsSnapshot>();
  const observations: Observation[] = [];
  let newBaselines = 0;
  for (const s of stats) {
    const cur: StatsSnapshot = { t: readAtMs, stats: s };
    const before = prev.get(s.name);
    if (baselineReason(before, cur) !== null) newBaselines++;
    const sample = computeSample(before, cur);
    sample.ts = Math.floor(tickMs / 1000);
    const m = membership(s.uuid) ?? NO_MEMBERSHIP;
    const info = infos?.get(s.name);
    observations.push({
      sample,
      class: m.class,
      tenant: m.tenant,
      app: m.app,
      vcpus: s.vcpuCurrent ?? info?.vcpusCurrent ?? null,
      memoryMiB: s.balloon?.currentKiB !== undefined ? s.balloon.currentKiB / 1024 : info ? info.memoryKiB / 1024 : null,
    });
    next.set(s.name, cur);
  }
  const vanished = [...prev.keys()].filter((name) => !next.has(name));
  return { observations, next, newBaselines, vanished };
}
