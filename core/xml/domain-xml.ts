// Reads and edits of libvirt domain XML. The document is parsed strictly first
// (core/xml/parse.ts: no DOCTYPE, no entities, well-formed with namespaces); an edit
// then splices the original text at the offsets the parser reported, so everything
// outside the edited element stays byte for byte as the caller wrote it.
//
// The virtzone metadata tag is libvirt's app-data convention, one namespaced element
// directly under <metadata>:
//   <metadata>
//     <virtzone:zone xmlns:virtzone="https://virtzone.dev/xmlns/virtzone/1" class="gold" .../>
//   </metadata>
// Here it is read and written as plain attributes; what they mean is
// core/host/metadata.ts's business.
import { VIRTZONE_NS_PREFIX, VIRTZONE_NS_URI } from '../host/types.js';
import { escapeXml } from './escape.js';
import { attributeOf, childElements, isNamespaceDeclaration, parseXml, splice, xmlErrorAt, XmlError, type XmlElement } from './parse.js';

export class DomainXmlError extends XmlError {
  override name = 'DomainXmlError';
}

/** A parsed domain document: its source and its <domain> root. */
export interface DomainXml {
  readonly source: string;
  readonly root: XmlElement;
}

function refuse(source: string, offset: number, what: string): never {
  const at = xmlErrorAt(source, offset, what);
  throw new DomainXmlError(at.message, at.line, at.column, at.offset);
}

/** Parses a document that must be one <domain>; throws DomainXmlError (with line and column). */
export function parseDomainXml(xml: string): DomainXml {
  let root: XmlElement;
  try {
    root = parseXml(xml).root;
  } catch (err) {
    if (err instanceof XmlError) throw new DomainXmlError(err.message, err.line, err.column, err.offset);
    throw err;
  }
  if (root.name !== 'domain') refuse(xml, root.start, `the root element is <${root.name}>, expected <domain>`);
  return { source: xml, root };
}

const domainOf = (doc: DomainXml | string): DomainXml => (typeof doc === 'string' ? parseDomainXml(doc) : doc);

/** The only child with this name, or null; more than one is refused. */
function single(doc: DomainXml, parent: XmlElement, name: string): XmlElement | null {
  const found = childElements(parent, name);
  if (found.length > 1) refuse(doc.source, found[1].start, `<${parent.name}> has ${found.length} <${name}> elements, expected at most one`);
  return found[0] ?? null;
}

function textOnly(doc: DomainXml, element: XmlElement): string {
  if (element.children.length) refuse(doc.source, element.children[0].start, `<${element.name}> must contain text only`);
  return element.text.trim();
}

/** Puts `markup` first or last inside `element`, opening an empty-element tag if need be. */
function insertInto(doc: DomainXml, element: XmlElement, where: 'first' | 'last', markup: string): string {
  if (element.selfClosing) {
    // '/>' closes an empty-element tag, always as one token
    return splice(doc.source, element.contentStart - 2, element.end, `>${markup}</${element.name}>`);
  }
  const at = where === 'first' ? element.contentStart : element.contentEnd;
  return splice(doc.source, at, at, markup);
}

export interface DomainIdentity {
  name: string | null;
  uuid: string | null;
}

/** <name> and <uuid>: at most one of each, text only. */
export function readDomainIdentity(doc: DomainXml | string): DomainIdentity {
  const d = domainOf(doc);
  const text = (name: string) => {
    const element = single(d, d.root, name);
    return element ? textOnly(d, element) : null;
  };
  return { name: text('name'), uuid: text('uuid') };
}

/** The domain with its <name> set; the document must have one. */
export function setDomainName(doc: DomainXml | string, name: string): string {
  const d = domainOf(doc);
  const element = single(d, d.root, 'name');
  if (!element) refuse(d.source, d.root.start, '<domain> has no <name> element');
  textOnly(d, element);
  return splice(d.source, element.start, element.end, `<name>${escapeXml(name)}</name>`);
}

/** The domain without its <uuid> (and the indentation before it), so libvirt makes a new one. */
export function removeDomainUuid(doc: DomainXml | string): string {
  const d = domainOf(doc);
  const element = single(d, d.root, 'uuid');
  if (!element) return d.source;
  let from = element.start;
  while (from > d.root.contentStart && /[ \t\r\n]/.test(d.source[from - 1])) from--;
  return splice(d.source, from, element.end, '');
}

/** The domain with its <uuid> set: an existing one's text replaced, else one added right after <name>. */
export function setDomainUuid(doc: DomainXml | string, uuid: string): string {
  const d = domainOf(doc);
  const existing = single(d, d.root, 'uuid');
  if (existing) return splice(d.source, existing.start, existing.end, `<uuid>${escapeXml(uuid)}</uuid>`);
  const name = single(d, d.root, 'name');
  if (!name) refuse(d.source, d.root.start, '<domain> has no <name> element');
  return splice(d.source, name.end, name.end, `<uuid>${escapeXml(uuid)}</uuid>`);
}

/** <domain><resource><partition>, null when absent (libvirt's default /machine). */
export function readDomainPartition(doc: DomainXml | string): string | null {
  const d = domainOf(doc);
  const resource = single(d, d.root, 'resource');
  const partition = resource ? single(d, resource, 'partition') : null;
  return partition ? textOnly(d, partition) : null;
}

/**
 * The domain with <resource><partition> set: an existing partition is replaced, a
 * missing one becomes <resource>'s first child, a missing <resource> the last child of
 * <domain>.
 */
