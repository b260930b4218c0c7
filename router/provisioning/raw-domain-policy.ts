// What a caller's own domain XML may contain, when the operator allows raw XML at all.
// libvirt defines whatever a document says, and much of what it can say is root on the
// host: a host block device or directory, a PCI device, any binary as <emulator>, no
// security label, a NIC on a host interface, qemu:commandline. So this is a POSITIVE
// allow-list over a real parse (core/xml/parse.ts: no DOCTYPE, no entities, namespaces
// resolved): every element must be one the template path produces, or one of the few
// harmless things a hand-written domain has, and every attribute must be on its element's
// list with a value of the expected form. Disks are volumes of the templates' pools,
// interfaces join the templates' networks. Anything else is refused, named.
//
// Names are compared exactly as libvirt does (case-sensitive, no namespace), so <HOSTDEV>,
// <foo:disk xmlns:foo=...> or a prefix bound to libvirt's qemu namespace are simply
// elements the list does not have.
//
// Pure: the caller's text in, a verdict out.
import { VIRTZONE_NS_URI } from '../../core/host/types.js';
import { DomainXmlError, readDomainIdentity, readDomainSize, type DomainXml } from '../../core/xml/domain-xml.js';
import { isNamespaceDeclaration, parseXml, XmlError, type XmlElement } from '../../core/xml/parse.js';

/** What raw domain XML may reach: the pools and networks of the templates together. */
export interface RawDomainAllowance {
  pools: ReadonlySet<string>;
  networks: ReadonlySet<string>;
}

/** A disk volume a raw domain attaches. */
export interface RawDomainVolume {
  pool: string;
  volume: string;
  device: 'disk' | 'cdrom';
  readonly: boolean;
}

export type RawDomainVerdict =
  | {
      ok: true;
      name: string;
      uuid: string | null;
      /** the vCPUs it starts with: <vcpu current>, else <vcpu> */
      vcpus: number;
      /** <memory>: all of it can be used, whatever the balloon starts at */
      memoryMiB: number;
      /** every volume it attaches, in document order (any volume of an allowed pool passes here) */
      volumes: RawDomainVolume[];
    }
  /** element: the refused element's name as written (e.g. 'hostdev', 'qemu:commandline'), or the device whose attribute is refused */
  | { ok: false; element: string; detail: string };

type Refusal = { ok: false; element: string; detail: string };

/** An attribute value (or text) of the expected form; `says` describes it for the refusal. */
interface ValueRule {
  test(value: string, allow: RawDomainAllowance): boolean;
  says: string;
}

interface ElementRule {
  /** the attributes allowed, each with the form of its value */
  attrs?: Record<string, ValueRule>;
  /** attributes that must be present */
  required?: string[];
  /** the form of its text; absent: whitespace only */
  text?: ValueRule;
  /** the child elements allowed, by name */
  children?: Record<string, ElementRule>;
  /** at most one under its parent */
  once?: boolean;
  /** may carry namespace declarations of the virtzone namespace (and nothing else) */
  virtzoneNamespace?: boolean;
  /** may hold the virtzone element (and no other namespaced one) */
  holdsVirtzone?: boolean;
  /** conditions across attributes and children: a refusal detail, or null */
  verify?: (element: XmlElement) => string | null;
}

const oneOf = (...values: string[]): ValueRule => ({ test: (v) => values.includes(v), says: values.length === 1 ? values[0] : `one of ${values.join(', ')}` });
const form = (re: RegExp, says: string): ValueRule => ({ test: (v) => re.test(v), says });

const WHOLE = form(/^[0-9]{1,10}$/, 'a whole number');
/** guest bus addresses: decimal or 0x-hex, USB ports dotted */
const ADDRESS_NUMBER = form(/^(0x[0-9a-fA-F]{1,8}|[0-9]{1,10}(\.[0-9]{1,3}){0,4})$/, 'a decimal or 0x-hex number');
const ON_OFF = oneOf('on', 'off');
const YES_NO = oneOf('yes', 'no');
const IDENTIFIER = form(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a name of letters, digits, _ . -');
const ANY_TEXT: ValueRule = { test: () => true, says: 'any text' };
const LOOPBACK = oneOf('127.0.0.1');
const POOL: ValueRule = { test: (v, allow) => allow.pools.has(v), says: "a storage pool of the templates'" };
const NETWORK: ValueRule = { test: (v, allow) => allow.networks.has(v), says: "a network of the templates'" };
// a volume is looked up by name inside its pool; no path, no traversal
const VOLUME = form(/^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,254}$/, 'a volume name (letters, digits, _ . + -; no path)');

