// The domain XML of a VM built from a template. The daemon writes the whole document:
// the caller chooses only a template, a size within its ranges, an image of its pool and
// networks of its list, so nothing a caller sends can name a host path, a host device, an
// emulator binary or a security label.
//
// Two shapes: the structured one (the template's keys: domain type, arch, machine,
// firmware, buses), or the operator's own base XML file, kept as written except for what
// the daemon owns per VM — name, uuid, memory, vCPUs, resource partition, the virtzone
// metadata — and the root disk and interfaces it appends. The base is the operator's
// (root-owned) so it is trusted; it is only checked not to set what the daemon owns, once
// at config load (validateBaseXml) so a bad file stops the daemon at start-up.
//
// Pure: the base file's text comes in as a string.
import { escapeXml } from '../../core/xml/escape.js';
import { parseDomainXml, zoneMetadataElement, type DomainXml } from '../../core/xml/domain-xml.js';
import { attributeOf, childElements, splice, xmlErrorAt, XmlError, type XmlElement } from '../../core/xml/parse.js';
import { VIRTZONE_NS_URI } from '../../core/host/types.js';
import type { DomainTemplate } from './domain-template.js';

/** A template that cannot be built from; the message names the element. */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

export interface DomainBuildRequest {
  /** validated domain name */
  name: string;
  /** daemon-generated */
  uuid: string;
  /** already checked against the template's range by the caller */
  vcpus: number;
  /** already checked against the template's range by the caller */
  memoryMiB: number;
  /** the cgroup partition, e.g. '/machine/virtzone-gold' */
  partition: string;
  /** the virtzone zone attributes: class, tenant, app, reservation */
  metadata: Record<string, string>;
  /** the volume created for this VM */
  rootVolume: { pool: string; volume: string; format: string };
  /** already checked against the template's list */
  networks: string[];
}

/**
 * Direct children of <domain> the daemon sets for each VM, or that would contradict the
 * size it sets (vCPU and memory hot-plug limits, pinning, NUMA placement).
 */
const OWNED_BY_DAEMON = ['name', 'uuid', 'memory', 'currentMemory', 'vcpu', 'vcpus', 'maxMemory', 'resource', 'cputune', 'numatune'];

const e = escapeXml;

function refuseBase(source: string, offset: number, what: string): never {
  throw new TemplateError(`base domain XML: ${xmlErrorAt(source, offset, what).message}`);
}

/** The base parsed and checked: one <domain>, nothing the daemon owns. */
function parseBase(text: string): DomainXml {
  if (typeof text !== 'string') throw new TemplateError('base domain XML: not a string');
  let d: DomainXml;
  try {
    d = parseDomainXml(text);
  } catch (err) {
    if (err instanceof XmlError) throw new TemplateError(`base domain XML: ${err.message}`);
    throw err;
  }
  const { root } = d;
  if (root.uri !== '') refuseBase(text, root.start, `<domain> is in namespace ${JSON.stringify(root.uri)}; libvirt's domain XML has none`);
  if (attributeOf(root, 'type') === undefined) refuseBase(text, root.start, "<domain> has no type attribute (e.g. type='kvm')");
  for (const child of root.children) {
    // by local name, in any namespace: two <name>s of any kind make the size and identity ambiguous
    if (OWNED_BY_DAEMON.includes(child.local)) {
      refuseBase(text, child.start, `<${child.name}> is set by the daemon for each VM; remove it from the base`);
    }
  }
  for (const name of ['metadata', 'devices', 'cpu', 'os']) {
    const found = childElements(root, name);
    if (found.length > 1) refuseBase(text, found[1].start, `<domain> has ${found.length} <${name}> elements, expected at most one`);
  }
  const numa = childElements(root, 'cpu').flatMap((cpu) => childElements(cpu, 'numa'));
  if (numa.length) refuseBase(text, numa[0].start, '<cpu><numa> fixes memory sizes, which the daemon sets for each VM; remove it from the base');
  const zone = childElements(root, 'metadata').flatMap((m) => m.children).find((c) => c.uri === VIRTZONE_NS_URI);
  if (zone) refuseBase(text, zone.start, `<${zone.name}> (virtzone metadata) is set by the daemon for each VM; remove it from the base`);
  return d;
}

