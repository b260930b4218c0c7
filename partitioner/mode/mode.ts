// The daemon's operating mode and who set it. observe: collect, forecast, plan and say
// what would be done, changing nothing on VMs or cgroups; enforce: act on the plan. A
// fresh install observes (config default) until an operator says otherwise, either in
// the config (mode:, then SIGHUP) or by an admin call. The newest explicit word wins:
// an admin's switch holds across restarts until the config's mode key itself changes.
// Pure.

export type Mode = 'observe' | 'enforce';
export const MODES: readonly Mode[] = ['observe', 'enforce'];

/** Who made the mode what it is. */
export type ModeSource = 'config' | 'api';

/** One recorded switch (kept as an audit row's `after`). */
export interface ModeRecord {
  mode: Mode;
  source: ModeSource;
  /** the config's mode key when the switch was made: an admin's switch stands while it is unchanged */
  configMode: Mode;
  /** who: 'config' or the admin credential's name */
  by: string;
  /** unix seconds */
  at: number;
}

export function isMode(x: unknown): x is Mode {
  return x === 'observe' || x === 'enforce';
}

/** A stored record back from its JSON; null when it is not one. */
export function modeRecordOf(x: unknown, at: number): ModeRecord | null {
  if (x === null || typeof x !== 'object') return null;
  const r = x as Record<string, unknown>;
  if (!isMode(r.mode) || !isMode(r.configMode) || (r.source !== 'config' && r.source !== 'api')) return null;
  return { mode: r.mode, source: r.source, configMode: r.configMode, by: typeof r.by === 'string' ? r.by : r.source, at };
}

/**
 * The mode at start: the config's, unless the last recorded switch was an admin's made
 * while the config said what it says now.
 */
export function modeAtStart(configMode: Mode, last: ModeRecord | null, now: number): ModeRecord {
  if (last && last.source === 'api' && last.configMode === configMode) return last;
  return { mode: configMode, source: 'config', configMode, by: 'config', at: last && last.mode === configMode && last.source === 'config' ? last.at : now };
}

/** The mode after a config reload: a changed mode key is the operator's newest word. */
export function modeAfterReload(current: ModeRecord, previousConfigMode: Mode, nextConfigMode: Mode, now: number): ModeRecord {
  if (previousConfigMode === nextConfigMode) return current;
  return { mode: nextConfigMode, source: 'config', configMode: nextConfigMode, by: 'config', at: now };
}

/**
 * What the mode routes answer: the record as an operator reads it, each class's
 * readiness, and (in observe mode) what the auto-scaler's last tick would have done.
 */
export function modeReportOf<C, W>(r: ModeRecord, classes: C[], wouldDo: W | null, changed?: boolean) {
  return { mode: r.mode, source: r.source, configMode: r.configMode, by: r.by, since: r.at, ...(changed === undefined ? {} : { changed }), classes, wouldDo: r.mode === 'observe' ? wouldDo : null };
}

/** The mode after an admin's call. */
export function modeSetByAdmin(current: ModeRecord, mode: Mode, by: string, now: number): ModeRecord {
  if (current.mode === mode) return current;
  return { mode, source: 'api', configMode: current.configMode, by, at: now };
}
