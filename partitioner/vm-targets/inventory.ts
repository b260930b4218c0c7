// Reads the host's domains into VmViews: sizes from libvirt, zone from the virtzone
// metadata, use from the collector's latest samples. Membership is cached per domain
// UUID (metadata changes rarely); call invalidate() on a domain event.
//
// The last read is kept, so a caller on a hot path (a domain about to start, per
// placement) can work from it without listing every domain: members() is that read, kept
// current by lifecycle events (noteEvent) and by the domains announced to start
// (noteIncoming), which count as running until a later read shows them running, or an
// event says they stopped or went away.
import type { DomainEvent, HostAdapter } from '../../core/host/types.js';
import type { VmView } from '../plan/types.js';
import type { LatestUse } from '../zones/zone-states.js';
import { toNumbers } from '../apply/snapshot.js';
import { normalizeQuota } from './targets.js';
import { membershipOf, zoneOf, type Membership } from './membership.js';

export interface InventoryOptions {
  /** also read cpu_shares / vcpu_quota / memtune of running VMs (for a complete plan diff) */
  withTuning?: boolean;
  /** how long a domain's membership is trusted without re-reading its XML (s) */
  membershipTtlSeconds?: number;
}

export interface InventoryVm extends VmView {
  uuid: string;
  membership: Membership;
}

/** A domain about to start in a zone, as members() counts it until a read shows it. */
export interface IncomingVm {
  name: string;
  zone: string;
  vcpus: number;
  memoryMiB: number;
}

/** What members() returns: enough for zone limits (sizes, zone, whether it runs). */
export interface InventoryMember {
  name: string;
  zone: string;
  running: boolean;
  vcpus: number;
  memoryMiB: number;
}

/** An announced start not seen running by a read this long after it is dropped (a start that failed without an event). */
const INCOMING_GRACE_SECONDS = 300;

export class Inventory {
  private cache = new Map<string, { at: number; m: Membership }>();
  /** the last completed read, and the sequence number it began at */
  private last: { seq: number; vms: InventoryVm[] } | null = null;
  /** announced starts by domain name, with the sequence number and time of the announcement */
  private incoming = new Map<string, { seq: number; at: number; vm: IncomingVm }>();
  /** orders reads and announcements: a read only vouches for what was announced before it began */
  private seq = 0;

  constructor(
    private readonly host: HostAdapter,
    private classNames: ReadonlySet<string>,
    private readonly now: () => number = () => Date.now() / 1000,
  ) {}

  /** The configured classes changed (a reload): memberships are read again. */
  setClasses(names: ReadonlySet<string>): void {
    this.classNames = names;
    this.cache.clear();
  }

  invalidate(uuidOrAll?: string): void {
    if (uuidOrAll === undefined) this.cache.clear();
    else this.cache.delete(uuidOrAll);
  }

  private async membership(name: string, uuid: string, ttl: number): Promise<Membership> {
    const hit = this.cache.get(uuid);
    if (hit && this.now() - hit.at < ttl) return hit.m;
    let xml = '';
    try {
      xml = await this.host.getXml(name);
    } catch {
      // a domain that vanished between list and read: no membership
    }
    const m = membershipOf(xml);
    this.cache.set(uuid, { at: this.now(), m });
    return m;
  }

  /** Whether a read has completed, so members() has something to start from. */
  get hasRead(): boolean {
    return this.last !== null;
  }

  /**
   * The domains as the last read saw them, updated by events since, plus the announced
   * starts (as running, in their zone). No libvirt call. Empty before the first read.
   */
  members(): InventoryMember[] {
    const out: InventoryMember[] = [];
    for (const vm of this.last?.vms ?? []) {
      if (this.incoming.has(vm.name)) continue;
      out.push({ name: vm.name, zone: vm.zone, running: vm.running, vcpus: vm.vcpus, memoryMiB: vm.memoryMiB });
    }
    for (const { vm } of this.incoming.values()) out.push({ ...vm, running: true });
    return out;
  }

  /** A domain is about to start in `vm.zone`: members() counts it from now on (see the module comment). */
  noteIncoming(vm: IncomingVm): void {
    this.incoming.set(vm.name, { seq: ++this.seq, at: this.now(), vm: { ...vm } });
  }

