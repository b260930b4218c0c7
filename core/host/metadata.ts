// The virtzone metadata element: a VM's zone membership, kept in its libvirt XML under
// <metadata> (libvirt's convention for application data) so it survives daemon restarts
// and shows in `virsh dumpxml`:
//
//   <metadata>
//     <virtzone:zone xmlns:virtzone="https://virtzone.dev/xmlns/virtzone/1"
//                    class="gold" tenant="acme" app="web" reservation="r-123"/>
//   </metadata>
//
// Pure functions: no libvirt here. Parsing is strict (exactly one element, known
// attributes only, each once, well-formed escapes) because the text may have been edited
// by hand with `virsh edit`.
import { VIRTZONE_NS_PREFIX, VIRTZONE_NS_URI } from './types.js';

export const ZONE_ELEMENT = 'zone';

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
// Characters XML 1.0 cannot carry at all, even escaped.
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

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
    if (NOT_XML_CHAR.test(v)) throw new MetadataError(`zone metadata: ${key} contains a character XML cannot carry`);
  }
}

/** Escapes an attribute value (double-quoted); whitespace controls as character references so they round-trip. */
export function escapeAttribute(value: string): string {
  return value.replace(/[&<>"'\t\n\r]/g, (c) => {
    switch (c) {
      case '&': return '&amp;';
      case '<': return '&lt;';
      case '>': return '&gt;';
      case '"': return '&quot;';
      case "'": return '&apos;';
      default: return `&#${c.charCodeAt(0)};`;
    }
  });
}

/**
 * The element for virDomainSetMetadata (namespace given there as key/URI), e.g.
 * `<zone class="gold" tenant="acme"/>`; with `forDomainXml`, the self-contained form to
 * put inside a domain's <metadata> when defining it.
 */
export function buildZoneMetadata(m: ZoneMembership, opts: { forDomainXml?: boolean } = {}): string {
  validate(m);
  const name = opts.forDomainXml ? `${VIRTZONE_NS_PREFIX}:${ZONE_ELEMENT}` : ZONE_ELEMENT;
  let out = `<${name}`;
  if (opts.forDomainXml) out += ` xmlns:${VIRTZONE_NS_PREFIX}="${escapeAttribute(VIRTZONE_NS_URI)}"`;
  out += ` class="${escapeAttribute(m.class)}"`;
  for (const key of OPTIONAL_ATTRS) {
    const v = m[key];
    if (v !== undefined) out += ` ${key}="${escapeAttribute(v)}"`;
  }
  return `${out}/>`;
}

function decodeAttribute(raw: string, attr: string): string {
  if (raw.includes('<')) throw new MetadataError(`zone metadata: attribute ${attr} contains '<'`);
  // Attribute-value normalization (XML 1.0 §3.3.3): literal whitespace becomes a space.
  const normalized = raw.replace(/[\t\n\r]/g, ' ');
  return normalized.replace(/&([^;]*);|&/g, (whole, ref: string | undefined) => {
    if (ref === undefined) throw new MetadataError(`zone metadata: attribute ${attr} has a bare '&'`);
    switch (ref) {
      case 'amp': return '&';
      case 'lt': return '<';
      case 'gt': return '>';
      case 'quot': return '"';
      case 'apos': return "'";
    }
    const m = /^#(?:([0-9]{1,7})|x([0-9a-fA-F]{1,6}))$/.exec(ref);
    if (!m) throw new MetadataError(`zone metadata: attribute ${attr} has an unknown entity '${whole}'`);
    const cp = m[1] !== undefined ? Number.parseInt(m[1], 10) : Number.parseInt(m[2], 16);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      throw new MetadataError(`zone metadata: attribute ${attr} has an invalid character reference '${whole}'`);
    }
    const ch = String.fromCodePoint(cp);
    if (NOT_XML_CHAR.test(ch)) throw new MetadataError(`zone metadata: attribute ${attr} references a character XML forbids`);
    return ch;
  });
}

