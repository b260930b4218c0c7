// Whether the zones are enforced as the mode says, for /healthz and `virtzone status`.
// Failures used to be warnings in the log only, so zones could silently go unenforced
// (a cgroup hierarchy the daemon cannot use, systemctl refused by polkit, a limit that
// would not write); the last attempt's outcome is kept here with its reason.

export interface ZoneEnforcementCheck {
  ok: boolean;
  detail: string;
}

export class ZoneEnforcement {
  /** why the partitions cannot be managed at all (set once at start), null when they can */
  private unusable: string | null = null;
  /** the last attempt's problems, [] when it went through */
  private problems: string[] = [];
  private attempted = false;

  constructor(
    private readonly managed: () => boolean,
    private readonly enforcing: () => boolean,
  ) {}

  /** No usable cgroup hierarchy: the partitions cannot be managed. */
  cannotManage(reason: string): void {
    this.unusable = reason;
  }

  /** The outcome of making or limiting the partitions: the warnings, or the error thrown. */
  attempt(problems: readonly string[]): void {
    this.attempted = true;
    this.problems = [...problems];
  }

  check(): ZoneEnforcementCheck {
    if (!this.managed()) return { ok: true, detail: 'zone partitions are not managed (zones.manageCgroups: false)' };
    if (!this.enforcing()) return { ok: true, detail: 'observe mode: zones are planned and reported, not enforced' };
    if (this.unusable !== null) return { ok: false, detail: `zones are not enforced: ${this.unusable}` };
    if (this.problems.length > 0) return { ok: false, detail: `zones are not fully enforced: ${this.problems.slice(0, 3).join('; ')}${this.problems.length > 3 ? ` (+${this.problems.length - 3} more)` : ''}` };
    return { ok: true, detail: this.attempted ? 'zone partitions in place with their limits' : 'zone partitions not made yet (waiting for the first plan)' };
  }
}
