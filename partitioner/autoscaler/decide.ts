// The zone monitor / auto-scaler's decisions: a pure function of (zones, memory of
// earlier ticks, config, now) -> actions. The routine (routine.ts) carries them out.
//
// Per zone, highest priority first, utilization = use / allocation per resource:
//   - above autoscaler.highWater for sustainTicks ticks (or a member VM above it):
//       1. grow the zone's busiest VMs within the zone's own slack;
//       2. grow the zone: borrow from `general`, then from lower-priority zones' slack,
//          lowest priority first — never from a higher priority;
//       3. add a pool member when the zone has a pool and room for one;
//       4. nothing possible -> the zone is exhausted (the router sends its requests to
//          the overflow manager).
//   - below autoscaler.lowWater for cooldownSeconds (a stabilization window, like the
//     HPA's scale-down window): give back gradually — one pool member, cold VMs'
//     balloons and the zone's allocation, each down to where the window's peak use
//     sits at the low-water mark (never closer to the high-water mark than that: load
//     is bursty, and a give-back that a burst undoes is flapping), and each by at most
//     apply.maxStepFraction per step.
// Against flapping: the band between the water marks (a grow aims at the middle of the
// band, so one grow does not make the zone cold), sustainTicks, a grow cooldown, the
// stabilization window before any give-back, and a zone that grew lends nothing until
// its cooldown is over.
// No shrink without evidence (plan/evidence.ts): a VM with less than
// partitioner.minHistoryHours of samples, or in a zone that never shrinks, gives back no
// balloon memory, and its zone keeps at least what such members are provisioned.
// Memory is judged like CPU, by use: a guest's balloon size is a ceiling, not what the
// host spends on it (the zone's cgroup limit still never goes below the balloons).
import type { Config } from '../../core/config/schema.js';
import { GENERAL_ZONE_NAME } from '../../core/model/types.js';
import type { Resources } from '../plan/types.js';
import { memoryMinimum } from '../vm-targets/targets.js';
import { shrinkVerdict, type ShrinkEvidence } from '../plan/evidence.js';

/** historySeconds (ShrinkEvidence): how long the VM has been watched; absent: not tracked. */
export interface ScalerVm extends ShrinkEvidence {
  name: string;
  vcpus: number;
  maxVcpus: number;
  memoryMiB: number;
  maxMemoryMiB: number;
  usedCpuCores: number | null;
  usedMemoryMiB: number | null;
  /** created by the auto-scaler for the zone's pool (only those are ever removed) */
  poolMember: boolean;
  memoryFloorMiB?: number;
  /**
   * the VM's highest memory use over the last day (5-minute maxima); a balloon is never
   * given back below it: a guest's memory comes back with its daily cycle, and a balloon
   * cut to a quiet hour's peak leaves it short when it does. null: the VM has not been
   * seen for a day yet, so its balloon is not given back at all (as VPA makes no
   * recommendation without enough history); absent: not known, the low-water run's peak
   * alone decides
   */
  peakMemoryMiB?: number | null;
}

export interface ScalerZone {
  name: string;
  /** 0 = highest priority; general is last */
  rank: number;
  allocation: Resources;
  floor: Resources;
  /** running member VMs */
  vms: ScalerVm[];
  pool?: { min: number; max: number; memberSize: Resources };
  /** the class never shrinks: no member gives back, nor does the zone below its members' sizes */
  neverShrink?: boolean;
}

export interface ScalerZoneMemory {
  highTicks: number;
  lowTicks: number;
  vmHighTicks: Record<string, number>;
  /** the zone's peak use during the current run of cold ticks (what a give-back keeps room for) */
  lowPeak: Resources;
  /** each VM's peak memory use during that run */
  vmLowPeak: Record<string, number>;
  lastGrowAt: number | null;
  lastShrinkAt: number | null;
  exhausted: boolean;
}

export interface ScalerMemory {
  zones: Record<string, ScalerZoneMemory>;
  poolSeq: number;
}

export type ScalerAction =
  | { kind: 'transfer'; from: string; to: string; cpuCores: number; memoryMiB: number; reason: string }
  | { kind: 'resize-vm'; zone: string; vm: string; direction: 'grow' | 'shrink'; vcpus: number; memoryMiB: number; reason: string }
  | { kind: 'add-pool-member'; zone: string; name: string; reason: string }
  | { kind: 'remove-pool-member'; zone: string; vm: string; reason: string }
  | { kind: 'set-exhausted'; zone: string; exhausted: boolean; reason: string };

