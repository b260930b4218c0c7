// Holds the daemon's mode and records every switch in the audit table (action
// 'set-mode', vm 'host'); the same rows tell the next start what an admin last said.
import type { AuditLog } from '../../core/store/audit.js';
import { modeAfterReload, modeAtStart, modeRecordOf, modeSetByAdmin, type Mode, type ModeRecord } from './mode.js';

export const MODE_AUDIT_ACTION = 'set-mode';
const MODE_AUDIT_VM = 'host';

export class ModeControl {
  private current: ModeRecord;
  private readonly listeners: Array<(now: ModeRecord, before: Mode) => void> = [];

  constructor(
    private readonly audit: AuditLog,
    configMode: Mode,
    private readonly now: () => number = () => Date.now() / 1000,
  ) {
    const row = audit.list({ vm: MODE_AUDIT_VM, action: MODE_AUDIT_ACTION, limit: 1 })[0];
    const last = row ? modeRecordOf(row.after, row.ts) : null;
    this.current = modeAtStart(configMode, last, this.now());
    if (!last || last.mode !== this.current.mode || last.source !== this.current.source || last.configMode !== this.current.configMode) {
      const why = last ? `the configuration says mode: ${configMode} (changed since the last recorded switch)` : `first start: mode ${configMode} from the configuration`;
      this.record(last?.mode ?? null, why);
    }
  }

  get mode(): Mode {
    return this.current.mode;
  }

  enforcing(): boolean {
    return this.current.mode === 'enforce';
  }

  view(): ModeRecord {
    return { ...this.current };
  }

  /** Called with the new record and the mode before, after every change. */
  onChange(listener: (now: ModeRecord, before: Mode) => void): void {
    this.listeners.push(listener);
  }

  /** A reloaded configuration: its mode key, when it changed, decides. */
  reloaded(previousConfigMode: Mode, nextConfigMode: Mode): void {
    this.change(modeAfterReload(this.current, previousConfigMode, nextConfigMode, this.now()), `the configuration's mode changed from ${previousConfigMode} to ${nextConfigMode} (reload)`);
  }

  /** An admin's switch; returns whether the mode changed. */
  setByAdmin(mode: Mode, by: string, reason: string | undefined): boolean {
    return this.change(modeSetByAdmin(this.current, mode, by, this.now()), `set by ${by}${reason ? `: ${reason}` : ''}`);
  }

  private change(next: ModeRecord, why: string): boolean {
    if (next === this.current) return false;
    const before = this.current.mode;
    this.current = next;
    this.record(before, why);
    if (before !== next.mode) for (const l of this.listeners) l(this.view(), before);
    return true;
  }

  private record(before: Mode | null, reason: string): void {
    this.audit.append({
      ts: this.current.at,
      actor: this.current.source === 'api' ? this.current.by : 'config',
      vm: MODE_AUDIT_VM,
      action: MODE_AUDIT_ACTION,
      reason,
      before: { mode: before },
      after: this.current,
      result: 'ok',
    });
  }
}
