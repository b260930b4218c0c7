// HostAdapter over the libvirt addon: the only code that turns virtzone's plain records
// into libvirt calls and back. Every call runs off the main thread in the addon; this
// layer maps types (states, events, stats), names failures, and notices a lost link.
import {
  VIRTZONE_NS_PREFIX,
  VIRTZONE_NS_URI,
  type DomainEvent,
  type DomainEventKind,
  type DomainInfo,
  type DomainState,
  type DomainStats,
  type HostAdapter,
  type HostEvent,
  type ImpactFlags,
  type MemoryParams,
  type NetworkInfo,
  type NodeInfo,
  type SchedulerParams,
  type StoragePoolInfo,
  type StorageVolumeInfo,
} from './types.js';
import { readPoolXml, readVolumeXml } from '../xml/storage-xml.js';
import { LibvirtError, isLibvirtError, mayBeConnectionLoss } from './errors.js';
import {
  loadNative,
  type NativeConnection,
  type NativeConstants,
  type RawDomainInfo,
  type RawDomainStatsRecord,
  type RawEvent,
  type RawStorageVolume,
  type TypedParams,
} from './native.js';

/** virDomainState, by value */
const DOMAIN_STATES: readonly DomainState[] = [
  'nostate', 'running', 'blocked', 'paused', 'shutdown', 'shutoff', 'crashed', 'pmsuspended',
];
/** virDomainEventType, by value */
const EVENT_KINDS: readonly DomainEventKind[] = [
  'defined', 'undefined', 'started', 'suspended', 'resumed', 'stopped', 'shutdown', 'pmsuspended', 'crashed',
];
/** virConnectCloseReason, by value */
const CLOSE_REASONS = ['connection error', 'end of file from libvirtd', 'keepalive timeout', 'closed by client'];

function toVolumeInfo(pool: string, v: RawStorageVolume): StorageVolumeInfo {
  return { name: v.name, pool, path: v.path, key: v.key, ...readVolumeXml(v.xml) };
}

function domainStateName(state: number): DomainState {
  return DOMAIN_STATES[state] ?? 'nostate';
}

export interface OpenHostOptions {
  readOnly?: boolean;
  /** seconds between keepalive probes (remote/daemon URIs); 0 disables. Default 5 */
  keepaliveIntervalSeconds?: number;
  /** unanswered probes before libvirt declares the link dead. Default 3 */
  keepaliveCount?: number;
  /** subscribe to domain lifecycle events. Default true */
  events?: boolean;
  /**
   * threads of the addon's own pool for blocking calls (shared by every connection of the
   * process; it only grows). Default: the pool's own default (4) on first use
   */
  callThreads?: number;
  /** where a listener's exception goes (listeners must not break event delivery). Default: console.error */
  onListenerError?: (err: unknown) => void;
}

export interface AllDomainStatsOptions {
  /**
   * Wait for domains busy with a job (migration, ...) instead of skipping the stats that
   * need the job lock. Default false (VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT): a
   * periodic collector must not stall behind one busy VM.
   */
  wait?: boolean;
}

/** Opens a connection (any libvirt URI, e.g. test:///abs/host.xml). Rejects with LibvirtError. */
export async function openHost(uri: string, opts: OpenHostOptions = {}): Promise<LibvirtHost> {
  const addon = loadNative();
  const host = new LibvirtHost(uri, addon.constants, opts.onListenerError);
  let conn: NativeConnection;
  try {
    conn = await addon.open(
      uri,
      {
        readOnly: opts.readOnly ?? false,
        events: opts.events ?? true,
        keepaliveInterval: opts.keepaliveIntervalSeconds ?? 5,
        keepaliveCount: opts.keepaliveCount ?? 3,
        ...(opts.callThreads !== undefined ? { callThreads: opts.callThreads } : {}),
      },
      (e) => host.handleRawEvent(e),
    );
  } catch (err) {
    throw isLibvirtError(err) ? err.withOperation(`cannot open libvirt connection '${uri}'`) : err;
  }
  host.attach(conn);
  return host;
}