const NAME = '[A-Za-z_][A-Za-z0-9_.-]*';
const QNAME = new RegExp(`^(?:(${NAME}):)?(${NAME})`);
const ATTRIBUTE = new RegExp(`^\\s+((?:${NAME}:)?${NAME})\\s*=\\s*(?:"([^"]*)"|'([^']*)')`);

/**
 * Parses the zone element as virDomainGetMetadata returns it (`<zone .../>`) or as it
 * stands in domain XML (`<virtzone:zone xmlns:virtzone="..." .../>`).
 * Throws MetadataError naming what is wrong.
 */
export function parseZoneMetadata(xml: string): ZoneMembership {
  if (typeof xml !== 'string') throw new MetadataError('zone metadata: not a string');
  let rest = xml.trim();
  if (!rest.startsWith('<')) throw new MetadataError('zone metadata: does not start with an element');
  rest = rest.slice(1);
  const q = QNAME.exec(rest);
  if (!q) throw new MetadataError('zone metadata: bad element name');
  const [qname, prefix, local] = q;
  if (local !== ZONE_ELEMENT) throw new MetadataError(`zone metadata: element is <${qname}>, expected <${ZONE_ELEMENT}>`);
  rest = rest.slice(qname.length);

  const attrs = new Map<string, string>();
  for (;;) {
    const a = ATTRIBUTE.exec(rest);
    if (!a) break;
    const [whole, attrName, dq, sq] = a;
    if (attrs.has(attrName)) throw new MetadataError(`zone metadata: attribute ${attrName} appears twice`);
    attrs.set(attrName, decodeAttribute(dq ?? sq ?? '', attrName));
    rest = rest.slice(whole.length);
  }
  rest = rest.trimStart();
  if (rest.startsWith('/>')) {
    rest = rest.slice(2);
  } else if (rest.startsWith('>')) {
    rest = rest.slice(1);
    const close = new RegExp(`^\\s*</${qname.replace(/[.]/g, '\\.')}\\s*>`).exec(rest);
    if (!close) throw new MetadataError('zone metadata: the element must be empty');
    rest = rest.slice(close[0].length);
  } else {
    throw new MetadataError(`zone metadata: malformed at ${JSON.stringify(rest.slice(0, 20))}`);
  }
  if (rest.trim() !== '') throw new MetadataError('zone metadata: text after the element');

  // Namespace: libvirt hands the element back without a prefix; in domain XML it must be ours.
  const declared = prefix !== undefined ? attrs.get(`xmlns:${prefix}`) : attrs.get('xmlns');
  if (declared !== undefined && declared !== VIRTZONE_NS_URI) {
    throw new MetadataError(`zone metadata: namespace is ${JSON.stringify(declared)}, expected ${VIRTZONE_NS_URI}`);
  }
  if (prefix !== undefined && declared === undefined && prefix !== VIRTZONE_NS_PREFIX) {
    throw new MetadataError(`zone metadata: undeclared namespace prefix '${prefix}'`);
  }

  const out: ZoneMembership = { class: '' };
  let sawClass = false;
  for (const [attrName, value] of attrs) {
    if (attrName === 'xmlns' || attrName.startsWith('xmlns:')) {
      if (value !== VIRTZONE_NS_URI) throw new MetadataError(`zone metadata: foreign namespace declaration ${attrName}`);
      continue;
    }
    if (attrName === 'class') {
      out.class = value;
      sawClass = true;
    } else if ((OPTIONAL_ATTRS as readonly string[]).includes(attrName)) {
      out[attrName as (typeof OPTIONAL_ATTRS)[number]] = value;
    } else {
      throw new MetadataError(`zone metadata: unknown attribute ${attrName}`);
    }
  }
  if (!sawClass) throw new MetadataError('zone metadata: missing class attribute');
  validate(out);
  return out;
}
