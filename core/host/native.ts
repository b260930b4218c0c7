// Loads the libvirt addon (build/Release/virtzone_libvirt.node, built by
// `npm run build:native`) and describes its raw interface. Only libvirt-host.ts uses it.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LibvirtError, type LibvirtErrorInfo } from './errors.js';

import type { NodeInfo } from './types.js';

/** A typed parameter as the addon returns it: 64-bit integers are BigInt. */
export type TypedValue = number | bigint | string | boolean;
export type TypedParams = Record<string, TypedValue>;

/** virNodeGetInfo as the addon returns it: the same record the HostAdapter exposes. */
export type RawNodeInfo = NodeInfo;

export interface RawDomainInfo {
  name: string;
  uuid: string;
  /** -1 when not running */
  id: number;
  /** virDomainState */
  state: number;
  persistent: boolean;
  vcpus: number;
  vcpusMax: number;
  memoryKiB: number;
  maxMemoryKiB: number;
  cpuTimeNs: bigint;
}

export interface RawDomainStatsRecord {
  name: string;
  uuid: string;
  params: TypedParams;
}

export type RawEvent =
  /** virDomainEventType and its detail, from VIR_DOMAIN_EVENT_ID_LIFECYCLE */
  | { type: 'lifecycle'; name: string; uuid: string; event: number; detail: number }
  /** virConnectCloseReason, from the connection's close callback */
  | { type: 'closed'; reason: number };

export interface RawOpenOptions {
  readOnly?: boolean;
  /** register for domain lifecycle events (default true when onEvent is given) */
  events?: boolean;
  /** seconds; 0 or absent: no keepalive */
  keepaliveInterval?: number;
  keepaliveCount?: number;
  /** grows the addon's call pool to at least this many threads (1..256) */
  callThreads?: number;
}

/** The addon's own threads for blocking libvirt calls (never libuv's threadpool). */
export interface CallPoolStats {
  threads: number;
  /** threads inside a libvirt call now */
  busy: number;
  /** calls waiting for a thread */
  queued: number;
}

/** One libvirt connection. Every method but the accessors runs off the main thread. */
export interface NativeConnection {
  readonly uri: string;
  /** 'enabled' | 'disabled' | 'not applicable' (local driver) | 'unsupported by the server' | 'failed: ...' */
  readonly keepalive: string;
  /** whether lifecycle events are registered */
  readonly events: boolean;
  isClosed(): boolean;
  /** idempotent; calls made after it reject with VIR_ERR_INVALID_CONN */
  close(): Promise<void>;
  isAlive(): Promise<boolean>;
  nodeInfo(): Promise<RawNodeInfo>;
  listAllDomains(flags?: number): Promise<RawDomainInfo[]>;
  lookupByName(name: string): Promise<RawDomainInfo>;
  getXml(name: string, flags?: number): Promise<string>;
  defineXml(xml: string, flags?: number): Promise<RawDomainInfo>;
  undefine(name: string, flags?: number): Promise<void>;
  create(name: string, flags?: number): Promise<void>;
  shutdown(name: string, flags?: number): Promise<void>;
  destroy(name: string, flags?: number): Promise<void>;
  /** stats 0 = every group the driver supports */
  getAllDomainStats(stats?: number, flags?: number): Promise<RawDomainStatsRecord[]>;
  setVcpus(name: string, count: number, flags?: number): Promise<void>;
  setMemory(name: string, kib: number | bigint, flags?: number): Promise<void>;
  getSchedulerParams(name: string, flags?: number): Promise<{ type: string; params: TypedParams }>;
  /** each value is converted to the type libvirt reports for that field */
  setSchedulerParams(name: string, params: Record<string, number | bigint>, flags?: number): Promise<void>;
  getMemoryParams(name: string, flags?: number): Promise<TypedParams>;
  setMemoryParams(name: string, params: Record<string, number | bigint>, flags?: number): Promise<void>;
  getMetadata(name: string, type: number, uri: string | null, flags?: number): Promise<string>;
  setMetadata(
    name: string,
    type: number,
    metadata: string | null,
    key: string | null,
    uri: string | null,
    flags?: number,
  ): Promise<void>;
  lookupByUuid(uuid: string): Promise<RawDomainInfo>;
  lookupStoragePool(pool: string): Promise<RawStoragePool>;
  listStorageVolumes(pool: string): Promise<RawStorageVolume[]>;
  lookupStorageVolume(pool: string, volume: string): Promise<RawStorageVolume>;
  /** virStorageVolCreateXML, or virStorageVolCreateXMLFrom the named volume of the same pool */
  createStorageVolume(pool: string, xml: string, cloneFrom?: string): Promise<RawStorageVolume>;
  deleteStorageVolume(pool: string, volume: string): Promise<void>;
  listNetworks(): Promise<RawNetwork[]>;
}