export function setDomainPartition(doc: DomainXml | string, partition: string): string {
  const d = domainOf(doc);
  const markup = `<partition>${escapeXml(partition)}</partition>`;
  const resource = single(d, d.root, 'resource');
  if (!resource) return insertInto(d, d.root, 'last', `<resource>${markup}</resource>`);
  const existing = single(d, resource, 'partition');
  if (!existing) return insertInto(d, resource, 'first', markup);
  textOnly(d, existing);
  return splice(d.source, existing.start, existing.end, markup);
}

const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * The virtzone element from plain attributes (in the order given): `<zone .../>` as
 * virDomainSetMetadata wants it (the namespace is passed there separately), or with
 * `forDomainXml` the self-declaring `<virtzone:zone xmlns:virtzone="..." .../>` that
 * goes inside a domain's <metadata>.
 */
export function zoneMetadataElement(attrs: Record<string, string>, opts: { forDomainXml?: boolean } = {}): string {
  const name = opts.forDomainXml ? `${VIRTZONE_NS_PREFIX}:zone` : 'zone';
  let out = `<${name}`;
  if (opts.forDomainXml) out += ` xmlns:${VIRTZONE_NS_PREFIX}="${escapeXml(VIRTZONE_NS_URI)}"`;
  for (const [key, value] of Object.entries(attrs)) {
    if (!XML_NAME.test(key) || /^xml/i.test(key)) throw new RangeError(`zone metadata: ${JSON.stringify(key)} is not an attribute name`);
    out += ` ${key}="${escapeXml(value)}"`;
  }
  return `${out}/>`;
}

function zoneElement(d: DomainXml): { metadata: XmlElement | null; zone: XmlElement | null } {
  const metadata = single(d, d.root, 'metadata');
  const zone = metadata?.children.find((c) => c.local === 'zone' && c.uri === VIRTZONE_NS_URI) ?? null;
  return { metadata, zone };
}

/**
 * The attributes of the virtzone element under <metadata> (namespace declarations
 * left out, every other attribute kept, unknown ones too); null when there is none.
 */
export function readZoneMetadata(doc: DomainXml | string): Record<string, string> | null {
  const { zone } = zoneElement(domainOf(doc));
  if (!zone) return null;
  const out: Record<string, string> = {};
  for (const a of zone.attributes) if (!isNamespaceDeclaration(a)) out[a.name] = a.value;
  return out;
}

/** The domain with the virtzone element set to exactly these attributes (replacing an old one). */
export function setZoneMetadata(doc: DomainXml | string, attrs: Record<string, string>): string {
  const d = domainOf(doc);
  const markup = zoneMetadataElement(attrs, { forDomainXml: true });
  const { metadata, zone } = zoneElement(d);
  if (zone) return splice(d.source, zone.start, zone.end, markup);
  if (metadata) return insertInto(d, metadata, 'first', markup);
  return insertInto(d, d.root, 'last', `<metadata>${markup}</metadata>`);
}

// libvirt's memory units: powers of 1024 for the letter and *iB forms, of 1000 for *B.
const UNIT_TO_KIB: Record<string, number> = {
  b: 1 / 1024, bytes: 1 / 1024,
  k: 1, kib: 1, kb: 1000 / 1024,
  m: 1024, mib: 1024, mb: 1e6 / 1024,
  g: 1024 ** 2, gib: 1024 ** 2, gb: 1e9 / 1024,
  t: 1024 ** 3, tib: 1024 ** 3, tb: 1e12 / 1024,
  p: 1024 ** 4, pib: 1024 ** 4, pb: 1e15 / 1024,
  e: 1024 ** 5, eib: 1024 ** 5, eb: 1e18 / 1024,
};

export interface DomainSize {
  /** <vcpu>: the maximum vCPUs; null when absent */
  vcpus: number | null;
  /** <vcpu current="">: the vCPUs it starts with; null when not given */
  currentVcpus: number | null;
  /** <memory> in KiB; null when absent */
  memoryKiB: number | null;
  /** <currentMemory> in KiB; null when absent */
  currentMemoryKiB: number | null;
}

function wholeNumber(d: DomainXml, element: XmlElement, raw: string, what: string): number {
  const text = raw.trim();
  if (!/^[0-9]+$/.test(text)) refuse(d.source, element.start, `${what} is not a whole number: ${JSON.stringify(text)}`);
  return Number(text);
}

/** The sizes in <vcpu>, <memory> and <currentMemory>, memory converted from its unit (default KiB). */
export function readDomainSize(doc: DomainXml | string): DomainSize {
  const d = domainOf(doc);
  const memory = (name: string): number | null => {
    const element = single(d, d.root, name);
    if (!element) return null;
    const unit = (attributeOf(element, 'unit') ?? 'KiB').trim();
    const factor = UNIT_TO_KIB[unit.toLowerCase()];
    if (factor === undefined) refuse(d.source, element.start, `<${name}> has an unknown memory unit ${JSON.stringify(unit)}`);
    return wholeNumber(d, element, textOnly(d, element), `<${name}>`) * factor;
  };
  const vcpu = single(d, d.root, 'vcpu');
  const current = vcpu ? attributeOf(vcpu, 'current') : undefined;
  return {
    vcpus: vcpu ? wholeNumber(d, vcpu, textOnly(d, vcpu), '<vcpu>') : null,
    currentVcpus: vcpu && current !== undefined ? wholeNumber(d, vcpu, current, '<vcpu current>') : null,
    memoryKiB: memory('memory'),
    currentMemoryKiB: memory('currentMemory'),
  };
}
