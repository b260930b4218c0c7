// Deciding the steps that move VMs to their targets. Pure: the executor only executes
// what this returns, so a dry run shows exactly what a real run would do.
//
// Rules (DESIGN.md step 4, oVirt MOM style):
//   - memory never below the VM's floor, nor below observed use + margin (the fresher
//     and larger of the plan's sample and the domain's own balloon stats);
//   - at most apply.maxStepFraction of the VM's current size per step, at most
//     apply.maxStepsPerVm steps per VM; changes under the minimum are skipped;
//   - a CPU shrink is enforced with vcpu_quota first; the vCPU unplug that follows is
//     best effort (QEMU guests may refuse it);
//   - shrinks of every VM come before any grow, so a zone frees before it takes.
import type { Config } from '../../core/config/schema.js';
import type { VmTarget } from '../plan/types.js';
import { memoryMinimum, normalizeQuota, quotaFor } from '../vm-targets/targets.js';

/** A domain as read back from the host just before applying. */
export interface DomainSnapshot {
  name: string;
  running: boolean;
  vcpus: number;
  maxVcpus: number;
  memoryMiB: number;
  maxMemoryMiB: number;
  /** balloon.current − balloon.unused, else rss; null when the guest reports neither */
  usedMemoryMiB: number | null;
  /** scheduler parameters as numbers; null when the host would not say */
  sched: Record<string, number> | null;
  /** memtune parameters in KiB; null when the host would not say */
  memtune: Record<string, number> | null;
}

export type StepKind = 'memory' | 'vcpus' | 'sched' | 'memtune';

export interface Step {
  id: number;
  vm: string;
  zone: string;
  kind: StepKind;
  direction: 'grow' | 'shrink';
  /** values as the HostAdapter names them: memoryMiB | vcpus | cpu_shares, vcpu_quota | soft_limit (KiB) */
  from: Record<string, number>;
  to: Record<string, number>;
  /** a failure is reported but does not make the VM unsafe (vCPU unplug) */
  bestEffort: boolean;
  reason: string;
}

export interface SkippedChange {
  vm: string;
  kind: StepKind | 'domain';
  reason: string;
  from?: number;
  to?: number;
}

export interface StepPlan {
  steps: Step[];
  skipped: SkippedChange[];
}

export interface StepOptions {
  maxStepsPerVm?: number;
}

/** libvirt's "unlimited" for memtune values (VIR_DOMAIN_MEMORY_PARAM_UNLIMITED, KiB). */
export const MEMTUNE_UNLIMITED_KIB = 9_007_199_254_740_991;

type ApplyConfig = Pick<Config, 'apply' | 'partitioner'>;

/** The sizes a bounded walk from `from` to `to` goes through (excluding `from`). */
function boundedWalk(from: number, to: number, maxStep: number, maxSteps: number, integer: boolean): number[] {
  const out: number[] = [];
  let cur = from;
  const step = Math.max(integer ? 1 : 1e-9, maxStep);
  while (out.length < maxSteps && cur !== to) {
    const delta = Math.min(step, Math.abs(to - cur));
    cur = to > cur ? cur + delta : cur - delta;
    if (integer) cur = to > from ? Math.min(to, Math.ceil(cur)) : Math.max(to, Math.floor(cur));
    out.push(cur);
  }
  return out;
}

