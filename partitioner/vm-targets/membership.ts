// Which zone a domain belongs to, and where it really runs.
//
// A domain's class lives in its XML as namespaced metadata (libvirt's app-data
// convention):  <metadata><virtzone:zone xmlns:virtzone="…" class="gold"/></metadata>
// and the partition it runs in is <resource><partition>/machine/virtzone-gold</partition>.
// A running domain cannot change partition (libvirt places its cgroup at start), so a
// VM whose class changed keeps running where it is and is "pending move" until its
// next start; its persistent XML is rewritten so that next start lands in the right
// zone. Everything here is pure work on libvirt's own XML output (through core/xml).
import { GENERAL_ZONE_NAME, partitionOf } from '../../core/model/types.js';
import { DomainXmlError, parseDomainXml, readDomainPartition, readZoneMetadata, setDomainPartition, setZoneMetadata } from '../../core/xml/domain-xml.js';

export interface Membership {
  /** class from the metadata; null when the domain carries no virtzone metadata */
  zoneClass: string | null;
  /** <resource><partition>, null when absent (libvirt's default /machine) */
  partition: string | null;
  /** true for members the auto-scaler created for a pool */
  poolMember: boolean;
  /** the pool's zone for a pool member */
  pool: string | null;
  /** per-VM floors from metadata, when set */
  memoryFloorMiB?: number;
  minVcpus?: number;
  /** every attribute of the metadata element */
  attributes: Record<string, string>;
}

const positiveNumber = (s: string | undefined): number | undefined => {
  if (s === undefined) return undefined;
  const n = Number(s);
  return Number.isFinite(n) && n > 0 ? n : undefined;
};

/** The zone metadata and partition in a domain's XML; none of either when it cannot be read. */
function readMembershipParts(xml: string): { attrs: Record<string, string>; partition: string | null } {
  try {
    const doc = parseDomainXml(xml);
    return { attrs: readZoneMetadata(doc) ?? {}, partition: readDomainPartition(doc) };
  } catch (err) {
    // empty when the domain vanished between listing and reading it
    if (err instanceof DomainXmlError) return { attrs: {}, partition: null };
    throw err;
  }
}

export function membershipOf(xml: string): Membership {
  const { attrs, partition } = readMembershipParts(xml);
  const cls = attrs.class && attrs.class.length > 0 ? attrs.class : null;
  return {
    zoneClass: cls,
    partition,
    poolMember: attrs.pool === 'true',
    pool: attrs.pool === 'true' ? cls : null,
    memoryFloorMiB: positiveNumber(attrs.memoryFloorMiB),
    minVcpus: positiveNumber(attrs.minVcpus),
    attributes: attrs,
  };
}

/** The zone a domain counts in: its class when configured, else general. */
export function zoneOf(m: Membership, classNames: ReadonlySet<string>): string {
  return m.zoneClass !== null && classNames.has(m.zoneClass) ? m.zoneClass : GENERAL_ZONE_NAME;
}

/** The zone whose partition a domain runs in (or would start in), null if none of ours. */
function zoneOfPartition(partition: string | null): string | null {
  if (partition === null) return null;
  const m = /^\/machine\/virtzone-([a-z][a-z0-9-]*)$/.exec(partition.replace(/\/+$/, ''));
  return m ? m[1] : null;
}

export interface PartitionStatus {
  vm: string;
  /** the zone its metadata says */
  zone: string;
  /** the zone whose partition it runs in (running) or will start in (not running) */
  placedIn: string | null;
  /** running in another zone's partition: moves at its next start */
  pendingMove: boolean;
  /** its persistent XML must be rewritten so its next start lands in `zone` */
  needsRedefine: boolean;
}

/**
 * Compares a domain's class with its partition. `liveXml` is what it runs with (when
 * running), `configXml` what it will start with next time.
 */
export function partitionStatus(
  vm: string,
  running: boolean,
  liveXml: string | null,
  configXml: string,
  classNames: ReadonlySet<string>,
): PartitionStatus {
  const m = membershipOf(configXml);
  const zone = zoneOf(m, classNames);
  const want = partitionOf(zone);
  const livePartition = running && liveXml !== null ? readMembershipParts(liveXml).partition : null;
  const configPartition = m.partition;
  return {
    vm,
    zone,
    placedIn: zoneOfPartition(running ? livePartition : configPartition),
    pendingMove: running && m.zoneClass !== null && livePartition !== want,
    needsRedefine: m.zoneClass !== null && configPartition !== want,
  };
}

/** Returns the domain XML with <resource><partition> set to `partition`. */
export function withPartition(xml: string, partition: string): string {
  return setDomainPartition(xml, partition);
}

/** Returns the domain XML with the virtzone metadata element set to these attributes (replacing an old one). */
export function withMetadata(xml: string, attrs: Record<string, string | number | boolean | undefined>): string {
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) values[k] = String(v);
  return setZoneMetadata(xml, values);
}