/** A storage pool as the addon returns it: its XML description is read in TypeScript. */
export interface RawStoragePool {
  name: string;
  uuid: string;
  active: boolean;
  xml: string;
}

/** A storage volume: name, key, path (virStorageVolGetPath) and its XML description. */
export interface RawStorageVolume {
  name: string;
  key: string;
  path: string;
  xml: string;
}

/** A network: name, UUID and whether it is started (virNetworkIsActive). */
export interface RawNetwork {
  name: string;
  uuid: string;
  active: boolean;
}

/** Values of libvirt's enums and flags, read from the real headers by the addon. */
export interface NativeConstants {
  VIR_DOMAIN_AFFECT_CURRENT: number;
  VIR_DOMAIN_AFFECT_LIVE: number;
  VIR_DOMAIN_AFFECT_CONFIG: number;
  VIR_DOMAIN_XML_SECURE: number;
  VIR_DOMAIN_XML_INACTIVE: number;
  VIR_DOMAIN_METADATA_DESCRIPTION: number;
  VIR_DOMAIN_METADATA_TITLE: number;
  VIR_DOMAIN_METADATA_ELEMENT: number;
  VIR_DOMAIN_UNDEFINE_MANAGED_SAVE: number;
  VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA: number;
  VIR_DOMAIN_UNDEFINE_NVRAM: number;
  VIR_DOMAIN_UNDEFINE_KEEP_NVRAM: number;
  VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA: number;
  VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT: number;
  VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS: number;
  VIR_DOMAIN_STATS_STATE: number;
  VIR_DOMAIN_STATS_CPU_TOTAL: number;
  VIR_DOMAIN_STATS_BALLOON: number;
  VIR_DOMAIN_STATS_VCPU: number;
  VIR_DOMAIN_STATS_INTERFACE: number;
  VIR_DOMAIN_STATS_BLOCK: number;
  VIR_DOMAIN_MEMORY_PARAM_UNLIMITED: number;
  VIR_CONNECT_CLOSE_REASON_ERROR: number;
  VIR_CONNECT_CLOSE_REASON_EOF: number;
  VIR_CONNECT_CLOSE_REASON_KEEPALIVE: number;
  VIR_CONNECT_CLOSE_REASON_CLIENT: number;
}

export interface NativeAddon {
  /** read-write unless readOnly; rejects with LibvirtError */
  open(uri: string, options?: RawOpenOptions, onEvent?: (event: RawEvent) => void): Promise<NativeConnection>;
  /** errors the addon creates are made by this factory */
  setErrorFactory(factory: (info: LibvirtErrorInfo) => Error): void;
  /** grows the call pool to at least n threads (it never shrinks) */
  setCallThreads(n: number): void;
  callPool(): CallPoolStats;
  /** major * 1e6 + minor * 1e3 + release of the loaded libvirt library */
  libvirtVersion(): number;
  readonly constants: NativeConstants;
}

export class NativeAddonMissingError extends Error {
  override readonly name = 'NativeAddonMissingError';
}

const ADDON_FILE = join('build', 'Release', 'virtzone_libvirt.node');

/**
 * Where the addon may be: $VIRTZONE_LIBVIRT_ADDON, else build/Release under the nearest
 * folder above this module that holds binding.gyp or a build (the repository root, from
 * core/host/ when run with tsx or from dist/core/host/ when compiled).
 */
function candidatePaths(): string[] {
  const fromEnv = process.env.VIRTZONE_LIBVIRT_ADDON;
  const paths = fromEnv ? [resolve(fromEnv)] : [];
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'binding.gyp')) || existsSync(join(dir, ADDON_FILE))) paths.push(join(dir, ADDON_FILE));
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return paths;
}

let loaded: NativeAddon | undefined;

/** The addon, loaded once. Throws NativeAddonMissingError with the fix when it is not built. */
export function loadNative(): NativeAddon {
  if (loaded) return loaded;
  const paths = candidatePaths();
  const path = paths.find((p) => existsSync(p));
  if (!path) {
    throw new NativeAddonMissingError(
      `the libvirt addon is not built (looked for ${paths.join(', ') || ADDON_FILE}): ` +
        'run `npm run build:native` (needs libvirt-dev, pkg-config and a C++ compiler)',
    );
  }
  const require = createRequire(import.meta.url);
  let addon: NativeAddon;
  try {
    addon = require(path) as NativeAddon;
  } catch (err) {
    throw new NativeAddonMissingError(
      `the libvirt addon at ${path} does not load (${(err as Error).message}): run \`npm run build:native\``,
    );
  }
  addon.setErrorFactory((info) => new LibvirtError(info));
  loaded = addon;
  return addon;
}