export class LibvirtHost implements HostAdapter {
  readonly uri: string;
  private conn: NativeConnection | undefined;
  private readonly k: NativeConstants;
  private readonly listeners = new Set<(e: HostEvent) => void>();
  private readonly onListenerError: (err: unknown) => void;
  private closed = false;
  /** why the link is gone (close callback, keepalive, failed call), or null while alive */
  private lostReason: string | null = null;
  private probing: Promise<void> | null = null;
  private undefineFlags: number | undefined;

  /** @internal use openHost() */
  constructor(uri: string, constants: NativeConstants, onListenerError?: (err: unknown) => void) {
    this.uri = uri;
    this.k = constants;
    this.onListenerError = onListenerError ?? ((err) => console.error('virtzone: host event listener failed:', err));
  }

  /** @internal */
  attach(conn: NativeConnection): void {
    this.conn = conn;
  }

  /** How keepalive went at open: 'enabled', 'not applicable' (local driver), ... */
  get keepalive(): string {
    return this.conn?.keepalive ?? 'disabled';
  }

  /** Whether lifecycle events are being delivered. */
  get eventsEnabled(): boolean {
    return this.conn?.events ?? false;
  }

  /** False once closed or once the link is known lost (no I/O; see checkAlive). */
  isAlive(): boolean {
    return !this.closed && this.lostReason === null && this.conn !== undefined && !this.conn.isClosed();
  }

  /** Asks libvirt (virConnectIsAlive, off the main thread); marks the host lost when not. */
  async checkAlive(): Promise<boolean> {
    if (!this.isAlive() || !this.conn) return false;
    let alive: boolean;
    try {
      alive = await this.conn.isAlive();
    } catch {
      alive = false;
    }
    if (!alive) this.markLost('virConnectIsAlive reports the connection dead');
    return alive;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const wasAlive = this.lostReason === null;
    await this.conn?.close();
    if (wasAlive) this.emit({ type: 'disconnected', reason: 'closed by client' });
    this.listeners.clear();
  }

  async nodeInfo(): Promise<NodeInfo> {
    const n = await this.call('nodeInfo()', (c) => c.nodeInfo());
    return { ...n };
  }

  async listDomains(): Promise<DomainInfo[]> {
    const list = await this.call('listDomains()', (c) => c.listAllDomains());
    return list.map(toDomainInfo);
  }

  async lookup(name: string): Promise<DomainInfo> {
    return toDomainInfo(await this.call(`lookup(${q(name)})`, (c) => c.lookupByName(name)));
  }

  async lookupByUuid(uuid: string): Promise<DomainInfo> {
    return toDomainInfo(await this.call(`lookupByUuid(${q(uuid)})`, (c) => c.lookupByUuid(uuid)));
  }

  async lookupStoragePool(name: string): Promise<StoragePoolInfo> {
    const p = await this.call(`lookupStoragePool(${q(name)})`, (c) => c.lookupStoragePool(name));
    return { name: p.name, uuid: p.uuid, active: p.active, ...readPoolXml(p.xml) };
  }

  async listStorageVolumes(pool: string): Promise<StorageVolumeInfo[]> {
    const list = await this.call(`listStorageVolumes(${q(pool)})`, (c) => c.listStorageVolumes(pool));
    return list.map((v) => toVolumeInfo(pool, v));
  }

  async lookupStorageVolume(pool: string, name: string): Promise<StorageVolumeInfo> {
    const v = await this.call(`lookupStorageVolume(${q(pool)}, ${q(name)})`, (c) => c.lookupStorageVolume(pool, name));
    return toVolumeInfo(pool, v);
  }