/**
 * Checks an operator's base domain XML: well-formed, one <domain> with a type, no
 * DOCTYPE, and none of the elements the daemon sets per VM (<name>, <uuid>, <memory>,
 * <currentMemory>, <vcpu>, <vcpus>, <maxMemory>, <resource>, <cputune>, <numatune>,
 * <cpu><numa>, virtzone metadata). Throws TemplateError naming the element and its line.
 */
export function validateBaseXml(text: string): void {
  parseBase(text);
}

function checkRequest(r: DomainBuildRequest): void {
  const whole = (what: string, n: number) => {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`domain build: ${what} must be a positive whole number, not ${n}`);
  };
  whole('vcpus', r.vcpus);
  whole('memoryMiB', r.memoryMiB);
  if (typeof r.name !== 'string' || r.name.length === 0) throw new RangeError('domain build: the name is empty');
  if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(r.uuid)) {
    throw new RangeError(`domain build: ${JSON.stringify(r.uuid)} is not a uuid`);
  }
}

/** The elements the daemon owns, in the order they open the document. */
function ownedElements(r: DomainBuildRequest): string[] {
  return [
    `<name>${e(r.name)}</name>`,
    `<uuid>${e(r.uuid)}</uuid>`,
    // what runs is what is charged: the balloon starts at the full size
    `<memory unit='MiB'>${r.memoryMiB}</memory>`,
    `<currentMemory unit='MiB'>${r.memoryMiB}</currentMemory>`,
    `<vcpu placement='static'>${r.vcpus}</vcpu>`,
    `<resource><partition>${e(r.partition)}</partition></resource>`,
  ];
}

const DISK_PREFIX: Record<DomainTemplate['diskBus'], string> = { virtio: 'vd', sata: 'sd', scsi: 'sd' };

