// The domain XML the daemon builds from a template: the structured shape and an
// operator's base file, both read back with core/xml and, for the structured shape,
// defined in libvirt's test driver.
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { resolve } from 'node:path';
import { openHost } from '../../../core/host/libvirt-host.js';
import { VIRTZONE_NS_URI } from '../../../core/host/types.js';
import { parseDomainXml, readDomainIdentity, readDomainPartition, readDomainSize, readZoneMetadata } from '../../../core/xml/domain-xml.js';
import { attributeOf, childElements, parseXml, type XmlElement } from '../../../core/xml/parse.js';
import { buildDomainXml, TemplateError, validateBaseXml, type DomainBuildRequest } from '../../../router/provisioning/build-domain.js';
import type { DomainTemplate } from '../../../router/provisioning/domain-template.js';

const TEMPLATE: DomainTemplate = {
  name: 'small',
  domainType: 'kvm',
  arch: 'x86_64',
  machine: 'q35',
  firmware: 'bios',
  diskBus: 'virtio',
  nicModel: 'virtio',
  vcpus: { min: 1, max: 8 },
  memoryMiB: { min: 256, max: 16384 },
  pool: 'images',
  rootDisk: 'overlay',
  networks: ['default', 'lan'],
};

const REQUEST: DomainBuildRequest = {
  name: 'web-1',
  uuid: '3a1f0000-0000-4000-8000-0000000000a1',
  vcpus: 2,
  memoryMiB: 1536,
  partition: '/machine/virtzone-gold',
  metadata: { class: 'gold', tenant: 'acme', app: 'web', reservation: 'r-123' },
  rootVolume: { pool: 'images', volume: 'web-1-root.qcow2', format: 'qcow2' },
  networks: ['default', 'lan'],
};

/** Every structured variant the template keys allow. */
function* variants(): Generator<DomainTemplate> {
  for (const domainType of ['kvm', 'qemu', 'test'] as const)
    for (const firmware of ['bios', 'efi'] as const)
      for (const diskBus of ['virtio', 'sata', 'scsi'] as const)
        for (const nicModel of ['virtio', 'e1000', 'rtl8139'] as const)
          for (const rootDisk of ['overlay', 'clone'] as const) yield { ...TEMPLATE, domainType, firmware, diskBus, nicModel, rootDisk };
}

const requestFor = (tpl: DomainTemplate): DomainBuildRequest =>
  tpl.rootDisk === 'overlay' ? REQUEST : { ...REQUEST, rootVolume: { pool: 'images', volume: 'web-1-root.img', format: 'raw' } };

const all = (root: XmlElement): XmlElement[] => [root, ...root.children.flatMap(all)];
const child = (parent: XmlElement, name: string) => childElements(parent, name)[0];

/** What every built document must say, whatever its shape. */
function checkOwned(t: Test, xml: string, r: DomainBuildRequest): void {
  const d = parseDomainXml(xml);
  t.same(readDomainSize(d), { vcpus: r.vcpus, currentVcpus: null, memoryKiB: r.memoryMiB * 1024, currentMemoryKiB: r.memoryMiB * 1024 }, 'exactly the requested size');
  t.same(readDomainIdentity(d), { name: r.name, uuid: r.uuid });
  t.equal(readDomainPartition(d), r.partition);
  t.same(readZoneMetadata(d), r.metadata);
  for (const name of ['name', 'uuid', 'memory', 'currentMemory', 'vcpu', 'resource', 'metadata', 'devices']) {
    t.equal(childElements(d.root, name).length, 1, `one <${name}>`);
  }
  for (const name of ['vcpus', 'maxMemory', 'cputune', 'numatune']) t.equal(childElements(d.root, name).length, 0, `no <${name}>`);
  const devices = child(d.root, 'devices');
  const roots = childElements(devices, 'disk').filter((k) => attributeOf(child(k, 'source') ?? k, 'volume') === r.rootVolume.volume);
  t.equal(roots.length, 1, 'one root disk');
  t.equal(attributeOf(child(roots[0], 'source'), 'pool'), r.rootVolume.pool);
  t.equal(attributeOf(child(roots[0], 'driver'), 'type'), r.rootVolume.format);
  t.same(
    childElements(devices, 'interface').map((i) => attributeOf(child(i, 'source'), 'network')),
    r.networks,
    'one interface per network, in order',
  );
}