  async createStorageVolume(pool: string, xml: string, opts: { cloneFrom?: string } = {}): Promise<StorageVolumeInfo> {
    const from = opts.cloneFrom;
    const v =
      from === undefined
        ? await this.call(`createStorageVolume(${q(pool)})`, (c) => c.createStorageVolume(pool, xml))
        : await this.call(`createStorageVolume(${q(pool)}, cloneFrom ${q(from)})`, (c) => c.createStorageVolume(pool, xml, from));
    return toVolumeInfo(pool, v);
  }

  async deleteStorageVolume(pool: string, name: string): Promise<void> {
    await this.call(`deleteStorageVolume(${q(pool)}, ${q(name)})`, (c) => c.deleteStorageVolume(pool, name));
  }

  async listNetworks(): Promise<NetworkInfo[]> {
    return (await this.call('listNetworks()', (c) => c.listNetworks())).map((n) => ({ ...n }));
  }

  async getXml(name: string, opts: { inactive?: boolean } = {}): Promise<string> {
    const flags = opts.inactive ? this.k.VIR_DOMAIN_XML_INACTIVE : 0;
    return this.call(`getXml(${q(name)})`, (c) => c.getXml(name, flags));
  }

  async define(xml: string): Promise<string> {
    const d = await this.call('define()', (c) => c.defineXml(xml));
    return d.name;
  }

  /**
   * Removes the persistent definition, with its managed-save image and snapshot and
   * checkpoint metadata; a UEFI NVRAM file is kept. Drivers that refuse some of these
   * flags (the test driver) get the subset they take.
   */
  async undefine(name: string): Promise<void> {
    const k = this.k;
    const basic = k.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | k.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA;
    const full = basic | k.VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA | k.VIR_DOMAIN_UNDEFINE_KEEP_NVRAM;
    const op = `undefine(${q(name)})`;
    if (this.undefineFlags === undefined) {
      try {
        await this.call(op, (c) => c.undefine(name, full));
        this.undefineFlags = full;
        return;
      } catch (err) {
        // virCheckFlags reports unknown flags as VIR_ERR_INVALID_ARG; anything else is real.
        if (!isLibvirtError(err, 'VIR_ERR_INVALID_ARG')) throw err;
      }
      await this.call(op, (c) => c.undefine(name, basic));
      this.undefineFlags = basic;
      return;
    }
    const flags = this.undefineFlags;
    await this.call(op, (c) => c.undefine(name, flags));
  }

  async start(name: string): Promise<void> {
    await this.call(`start(${q(name)})`, (c) => c.create(name));
  }

  /** Asks the guest to shut down (ACPI); returns before it has. */
  async shutdown(name: string): Promise<void> {
    await this.call(`shutdown(${q(name)})`, (c) => c.shutdown(name));
  }

  async destroy(name: string): Promise<void> {
    await this.call(`destroy(${q(name)})`, (c) => c.destroy(name));
  }

  async allDomainStats(opts: AllDomainStatsOptions = {}): Promise<DomainStats[]> {
    const flags = opts.wait ? 0 : this.k.VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT;
    const records = await this.call('allDomainStats()', (c) => c.getAllDomainStats(0, flags));
    return records.map(toDomainStats);
  }

  async setVcpus(name: string, count: number, flags?: ImpactFlags): Promise<void> {
    await this.call(`setVcpus(${q(name)}, ${count})`, (c) => c.setVcpus(name, count, this.impact(flags)));
  }

  async setMemory(name: string, kib: number, flags?: ImpactFlags): Promise<void> {
    await this.call(`setMemory(${q(name)}, ${kib} KiB)`, (c) => c.setMemory(name, kib, this.impact(flags)));
  }

  async getSchedulerParams(name: string, flags?: ImpactFlags): Promise<SchedulerParams> {
    const r = await this.call(`getSchedulerParams(${q(name)})`, (c) => c.getSchedulerParams(name, this.impact(flags)));
    return numericParams(r.params);
  }