const guestAddress: ElementRule = {
  once: true,
  attrs: {
    type: oneOf('pci', 'drive', 'virtio-serial', 'usb'),
    domain: ADDRESS_NUMBER, bus: ADDRESS_NUMBER, slot: ADDRESS_NUMBER, function: ADDRESS_NUMBER, multifunction: ON_OFF,
    controller: ADDRESS_NUMBER, target: ADDRESS_NUMBER, unit: ADDRESS_NUMBER, port: ADDRESS_NUMBER,
  },
  required: ['type'],
};
const userAlias: ElementRule = { once: true, attrs: { name: form(/^ua-[A-Za-z0-9_-]{1,64}$/, "a user alias ('ua-' and letters, digits, _ -)") }, required: ['name'] };
const bootOrder: ElementRule = { once: true, attrs: { order: WHOLE }, required: ['order'] };
/** children every device may have: where it sits on the guest's bus, and what it is called there */
const placement = { address: guestAddress, alias: userAlias };

const has = (element: XmlElement, child: string) => element.children.some((c) => c.name === child);
const attr = (element: XmlElement, name: string) => element.attributes.find((a) => a.name === name && a.prefix === '')?.value;

const disk: ElementRule = {
  attrs: { type: oneOf('volume'), device: oneOf('disk', 'cdrom') },
  required: ['type'],
  children: {
    driver: {
      once: true,
      attrs: {
        name: oneOf('qemu'),
        type: oneOf('raw', 'qcow2'),
        cache: oneOf('default', 'none', 'writethrough', 'writeback', 'directsync', 'unsafe'),
        io: oneOf('native', 'threads', 'io_uring'),
        discard: oneOf('unmap', 'ignore'),
        detect_zeroes: oneOf('off', 'on', 'unmap'),
        queues: WHOLE,
      },
    },
    source: { once: true, attrs: { pool: POOL, volume: VOLUME }, required: ['pool', 'volume'] },
    target: {
      once: true,
      attrs: { dev: form(/^(vd|sd|hd)[a-z]{1,3}$/, 'a guest disk name (vda, sda, hda, ...)'), bus: oneOf('virtio', 'sata', 'scsi', 'ide', 'usb'), tray: oneOf('open', 'closed') },
      required: ['dev'],
    },
    readonly: { once: true },
    boot: bootOrder,
    ...placement,
  },
  // an empty drive is a cdrom's business only
  verify: (el) => (attr(el, 'device') !== 'cdrom' && !has(el, 'source') ? 'a disk needs <source pool=... volume=...>' : null),
};

const iface: ElementRule = {
  attrs: { type: oneOf('network') },
  required: ['type'],
  children: {
    source: { once: true, attrs: { network: NETWORK }, required: ['network'] },
    model: { once: true, attrs: { type: oneOf('virtio', 'e1000', 'e1000e', 'rtl8139') }, required: ['type'] },
    mac: { once: true, attrs: { address: form(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, 'a MAC address') }, required: ['address'] },
    driver: { once: true, attrs: { name: oneOf('vhost', 'qemu'), queues: WHOLE } },
    boot: bootOrder,
    ...placement,
  },
  verify: (el) => (has(el, 'source') ? null : 'an interface needs <source network=...>'),
};

const controller: ElementRule = {
  attrs: {
    type: oneOf('scsi', 'sata', 'ide', 'usb', 'pci', 'virtio-serial'),
    index: WHOLE,
    model: form(/^[a-z0-9-]{1,32}$/, 'a controller model'),
    ports: WHOLE,
    vectors: WHOLE,
  },
  required: ['type'],
  children: {
    driver: { once: true, attrs: { queues: WHOLE } },
    target: { once: true, attrs: { chassisNr: WHOLE, chassis: WHOLE, port: ADDRESS_NUMBER, busNr: WHOLE, index: WHOLE, hotplug: ON_OFF } },
    model: { once: true, attrs: { name: form(/^[a-z0-9-]{1,32}$/, 'a controller model') }, required: ['name'] },
    ...placement,
  },
};