export interface ScalerDecision {
  actions: ScalerAction[];
  memory: ScalerMemory;
  /** allocations after the transfers */
  allocations: Record<string, Resources>;
  utilization: Record<string, Resources>;
  exhausted: Record<string, boolean>;
}

export type ScalerConfig = Pick<Config, 'autoscaler' | 'apply' | 'partitioner'>;

export function emptyMemory(): ScalerMemory {
  return { zones: {}, poolSeq: 0 };
}

const MIN_CPU_TRANSFER = 0.05;
/** CPU utilization at which a zone counts as capped by its quota (demand unknown). */
const SATURATED = 0.98;

interface Work {
  zone: ScalerZone;
  alloc: Resources;
  used: Resources;
}

function sumUse(vms: readonly ScalerVm[]): Resources {
  let cpu = 0;
  let mem = 0;
  for (const v of vms) {
    if (v.usedCpuCores !== null) cpu += Math.max(0, v.usedCpuCores);
    if (v.usedMemoryMiB !== null) mem += Math.max(0, v.usedMemoryMiB);
  }
  return { cpuCores: cpu, memoryMiB: mem };
}

const ratio = (used: number, alloc: number) => (alloc > 0 ? used / alloc : used > 0 ? Infinity : 0);

function vmUtil(v: ScalerVm): { cpu: number; mem: number } {
  return {
    cpu: v.usedCpuCores === null ? 0 : ratio(v.usedCpuCores, v.vcpus),
    mem: v.usedMemoryMiB === null ? 0 : ratio(v.usedMemoryMiB, v.memoryMiB),
  };
}

