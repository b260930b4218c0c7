// Which zone a domain belongs to, and where it really runs.
//
// A domain's class lives in its XML as namespaced metadata (libvirt's app-data
// convention):  <metadata><virtzone:zone xmlns:virtzone="…" class="gold"/></metadata>
// and the partition it runs in is <resource><partition>/machine/virtzone-gold</partition>.
// A running domain cannot change partition (libvirt places its cgroup at start), so a
// VM whose class changed keeps running where it is and is "pending move" until its
// next start; its persistent XML is rewritten so that next start lands in the right
// zone. Everything here is pure string work on libvirt's own XML output.
import { GENERAL_ZONE_NAME, partitionOf } from '../../core/model/types.js';
import { VIRTZONE_NS_PREFIX, VIRTZONE_NS_URI } from '../../core/host/types.js';

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

const ESCAPES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&apos;': "'" };
const unescapeXml = (s: string) => s.replace(/&(lt|gt|amp|quot|apos);/g, (m) => ESCAPES[m]);
export const escapeXml = (s: string) =>
  s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

function parseAttributes(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  for (let m; (m = re.exec(s)); ) out[m[1]] = unescapeXml(m[2] ?? m[3] ?? '');
  return out;
}

/**
 * Finds the virtzone element: an element named `zone` under any prefix whose namespace
 * (declared on it) is VIRTZONE_NS_URI. Accepts the full domain XML or the element alone
 * (as virDomainGetMetadata returns it).
 */
export function parseVirtzoneMetadata(xml: string): Record<string, string> | null {
  const re = /<(?:([\w.-]+):)?zone\b([^>]*?)\/?>/g;
  for (let m; (m = re.exec(xml)); ) {
    const attrs = parseAttributes(m[2]);
    const prefix = m[1];
    const ns = prefix ? attrs[`xmlns:${prefix}`] : attrs.xmlns;
    // The metadata element alone may come without its namespace declaration.
    if (ns === VIRTZONE_NS_URI || (ns === undefined && !xml.includes('<domain'))) {
      const plain: Record<string, string> = {};
      for (const [k, v] of Object.entries(attrs)) if (!k.startsWith('xmlns')) plain[k] = v;
      return plain;
    }
  }
  return null;
}

export function partitionOfXml(xml: string): string | null {
  const m = /<resource\b[^>]*>[\s\S]*?<partition>\s*([^<]*?)\s*<\/partition>[\s\S]*?<\/resource>/.exec(xml);
  return m ? unescapeXml(m[1]) : null;
}

const positiveNumber = (s: string | undefined): number | undefined => {
  if (s === undefined) return undefined;
  const n = Number(s);
  return Number.isFinite(n) && n > 0 ? n : undefined;
};

export function membershipOf(xml: string): Membership {
  const attrs = parseVirtzoneMetadata(xml) ?? {};
  const cls = attrs.class && attrs.class.length > 0 ? attrs.class : null;
  return {
    zoneClass: cls,
    partition: partitionOfXml(xml),
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
export function zoneOfPartition(partition: string | null): string | null {
  if (partition === null) return null;
  const m = /^\/machine\/virtzone-([a-z][a-z0-9-]*)$/.exec(partition.replace(/\/+$/, ''));
  return m ? m[1] : null;
}

export interface PlacementStatus {
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
export function placementStatus(
  vm: string,
  running: boolean,
  liveXml: string | null,
  configXml: string,
  classNames: ReadonlySet<string>,
): PlacementStatus {
  const m = membershipOf(configXml);
  const zone = zoneOf(m, classNames);
  const want = partitionOf(zone);
  const livePartition = running && liveXml !== null ? partitionOfXml(liveXml) : null;
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
  const el = `<partition>${escapeXml(partition)}</partition>`;
  if (/<resource\b[^>]*>[\s\S]*?<partition>[\s\S]*?<\/partition>/.test(xml)) {
    return xml.replace(/(<resource\b[^>]*>[\s\S]*?)<partition>[\s\S]*?<\/partition>/, `$1${el}`);
  }
  if (/<resource\b[^>]*\/>/.test(xml)) return xml.replace(/<resource\b[^>]*\/>/, `<resource>${el}</resource>`);
  if (/<resource\b[^>]*>/.test(xml)) return xml.replace(/(<resource\b[^>]*>)/, `$1${el}`);
  // libvirt's schema has <resource> after the memory/vcpu elements; anywhere at the
  // top level is accepted on define, so put it right before </domain>.
  const i = xml.lastIndexOf('</domain>');
  if (i < 0) throw new Error('domain XML: no </domain> element');
  return `${xml.slice(0, i)}  <resource>${el}</resource>\n${xml.slice(i)}`;
}

/** The metadata element virtzone stores (setMetadata wants it without a namespace prefix). */
export function metadataElement(attrs: Record<string, string | number | boolean | undefined>): string {
  const parts = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}="${escapeXml(String(v))}"`);
  return `<zone ${parts.join(' ')}/>`;
}

/** Returns the domain XML with the virtzone metadata element set (replacing an old one). */
export function withMetadata(xml: string, attrs: Record<string, string | number | boolean | undefined>): string {
  const parts = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}="${escapeXml(String(v))}"`);
  const el = `<${VIRTZONE_NS_PREFIX}:zone xmlns:${VIRTZONE_NS_PREFIX}="${VIRTZONE_NS_URI}" ${parts.join(' ')}/>`;
  const existing = new RegExp(
    `<(?:[\\w.-]+:)?zone\\b[^>]*xmlns(?::[\\w.-]+)?="${VIRTZONE_NS_URI.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"[^>]*?(?:/>|>[\\s\\S]*?</(?:[\\w.-]+:)?zone>)`,
  );
  if (existing.test(xml)) return xml.replace(existing, el);
  if (/<metadata\s*\/>/.test(xml)) return xml.replace(/<metadata\s*\/>/, `<metadata>${el}</metadata>`);
  if (/<metadata\b[^>]*>/.test(xml)) return xml.replace(/(<metadata\b[^>]*>)/, `$1${el}`);
  const i = xml.lastIndexOf('</domain>');
  if (i < 0) throw new Error('domain XML: no </domain> element');
  return `${xml.slice(0, i)}  <metadata>${el}</metadata>\n${xml.slice(i)}`;
}
