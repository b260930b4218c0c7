// The one interface through which virtzone reaches the hypervisor. Everything that
// decides works on these plain records; only host/libvirt-host.ts talks to libvirt.

export type DomainState =
  | 'nostate' | 'running' | 'blocked' | 'paused' | 'shutdown' | 'shutoff' | 'crashed' | 'pmsuspended';

export interface NodeInfo {
  model: string;
  memoryKiB: number;
  cpus: number;
  mhz: number;
  nodes: number;
  sockets: number;
  cores: number;
  threads: number;
}

export interface DomainInfo {
  name: string;
  uuid: string;
  /** libvirt domain id, -1 when not running */
  id: number;
  state: DomainState;
  persistent: boolean;
  vcpusCurrent: number;
  vcpusMax: number;
  memoryKiB: number;
  maxMemoryKiB: number;
}

/** One domain's record of virConnectGetAllDomainStats. Absent groups are undefined. */
export interface DomainStats {
  name: string;
  uuid: string;
  state: DomainState;
  /** cumulative guest CPU time in ns (64-bit: BigInt keeps precision) */
  cpuTimeNs?: bigint;
  vcpuCurrent?: number;
  vcpuMaximum?: number;
  balloon?: {
    currentKiB?: number;
    maximumKiB?: number;
    unusedKiB?: number;
    availableKiB?: number;
    rssKiB?: number;
  };
  /** sums over all interfaces / block devices, cumulative bytes */
  netRxBytes?: bigint;
  netTxBytes?: bigint;
  blockRdBytes?: bigint;
  blockWrBytes?: bigint;
  /** every typed parameter as libvirt returned it (e.g. "vcpu.0.time") */
  raw: Record<string, number | bigint | string | boolean>;
}

/** cpu_shares, vcpu_quota, ... as libvirt names them (virsh schedinfo). */
export type SchedulerParams = Record<string, number | bigint>;
/** hard_limit, soft_limit, swap_hard_limit (KiB), as libvirt names them (virsh memtune). */
export type MemoryParams = Record<string, number | bigint>;

/** Which config a change touches (virDomainModificationImpact). */
export interface ImpactFlags {
  live?: boolean;
  config?: boolean;
}

export type DomainEventKind =
  | 'defined' | 'undefined' | 'started' | 'suspended' | 'resumed' | 'stopped' | 'shutdown' | 'pmsuspended' | 'crashed';

export interface DomainEvent {
  name: string;
  uuid: string;
  kind: DomainEventKind;
  detail: number;
}

export type HostEvent =
  | { type: 'domain'; event: DomainEvent }
  | { type: 'disconnected'; reason: string };

export interface StoragePoolInfo {
  name: string;
  uuid: string;
  active: boolean;
  /** <pool type>, e.g. 'dir' */
  type: string;
  /** <target><path>, null when the pool has none */
  targetPath: string | null;
}

export interface StorageVolumeInfo {
  name: string;
  pool: string;
  /** virStorageVolGetPath */
  path: string;
  key: string;
  capacityBytes: number;
  allocationBytes: number;
  /** <target><format type>, null when absent */
  format: string | null;
}

export interface NetworkInfo {
  name: string;
  uuid: string;
  active: boolean;
}

/** The metadata namespace virtzone writes into <metadata> (libvirt's app-data convention). */
export const VIRTZONE_NS_URI = 'https://virtzone.dev/xmlns/virtzone/1';
export const VIRTZONE_NS_PREFIX = 'virtzone';

export interface HostAdapter {
  readonly uri: string;
  isAlive(): boolean;
  close(): Promise<void>;
  nodeInfo(): Promise<NodeInfo>;
  listDomains(): Promise<DomainInfo[]>;
  lookup(name: string): Promise<DomainInfo>;
  getXml(name: string, opts?: { inactive?: boolean }): Promise<string>;
  /** define (or redefine) a persistent domain from XML; returns its name */
  define(xml: string): Promise<string>;
  undefine(name: string): Promise<void>;
  start(name: string): Promise<void>;
  shutdown(name: string): Promise<void>;
  destroy(name: string): Promise<void>;
  allDomainStats(): Promise<DomainStats[]>;
  setVcpus(name: string, count: number, flags?: ImpactFlags): Promise<void>;
  /** balloon target in KiB */
  setMemory(name: string, kib: number, flags?: ImpactFlags): Promise<void>;
  getSchedulerParams(name: string, flags?: ImpactFlags): Promise<SchedulerParams>;
  setSchedulerParams(name: string, params: SchedulerParams, flags?: ImpactFlags): Promise<void>;
  getMemoryParams(name: string, flags?: ImpactFlags): Promise<MemoryParams>;
  setMemoryParams(name: string, params: MemoryParams, flags?: ImpactFlags): Promise<void>;
  /** the XML element stored under the virtzone namespace, or null */
  getMetadata(name: string, flags?: ImpactFlags): Promise<string | null>;
  /** stores `xml` (one element, e.g. <zone class="gold"/>) under the virtzone namespace */
  setMetadata(name: string, xml: string | null, flags?: ImpactFlags): Promise<void>;
  /** VIR_ERR_NO_DOMAIN when there is none */
  lookupByUuid(uuid: string): Promise<DomainInfo>;
  /** VIR_ERR_NO_STORAGE_POOL when there is none */
  lookupStoragePool(name: string): Promise<StoragePoolInfo>;
  listStorageVolumes(pool: string): Promise<StorageVolumeInfo[]>;
  /** VIR_ERR_NO_STORAGE_VOL when there is none */
  lookupStorageVolume(pool: string, name: string): Promise<StorageVolumeInfo>;
  /** virStorageVolCreateXML; with cloneFrom (a volume of the same pool) virStorageVolCreateXMLFrom */
  createStorageVolume(pool: string, xml: string, opts?: { cloneFrom?: string }): Promise<StorageVolumeInfo>;
  deleteStorageVolume(pool: string, name: string): Promise<void>;
  listNetworks(): Promise<NetworkInfo[]>;
  /** lifecycle events and connection loss; returns an unsubscribe function */
  onEvent(listener: (e: HostEvent) => void): () => void;
}
