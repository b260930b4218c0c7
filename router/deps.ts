// What the API needs from the rest of the daemon. The daemon wires the real providers;
// tests pass small real implementations over real data. Every provider is async so a
// provider may cache, query SQLite or ask libvirt as it sees fit.
import type { Database } from 'better-sqlite3';
import type { Logger } from '../core/log.js';
import type { Config } from '../core/config/schema.js';
import type { HostAdapter } from '../core/host/types.js';
import type { AuditLog } from '../core/store/audit.js';
import type { LoadPrediction, Rollup, ZoneState } from '../core/model/types.js';
import type { Rng } from './overflow/rng.js';
import type { AppProfiles } from './placement/app-profile.js';

/** Current zones (classes + general), as the zone monitor sees them. Called per placement: keep it cheap (a snapshot). */
export type ZoneProvider = () => Promise<ZoneState[]>;

/** Latest predictions of one series ('class:gold', 'vm:web-1', 'tenant:acme', 'app:db'), every horizon and resource; [] when none. */
export type ForecastProvider = (series: string) => Promise<LoadPrediction[]>;

/** One VM as GET /v1/vms shows it; the provider may add fields. */
export interface VmView {
  name: string;
  zone?: string | null;
  [field: string]: unknown;
}
export type VmProvider = () => Promise<VmView[]>;

export interface DaemonActions {
  /** the partitioner's current plan (GET /v1/plan) */
  plan: () => Promise<Record<string, unknown>>;
  /** POST /v1/repartition: compute a plan and, unless dryRun, apply it */
  repartition: (opts: { dryRun: boolean }) => Promise<Record<string, unknown>>;
  /** POST /v1/train: train now (all series, or the given ones) */
  train: (opts: { series?: string[] }) => Promise<Record<string, unknown>>;
  /** age of the newest trained model in seconds, null when none was trained yet */
  modelAgeSeconds: () => Promise<number | null>;
  /** GET /v1/train: the current/last training run and its progress (absent: 404) */
  trainStatus?: () => Promise<Record<string, unknown>>;
}

export type Mode = 'observe' | 'enforce';

/** GET /v1/mode's answer (router/schemas/mode.ts ModeView). */
export interface ModeAnswer {
  mode: Mode;
  source: 'config' | 'api';
  configMode: Mode;
  by: string;
  since: number;
  changed?: boolean;
  classes: Array<{ class: string; historyDays: number; neededDays: number; model: string | null; modelRunId: number | null; missing: string[]; ready: boolean }>;
  wouldDo: { at: number; actions: object[] } | null;
}

/** The daemon's mode, read and switched by the mode routes. */
export interface ModeProvider {
  view(): Promise<ModeAnswer>;
  /** an admin's switch; `by` is the credential's name */
  set(mode: Mode, by: string, reason: string | undefined): Promise<ModeAnswer>;
}

/**
 * 5-minute rollups of a series ('vm:web-1', 'class:gold', ...) with since <= ts < until
 * (unix seconds), oldest first; [] when there are none. Feeds GET /v1/vms/{name}/history
 * and GET /v1/series/{series}/history (`virtzone history`, `virtzone forecast`).
 */
export type HistoryProvider = (series: string, since: number, until: number) => Promise<Rollup[]>;

/**
 * What earlier VMs of each tenant's app used (router/placement/app-profile.ts); a
 * request of an app with a profile is charged at it. Called per placement: cache.
 */
export type AppProfileProvider = () => Promise<AppProfiles>;

/** Makes zone `zone`'s partition ready for a domain of the given size to start in it; rejects when it cannot. */
export type EnsurePartition = (zone: string, incoming: { vcpus: number; memoryMiB: number; /** the domain's name, when known: it is counted once until the host shows it running */ name?: string }) => Promise<void>;

export interface RouterDeps {
  config: Config;
  /** the daemon's database (the router owns the 'reservations' component's tables) */
  db: Database;
  zones: ZoneProvider;
  forecasts: ForecastProvider;
  vms: VmProvider;
  actions: DaemonActions;
  /** absent: the history routes answer 404 */
  history?: HistoryProvider;
  /** absent: requests are charged at their class's use ratio only */
  appProfiles?: AppProfileProvider;
  /** needed for domainXml placements, confirm tagging and /healthz; absent = no hypervisor */
  host?: HostAdapter;
  /**
   * Makes the zone's resource partition exist (every cgroup hierarchy, limits with room
   * for the incoming VM) right before a domainXml placement starts its domain. libvirt
   * never creates a partition, and a failed start elsewhere can remove one, so this runs
   * before every start. Absent: partitions are not managed (zones.manageCgroups false).
   */
  ensurePartition?: EnsurePartition;
  /**
   * Whether zones are enforced (the daemon's mode). false (observe): new domains start in
   * libvirt's default partition and no partition is created or changed. Absent: enforced.
   */
  enforcing?: () => boolean;
  /** absent: the mode routes answer 404 */
  mode?: ModeProvider;
  /**
   * /healthz's zones check: not ok (degraded) when zones are meant to be enforced but the
   * partitions could not be made or limited, with the reason. Absent: no such check.
   */
  zonesHealth?: () => { ok: boolean; detail: string };
  /**
   * A domain's virtzone tag changed (confirm): whoever caches memberships by uuid reads
   * it again, so a running VM joins its zone at the next collector tick. (libvirt sends
   * no lifecycle event for a metadata change.)
   */
  onDomainTagged?: (uuid: string) => void;
  /** where creations, confirms and the reconciler's actions are recorded; absent: not audited */
  audit?: AuditLog;
  /** whether the database takes writes (reads cannot tell a full disk); absent: /healthz probes reads only */
  storeWrites?: () => { ok: boolean; detail: string };
  /**
   * Seconds since a libvirt call last succeeded (null: none yet). /healthz reports libvirt
   * failing past config libvirt.healthyWithinSeconds, even while the connection claims to
   * be alive. Absent: /healthz judges by the connection alone.
   */
  hostCallAgeSeconds?: () => number | null;
  logger?: Logger;
  /** overflow randomness; default: seeded from crypto */
  rng?: Rng;
  /** clock in unix ms; default Date.now */
  now?: () => number;
  /** how often expired reservations are swept (ms); default 5000, 0 = never (tests) */
  sweepIntervalMs?: number;
  /** /healthz reports the model as stale past this age; default 48 h */
  maxModelAgeSeconds?: number;
}
