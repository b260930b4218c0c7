// No shrink without evidence: whether a VM may be planned or scaled below its
// provisioned size. A VM is only made smaller than it was provisioned when it has been
// watched long enough to know how low is safe (partitioner.minHistoryHours of its own
// samples), and never when its class is marked neverShrink. Growing is always allowed.
// Pure.

/** What a VM's history says about shrinking it. */
export interface ShrinkEvidence {
  /**
   * seconds between the VM's first and latest sample in the store; null or 0: no
   * samples. Absent: the caller keeps no such record (a replay that holds its whole
   * trace), and the rule does not apply.
   */
  historySeconds?: number | null;
}

export type ShrinkVerdict = { allowed: true } | { allowed: false; reason: string };

const ALLOWED: ShrinkVerdict = { allowed: true };

/** Whether a VM may go below its provisioned size, and why not when it may not. */
export function shrinkVerdict(vm: ShrinkEvidence, neverShrink: boolean, minHistoryHours: number): ShrinkVerdict {
  if (neverShrink) return { allowed: false, reason: 'kept: its class never shrinks' };
  if (vm.historySeconds === undefined) return ALLOWED;
  const have = vm.historySeconds === null || !Number.isFinite(vm.historySeconds) ? 0 : Math.max(0, vm.historySeconds);
  if (have >= minHistoryHours * 3600) return ALLOWED;
  return { allowed: false, reason: `kept: ${hoursOf(have)} of samples, ${hoursOf(minHistoryHours * 3600)} needed` };
}

/** "0 h", "2 h", "1.5 h": a history span in hours, as an operator reads it. */
export function hoursOf(seconds: number): string {
  const h = seconds / 3600;
  const shown = h >= 10 || Number.isInteger(h) ? Math.floor(h) : Math.floor(h * 10) / 10;
  return `${shown} h`;
}
