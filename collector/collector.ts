// The collector: one tick = one all-domain stats call, one VmSample per domain, one
// store transaction. It keeps the previous snapshot of each domain (for rates) and each
// domain's membership (class, tenant, app from its virtzone metadata), cached per uuid and
// dropped when libvirt reports the domain (re)defined or undefined.
import type { DomainInfo, DomainStats, HostAdapter, HostEvent } from '../core/host/types.js';
import type { Store, TickWrite } from '../core/store/store.js';
import { collectSamples, NO_MEMBERSHIP, type StatsSnapshot, type VmMembership } from './sample.js';
import { parseZoneMetadata, MetadataError } from '../core/host/metadata.js';
import { HostUnavailableError } from '../core/host/errors.js';
import { silentLog, type Log } from '../core/log.js';


export interface CollectorOptions {
  /**
   * The current host connection: `() => supervisor.current()` (which throws
   * HostUnavailableError while disconnected), or null/undefined while there is none.
   */
  host: () => HostAdapter | null | undefined;
  store: Pick<Store, 'recordTick'>;
  log?: Log;
  /** wall clock in unix ms (injected by tests) */
  clock?: () => number;
}

export interface TickReport {
  /** tick time, unix ms */
  at: number;
  domains: number;
  /** domains whose rates start over this tick (new, restarted, redefined) */
  newBaselines: number;
  /** domains seen last tick and gone now */
  vanished: number;
  samples: number;
  rollups: number;
  /** time spent waiting for libvirt, and in the whole tick, ms */
  statsMs: number;
  totalMs: number;
}

export class Collector {
  private readonly getHost: () => HostAdapter | null | undefined;
  private readonly store: Pick<Store, 'recordTick'>;
  private readonly log: Log;
  private readonly clock: () => number;
  private prev = new Map<string, StatsSnapshot>(); // by domain name
  private readonly membership = new Map<string, VmMembership>(); // by uuid
  private subscribed: { host: HostAdapter; off: () => void } | null = null;

  constructor(opts: CollectorOptions) {
    this.getHost = opts.host;
    this.store = opts.store;
    this.log = opts.log ?? silentLog;
    this.clock = opts.clock ?? Date.now;
  }

  /** Forget a domain's cached membership (e.g. after its metadata was changed). */
  forget(uuid: string): void {
    this.membership.delete(uuid);
  }

  /** Drop every cached membership; the next tick reads all metadata again. */
  forgetAll(): void {
    this.membership.clear();
  }

  /** Stop listening to host events. */
  close(): void {
    this.subscribed?.off();
    this.subscribed = null;
  }

  /**
   * One collection: stats of all domains, a sample each, written in one transaction.
   * Throws when libvirt or the store fails; the routine logs it and tries next interval.
   */
  async tick(now: number = this.clock()): Promise<TickReport> {
    const started = performance.now();
    // the supervisor's current() throws HostUnavailableError itself while disconnected
    const host = this.getHost();
    if (!host || !host.isAlive()) {
      throw new HostUnavailableError(host?.uri ?? '(none)', host ? 'connection lost' : 'not connected', this.clock());
    }
    this.follow(host);

    const stats = await host.allDomainStats();
    const statsMs = performance.now() - started;
    // the stats were read at about the end of the call: time the rates by that instant
    const readAt = now + statsMs;

    const [members, sizes] = await Promise.all([this.membershipsOf(host, stats), this.sizesIfMissing(host, stats)]);

    const { observations, next, newBaselines, vanished } = collectSamples(
      this.prev, stats, now, readAt, (uuid) => members.get(uuid), sizes,
    );
    const written: TickWrite = this.store.recordTick(Math.floor(now / 1000), observations);
    // only now: a failed write leaves the old baselines, so the next tick spans both
    this.prev = next;
    const report: TickReport = {
      at: now,
      domains: stats.length,
      newBaselines,
      vanished: vanished.length,
      samples: written.samples,
      rollups: written.rollups,
      statsMs,
      totalMs: performance.now() - started,
    };
    this.log.debug({ tick: report }, 'collector tick');
    return report;
  }

  /** Subscribe to lifecycle events of the current connection (it changes on reconnect). */
  private follow(host: HostAdapter): void {
    if (this.subscribed?.host === host) return;
    this.subscribed?.off();
    const off = host.onEvent((e: HostEvent) => {
      if (e.type === 'domain' && (e.event.kind === 'defined' || e.event.kind === 'undefined')) {
        this.membership.delete(e.event.uuid);
      }
    });
    this.subscribed = { host, off };
    // a new connection may follow a libvirtd restart during which domains were redefined
    this.membership.clear();
  }

  private async membershipsOf(host: HostAdapter, stats: DomainStats[]): Promise<Map<string, VmMembership>> {
    const missing = stats.filter((s) => !this.membership.has(s.uuid));
    const fetched = await Promise.allSettled(missing.map((s) => host.getMetadata(s.name)));
    fetched.forEach((r, i) => {
      const s = missing[i];
      if (r.status === 'fulfilled') this.membership.set(s.uuid, this.membershipFrom(s.name, r.value));
      // not cached: retried next tick (the domain may have vanished meanwhile)
      else this.log.debug({ vm: s.name, err: String(r.reason) }, 'cannot read virtzone metadata');
    });
    return this.membership;
  }

  /**
   * The class, tenant and app of the metadata element; none when the VM has no virtzone
   * metadata or when it is malformed (hand-edited): logged, and counted as unclassified
   * until the domain is redefined.
   */
  private membershipFrom(name: string, xml: string | null): VmMembership {
    if (xml === null) return NO_MEMBERSHIP;
    try {
      const m = parseZoneMetadata(xml);
      return { class: m.class, tenant: m.tenant ?? null, app: m.app ?? null };
    } catch (err) {
      if (!(err instanceof MetadataError)) throw err;
      this.log.warn({ vm: name, err: err.message }, 'ignoring malformed virtzone metadata');
      return NO_MEMBERSHIP;
    }
  }

  /**
   * Provisioned sizes come from the stats (vcpu.current, balloon.current). Drivers that
   * do not report them (libvirt's test driver) get one listDomains() call per tick.
   */
  private async sizesIfMissing(host: HostAdapter, stats: DomainStats[]): Promise<Map<string, DomainInfo> | null> {
    if (stats.every((s) => s.vcpuCurrent !== undefined && s.balloon?.currentKiB !== undefined)) return null;
    try {
      return new Map((await host.listDomains()).map((d) => [d.name, d]));
    } catch (err) {
      this.log.debug({ err: String(err) }, 'cannot list domains for sizes');
      return null;
    }
  }
}