/** A character device on a pseudo-terminal (or nowhere): no host path of any kind. */
const terminal = (targetTypes: string[]): ElementRule => ({
  attrs: { type: oneOf('pty', 'null') },
  required: ['type'],
  children: {
    target: {
      once: true,
      attrs: { type: oneOf(...targetTypes), port: WHOLE },
      children: { model: { once: true, attrs: { name: form(/^[a-z0-9-]{1,32}$/, 'a serial model') }, required: ['name'] } },
    },
    ...placement,
  },
});

const channel: ElementRule = {
  attrs: { type: oneOf('unix', 'spicevmc') },
  required: ['type'],
  children: {
    // mode='bind' with no path: libvirt makes the socket in its own directory
    source: { once: true, attrs: { mode: oneOf('bind') } },
    target: { once: true, attrs: { type: oneOf('virtio'), name: IDENTIFIER }, required: ['type'] },
    ...placement,
  },
  verify: (el) => (attr(el, 'type') === 'spicevmc' && has(el, 'source') ? 'a spicevmc channel has no <source>' : null),
};

const graphics: ElementRule = {
  // no fixed port: a chosen one could squat a port another service expects
  attrs: { type: oneOf('vnc', 'spice'), listen: LOOPBACK, autoport: oneOf('yes'), port: oneOf('-1'), tlsPort: oneOf('-1'), keymap: form(/^[a-z]{2}(-[a-z]{2,8})?$/, 'a keymap') },
  required: ['type'],
  children: { listen: { attrs: { type: oneOf('address'), address: LOOPBACK }, required: ['type', 'address'] } },
  // without an address of its own it would listen where qemu.conf says, maybe everywhere
  verify: (el) => (attr(el, 'listen') !== undefined || has(el, 'listen') ? null : "graphics must listen on 127.0.0.1 (listen='127.0.0.1')"),
};

const devices: ElementRule = {
  once: true,
  children: {
    disk,
    interface: iface,
    controller,
    serial: terminal(['isa-serial', 'usb-serial', 'pci-serial', 'system-serial']),
    console: terminal(['serial', 'virtio']),
    channel,
    memballoon: {
      once: true,
      attrs: { model: oneOf('virtio', 'virtio-transitional', 'virtio-non-transitional', 'none'), autodeflate: ON_OFF, freePageReporting: ON_OFF },
      required: ['model'],
      children: { stats: { once: true, attrs: { period: WHOLE }, required: ['period'] }, ...placement },
    },
    video: {
      children: {
        model: {
          once: true,
          attrs: { type: oneOf('vga', 'cirrus', 'virtio', 'qxl', 'bochs', 'ramfb', 'none'), vram: WHOLE, ram: WHOLE, vgamem: WHOLE, vram64: WHOLE, heads: WHOLE, primary: YES_NO },
          required: ['type'],
        },
        ...placement,
      },
    },
    graphics,
    input: { attrs: { type: oneOf('tablet', 'mouse', 'keyboard'), bus: oneOf('usb', 'ps2', 'virtio') }, required: ['type'], children: { ...placement } },
    rng: {
      attrs: { model: oneOf('virtio', 'virtio-transitional', 'virtio-non-transitional') },
      required: ['model'],
      children: {
        backend: { once: true, attrs: { model: oneOf('random') }, required: ['model'], text: oneOf('/dev/urandom') },
        rate: { once: true, attrs: { bytes: WHOLE, period: WHOLE }, required: ['bytes'] },
        ...placement,
      },
      verify: (el) => (has(el, 'backend') ? null : "an rng needs <backend model='random'>/dev/urandom</backend>"),
    },
  },
};

/** The virtzone element inside <metadata>; the daemon replaces it with its own on define. */
const virtzoneZone: ElementRule = {
  once: true,
  virtzoneNamespace: true,
  attrs: { class: ANY_TEXT, tenant: ANY_TEXT, app: ANY_TEXT, reservation: ANY_TEXT },
};

const MEMORY_UNIT = form(/^[A-Za-z]{1,5}$/, 'a memory unit');
const LIFECYCLE = oneOf('destroy', 'restart', 'preserve', 'rename-restart');