  /** Values take the type libvirt reports for each field; unknown fields reject (VIR_ERR_INVALID_ARG). */
  async setSchedulerParams(name: string, params: SchedulerParams, flags?: ImpactFlags): Promise<void> {
    await this.call(`setSchedulerParams(${q(name)}, ${describeParams(params)})`, (c) =>
      c.setSchedulerParams(name, params, this.impact(flags)),
    );
  }

  /** KiB; "unlimited" reads as VIR_DOMAIN_MEMORY_PARAM_UNLIMITED (2^53 - 1) */
  async getMemoryParams(name: string, flags?: ImpactFlags): Promise<MemoryParams> {
    return numericParams(await this.call(`getMemoryParams(${q(name)})`, (c) => c.getMemoryParams(name, this.impact(flags))));
  }

  async setMemoryParams(name: string, params: MemoryParams, flags?: ImpactFlags): Promise<void> {
    await this.call(`setMemoryParams(${q(name)}, ${describeParams(params)})`, (c) =>
      c.setMemoryParams(name, params, this.impact(flags)),
    );
  }

  async getMetadata(name: string, flags?: ImpactFlags): Promise<string | null> {
    try {
      return await this.call(`getMetadata(${q(name)})`, (c) =>
        c.getMetadata(name, this.k.VIR_DOMAIN_METADATA_ELEMENT, VIRTZONE_NS_URI, this.impact(flags)),
      );
    } catch (err) {
      if (isLibvirtError(err, 'VIR_ERR_NO_DOMAIN_METADATA')) return null;
      throw err;
    }
  }

  async setMetadata(name: string, xml: string | null, flags?: ImpactFlags): Promise<void> {
    await this.call(`setMetadata(${q(name)})`, (c) =>
      c.setMetadata(name, this.k.VIR_DOMAIN_METADATA_ELEMENT, xml, xml === null ? null : VIRTZONE_NS_PREFIX, VIRTZONE_NS_URI, this.impact(flags)),
    );
  }

