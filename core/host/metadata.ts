// The virtzone metadata element: a VM's zone membership, kept in its libvirt XML under
// <metadata> (libvirt's convention for application data) so it survives daemon restarts
// and shows in `virsh dumpxml`:
//
//   <metadata>
//     <virtzone:zone xmlns:virtzone="https://virtzone.dev/xmlns/virtzone/1"
//                    class="gold" tenant="acme" app="web" reservation="r-123"/>
//   </metadata>
//
// Pure functions: no libvirt here. Parsing is strict (exactly one empty element,
// well-formed, known attributes only) because the text may have been edited by hand
// with `virsh edit`; the XML itself is core/xml's.
import { VIRTZONE_NS_PREFIX, VIRTZONE_NS_URI } from './types.js';
import { zoneMetadataElement } from '../xml/domain-xml.js';
import { xmlCanCarry } from '../xml/escape.js';
import { isNamespaceDeclaration, parseXml, XmlError, type XmlElement } from '../xml/parse.js';

const ZONE_ELEMENT = 'zone';

export interface ZoneMembership {
  /** priority class (zone) name, e.g. "gold", or "general" */
  class: string;
  tenant?: string;
  app?: string;
  /** the router's reservation id that placed the VM */
  reservation?: string;
  /** "true" on members the auto-scaler created for its zone's pool */
  pool?: string;
  /** per-VM floors an operator may set (decimal strings) */
  memoryFloorMiB?: string;
  minVcpus?: string;
}

export class MetadataError extends Error {
  override readonly name = 'MetadataError';
}

const CLASS_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const MAX_VALUE_LENGTH = 256;
const OPTIONAL_ATTRS = ['tenant', 'app', 'reservation', 'pool', 'memoryFloorMiB', 'minVcpus'] as const;

function validate(m: ZoneMembership): void {
  if (typeof m.class !== 'string' || !CLASS_NAME.test(m.class)) {
    throw new MetadataError(`zone metadata: class ${JSON.stringify(m.class)} is not a class name (${CLASS_NAME})`);
  }
  for (const key of OPTIONAL_ATTRS) {
    const v = m[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_VALUE_LENGTH) {
      throw new MetadataError(`zone metadata: ${key} must be a string of 1..${MAX_VALUE_LENGTH} characters`);
    }
    if (!xmlCanCarry(v)) throw new MetadataError(`zone metadata: ${key} contains a character XML cannot carry`);
  }
}

/**
 * The element for virDomainSetMetadata (namespace given there as key/URI), e.g.
 * `<zone class="gold" tenant="acme"/>`; with `forDomainXml`, the self-contained form to
 * put inside a domain's <metadata> when defining it.
 */
export function buildZoneMetadata(m: ZoneMembership, opts: { forDomainXml?: boolean } = {}): string {
  validate(m);
  const attrs: Record<string, string> = { class: m.class };
  for (const key of OPTIONAL_ATTRS) {
    const v = m[key];
    if (v !== undefined) attrs[key] = v;
  }
  return zoneMetadataElement(attrs, opts);
}

/**
 * Parses the zone element as virDomainGetMetadata returns it (`<zone .../>`) or as it
 * stands in domain XML (`<virtzone:zone xmlns:virtzone="..." .../>`).
 * Throws MetadataError naming what is wrong.
 */
export function parseZoneMetadata(xml: string): ZoneMembership {
  if (typeof xml !== 'string') throw new MetadataError('zone metadata: not a string');
  if (!xml.trim().startsWith('<')) throw new MetadataError('zone metadata: does not start with an element');
  let root: XmlElement;
  try {
    // libvirt hands the element back with or without its declaration; our prefix is known
    root = parseXml(xml, { namespaces: { [VIRTZONE_NS_PREFIX]: VIRTZONE_NS_URI } }).root;
  } catch (err) {
    if (err instanceof XmlError) throw new MetadataError(`zone metadata: ${err.message}`);
    throw err;
  }
  if (root.local !== ZONE_ELEMENT) throw new MetadataError(`zone metadata: element is <${root.name}>, expected <${ZONE_ELEMENT}>`);
  if (root.uri !== '' && root.uri !== VIRTZONE_NS_URI) {
    throw new MetadataError(`zone metadata: namespace is ${JSON.stringify(root.uri)}, expected ${VIRTZONE_NS_URI}`);
  }
  if (root.children.length > 0 || root.text.trim() !== '') throw new MetadataError('zone metadata: the element must be empty');

  const out: ZoneMembership = { class: '' };
  let sawClass = false;
  for (const a of root.attributes) {
    if (isNamespaceDeclaration(a)) {
      if (a.value !== VIRTZONE_NS_URI) throw new MetadataError(`zone metadata: foreign namespace declaration ${a.name}`);
      continue;
    }
    if (a.name === 'class') {
      out.class = a.value;
      sawClass = true;
    } else if ((OPTIONAL_ATTRS as readonly string[]).includes(a.name)) {
      out[a.name as (typeof OPTIONAL_ATTRS)[number]] = a.value;
    } else {
      throw new MetadataError(`zone metadata: unknown attribute ${a.name}`);
    }
  }
  if (!sawClass) throw new MetadataError('zone metadata: missing class attribute');
  validate(out);
  return out;
}