const domain: ElementRule = {
  attrs: { type: oneOf('kvm', 'qemu', 'test') },
  required: ['type'],
  children: {
    // libvirt takes the name as written: white space around it would be part of it
    name: { once: true, text: form(/^.+$/s, 'a name'), verify: (el) => (el.text === el.text.trim() ? null : '<name> has white space around it') },
    uuid: { once: true, text: form(/^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$/, 'a uuid') },
    title: { once: true, text: ANY_TEXT },
    description: { once: true, text: ANY_TEXT },
    // only the virtzone element may be inside
    metadata: { once: true, virtzoneNamespace: true, holdsVirtzone: true },
    memory: { once: true, attrs: { unit: MEMORY_UNIT }, text: WHOLE },
    currentMemory: { once: true, attrs: { unit: MEMORY_UNIT }, text: WHOLE },
    // no cpuset: pinning to host CPUs is the partitioner's business
    vcpu: { once: true, attrs: { placement: oneOf('static'), current: WHOLE }, text: WHOLE },
    os: {
      once: true,
      attrs: { firmware: oneOf('efi', 'bios') },
      children: {
        type: { once: true, attrs: { arch: form(/^[a-z0-9_]{1,32}$/, 'an architecture'), machine: form(/^[a-z0-9_.-]{1,64}$/, 'a machine type') }, text: oneOf('hvm') },
        boot: { attrs: { dev: oneOf('hd', 'cdrom', 'network', 'fd') }, required: ['dev'] },
        bootmenu: { once: true, attrs: { enable: YES_NO } },
        // firmware auto-selection only: a path (the element's text) would load a host file
        loader: { once: true, attrs: { secure: YES_NO } },
      },
    },
    features: { once: true, children: { acpi: { once: true }, apic: { once: true }, pae: { once: true } } },
    cpu: {
      once: true,
      attrs: { mode: oneOf('host-model', 'host-passthrough', 'custom'), match: oneOf('exact', 'minimum', 'strict'), check: oneOf('none', 'partial', 'full'), migratable: ON_OFF },
      children: {
        model: { once: true, attrs: { fallback: oneOf('allow', 'forbid') }, text: IDENTIFIER },
        topology: { once: true, attrs: { sockets: WHOLE, dies: WHOLE, clusters: WHOLE, cores: WHOLE, threads: WHOLE } },
        feature: { attrs: { policy: oneOf('force', 'require', 'optional', 'disable', 'forbid'), name: IDENTIFIER }, required: ['name'] },
      },
      verify: (el) => {
        const mode = attr(el, 'mode');
        if (mode === 'host-model' || mode === 'host-passthrough' || has(el, 'model')) return null;
        return "<cpu> needs mode='host-model' or 'host-passthrough', or a <model>";
      },
    },
    clock: {
      once: true,
      attrs: { offset: oneOf('utc', 'localtime') },
      children: {
        timer: {
          attrs: { name: oneOf('rtc', 'pit', 'hpet', 'kvmclock', 'hypervclock'), tickpolicy: oneOf('delay', 'catchup', 'merge', 'discard'), present: YES_NO, track: oneOf('boot', 'guest', 'wall', 'realtime') },
          required: ['name'],
        },
      },
    },
    // no coredump-*: a guest's memory written to the host's dump directory
    on_poweroff: { once: true, text: LIFECYCLE },
    on_reboot: { once: true, text: LIFECYCLE },
    on_crash: { once: true, text: LIFECYCLE },
    devices,
  },
};

const refusal = (element: string, detail: string): Refusal => ({ ok: false, element, detail });

/** Where an attribute or text problem is reported: the device it belongs to, else the element itself. */
function reportedAs(element: XmlElement): string {
  for (let e: XmlElement | null = element; e; e = e.parent) {
    const p = e.parent;
    if (p && p.name === 'devices' && p.parent && p.parent.parent === null) return e.name;
  }
  return element.name;
}

const where = (element: XmlElement) => `<${element.parent ? `${element.parent.name}><` : ''}${element.name}>`;

function checkAttributes(element: XmlElement, rule: ElementRule, allow: RawDomainAllowance): Refusal | null {
  const report = reportedAs(element);
  for (const a of element.attributes) {
    if (isNamespaceDeclaration(a)) {
      if (rule.virtzoneNamespace && a.value === VIRTZONE_NS_URI) continue;
      return refusal(report, `${where(element)} declares namespace ${a.name}=${JSON.stringify(a.value)}: only the virtzone namespace, inside <metadata>, is allowed`);
    }
    const valueRule = a.prefix === '' && rule.attrs && Object.hasOwn(rule.attrs, a.name) ? rule.attrs[a.name] : undefined;
    if (!valueRule) return refusal(report, `${where(element)} may not have the attribute ${a.name}`);
    if (!valueRule.test(a.value, allow)) return refusal(report, `${where(element)} ${a.name}=${JSON.stringify(a.value)}: expected ${valueRule.says}`);
  }
  for (const name of rule.required ?? []) {
    if (attr(element, name) === undefined) return refusal(report, `${where(element)} needs the attribute ${name}`);
  }
  return null;
}

