// Reads the host's domains into VmViews: sizes from libvirt, zone from the virtzone
// metadata, use from the collector's latest samples. Membership is cached per domain
// UUID (metadata changes rarely); call invalidate() on a domain event.
import type { HostAdapter } from '../../core/host/types.js';
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

export class Inventory {
  private cache = new Map<string, { at: number; m: Membership }>();

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

  async read(use: ReadonlyMap<string, LatestUse>, opts: InventoryOptions = {}): Promise<InventoryVm[]> {
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