/** vda, vdb, ..., vdz, vdaa, ...: libvirt's names for the n-th disk on a bus. */
function diskName(prefix: string, index: number): string {
  let suffix = '';
  let n = index;
  do {
    suffix = String.fromCharCode(97 + (n % 26)) + suffix;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return prefix + suffix;
}

/** The first target name on the bus's prefix no existing disk uses. */
function freeTarget(prefix: string, taken: ReadonlySet<string>): string {
  for (let i = 0; ; i++) {
    const name = diskName(prefix, i);
    if (!taken.has(name)) return name;
  }
}

function rootDisk(bus: DomainTemplate['diskBus'], dev: string, v: DomainBuildRequest['rootVolume']): string[] {
  return [
    `<disk type='volume' device='disk'>`,
    `  <driver name='qemu' type='${e(v.format)}'/>`,
    `  <source pool='${e(v.pool)}' volume='${e(v.volume)}'/>`,
    `  <target dev='${e(dev)}' bus='${e(bus)}'/>`,
    `</disk>`,
  ];
}

function interfaces(model: DomainTemplate['nicModel'], networks: readonly string[]): string[] {
  return networks.flatMap((n) => [
    `<interface type='network'>`,
    `  <source network='${e(n)}'/>`,
    `  <model type='${e(model)}'/>`,
    `</interface>`,
  ]);
}

const SCSI_CONTROLLER = `<controller type='scsi' model='virtio-scsi'/>`;

const indent = (lines: readonly string[], by: string) => lines.map((l) => by + l);

function structuredDomain(t: DomainTemplate, r: DomainBuildRequest): string {
  const devices = [
    ...(t.diskBus === 'scsi' ? [SCSI_CONTROLLER] : []),
    ...rootDisk(t.diskBus, diskName(DISK_PREFIX[t.diskBus], 0), r.rootVolume),
    ...interfaces(t.nicModel, r.networks),
    `<serial type='pty'/>`,
    `<console type='pty'/>`,
    `<memballoon model='virtio'/>`,
  ];
  const lines = [
    `<domain type='${e(t.domainType)}'>`,
    ...indent(ownedElements(r), '  '),
    `  <metadata>`,
    `    ${zoneMetadataElement(r.metadata, { forDomainXml: true })}`,
    `  </metadata>`,
    `  <os${t.firmware === 'efi' ? ` firmware='efi'` : ''}>`,
    `    <type arch='${e(t.arch)}' machine='${e(t.machine)}'>hvm</type>`,
    `    <boot dev='hd'/>`,
    `  </os>`,
    `  <features>`,
    `    <acpi/>`,
    `    <apic/>`,
    `  </features>`,
    `  <clock offset='utc'/>`,
    `  <on_poweroff>destroy</on_poweroff>`,
    `  <on_reboot>restart</on_reboot>`,
    `  <on_crash>destroy</on_crash>`,
    `  <devices>`,
    ...indent(devices, '    '),
    `  </devices>`,
    `</domain>`,
  ];
  return lines.join('\n') + '\n';
}

interface Edit {
  from: number;
  to: number;
  text: string;
}

/** An edit putting `markup` first or last inside `element`, opening an empty-element tag if need be. */
function insertInto(element: XmlElement, where: 'first' | 'last', markup: string): Edit {
  if (element.selfClosing) {
    // '/>' closes an empty-element tag, always as one token
    return { from: element.contentStart - 2, to: element.end, text: `>${markup}</${element.name}>` };
  }
  const at = where === 'first' ? element.contentStart : element.contentEnd;
  return { from: at, to: at, text: markup };
}

/** An edit appending `markup` inside a non-empty element, before the white space that ends its content. */
function appendTo(source: string, element: XmlElement, markup: string): Edit {
  let at = element.contentEnd;
  while (at > element.contentStart && /[ \t\r\n]/.test(source[at - 1])) at--;
  return { from: at, to: at, text: markup };
}

/** Applies non-overlapping edits, last first so earlier offsets stay valid. */
function applyEdits(source: string, edits: Edit[]): string {
  let out = source;
  for (const edit of [...edits].sort((a, b) => b.from - a.from || b.to - a.to)) out = splice(out, edit.from, edit.to, edit.text);
  return out;
}

function fromBase(t: DomainTemplate, base: string, r: DomainBuildRequest): string {
  const { root } = parseBase(base);
  const lines = (ls: readonly string[], by: string) => ls.map((l) => `\n${by}${l}`).join('');
  const zone = zoneMetadataElement(r.metadata, { forDomainXml: true });
  const metadata = childElements(root, 'metadata')[0];
  const devices = childElements(root, 'devices')[0];

  const existingDisks = devices ? childElements(devices, 'disk') : [];
  const taken = new Set(existingDisks.flatMap((d) => childElements(d, 'target')).map((tg) => attributeOf(tg, 'dev') ?? ''));
  const hasScsiController = devices ? childElements(devices, 'controller').some((c) => attributeOf(c, 'type') === 'scsi') : false;
  const newDevices = [
    ...(t.diskBus === 'scsi' && !hasScsiController ? [SCSI_CONTROLLER] : []),
    ...rootDisk(t.diskBus, freeTarget(DISK_PREFIX[t.diskBus], taken), r.rootVolume),
    ...interfaces(t.nicModel, r.networks),
  ];

  const first = lines(ownedElements(r), '  ') + (metadata ? '' : lines(['<metadata>', `  ${zone}`, '</metadata>'], '  '));
  const last = devices ? '' : lines(['<devices>', ...indent(newDevices, '  '), '</devices>'], '  ');
  if (root.selfClosing) return applyEdits(base, [insertInto(root, 'first', `${first}${last}\n`)]);

  const edits: Edit[] = [{ from: root.contentStart, to: root.contentStart, text: first }];
  if (metadata) edits.push(insertInto(metadata, 'first', lines([zone], '    ') + (metadata.selfClosing ? '\n  ' : '')));
  if (!devices) edits.push(appendTo(base, root, last));
  else if (devices.selfClosing) edits.push(insertInto(devices, 'last', `${lines(newDevices, '    ')}\n  `));
  else edits.push(appendTo(base, devices, lines(newDevices, '    ')));
  return applyEdits(base, edits);
}

/**
 * The domain XML of a VM of template `t`: the structured shape, or the template's base
 * XML with the daemon's elements put in. Throws TemplateError for a bad base, RangeError
 * for a request no domain can carry (a size below 1, a malformed uuid, a character XML
 * cannot carry, a metadata key that is not an attribute name).
 */
export function buildDomainXml(t: DomainTemplate, r: DomainBuildRequest): string {
  checkRequest(r);
  return t.baseXml === undefined ? structuredDomain(t, r) : fromBase(t, t.baseXml, r);
}