function checkText(element: XmlElement, rule: ElementRule, allow: RawDomainAllowance): Refusal | null {
  const text = element.text.trim();
  if (!rule.text) return text === '' ? null : refusal(reportedAs(element), `${where(element)} may not contain text`);
  return rule.text.test(text, allow) ? null : refusal(reportedAs(element), `${where(element)} ${JSON.stringify(text)}: expected ${rule.text.says}`);
}

/** The rule of a child element, or the refusal naming it. */
function ruleOfChild(child: XmlElement, parentRule: ElementRule): ElementRule | Refusal {
  const inMetadata = parentRule.holdsVirtzone === true;
  if (inMetadata && child.uri === VIRTZONE_NS_URI && child.local === 'zone') return virtzoneZone;
  if (child.uri !== '') return refusal(child.name, `<${child.name}> is in namespace ${JSON.stringify(child.uri)}: only libvirt's own elements are allowed${inMetadata ? ' (and the virtzone element in <metadata>)' : ''}`);
  const children = parentRule.children ?? {};
  if (!Object.hasOwn(children, child.name)) {
    return refusal(child.name, `<${child.name}> is not allowed${child.parent ? ` in <${child.parent.name}>` : ''}`);
  }
  return children[child.name];
}

function checkElement(element: XmlElement, rule: ElementRule, allow: RawDomainAllowance): Refusal | null {
  const bad = checkAttributes(element, rule, allow) ?? checkText(element, rule, allow);
  if (bad) return bad;
  const seen = new Set<string>();
  for (const child of element.children) {
    const childRule = ruleOfChild(child, rule);
    if ('ok' in childRule) return childRule;
    if (childRule.once) {
      if (seen.has(child.name)) return refusal(child.name, `<${element.name}> may have only one <${child.name}>`);
      seen.add(child.name);
    }
    const refused = checkElement(child, childRule, allow);
    if (refused) return refused;
  }
  const detail = rule.verify?.(element);
  return detail ? refusal(reportedAs(element), detail) : null;
}

/**
 * The first element, in document order, outside libvirt's (no) namespace — other than the
 * virtzone element in <metadata>. Looked for before anything else so that the usual
 * `<domain xmlns:qemu=...>` with `<qemu:commandline>` is refused by the element that
 * does the harm rather than by the declaration.
 */
function foreignElement(root: XmlElement): Refusal | null {
  // iterative: a caller's document may nest deeper than the call stack goes
  const stack = [...root.children].reverse();
  for (let element = stack.pop(); element; element = stack.pop()) {
    const parent = element.parent!;
    const virtzone = element.uri === VIRTZONE_NS_URI && parent.name === 'metadata' && parent.uri === '' && parent.parent === root;
    if (element.uri !== '' && !virtzone) {
      return refusal(element.name, `<${element.name}> is in namespace ${JSON.stringify(element.uri)}: only libvirt's own elements are allowed (and the virtzone element in <metadata>)`);
    }
    for (let i = element.children.length - 1; i >= 0; i--) stack.push(element.children[i]);
  }
  return null;
}

function volumesOf(root: XmlElement): RawDomainVolume[] {
  const out: RawDomainVolume[] = [];
  for (const devs of root.children.filter((c) => c.name === 'devices')) {
    for (const d of devs.children.filter((c) => c.name === 'disk')) {
      const source = d.children.find((c) => c.name === 'source');
      if (!source) continue;
      out.push({
        pool: attr(source, 'pool')!,
        volume: attr(source, 'volume')!,
        device: attr(d, 'device') === 'cdrom' ? 'cdrom' : 'disk',
        readonly: has(d, 'readonly'),
      });
    }
  }
  return out;
}