t.test('the structured shape, every variant', async (t) => {
  let n = 0;
  for (const tpl of variants()) {
    const r = requestFor(tpl);
    const xml = buildDomainXml(tpl, r);
    checkOwned(t, xml, r);
    const { root } = parseDomainXml(xml);
    t.equal(attributeOf(root, 'type'), tpl.domainType);
    t.same(root.children.map((c) => c.name), ['name', 'uuid', 'memory', 'currentMemory', 'vcpu', 'resource', 'metadata', 'os', 'features', 'clock', 'on_poweroff', 'on_reboot', 'on_crash', 'devices']);
    t.equal(child(root, 'memory').text, String(r.memoryMiB));
    t.equal(attributeOf(child(root, 'memory'), 'unit'), 'MiB');
    t.equal(attributeOf(child(root, 'vcpu'), 'placement'), 'static');
    const os = child(root, 'os');
    t.equal(attributeOf(os, 'firmware'), tpl.firmware === 'efi' ? 'efi' : undefined);
    t.same({ arch: attributeOf(child(os, 'type'), 'arch'), machine: attributeOf(child(os, 'type'), 'machine'), text: child(os, 'type').text }, { arch: 'x86_64', machine: 'q35', text: 'hvm' });
    t.equal(attributeOf(child(os, 'boot'), 'dev'), 'hd');
    t.same(child(root, 'features').children.map((c) => c.name), ['acpi', 'apic']);
    t.equal(attributeOf(child(root, 'clock'), 'offset'), 'utc');
    t.same(['on_poweroff', 'on_reboot', 'on_crash'].map((n) => child(root, n).text), ['destroy', 'restart', 'destroy']);

    const devices = child(root, 'devices');
    const disk = child(devices, 'disk');
    t.same({ type: attributeOf(disk, 'type'), device: attributeOf(disk, 'device') }, { type: 'volume', device: 'disk' });
    t.same(
      { dev: attributeOf(child(disk, 'target'), 'dev'), bus: attributeOf(child(disk, 'target'), 'bus') },
      { dev: tpl.diskBus === 'virtio' ? 'vda' : 'sda', bus: tpl.diskBus },
    );
    const controllers = childElements(devices, 'controller');
    t.same(controllers.map((c) => [attributeOf(c, 'type'), attributeOf(c, 'model')]), tpl.diskBus === 'scsi' ? [['scsi', 'virtio-scsi']] : []);
    for (const i of childElements(devices, 'interface')) {
      t.equal(attributeOf(i, 'type'), 'network');
      t.equal(attributeOf(child(i, 'model'), 'type'), tpl.nicModel);
    }
    t.same(
      devices.children.filter((c) => !['disk', 'interface', 'controller'].includes(c.name)).map((c) => [c.name, attributeOf(c, 'type') ?? attributeOf(c, 'model')]),
      [['serial', 'pty'], ['console', 'pty'], ['memballoon', 'virtio']],
    );
    // no host path anywhere: the only absolute paths are the partition (a cgroup name) and the namespace URI
    for (const e of all(root)) {
      for (const a of e.attributes) if (a.name !== 'xmlns:virtzone') t.notMatch(a.value, /^\/|:\/\//, `<${e.name} ${a.name}>`);
      if (e.name !== 'partition') t.notMatch(e.text.trim(), /^\//, `<${e.name}> text`);
    }
    n++;
  }
  t.equal(n, 108);
});

t.test('every value is escaped: nothing a value holds becomes markup', async (t) => {
  const hostile = `x'"<>&\t\n</name><devices><hostdev mode='subsystem'/></devices><name>`;
  const r: DomainBuildRequest = {
    ...REQUEST,
    name: hostile,
    partition: `/machine/${hostile}`,
    metadata: { class: 'gold', tenant: hostile, app: `a"b'c` },
    rootVolume: { pool: `p'o"ol<`, volume: `v&ol`, format: `q'cow2` },
    networks: [`n'et"<x/>`],
  };
  const tpl: DomainTemplate = { ...TEMPLATE, arch: `x86'64`, machine: `q"35&` };
  for (const xml of [buildDomainXml(tpl, r), buildDomainXml({ ...tpl, baseXml: `<domain type='kvm'/>` }, r)]) {
    checkOwned(t, xml, r);
    const { root } = parseXml(xml);
    t.notOk(all(root).some((e) => e.name === 'hostdev'), 'no element came out of a value');
  }
  const os = child(parseDomainXml(buildDomainXml(tpl, r)).root, 'os');
  t.same([attributeOf(child(os, 'type'), 'arch'), attributeOf(child(os, 'type'), 'machine')], [`x86'64`, `q"35&`]);
});

t.test('a request no domain can carry is refused', async (t) => {
  for (const vcpus of [0, -1, 1.5, NaN, Infinity]) t.throws(() => buildDomainXml(TEMPLATE, { ...REQUEST, vcpus }), RangeError, `vcpus ${vcpus}`);
  for (const memoryMiB of [0, 0.5, 2 ** 60]) t.throws(() => buildDomainXml(TEMPLATE, { ...REQUEST, memoryMiB }), RangeError, `memoryMiB ${memoryMiB}`);
  t.throws(() => buildDomainXml(TEMPLATE, { ...REQUEST, uuid: 'not-a-uuid' }), RangeError);
  t.throws(() => buildDomainXml(TEMPLATE, { ...REQUEST, uuid: `${REQUEST.uuid}'/>` }), RangeError);
  t.throws(() => buildDomainXml(TEMPLATE, { ...REQUEST, name: '' }), RangeError);
  t.throws(() => buildDomainXml(TEMPLATE, { ...REQUEST, name: 'a\u0001b' }), RangeError, 'a character XML cannot carry');
  t.throws(() => buildDomainXml(TEMPLATE, { ...REQUEST, metadata: { 'bad key': 'x' } }), RangeError, 'a metadata key that is no attribute name');
});

t.test("libvirt's test driver defines the structured shape as built", async (t) => {
  const host = await openHost(`test://${resolve('test/fixtures/host.xml')}`, { events: false });
  t.teardown(() => host.close());
  let i = 0;
  for (const tpl of variants()) {
    if (tpl.domainType !== 'test' || tpl.rootDisk !== 'overlay') continue;
    const r = { ...REQUEST, name: `built-${i}`, uuid: `3a1f0000-0000-4000-8000-${String(i).padStart(12, '0')}` };
    i++;
    await host.define(buildDomainXml(tpl, r));
    const back = await host.getXml(r.name, { inactive: true });
    await host.undefine(r.name);
    const d = parseDomainXml(back);
    t.same(readDomainSize(d), { vcpus: 2, currentVcpus: null, memoryKiB: 1536 * 1024, currentMemoryKiB: 1536 * 1024 });
    t.same(readDomainIdentity(d), { name: r.name, uuid: r.uuid });
    t.equal(readDomainPartition(d), r.partition);
    t.same(readZoneMetadata(d), r.metadata);
    const target = child(child(child(d.root, 'devices'), 'disk'), 'target');
    t.same([attributeOf(target, 'dev'), attributeOf(target, 'bus')], [tpl.diskBus === 'virtio' ? 'vda' : 'sda', tpl.diskBus]);
  }
  t.equal(i, 18);
});

const BASE = `<?xml version="1.0" encoding="UTF-8"?>
<!-- legacy guests: BIOS, IDE-era devices -->
<domain type='kvm'>
  <title>legacy</title>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
  </os>
  <metadata>
    <other:note xmlns:other="urn:example:other" keep="yes"/>
  </metadata>
  <features><acpi/><apic/><pae/></features>
  <cpu mode='host-model'/>
  <devices>
    <disk type='volume' device='cdrom'>
      <source pool='images' volume='tools.iso'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <video><model type='vga'/></video>
  </devices>
</domain>
`;

t.test('a base file: kept as written, the daemon\u2019s elements put in', async (t) => {
  const tpl: DomainTemplate = { ...TEMPLATE, domainType: 'qemu', diskBus: 'sata', nicModel: 'e1000', baseXml: BASE };
  const xml = buildDomainXml(tpl, REQUEST);
  checkOwned(t, xml, REQUEST);
  const base = parseXml(BASE).root;
  const { root } = parseDomainXml(xml);
  t.equal(attributeOf(root, 'type'), 'kvm', "the base's domain type");
  t.same(root.children.slice(0, 6).map((c) => c.name), ['name', 'uuid', 'memory', 'currentMemory', 'vcpu', 'resource'], 'owned elements first');
  t.same(root.children.slice(6).map((c) => c.name), base.children.map((c) => c.name), 'then the base, in its order');
  t.ok(xml.startsWith(BASE.slice(0, base.contentStart)), 'declaration, comment and start tag kept');
  // every element of the base that the daemon does not add to is there byte for byte
  for (const name of ['title', 'os', 'features', 'cpu']) t.ok(xml.includes(BASE.slice(child(base, name).start, child(base, name).end)), `<${name}> kept`);
  for (const c of [...child(base, 'metadata').children, ...child(base, 'devices').children]) t.ok(xml.includes(BASE.slice(c.start, c.end)), `<${c.name}> kept`);
  t.same(child(root, 'metadata').children.map((c) => c.name), ['virtzone:zone', 'other:note'], 'the tag goes into the existing <metadata>');
  const devices = child(root, 'devices');
  t.same(devices.children.map((c) => c.name), ['disk', 'video', 'disk', 'interface', 'interface'], 'root disk and interfaces appended');
  const rootDisk = devices.children[2];
  t.same([attributeOf(child(rootDisk, 'target'), 'dev'), attributeOf(child(rootDisk, 'target'), 'bus')], ['sdb', 'sata'], 'sda is taken: sdb');
  t.same(childElements(devices, 'interface').map((i) => attributeOf(child(i, 'model'), 'type')), ['e1000', 'e1000']);
  t.notOk(xml.includes("firmware='"), "the structured keys do not apply to a base");
});

t.test('a base file: missing or empty <metadata> and <devices>, an empty <domain>', async (t) => {
  const cases: Array<[string, string]> = [
    ['empty domain', `<domain type='kvm'/>`],
    ['no metadata, no devices', `<domain type='kvm'><os><type>hvm</type></os></domain>`],
    ['empty-element metadata and devices', `<domain type='kvm'>\n  <metadata/>\n  <devices/>\n</domain>`],
    ['empty metadata and devices', `<domain type='kvm'><metadata></metadata><devices></devices></domain>`],
  ];
  for (const [what, base] of cases) {
    for (const diskBus of ['virtio', 'scsi'] as const) {
      const xml = buildDomainXml({ ...TEMPLATE, diskBus, baseXml: base }, REQUEST);
      checkOwned(t, xml, REQUEST);
      const devices = child(parseDomainXml(xml).root, 'devices');
      t.same(devices.children.map((c) => c.name), [...(diskBus === 'scsi' ? ['controller'] : []), 'disk', 'interface', 'interface'], what);
    }
  }
});

t.test('a base file: the root disk takes the first free name; a scsi controller is added only when missing', async (t) => {
  const base = `<domain type='kvm'><devices><disk type='volume' device='disk'><source pool='images' volume='a'/><target dev='vda' bus='virtio'/></disk><disk type='volume' device='disk'><source pool='images' volume='b'/><target dev='vdb' bus='virtio'/></disk><controller type='scsi' index='0' model='lsilogic'/></devices></domain>`;
  const devicesOf = (tpl: DomainTemplate) => child(parseDomainXml(buildDomainXml(tpl, REQUEST)).root, 'devices');
  const virtio = devicesOf({ ...TEMPLATE, baseXml: base });
  t.equal(attributeOf(child(childElements(virtio, 'disk')[2], 'target'), 'dev'), 'vdc');
  const scsi = devicesOf({ ...TEMPLATE, diskBus: 'scsi', baseXml: base });
  t.equal(childElements(scsi, 'controller').length, 1, "the base's scsi controller serves");
  t.equal(attributeOf(child(childElements(scsi, 'disk')[2], 'target'), 'dev'), 'sda');
});

t.test('validateBaseXml: what the daemon owns, and what is not one domain, is refused by name', async (t) => {
  t.doesNotThrow(() => validateBaseXml(BASE));
  const owned: Array<[string, string]> = [
    ['name', '<name>x</name>'],
    ['uuid', '<uuid>3a1f0000-0000-4000-8000-0000000000a1</uuid>'],
    ['memory', "<memory unit='MiB'>1024</memory>"],
    ['currentMemory', '<currentMemory>1048576</currentMemory>'],
    ['vcpu', '<vcpu>2</vcpu>'],
    ['vcpus', "<vcpus><vcpu id='0' enabled='yes'/></vcpus>"],
    ['maxMemory', "<maxMemory slots='4' unit='GiB'>16</maxMemory>"],
    ['resource', '<resource><partition>/machine/evil</partition></resource>'],
    ['cputune', "<cputune><shares>9999</shares></cputune>"],
    ['numatune', "<numatune><memory mode='strict' nodeset='0'/></numatune>"],
    ['foo:name', "<foo:name xmlns:foo='urn:x'>x</foo:name>"],
    ['numa', "<cpu><numa><cell id='0' cpus='0' memory='1' unit='GiB'/></numa></cpu>"],
    ['virtzone:zone', `<metadata><virtzone:zone xmlns:virtzone='${VIRTZONE_NS_URI}' class='gold'/></metadata>`],
  ];
  for (const [name, markup] of owned) {
    const text = `<domain type='kvm'>\n  <os><type>hvm</type></os>\n  ${markup}\n</domain>`;
    const err = t.throws(() => validateBaseXml(text), TemplateError, name) as unknown as TemplateError;
    t.match(err.message, new RegExp(`<${name}>.*line 3`), `${name}: named, with its line`);
    t.throws(() => buildDomainXml({ ...TEMPLATE, baseXml: text }, REQUEST), TemplateError, `${name}: buildDomainXml refuses it too`);
  }
  const malformed: Array<[string, string, RegExp]> = [
    ['DOCTYPE', `<!DOCTYPE domain [<!ENTITY x SYSTEM "file:///etc/passwd">]><domain type='kvm'><title>&x;</title></domain>`, /DOCTYPE/],
    ['another root', `<network><name>n</name></network>`, /expected <domain>/],
    ['a second root', `<domain type='kvm'/><domain type='kvm'/>`, /after the root/],
    ['not closed', `<domain type='kvm'>`, /not closed/],
    ['no type', `<domain/>`, /no type attribute/],
    ['in a namespace', `<domain xmlns='urn:x' type='kvm'/>`, /namespace/],
    ['two devices', `<domain type='kvm'><devices/><devices/></domain>`, /2 <devices>/],
    ['two metadata', `<domain type='kvm'><metadata/><metadata/></domain>`, /2 <metadata>/],
  ];
  for (const [what, text, message] of malformed) t.throws(() => validateBaseXml(text), { name: 'TemplateError', message }, what);
  t.throws(() => validateBaseXml(undefined as unknown as string), TemplateError, 'not a string');
});

t.test('property: any base of the accepted kinds builds a document that says exactly what the daemon set', async (t) => {
  const piece = fc.constantFrom(
    '<title>t</title>',
    "<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>",
    '<features><acpi/></features>',
    '<!-- a comment -->',
    "<clock offset='utc'/>",
    '<on_crash>restart</on_crash>',
  );
  const metadata = fc.constantFrom('', '<metadata/>', '<metadata></metadata>', "<metadata><o:x xmlns:o='urn:o'/></metadata>", '<metadata>\n    <!-- empty -->\n  </metadata>');
  const devices = fc.constantFrom('', '<devices/>', '<devices>\n  </devices>', "<devices><video><model type='vga'/></video></devices>", "<devices><disk type='volume' device='disk'><source pool='images' volume='d'/><target dev='vda' bus='virtio'/></disk><disk type='volume' device='disk'><source pool='images' volume='e'/><target dev='sda' bus='sata'/></disk></devices>");
  const space = fc.constantFrom('', '\n', '\n  ', '\r\n\t');
  const request = fc.record({
    vcpus: fc.integer({ min: 1, max: 512 }),
    memoryMiB: fc.integer({ min: 1, max: 2 ** 30 }),
    networks: fc.subarray(['default', 'lan', 'dmz']),
  });
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.tuple(space, piece), { maxLength: 4, selector: ([, p]) => p }),
      metadata,
      devices,
      fc.nat({ max: 4 }),
      fc.nat({ max: 4 }),
      fc.constantFrom('virtio', 'sata', 'scsi'),
      request,
      (pieces, meta, devs, metaAt, devsAt, diskBus, size) => {
        const parts = pieces.map(([s, p]) => s + p);
        parts.splice(Math.min(metaAt, parts.length), 0, meta);
        parts.splice(Math.min(devsAt, parts.length), 0, devs);
        const base = `<domain type='qemu'>${parts.join('')}\n</domain>`;
        const r = { ...REQUEST, ...size };
        validateBaseXml(base);
        const xml = buildDomainXml({ ...TEMPLATE, diskBus: diskBus as DomainTemplate['diskBus'], baseXml: base }, r);
        const d = parseDomainXml(xml);
        const got = readDomainSize(d);
        if (got.vcpus !== r.vcpus || got.currentVcpus !== null || got.memoryKiB !== r.memoryMiB * 1024 || got.currentMemoryKiB !== r.memoryMiB * 1024) return false;
        if (readDomainPartition(d) !== r.partition || JSON.stringify(readZoneMetadata(d)) !== JSON.stringify(r.metadata)) return false;
        const devicesEl = child(d.root, 'devices');
        const targets = childElements(devicesEl, 'disk').map((k) => attributeOf(child(k, 'target'), 'dev'));
        if (new Set(targets).size !== targets.length) return false;
        const nets = childElements(devicesEl, 'interface').map((i) => attributeOf(child(i, 'source'), 'network'));
        return JSON.stringify(nets) === JSON.stringify(r.networks);
      },
    ),
    { numRuns: 300 },
  );
  t.pass('300 bases');
});