  onEvent(listener: (e: HostEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** @internal called by the addon's event thread-safe function, on the main thread */
  handleRawEvent(e: RawEvent): void {
    if (e.type === 'lifecycle') {
      const kind = EVENT_KINDS[e.event];
      if (!kind) return; // an event type newer than this code
      const event: DomainEvent = { name: e.name, uuid: e.uuid, kind, detail: e.detail };
      this.emit({ type: 'domain', event });
    } else {
      this.markLost(CLOSE_REASONS[e.reason] ?? `closed (reason ${e.reason})`);
    }
  }

  private impact(flags: ImpactFlags | undefined): number {
    let f = this.k.VIR_DOMAIN_AFFECT_CURRENT;
    if (flags?.live) f |= this.k.VIR_DOMAIN_AFFECT_LIVE;
    if (flags?.config) f |= this.k.VIR_DOMAIN_AFFECT_CONFIG;
    return f;
  }

  /** Runs one addon call, names the operation in its error, and checks the link on suspicious failures. */
  private async call<T>(operation: string, fn: (c: NativeConnection) => Promise<T>): Promise<T> {
    const conn = this.conn;
    if (!conn) throw new Error(`${operation}: the host is not open`);
    try {
      return await fn(conn);
    } catch (err) {
      if (!isLibvirtError(err)) throw err;
      if (!this.closed && mayBeConnectionLoss(err)) this.probeAfterFailure(err);
      throw err.withOperation(operation);
    }
  }

  private probeAfterFailure(err: LibvirtError): void {
    if (this.probing || this.lostReason !== null) return;
    this.probing = (async () => {
      let alive = false;
      try {
        alive = await (this.conn?.isAlive() ?? Promise.resolve(false));
      } catch {
        alive = false;
      }
      if (!alive) this.markLost(`a call failed: ${err.libvirtMessage}`);
    })().finally(() => {
      this.probing = null;
    });
  }

  private markLost(reason: string): void {
    if (this.closed || this.lostReason !== null) return;
    this.lostReason = reason;
    this.emit({ type: 'disconnected', reason });
  }

  private emit(e: HostEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(e);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}

function q(name: string): string {
  return JSON.stringify(name);
}

function describeParams(p: Record<string, number | bigint>): string {
  return `{${Object.entries(p).map(([k, v]) => `${k}: ${String(v)}`).join(', ')}}`;
}

function toDomainInfo(d: RawDomainInfo): DomainInfo {
  return {
    name: d.name,
    uuid: d.uuid,
    id: d.id,
    state: domainStateName(d.state),
    persistent: d.persistent,
    vcpusCurrent: d.vcpus,
    vcpusMax: d.vcpusMax,
    memoryKiB: d.memoryKiB,
    maxMemoryKiB: d.maxMemoryKiB,
  };
}

/** Scheduler/memory tunables are numeric; a string or boolean field (none known today) is left out. */
function numericParams(p: TypedParams): Record<string, number | bigint> {
  const out: Record<string, number | bigint> = {};
  for (const [k, v] of Object.entries(p)) {
    if (typeof v === 'number' || typeof v === 'bigint') out[k] = v;
  }
  return out;
}

function asNumber(v: TypedParams[string] | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

function asBigInt(v: TypedParams[string] | undefined): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  return undefined;
}

/** Sums `${prefix}.${i}.${field}` over i < `${prefix}.count`; undefined when the group is absent. */
function sumCounter(p: TypedParams, prefix: string, field: string): bigint | undefined {
  const count = asNumber(p[`${prefix}.count`]);
  if (count === undefined) return undefined;
  let total = 0n;
  for (let i = 0; i < count; i++) total += asBigInt(p[`${prefix}.${i}.${field}`]) ?? 0n;
  return total;
}

/** One virConnectGetAllDomainStats record as DomainStats (balloon.* are KiB already). */
export function toDomainStats(r: RawDomainStatsRecord): DomainStats {
  const p = r.params;
  const stats: DomainStats = {
    name: r.name,
    uuid: r.uuid,
    state: domainStateName(asNumber(p['state.state']) ?? 0),
    raw: p,
  };
  const cpu = asBigInt(p['cpu.time']);
  if (cpu !== undefined) stats.cpuTimeNs = cpu;
  const vcpuCurrent = asNumber(p['vcpu.current']);
  if (vcpuCurrent !== undefined) stats.vcpuCurrent = vcpuCurrent;
  const vcpuMaximum = asNumber(p['vcpu.maximum']);
  if (vcpuMaximum !== undefined) stats.vcpuMaximum = vcpuMaximum;

  const balloon: NonNullable<DomainStats['balloon']> = {};
  const fields = [
    ['currentKiB', 'balloon.current'],
    ['maximumKiB', 'balloon.maximum'],
    ['unusedKiB', 'balloon.unused'],
    ['availableKiB', 'balloon.available'],
    ['rssKiB', 'balloon.rss'],
  ] as const;
  for (const [key, name] of fields) {
    const v = asNumber(p[name]);
    if (v !== undefined) balloon[key] = v;
  }
  if (Object.keys(balloon).length > 0) stats.balloon = balloon;

  const netRx = sumCounter(p, 'net', 'rx.bytes');
  if (netRx !== undefined) stats.netRxBytes = netRx;
  const netTx = sumCounter(p, 'net', 'tx.bytes');
  if (netTx !== undefined) stats.netTxBytes = netTx;
  const blockRd = sumCounter(p, 'block', 'rd.bytes');
  if (blockRd !== undefined) stats.blockRdBytes = blockRd;
  const blockWr = sumCounter(p, 'block', 'wr.bytes');
  if (blockWr !== undefined) stats.blockWrBytes = blockWr;
  return stats;
}