export function decide(zonesIn: readonly ScalerZone[], memoryIn: ScalerMemory, config: ScalerConfig, now: number): ScalerDecision {
  const { highWater: high, lowWater: low, sustainTicks, cooldownSeconds, growCooldownSeconds, intervalSeconds } = config.autoscaler;
  const { maxStepFraction, minChangeMemoryMiB } = config.apply;
  // A grow aims at the middle of the band, so the zone lands well inside it.
  const target = (high + low) / 2;
  const memory: ScalerMemory = { poolSeq: memoryIn.poolSeq, zones: {} };
  const actions: ScalerAction[] = [];
  const zones = [...zonesIn].sort((a, b) => a.rank - b.rank);
  const work = new Map<string, Work>();
  for (const z of zones) {
    work.set(z.name, {
      zone: z,
      alloc: { ...z.allocation },
      used: sumUse(z.vms),
    });
  }
  const utilization: Record<string, Resources> = {};
  const exhausted: Record<string, boolean> = {};

  /**
   * What a zone can lend without going above the middle of the band or below its floor.
   * A zone that grew within the cooldown lends nothing: it just needed that room, and
   * taking it back at once is how zones start to ping-pong.
   */
  const lendable = (w: Work): Resources => {
    const grewAt = memoryIn.zones[w.zone.name]?.lastGrowAt ?? null;
    if (grewAt !== null && now - grewAt < cooldownSeconds) return { cpuCores: 0, memoryMiB: 0 };
    return lendableNow(w);
  };
  const lendableNow = (w: Work): Resources => ({
    cpuCores: Math.max(0, w.alloc.cpuCores - Math.max(w.zone.floor.cpuCores, w.used.cpuCores / target)),
    memoryMiB: Math.max(0, w.alloc.memoryMiB - Math.max(w.zone.floor.memoryMiB, w.used.memoryMiB / target)),
  });

  const transfer = (from: Work, to: Work, cpu: number, mem: number, reason: string): boolean => {
    const c = cpu >= MIN_CPU_TRANSFER ? round3(cpu) : 0;
    const m = mem >= Math.max(1, minChangeMemoryMiB) ? Math.floor(mem) : 0;
    if (c === 0 && m === 0) return false;
    from.alloc.cpuCores -= c;
    from.alloc.memoryMiB -= m;
    to.alloc.cpuCores += c;
    to.alloc.memoryMiB += m;
    actions.push({ kind: 'transfer', from: from.zone.name, to: to.zone.name, cpuCores: c, memoryMiB: m, reason });
    return true;
  };

  for (const z of zones) {
    const w = work.get(z.name)!;
    const prev = memoryIn.zones[z.name];
    const m: ScalerZoneMemory = {
      highTicks: 0,
      lowTicks: 0,
      vmHighTicks: {},
      lowPeak: { cpuCores: 0, memoryMiB: 0 },
      vmLowPeak: {},
      lastGrowAt: prev?.lastGrowAt ?? null,
      lastShrinkAt: prev?.lastShrinkAt ?? null,
      exhausted: prev?.exhausted ?? false,
    };
    memory.zones[z.name] = m;
    const u = { cpuCores: ratio(w.used.cpuCores, w.alloc.cpuCores), memoryMiB: ratio(w.used.memoryMiB, w.alloc.memoryMiB) };
    utilization[z.name] = u;
    const hot = u.cpuCores > high || u.memoryMiB > high;
    const cold = u.cpuCores < low && u.memoryMiB < low;
    m.highTicks = hot ? (prev?.highTicks ?? 0) + 1 : 0;
    m.lowTicks = cold ? (prev?.lowTicks ?? 0) + 1 : 0;
    if (cold) {
      const lp = m.lowTicks > 1 && prev ? prev.lowPeak : { cpuCores: 0, memoryMiB: 0 };
      m.lowPeak = { cpuCores: Math.max(lp.cpuCores, w.used.cpuCores), memoryMiB: Math.max(lp.memoryMiB, w.used.memoryMiB) };
      for (const v of z.vms) {
        if (v.usedMemoryMiB === null) continue;
        const before = m.lowTicks > 1 ? (prev?.vmLowPeak[v.name] ?? 0) : 0;
        m.vmLowPeak[v.name] = Math.max(before, v.usedMemoryMiB);
      }
    }
    for (const v of z.vms) {
      const vu = vmUtil(v);
      if (vu.cpu > high || vu.mem > high) m.vmHighTicks[v.name] = (prev?.vmHighTicks[v.name] ?? 0) + 1;
    }
    const zoneHot = m.highTicks >= sustainTicks;
    const hotVms = z.vms
      .filter((v) => (m.vmHighTicks[v.name] ?? 0) >= sustainTicks)
      .sort((a, b) => Math.max(vmUtil(b).cpu, vmUtil(b).mem) - Math.max(vmUtil(a).cpu, vmUtil(a).mem) || a.name.localeCompare(b.name));
    const setExhausted = (value: boolean, reason: string) => {
      if (m.exhausted !== value) actions.push({ kind: 'set-exhausted', zone: z.name, exhausted: value, reason });
      m.exhausted = value;
    };

    if (zoneHot || hotVms.length > 0) {
      if (m.lastGrowAt !== null && now - m.lastGrowAt < growCooldownSeconds) {
        exhausted[z.name] = m.exhausted;
        continue; // let the last grow show its effect first
      }
      let acted = false;
      // 1. Grow the busiest VMs within the zone's slack: the room left before the zone
      //    itself would be above the high-water mark.
      let cpuSpare = Math.max(0, w.alloc.cpuCores * high - w.used.cpuCores);
      let memSlack = Math.max(0, w.alloc.memoryMiB * high - w.used.memoryMiB);
      let memGranted = 0;
      const unmet = { cpuCores: 0, memoryMiB: 0 };
      for (const v of hotVms) {
        const vu = vmUtil(v);
        let vcpus = v.vcpus;
        let mem = v.memoryMiB;
        if (vu.cpu > high && v.usedCpuCores !== null) {
          const want = Math.min(v.maxVcpus, Math.max(v.vcpus + 1, Math.ceil(v.usedCpuCores / target)));
          const grant = Math.min(want, v.vcpus + Math.floor(cpuSpare + 1e-9));
          if (grant > v.vcpus) {
            cpuSpare -= grant - v.vcpus;
            vcpus = grant;
          }
          unmet.cpuCores += want - vcpus;
        }
        if (vu.mem > high && v.usedMemoryMiB !== null) {
          const want = Math.min(v.maxMemoryMiB, Math.ceil(v.usedMemoryMiB / target));
          const extra = Math.floor(Math.min(want - v.memoryMiB, memSlack));
          if (extra >= Math.max(1, minChangeMemoryMiB)) {
            memSlack -= extra;
            memGranted += extra;
            mem = v.memoryMiB + extra;
          }
          unmet.memoryMiB += Math.max(0, want - mem);
        }
        if (vcpus !== v.vcpus || mem !== v.memoryMiB) {
          acted = true;
          actions.push({
            kind: 'resize-vm',
            zone: z.name,
            vm: v.name,
            direction: 'grow',
            vcpus,
            memoryMiB: mem,
            reason: `${v.name} busy (cpu ${pct(vu.cpu)}, memory ${pct(vu.mem)} of its size) for ${m.vmHighTicks[v.name]} ticks; grown within zone ${z.name}'s slack`,
          });
        }
      }
      // 2. Grow the zone: from general, then from lower priorities, lowest first.
      const poolMembers = z.vms.filter((v) => v.poolMember).length;
      const poolWanted = !!z.pool && zoneHot && poolMembers < z.pool.max;
      // A zone at its CPU cap is throttled: its use shows the cap, not the demand. Grow
      // it by at least its size then (as VPA bumps a recommendation after an OOM), or
      // each round only finds another 1/target of what it already has.
      const saturated = u.cpuCores >= SATURATED;
      // What busy VMs still lack makes the zone grow only when the zone is past the
      // middle of the band, and never so far that the zone turns cold (below the
      // low-water mark) — else the next give-back undoes it, and that is flapping.
      const forVms = (r: 'cpuCores' | 'memoryMiB') => (u[r] > target ? Math.min(unmet[r], w.used[r] / low - w.alloc[r]) : 0);
      const need = {
        cpuCores: Math.max(zoneHot ? w.used.cpuCores / target - w.alloc.cpuCores : 0, saturated && m.highTicks >= sustainTicks ? w.alloc.cpuCores : 0, forVms('cpuCores')),
        memoryMiB: Math.max(zoneHot ? w.used.memoryMiB / target - w.alloc.memoryMiB : 0, forVms('memoryMiB')),
      };
      if (poolWanted) {
        need.memoryMiB += Math.max(0, z.pool!.memberSize.memoryMiB - memSlack);
      }
      const lenders = zones
        .filter((l) => l.rank > z.rank)
        .sort((a, b) => (a.name === GENERAL_ZONE_NAME ? -1 : b.name === GENERAL_ZONE_NAME ? 1 : b.rank - a.rank))
        .map((l) => work.get(l.name)!);
      for (const l of lenders) {
        if (need.cpuCores < MIN_CPU_TRANSFER && need.memoryMiB < Math.max(1, minChangeMemoryMiB)) break;
        const can = lendable(l);
        const c = Math.min(need.cpuCores, can.cpuCores);
        const mm = Math.min(need.memoryMiB, can.memoryMiB);
        const why = zoneHot
          ? `zone ${z.name} at cpu ${pct(u.cpuCores)} / memory ${pct(u.memoryMiB)} of its allocation for ${m.highTicks} ticks`
          : `busy VMs in zone ${z.name} need ${unmet.cpuCores} vCPU(s) / ${Math.round(unmet.memoryMiB)} MiB more than its slack`;
        const reason = `${why}; ${l.zone.name === GENERAL_ZONE_NAME ? 'borrowed from general' : `borrowed from lower-priority zone ${l.zone.name}'s slack`}`;
        if (transfer(l, w, c, mm, reason)) {
          acted = true;
          need.cpuCores -= c >= MIN_CPU_TRANSFER ? c : 0;
          need.memoryMiB -= mm >= Math.max(1, minChangeMemoryMiB) ? Math.floor(mm) : 0;
        }
      }
      // 3. A pool member, when there is room for one now.
      if (poolWanted && w.alloc.memoryMiB * high - w.used.memoryMiB - memGranted >= z.pool!.memberSize.memoryMiB) {
        memory.poolSeq++;
        const name = `${z.name}-pool-${memory.poolSeq}`;
        actions.push({ kind: 'add-pool-member', zone: z.name, name, reason: `zone ${z.name} busy for ${m.highTicks} ticks; pool has ${poolMembers} of at most ${z.pool!.max} members` });
        acted = true;
      }
      if (acted) {
        m.lastGrowAt = now;
        setExhausted(false, `zone ${z.name} could grow`);
      } else if (!zoneHot) {
        // Only VMs at their own maximum are busy: the zone still has room for others.
        setExhausted(false, `zone ${z.name} has room; its busy VMs are at their maximum size`);
      } else {
        setExhausted(true, `zone ${z.name} is busy and has no slack, nothing to borrow from general or lower priorities${z.pool ? ', and its pool is full' : ''}`);
      }
    } else if (m.lowTicks >= Math.max(sustainTicks, Math.ceil(cooldownSeconds / intervalSeconds))) {
      setExhausted(false, `zone ${z.name} is below the low-water mark`);
      const sinceAction = Math.min(now - (m.lastGrowAt ?? -Infinity), now - (m.lastShrinkAt ?? -Infinity));
      if (sinceAction < cooldownSeconds) {
        exhausted[z.name] = m.exhausted;
        continue;
      }
      let acted = false;
      // Remove one surplus pool member (only ones the auto-scaler created), newest first.
      const members = z.vms.filter((v) => v.poolMember).sort((a, b) => b.name.localeCompare(a.name, undefined, { numeric: true }));
      if (z.pool && members.length > z.pool.min) {
        const victim = members[0];
        actions.push({ kind: 'remove-pool-member', zone: z.name, vm: victim.name, reason: `zone ${z.name} idle for ${m.lowTicks} ticks; pool has ${members.length} members, keeps at least ${z.pool.min}` });
        w.used.cpuCores -= victim.usedCpuCores ?? 0;
        w.used.memoryMiB -= victim.usedMemoryMiB ?? 0;
        acted = true;
      }
      // Cold VMs give back balloon memory, by at most one bounded step; those without
      // the evidence to shrink hold their size, and the zone holds it for them.
      const held = { cpuCores: 0, memoryMiB: 0 };
      for (const v of z.vms) {
        if (members.includes(v) || shrinkVerdict(v, z.neverShrink === true, config.partitioner.minHistoryHours).allowed) continue;
        held.cpuCores += v.vcpus;
        held.memoryMiB += v.memoryMiB;
      }
      for (const v of z.vms) {
        if (v.usedMemoryMiB === null || v.peakMemoryMiB === null || members.includes(v)) continue;
        if (!shrinkVerdict(v, z.neverShrink === true, config.partitioner.minHistoryHours).allowed) continue;
        const peak = Math.max(v.usedMemoryMiB, m.vmLowPeak[v.name] ?? 0, v.peakMemoryMiB ?? 0);
        if (peak / v.memoryMiB >= low) continue;
        const floor = v.memoryFloorMiB ?? config.partitioner.vmMemoryFloorMiB;
        const minSafe = memoryMinimum(peak, v.memoryMiB, floor, config.partitioner);
        // Down to where the window's peak would sit at the low-water mark: a guest's
        // memory swings, and a balloon that hugs it is grown back at the next swing.
        const next = Math.ceil(Math.max(minSafe, peak / low, v.memoryMiB * (1 - maxStepFraction)));
        if (v.memoryMiB - next >= Math.max(1, minChangeMemoryMiB)) {
          actions.push({ kind: 'resize-vm', zone: z.name, vm: v.name, direction: 'shrink', vcpus: v.vcpus, memoryMiB: next, reason: `${v.name} uses ${Math.round(v.usedMemoryMiB)} of ${v.memoryMiB} MiB; giving back` });
          acted = true;
        }
      }
      // The zone gives back allocation to general, one bounded step at a time.
      if (z.name !== GENERAL_ZONE_NAME) {
        const g = work.get(GENERAL_ZONE_NAME);
        if (g) {
          const keep = {
            cpuCores: Math.max(z.floor.cpuCores, held.cpuCores, Math.max(w.used.cpuCores, m.lowPeak.cpuCores) / low, w.alloc.cpuCores * (1 - maxStepFraction)),
            memoryMiB: Math.max(z.floor.memoryMiB, held.memoryMiB, Math.max(w.used.memoryMiB, m.lowPeak.memoryMiB) / low, w.alloc.memoryMiB * (1 - maxStepFraction)),
          };
          const give = { cpuCores: Math.max(0, w.alloc.cpuCores - keep.cpuCores), memoryMiB: Math.max(0, w.alloc.memoryMiB - keep.memoryMiB) };
          if (transfer(w, g, give.cpuCores, give.memoryMiB, `zone ${z.name} at cpu ${pct(u.cpuCores)} / memory ${pct(u.memoryMiB)} for ${m.lowTicks} ticks; giving back to general`)) acted = true;
        }
      }
      if (acted) m.lastShrinkAt = now;
    } else if (!hot) {
      setExhausted(false, `zone ${z.name} is below the high-water mark again`);
    }
    exhausted[z.name] = m.exhausted;
  }
  const allocations: Record<string, Resources> = {};
  for (const [name, w] of work) allocations[name] = { cpuCores: round3(w.alloc.cpuCores), memoryMiB: Math.round(w.alloc.memoryMiB) };
  return { actions, memory, allocations, utilization, exhausted };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : 'inf');