  /** A lifecycle event: keeps the last read's running states and membership current. */
  noteEvent(e: DomainEvent): void {
    const vm = this.last?.vms.find((v) => v.uuid.toLowerCase() === e.uuid.toLowerCase() || v.name === e.name);
    switch (e.kind) {
      case 'started':
      case 'resumed':
        if (vm) vm.running = true;
        break;
      case 'stopped':
      case 'crashed':
        if (vm) vm.running = false;
        this.incoming.delete(e.name);
        break;
      case 'undefined':
        if (this.last && vm) this.last.vms = this.last.vms.filter((v) => v !== vm);
        this.incoming.delete(e.name);
        break;
      default:
        break;
    }
  }

  async read(use: ReadonlyMap<string, LatestUse>, opts: InventoryOptions = {}): Promise<InventoryVm[]> {
    const seq = ++this.seq;
    const out = await this.readHost(use, opts);
    this.remember(seq, out);
    return out;
  }

  /** Keeps a read (unless a later one finished first) and retires the announcements it vouches for. */
  private remember(seq: number, vms: InventoryVm[]): void {
    // a copy: events update it, and the caller's array must not change under it
    if (!this.last || this.last.seq < seq) this.last = { seq, vms: vms.map((v) => ({ ...v })) };
    const now = this.now();
    for (const [name, entry] of this.incoming) {
      if (entry.seq > seq) continue; // announced after this read began: it cannot have seen the start
      const seen = vms.find((v) => v.name === name);
      if (seen?.running || now - entry.at > INCOMING_GRACE_SECONDS) this.incoming.delete(name);
    }
  }

  private async readHost(use: ReadonlyMap<string, LatestUse>, opts: InventoryOptions): Promise<InventoryVm[]> {
    const ttl = opts.membershipTtlSeconds ?? 300;
    const out: InventoryVm[] = [];
    for (const d of await this.host.listDomains()) {
      const m = await this.membership(d.name, d.uuid, ttl);
      const running = d.state === 'running' || d.state === 'blocked' || d.state === 'paused';
      const u = use.get(d.name);
      const vm: InventoryVm = {
        name: d.name,
        uuid: d.uuid,
        membership: m,
        zone: zoneOf(m, this.classNames),
        managed: m.zoneClass !== null,
        running,
        vcpus: d.vcpusCurrent,
        maxVcpus: d.vcpusMax,
        memoryMiB: Math.round(d.memoryKiB / 1024),
        maxMemoryMiB: Math.floor(d.maxMemoryKiB / 1024),
        usedCpuCores: running ? (u?.cpuCores ?? null) : null,
        usedMemoryMiB: running ? (u?.memoryMiB ?? null) : null,
        ...(u?.peakMemoryMiB !== undefined ? { peakMemoryMiB: u.peakMemoryMiB } : {}),
        // a domain the store holds no samples of has no evidence to shrink it by
        historySeconds: u?.historySeconds ?? 0,
        ...(m.memoryFloorMiB !== undefined ? { memoryFloorMiB: m.memoryFloorMiB } : {}),
        ...(m.minVcpus !== undefined ? { minVcpus: m.minVcpus } : {}),
      };
      if (opts.withTuning && running) {
        try {
          const s = toNumbers(await this.host.getSchedulerParams(d.name));
          if (s && 'cpu_shares' in s) vm.cpuShares = s.cpu_shares;
          if (s && 'vcpu_quota' in s) vm.vcpuQuota = normalizeQuota(s.vcpu_quota);
        } catch {
          /* the host's scheduler has no such parameters */
        }
        try {
          const p = toNumbers(await this.host.getMemoryParams(d.name));
          if (p && 'soft_limit' in p && p.soft_limit > 0 && p.soft_limit < 9_007_199_254_740_991) vm.memorySoftLimitMiB = p.soft_limit / 1024;
          else if (p && 'soft_limit' in p) vm.memorySoftLimitMiB = null;
        } catch {
          /* no memtune */
        }
      }
      out.push(vm);
    }
    return out;
  }
}