/** The sizes a domain is charged for, or the refusal. */
function sizesOf(d: DomainXml): { vcpus: number; memoryMiB: number } | Refusal {
  let size;
  try {
    size = readDomainSize(d);
  } catch (err) {
    if (err instanceof DomainXmlError) return refusal(/<(\w+)/.exec(err.message)?.[1] ?? 'domain', err.message);
    throw err;
  }
  const { vcpus, currentVcpus, memoryKiB } = size;
  if (vcpus === null) return refusal('vcpu', '<domain> needs a <vcpu>');
  if (memoryKiB === null) return refusal('memory', '<domain> needs a <memory>');
  // libvirt plugs only `current` at start, and a guest cannot plug more itself
  const starts = currentVcpus ?? vcpus;
  if (currentVcpus !== null && currentVcpus > vcpus) return refusal('vcpu', `<vcpu current='${currentVcpus}'> is more than its ${vcpus}`);
  if (!Number.isSafeInteger(starts) || starts < 1) return refusal('vcpu', `${starts} vCPUs: expected at least 1`);
  const memoryMiB = memoryKiB / 1024;
  if (!Number.isSafeInteger(memoryMiB) || memoryMiB < 1) return refusal('memory', `<memory> is ${memoryKiB} KiB: expected a whole number of MiB, at least 1`);
  return { vcpus: starts, memoryMiB };
}

/** Deeper than anything on the list (domain/devices/serial/target/model is 5) by a wide margin. */
const MAX_DEPTH = 32;

/**
 * Whether a document nests elements deeper than `max`, found by a linear scan of its
 * markup that stops as soon as it is. The namespace-aware parser takes time quadratic in
 * the depth, so a caller's document is measured before it is parsed. Exact for
 * well-formed XML (in content every '<' opens markup; inside a tag only quotes hide a
 * '>'); anything else is the parser's to refuse.
 */
function nestsDeeperThan(source: string, max: number): boolean {
  let depth = 0;
  const after = (token: string, from: number) => {
    const end = source.indexOf(token, from);
    return end < 0 ? -1 : source.indexOf('<', end + token.length);
  };
  for (let i = source.indexOf('<'); i !== -1; ) {
    if (source.startsWith('<!--', i)) i = after('-->', i + 4);
    else if (source.startsWith('<![CDATA[', i)) i = after(']]>', i + 9);
    else if (source.startsWith('<?', i)) i = after('?>', i + 2);
    else if (source.startsWith('<!', i)) return false; // a DOCTYPE: the parser refuses it
    else if (source[i + 1] === '/') {
      depth--;
      i = source.indexOf('<', i + 2);
    } else {
      let j = i + 1;
      for (let quote = ''; j < source.length; j++) {
        const c = source[j];
        if (quote) {
          if (c === quote) quote = '';
        } else if (c === '"' || c === "'") quote = c;
        else if (c === '>') break;
      }
      if (j >= source.length) return false;
      if (source[j - 1] !== '/' && ++depth > max) return true;
      i = source.indexOf('<', j + 1);
    }
  }
  return false;
}

/**
 * Checks a caller's domain XML against the allow-list. On success: its name, uuid (or
 * null), the vCPUs it starts with, its <memory> in MiB (all of which a guest can use: it
 * may refuse to inflate its balloon) and the volumes it attaches. On refusal: the
 * element, and why.
 */
export function checkRawDomainXml(xml: string, allow: RawDomainAllowance): RawDomainVerdict {
  if (typeof xml !== 'string') return refusal('xml', 'the domain XML is not a string');
  if (nestsDeeperThan(xml, MAX_DEPTH)) return refusal('xml', `elements nested deeper than ${MAX_DEPTH} levels`);
  let root: XmlElement;
  try {
    root = parseXml(xml).root;
  } catch (err) {
    if (!(err instanceof XmlError)) throw err;
    const declaration = /DOCTYPE|markup declaration/.test(err.message);
    return refusal(declaration ? 'DOCTYPE' : 'xml', err.message);
  }
  if (root.name !== 'domain' || root.uri !== '') return refusal(root.name, `the root element is <${root.name}>${root.uri ? ` in namespace ${JSON.stringify(root.uri)}` : ''}, expected libvirt's <domain>`);
  const bad = foreignElement(root) ?? checkElement(root, domain, allow);
  if (bad) return bad;
  if (!has(root, 'name')) return refusal('name', '<domain> needs a <name>');

  const d: DomainXml = { source: xml, root };
  const sizes = sizesOf(d);
  if ('ok' in sizes) return sizes;
  const { name, uuid } = readDomainIdentity(d);
  return { ok: true, name: name!, uuid, vcpus: sizes.vcpus, memoryMiB: sizes.memoryMiB, volumes: volumesOf(root) };
}