export function planSteps(
  targets: readonly VmTarget[],
  snapshots: ReadonlyMap<string, DomainSnapshot>,
  config: ApplyConfig,
  opts: StepOptions = {},
): StepPlan {
  const a = config.apply;
  const maxSteps = opts.maxStepsPerVm ?? a.maxStepsPerVm;
  const shrinks: Step[] = [];
  const grows: Step[] = [];
  const skipped: SkippedChange[] = [];
  let id = 0;
  const mk = (s: Omit<Step, 'id'>): Step => ({ id: 0, ...s });

  for (const t of targets) {
    const snap = snapshots.get(t.vm);
    if (!snap) {
      skipped.push({ vm: t.vm, kind: 'domain', reason: 'domain not found on the host' });
      continue;
    }
    if (!snap.running) {
      skipped.push({ vm: t.vm, kind: 'domain', reason: 'not running: live changes only' });
      continue;
    }
    const vmShrinks: Step[] = [];
    const vmGrows: Step[] = [];

    // --- memory (balloon) ---
    const used = maxOrNull(t.usedMemoryMiB, snap.usedMemoryMiB);
    const minSafe = memoryMinimum(used, snap.memoryMiB, t.memoryFloorMiB, config.partitioner);
    let memGoal = Math.max(t.memoryMiB, minSafe);
    let memNote = memGoal > t.memoryMiB ? ` (raised to use + margin / floor ${minSafe} MiB)` : '';
    if (memGoal > snap.maxMemoryMiB) {
      memGoal = Math.max(snap.memoryMiB, snap.maxMemoryMiB);
      memNote += ` (capped at the domain's maximum ${snap.maxMemoryMiB} MiB)`;
    }
    if (Math.abs(memGoal - snap.memoryMiB) < Math.max(1, a.minChangeMemoryMiB)) {
      if (memGoal !== snap.memoryMiB) skipped.push({ vm: t.vm, kind: 'memory', reason: `change below apply.minChangeMemoryMiB (${a.minChangeMemoryMiB})`, from: snap.memoryMiB, to: memGoal });
    } else {
      const maxStep = Math.max(a.minChangeMemoryMiB, Math.floor(a.maxStepFraction * snap.memoryMiB));
      let prev = snap.memoryMiB;
      const dir = memGoal > prev ? 'grow' : 'shrink';
      for (const next of boundedWalk(prev, memGoal, maxStep, maxSteps, true)) {
        (dir === 'grow' ? vmGrows : vmShrinks).push(
          mk({ vm: t.vm, zone: t.zone, kind: 'memory', direction: dir, from: { memoryMiB: prev }, to: { memoryMiB: next }, bestEffort: false, reason: `${t.reason}; balloon ${prev} -> ${next} MiB of goal ${memGoal}${memNote}` }),
        );
        prev = next;
      }
    }

    // --- vCPUs: hot-plug to grow; shrink = quota cap now + best-effort unplug ---
    const vcpuGoal = Math.max(config.partitioner.vmMinVcpus, t.vcpus);
    // The quota follows the vCPU target: a cap while shrinking, none otherwise. A
    // target that neither changes vCPUs nor carries a quota (an auto-scaler memory
    // resize) leaves the quota alone.
    const manageQuota = vcpuGoal !== snap.vcpus || t.vcpuQuota !== undefined;
    const quotaGoal = quotaFor(vcpuGoal, snap.vcpus);
    if (vcpuGoal !== snap.vcpus) {
      const dir = vcpuGoal > snap.vcpus ? 'grow' : 'shrink';
      const maxStep = Math.max(1, Math.floor(a.maxStepFraction * snap.vcpus));
      let prev = snap.vcpus;
      for (const next of boundedWalk(prev, vcpuGoal, maxStep, maxSteps, true)) {
        (dir === 'grow' ? vmGrows : vmShrinks).push(
          mk({
            vm: t.vm,
            zone: t.zone,
            kind: 'vcpus',
            direction: dir,
            from: { vcpus: prev },
            to: { vcpus: next },
            bestEffort: dir === 'shrink',
            reason: dir === 'grow' ? `${t.reason}; hot-plug ${prev} -> ${next} vCPUs` : `${t.reason}; unplug ${prev} -> ${next} vCPUs (best effort, quota already caps it)`,
          }),
        );
        prev = next;
      }
    }

    // --- scheduler: cpu_shares and vcpu_quota, only the ones the host has ---
    if (snap.sched === null && (t.cpuShares !== undefined || (manageQuota && quotaGoal !== -1))) {
      skipped.push({ vm: t.vm, kind: 'sched', reason: 'the host reports no scheduler parameters' });
    } else if (snap.sched !== null) {
      const from: Record<string, number> = {};
      const to: Record<string, number> = {};
      const hasShares = 'cpu_shares' in snap.sched;
      const hasQuota = 'vcpu_quota' in snap.sched;
      if (!hasShares && !hasQuota && (t.cpuShares !== undefined || (manageQuota && quotaGoal !== -1))) {
        skipped.push({ vm: t.vm, kind: 'sched', reason: `the host scheduler has neither cpu_shares nor vcpu_quota (has: ${Object.keys(snap.sched).join(', ') || 'nothing'})` });
      }
      if (hasShares && t.cpuShares !== undefined && Math.abs(snap.sched.cpu_shares - t.cpuShares) >= Math.max(1, a.minChangeCpuShares)) {
        from.cpu_shares = snap.sched.cpu_shares;
        to.cpu_shares = t.cpuShares;
      }
      const curQuota = normalizeQuota(hasQuota ? snap.sched.vcpu_quota : null);
      if (hasQuota && manageQuota && curQuota !== quotaGoal) {
        from.vcpu_quota = curQuota ?? -1;
        to.vcpu_quota = quotaGoal;
      }
      if (Object.keys(to).length > 0) {
        const capping = to.vcpu_quota !== undefined && to.vcpu_quota !== -1 && (from.vcpu_quota === -1 || to.vcpu_quota < from.vcpu_quota);
        const sharesDown = to.cpu_shares !== undefined && to.cpu_shares < from.cpu_shares;
        const dir = capping || (sharesDown && to.vcpu_quota === undefined) ? 'shrink' : 'grow';
        const step = mk({ vm: t.vm, zone: t.zone, kind: 'sched', direction: dir, from, to, bestEffort: false, reason: `${t.reason}; schedinfo ${fmt(from)} -> ${fmt(to)}` });
        // The cap goes first among a VM's shrinks (it is what makes the shrink real).
        if (dir === 'shrink') vmShrinks.unshift(step);
        else vmGrows.push(step);
      }
    }

    // --- memtune soft limit (reclaimed first under host pressure above it) ---
    if (t.memorySoftLimitMiB !== undefined && snap.memtune !== null && 'soft_limit' in snap.memtune) {
      const cur = snap.memtune.soft_limit;
      const want = t.memorySoftLimitMiB * 1024;
      const curIsUnlimited = cur >= MEMTUNE_UNLIMITED_KIB || cur <= 0;
      if (curIsUnlimited || Math.abs(cur - want) >= a.minChangeMemoryMiB * 1024) {
        const dir = !curIsUnlimited && want > cur ? 'grow' : 'shrink';
        const step = mk({ vm: t.vm, zone: t.zone, kind: 'memtune', direction: dir, from: { soft_limit: cur }, to: { soft_limit: want }, bestEffort: false, reason: `${t.reason}; memtune soft_limit -> ${t.memorySoftLimitMiB} MiB` });
        // Raise the soft limit before growing the balloon; lower it after shrinking.
        if (dir === 'grow') vmGrows.unshift(step);
        else vmShrinks.push(step);
      }
    }

    shrinks.push(...vmShrinks);
    grows.push(...vmGrows);
  }
  const steps = [...shrinks, ...grows].map((s) => ({ ...s, id: ++id }));
  return { steps, skipped };
}

function maxOrNull(a: number | null | undefined, b: number | null | undefined): number | null {
  const xs = [a, b].filter((x): x is number => x !== null && x !== undefined && Number.isFinite(x));
  return xs.length ? Math.max(...xs) : null;
}

const fmt = (o: Record<string, number>) =>
  Object.entries(o)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
