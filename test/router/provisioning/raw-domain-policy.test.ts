// The allow-list a caller's own domain XML must pass: what the template path builds
// passes; everything that reaches the host (paths, devices, binaries, labels, foreign
// namespaces, host NICs, pools and networks outside the templates') is refused by name,
// however it is hidden.
import t from 'tap';
import fc from 'fast-check';
import { VIRTZONE_NS_URI } from '../../../core/host/types.js';
import { parseDomainXml } from '../../../core/xml/domain-xml.js';
import { childElements, parseXml, splice, type XmlElement } from '../../../core/xml/parse.js';
import { buildDomainXml, type DomainBuildRequest } from '../../../router/provisioning/build-domain.js';
import type { DomainTemplate } from '../../../router/provisioning/domain-template.js';
import { checkRawDomainXml, type RawDomainAllowance } from '../../../router/provisioning/raw-domain-policy.js';

const QEMU_NS = 'http://libvirt.org/schemas/domain/qemu/1.0';

const ALLOW: RawDomainAllowance = { pools: new Set(['images']), networks: new Set(['default', 'lan']) };

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
  vcpus: 3,
  memoryMiB: 1536,
  partition: '/machine/virtzone-gold',
  metadata: { class: 'gold', tenant: 'acme', app: 'web', reservation: 'r-123' },
  rootVolume: { pool: 'images', volume: 'web-1-root.qcow2', format: 'qcow2' },
  networks: ['default', 'lan'],
};

function* variants(): Generator<DomainTemplate> {
  for (const domainType of ['kvm', 'qemu', 'test'] as const)
    for (const firmware of ['bios', 'efi'] as const)
      for (const diskBus of ['virtio', 'sata', 'scsi'] as const)
        for (const nicModel of ['virtio', 'e1000', 'rtl8139'] as const)
          for (const rootDisk of ['overlay', 'clone'] as const) yield { ...TEMPLATE, domainType, firmware, diskBus, nicModel, rootDisk };
}

/** The document without <resource>: the one element the daemon sets on raw XML itself. */
function withoutResource(xml: string): string {
  const resource = childElements(parseDomainXml(xml).root, 'resource')[0];
  return splice(xml, resource.start, resource.end, '');
}

/** The built document of a template as a caller would send it (no <resource>). */
function built(tpl: DomainTemplate, r: DomainBuildRequest = REQUEST): string {
  return withoutResource(buildDomainXml(tpl, r));
}

t.test("the template path's own output passes, and fails when its pool or network is not allowed", async (t) => {
  let n = 0;
  for (const tpl of variants()) {
    const format = tpl.rootDisk === 'overlay' ? 'qcow2' : 'raw';
    const r = { ...REQUEST, rootVolume: { pool: 'images', volume: `web-1-root.${format}`, format } };
    const xml = built(tpl, r);
    t.same(checkRawDomainXml(xml, ALLOW), {
      ok: true,
      name: 'web-1',
      uuid: REQUEST.uuid,
      vcpus: 3,
      memoryMiB: 1536,
      volumes: [{ pool: 'images', volume: `web-1-root.${format}`, device: 'disk', readonly: false }],
    });
    t.match(checkRawDomainXml(xml, { ...ALLOW, pools: new Set(['other']) }), { ok: false, element: 'disk', detail: /pool="images"/ });
    t.match(checkRawDomainXml(xml, { ...ALLOW, networks: new Set(['default']) }), { ok: false, element: 'interface', detail: /network="lan"/ });
    t.match(checkRawDomainXml(xml, { pools: new Set(), networks: new Set() }), { ok: false });
    // with <resource>: the daemon sets the partition, a caller may not
    t.match(checkRawDomainXml(buildDomainXml(tpl, r), ALLOW), { ok: false, element: 'resource' });
    n++;
  }
  t.equal(n, 108);
});

t.test("a base template's output passes when the base holds only allowed things", async (t) => {
  const base = `<domain type='kvm'>
  <title>with a console</title>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <features><acpi/><apic/><pae/></features>
  <cpu mode='host-passthrough'/>
  <clock offset='utc'><timer name='rtc' tickpolicy='catchup'/></clock>
  <devices>
    <video><model type='virtio' heads='1' primary='yes'/></video>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>
    <input type='tablet' bus='usb'/>
  </devices>
</domain>`;
  t.match(checkRawDomainXml(withoutResource(buildDomainXml({ ...TEMPLATE, baseXml: base }, REQUEST)), ALLOW), { ok: true, vcpus: 3, memoryMiB: 1536 });
});

/** A valid domain with `top` inserted among <domain>'s children and `device` inside <devices>. */
const domainWith = ({ top = '', device = '', rootAttrs = '' }: { top?: string; device?: string; rootAttrs?: string } = {}) => `<domain type='kvm'${rootAttrs}>
  <name>vm-1</name>
  <memory unit='MiB'>1024</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  ${top}
  <devices>
    <disk type='volume' device='disk'><source pool='images' volume='vm-1.qcow2'/><target dev='vda' bus='virtio'/></disk>
    ${device}
  </devices>
</domain>`;

t.test('an ordinary hand-written domain passes', async (t) => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<!-- written by hand -->
<domain type='qemu'>
  <name>db-1</name>
  <uuid>3a1f0000000040008000000000000001</uuid>
  <title>database</title>
  <description><![CDATA[primary <db>]]></description>
  <metadata>
    <virtzone:zone xmlns:virtzone="${VIRTZONE_NS_URI}" class="gold" tenant="acme"/>
  </metadata>
  <memory unit='GiB'>4</memory>
  <currentMemory unit='MiB'>2048</currentMemory>
  <vcpu placement='static' current='2'>4</vcpu>
  <os firmware='efi'>
    <type arch='x86_64' machine='pc-q35-8.2'>hvm</type>
    <loader secure='no'/>
    <boot dev='cdrom'/>
    <boot dev='hd'/>
    <bootmenu enable='yes'/>
  </os>
  <features><acpi/><apic/></features>
  <cpu mode='custom' match='exact' check='partial'>
    <model fallback='allow'>Skylake-Client</model>
    <topology sockets='1' cores='2' threads='2'/>
    <feature policy='disable' name='hle'/>
  </cpu>
  <clock offset='localtime'>
    <timer name='rtc' tickpolicy='catchup'/>
    <timer name='pit' tickpolicy='delay'/>
    <timer name='hpet' present='no'/>
  </clock>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>preserve</on_crash>
  <devices>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='qcow2' cache='none' io='native' discard='unmap'/>
      <source pool='images' volume='db-1.qcow2'/>
      <target dev='vda' bus='virtio'/>
      <boot order='1'/>
      <alias name='ua-root'/>
      <address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>
    </disk>
    <disk type='volume' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source pool='images' volume='install.iso'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
      <address type='drive' controller='0' bus='0' target='0' unit='0'/>
    </disk>
    <disk type='volume' device='cdrom'>
      <target dev='sdb' bus='sata' tray='open'/>
      <readonly/>
    </disk>
    <controller type='usb' index='0' model='qemu-xhci' ports='15'/>
    <controller type='pci' index='1' model='pcie-root-port'>
      <model name='pcie-root-port'/>
      <target chassis='1' port='0x10'/>
    </controller>
    <controller type='virtio-serial' index='0'/>
    <interface type='network'>
      <mac address='52:54:00:12:34:56'/>
      <source network='lan'/>
      <model type='virtio'/>
      <driver name='vhost' queues='2'/>
    </interface>
    <serial type='pty'><target type='isa-serial' port='0'><model name='isa-serial'/></target></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <channel type='unix'>
      <source mode='bind'/>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
      <address type='virtio-serial' controller='0' bus='0' port='1'/>
    </channel>
    <channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>
    <input type='tablet' bus='usb'><address type='usb' bus='0' port='1'/></input>
    <input type='keyboard' bus='ps2'/>
    <graphics type='spice' autoport='yes'><listen type='address' address='127.0.0.1'/></graphics>
    <video><model type='qxl' ram='65536' vram='65536' vgamem='16384' heads='1' primary='yes'/></video>
    <memballoon model='virtio' autodeflate='on'><stats period='10'/></memballoon>
    <rng model='virtio'><rate bytes='1024' period='1000'/><backend model='random'>/dev/urandom</backend></rng>
  </devices>
</domain>`;
  t.same(checkRawDomainXml(xml, ALLOW), {
    ok: true,
    name: 'db-1',
    uuid: '3a1f0000000040008000000000000001',
    vcpus: 2,
    memoryMiB: 4096,
    volumes: [
      { pool: 'images', volume: 'db-1.qcow2', device: 'disk', readonly: false },
      { pool: 'images', volume: 'install.iso', device: 'cdrom', readonly: true },
    ],
  });
  t.same(checkRawDomainXml(domainWith(), ALLOW), { ok: true, name: 'vm-1', uuid: null, vcpus: 2, memoryMiB: 1024, volumes: [{ pool: 'images', volume: 'vm-1.qcow2', device: 'disk', readonly: false }] });
  t.match(checkRawDomainXml(domainWith({ top: '<metadata/>' }), ALLOW), { ok: true }, 'empty metadata');
});

t.test('sizes: the vCPUs it starts with, all of <memory>', async (t) => {
  const size = (memory: string, vcpu: string, currentMemory = '') =>
    checkRawDomainXml(`<domain type='kvm'><name>s</name>${memory}${currentMemory}${vcpu}<devices/></domain>`, ALLOW);
  t.match(size("<memory unit='MiB'>2048</memory>", '<vcpu>4</vcpu>'), { ok: true, vcpus: 4, memoryMiB: 2048 });
  t.match(size("<memory unit='MiB'>2048</memory>", "<vcpu current='1'>4</vcpu>"), { ok: true, vcpus: 1 }, 'current, not the maximum');
  t.match(size("<memory unit='GiB'>8</memory>", '<vcpu>1</vcpu>', "<currentMemory unit='GiB'>1</currentMemory>"), { ok: true, memoryMiB: 8192 }, '<memory>, not the balloon');
  t.match(size('<memory>1048576</memory>', '<vcpu>1</vcpu>'), { ok: true, memoryMiB: 1024 }, 'KiB by default');
  t.match(size("<memory unit='b'>1073741824</memory>", '<vcpu>1</vcpu>'), { ok: true, memoryMiB: 1024 });
  t.match(size('<memory>1048577</memory>', '<vcpu>1</vcpu>'), { ok: false, element: 'memory', detail: /whole number of MiB/ });
  t.match(size("<memory unit='MB'>1000</memory>", '<vcpu>1</vcpu>'), { ok: false, element: 'memory' }, '10^6 bytes are not whole MiB');
  t.match(size("<memory unit='MiB'>0</memory>", '<vcpu>1</vcpu>'), { ok: false, element: 'memory' });
  t.match(size("<memory unit='parsecs'>1</memory>", '<vcpu>1</vcpu>'), { ok: false, element: 'memory', detail: /unit/ });
  t.match(size("<memory unit='MiB'>1.5</memory>", '<vcpu>1</vcpu>'), { ok: false, element: 'memory' });
  t.match(size("<memory unit='MiB'>1024</memory>", '<vcpu>0</vcpu>'), { ok: false, element: 'vcpu' });
  t.match(size("<memory unit='MiB'>1024</memory>", "<vcpu current='0'>2</vcpu>"), { ok: false, element: 'vcpu' });
  t.match(size("<memory unit='MiB'>1024</memory>", "<vcpu current='3'>2</vcpu>"), { ok: false, element: 'vcpu', detail: /more than/ });
  t.match(size("<memory unit='MiB'>1024</memory>", '<vcpu>two</vcpu>'), { ok: false, element: 'vcpu' });
  t.match(size("<memory unit='MiB'>1024</memory>", ''), { ok: false, element: 'vcpu', detail: /needs a <vcpu>/ });
  t.match(size('', '<vcpu>1</vcpu>'), { ok: false, element: 'memory', detail: /needs a <memory>/ });
  t.match(checkRawDomainXml("<domain type='kvm'><memory unit='MiB'>1024</memory><vcpu>1</vcpu></domain>", ALLOW), { ok: false, element: 'name', detail: /needs a <name>/ });
  t.match(checkRawDomainXml("<domain type='kvm'><name> x </name><memory unit='MiB'>1024</memory><vcpu>1</vcpu></domain>", ALLOW), { ok: false, element: 'name' });
  t.match(checkRawDomainXml(domainWith({ top: "<maxMemory slots='16' unit='GiB'>64</maxMemory>" }), ALLOW), { ok: false, element: 'maxMemory' });
  t.match(checkRawDomainXml(domainWith({ top: "<vcpus><vcpu id='0' enabled='yes'/></vcpus>" }), ALLOW), { ok: false, element: 'vcpus' });
  t.match(checkRawDomainXml(domainWith({ top: "<memory unit='MiB'>2048</memory>" }), ALLOW), { ok: false, element: 'memory', detail: /only one/ });
});

/** [what, document, refused element, detail pattern] */
const DANGEROUS: Array<[string, string, string, RegExp?]> = [
  ['a DOCTYPE with an external entity', `<!DOCTYPE domain [<!ENTITY x SYSTEM "file:///etc/shadow">]>${domainWith()}`, 'DOCTYPE', /DOCTYPE/],
  ['a DOCTYPE without entities', `<!DOCTYPE domain>${domainWith()}`, 'DOCTYPE'],
  ['an undeclared entity', domainWith({ top: '<title>&x;</title>' }), 'xml', /entity/],
  ['a processing instruction', `<?xml-stylesheet href="x"?>${domainWith()}`, 'xml', /processing instruction/],
  ['qemu:commandline', domainWith({ rootAttrs: ` xmlns:qemu='${QEMU_NS}'`, top: "<qemu:commandline><qemu:arg value='-device'/></qemu:commandline>" }), 'qemu:commandline', /namespace/],
  ['qemu:capabilities', domainWith({ rootAttrs: ` xmlns:qemu='${QEMU_NS}'`, top: "<qemu:capabilities><qemu:del capability='sandbox'/></qemu:capabilities>" }), 'qemu:capabilities'],
  ['the qemu namespace under another prefix', domainWith({ rootAttrs: ` xmlns:foo='${QEMU_NS}'`, top: "<foo:commandline><foo:arg value='-x'/></foo:commandline>" }), 'foo:commandline'],
  ['the qemu namespace as the default, deep inside', domainWith({ device: `<disk type='volume'><source pool='images' volume='x'><commandline xmlns='${QEMU_NS}'/></source><target dev='vdb'/></disk>` }), 'commandline'],
  ['a namespace declared but unused', domainWith({ rootAttrs: ` xmlns:qemu='${QEMU_NS}'` }), 'domain', /declares namespace xmlns:qemu/],
  ['a namespace declared on a device', domainWith({ device: `<disk type='volume' xmlns:q='${QEMU_NS}'><source pool='images' volume='x'/><target dev='vdb'/></disk>` }), 'disk', /declares namespace/],
  ['the virtzone namespace outside <metadata>', domainWith({ top: `<v:zone xmlns:v='${VIRTZONE_NS_URI}' class='gold'/>` }), 'v:zone', /namespace/],
  ['a foreign element in <metadata>', domainWith({ top: "<metadata><app:x xmlns:app='urn:app'/></metadata>" }), 'app:x', /namespace/],
  ['a plain element in <metadata>', domainWith({ top: '<metadata><hostdev/></metadata>' }), 'hostdev'],
  ['something inside the virtzone element', domainWith({ top: `<metadata><virtzone:zone xmlns:virtzone='${VIRTZONE_NS_URI}' class='gold'><virtzone:x/></virtzone:zone></metadata>` }), 'virtzone:x'],
  ['an unknown virtzone attribute', domainWith({ top: `<metadata><virtzone:zone xmlns:virtzone='${VIRTZONE_NS_URI}' class='gold' pool='true'/></metadata>` }), 'virtzone:zone', /pool/],
  ['a foreign namespace declared on <metadata>', domainWith({ top: "<metadata xmlns:q='urn:q'/>" }), 'metadata', /declares namespace/],
  ['a root in a namespace', `<domain xmlns='${QEMU_NS}' type='kvm'><name>a</name></domain>`, 'domain', /namespace/],
  ['another root', '<network><name>n</name></network>', 'network'],
  ['<seclabel> on the domain', domainWith({ top: "<seclabel type='none'/>" }), 'seclabel'],
  ['<seclabel> inside a disk source', domainWith({ device: "<disk type='volume'><source pool='images' volume='x'><seclabel model='dac' relabel='no'/></source><target dev='vdb'/></disk>" }), 'seclabel'],
  ['<emulator>', domainWith({ device: '<emulator>/bin/sh</emulator>' }), 'emulator'],
  ['<hostdev>', domainWith({ device: "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0' bus='0' slot='2' function='0'/></source></hostdev>" }), 'hostdev'],
  ['<filesystem>', domainWith({ device: "<filesystem type='mount'><source dir='/'/><target dir='host'/></filesystem>" }), 'filesystem'],
  ['os/kernel', domainWith({ top: '' }).replace('</os>', '<kernel>/boot/vmlinuz</kernel></os>'), 'kernel'],
  ['os/initrd', domainWith().replace('</os>', '<initrd>/boot/initrd.img</initrd></os>'), 'initrd'],
  ['os/dtb', domainWith().replace('</os>', '<dtb>/boot/x.dtb</dtb></os>'), 'dtb'],
  ['os/cmdline', domainWith().replace('</os>', '<cmdline>init=/bin/sh</cmdline></os>'), 'cmdline'],
  ['os/loader with a path', domainWith().replace('</os>', "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader></os>"), 'loader'],
  ['os/loader with a path alone', domainWith().replace('</os>', '<loader>/etc/shadow</loader></os>'), 'loader', /may not contain text/],
  ['os/nvram', domainWith().replace('</os>', '<nvram>/var/lib/x</nvram></os>'), 'nvram'],
  ['a serial port to a host file', domainWith({ device: "<serial type='file'><source path='/etc/cron.d/x'/></serial>" }), 'serial', /type="file"/],
  ['a serial port to a host device', domainWith({ device: "<serial type='dev'><source path='/dev/ttyS0'/></serial>" }), 'serial'],
  ['a serial port to a pipe', domainWith({ device: "<serial type='pipe'><source path='/tmp/p'/></serial>" }), 'serial'],
  ['a serial port to a unix socket', domainWith({ device: "<serial type='unix'><source mode='bind' path='/run/x.sock'/></serial>" }), 'serial'],
  ['a pty serial port with a source path', domainWith({ device: "<serial type='pty'><source path='/dev/pts/0'/></serial>" }), 'source'],
  ['a serial port logging to a host file', domainWith({ device: "<serial type='pty'><log file='/etc/passwd' append='on'/></serial>" }), 'log'],
  ['a console to a host file', domainWith({ device: "<console type='file'><source path='/etc/x'/></console>" }), 'console'],
  ['a channel to a unix socket path', domainWith({ device: "<channel type='unix'><source mode='bind' path='/run/libvirt/evil.sock'/><target type='virtio' name='x'/></channel>" }), 'channel', /path/],
  ['a channel to a host file', domainWith({ device: "<channel type='file'><source path='/x'/><target type='virtio' name='x'/></channel>" }), 'channel'],
  ['a parallel port', domainWith({ device: "<parallel type='file'><source path='/etc/x'/></parallel>" }), 'parallel'],
  ['<memoryBacking>', domainWith({ top: "<memoryBacking><source type='file'/><access mode='shared'/></memoryBacking>" }), 'memoryBacking'],
  ['<cputune>', domainWith({ top: "<cputune><vcpupin vcpu='0' cpuset='0'/></cputune>" }), 'cputune'],
  ['<numatune>', domainWith({ top: "<numatune><memory mode='strict' nodeset='0'/></numatune>" }), 'numatune'],
  ['<blkiotune>', domainWith({ top: '<blkiotune><device><path>/dev/sda</path><weight>1000</weight></device></blkiotune>' }), 'blkiotune'],
  ['<memtune>', domainWith({ top: '<memtune><hard_limit>1</hard_limit></memtune>' }), 'memtune'],
  ['<resource>', domainWith({ top: '<resource><partition>/machine</partition></resource>' }), 'resource'],
  ['<iothreads>', domainWith({ top: '<iothreads>4</iothreads>' }), 'iothreads'],
  ['<sysinfo>', domainWith({ top: "<sysinfo type='smbios'><bios><entry name='vendor'>x</entry></bios></sysinfo>" }), 'sysinfo'],
  ['<idmap>', domainWith({ top: "<idmap><uid start='0' target='0' count='1'/></idmap>" }), 'idmap'],
  ['<cpu><numa>', domainWith({ top: "<cpu mode='host-model'><numa><cell id='0' cpus='0' memory='1' unit='GiB'/></numa></cpu>" }), 'numa'],
  ['a <cpu> with neither a host mode nor a model', domainWith({ top: "<cpu match='exact'/>" }), 'cpu', /host-model/],
  ['a coredump on crash', domainWith({ top: '<on_crash>coredump-destroy</on_crash>' }), 'on_crash'],
  ['vCPUs pinned to host CPUs', domainWith().replace('<vcpu>2</vcpu>', "<vcpu cpuset='0-1'>2</vcpu>"), 'vcpu', /cpuset/],
  ['<smartcard>', domainWith({ device: "<smartcard mode='passthrough' type='tcp'><source mode='bind' host='127.0.0.1' service='2001'/></smartcard>" }), 'smartcard'],
  ['<redirdev>', domainWith({ device: "<redirdev bus='usb' type='tcp'><source mode='connect' host='x' service='4000'/></redirdev>" }), 'redirdev'],
  ['<shmem>', domainWith({ device: "<shmem name='x'><model type='ivshmem-plain'/></shmem>" }), 'shmem'],
  ['<watchdog>', domainWith({ device: "<watchdog model='i6300esb' action='dump'/>" }), 'watchdog'],
  ['<tpm>', domainWith({ device: "<tpm model='tpm-tis'><backend type='passthrough'><device path='/dev/tpm0'/></backend></tpm>" }), 'tpm'],
  ['a passthrough input', domainWith({ device: "<input type='passthrough' bus='virtio'><source evdev='/dev/input/event1'/></input>" }), 'input'],
  ['an evdev input', domainWith({ device: "<input type='evdev'><source dev='/dev/input/event1'/></input>" }), 'input'],
  ...['direct', 'ethernet', 'bridge', 'user', 'vhostuser', 'hostdev', 'server', 'client', 'mcast', 'udp'].map(
    (type): [string, string, string, RegExp] => [`an interface of type ${type}`, domainWith({ device: `<interface type='${type}'><source network='default' bridge='br0' dev='eth0'/></interface>` }), 'interface', new RegExp(`type="${type}"`)],
  ),
  ['an interface on a network not allowed', domainWith({ device: "<interface type='network'><source network='host-mgmt'/></interface>" }), 'interface', /network="host-mgmt"/],
  ['an interface on a network and a bridge', domainWith({ device: "<interface type='network'><source network='default' bridge='br0'/></interface>" }), 'interface', /bridge/],
  ['an interface without a source', domainWith({ device: "<interface type='network'><model type='virtio'/></interface>" }), 'interface'],
  ['an interface naming its host tap', domainWith({ device: "<interface type='network'><source network='default'/><target dev='vnet7'/></interface>" }), 'target'],
  ['an interface running a host script', domainWith({ device: "<interface type='network'><source network='default'/><script path='/tmp/x.sh'/></interface>" }), 'script'],
  ['an interface with a host tap backend', domainWith({ device: "<interface type='network'><source network='default'/><backend tap='/dev/net/tun' vhost='/dev/vhost-net'/></interface>" }), 'backend'],
  ['an interface with a ROM file', domainWith({ device: "<interface type='network'><source network='default'/><rom file='/etc/shadow'/></interface>" }), 'rom'],
  ['a file disk', domainWith({ device: "<disk type='file' device='disk'><source file='/etc/shadow'/><target dev='vdb'/></disk>" }), 'disk', /type="file"/],
  ['a block disk', domainWith({ device: "<disk type='block' device='disk'><source dev='/dev/sda'/><target dev='vdb'/></disk>" }), 'disk'],
  ['a dir disk', domainWith({ device: "<disk type='dir' device='disk'><source dir='/'/><target dev='vdb'/></disk>" }), 'disk'],
  ['a network disk', domainWith({ device: "<disk type='network' device='disk'><source protocol='nbd' name='x'><host name='10.0.0.1'/></source><target dev='vdb'/></disk>" }), 'disk'],
  ['a disk without a type (libvirt: file)', domainWith({ device: "<disk device='disk'><source pool='images' volume='x'/><target dev='vdb'/></disk>" }), 'disk', /needs the attribute type/],
  ['a LUN', domainWith({ device: "<disk type='volume' device='lun'><source pool='images' volume='x'/><target dev='sdb' bus='scsi'/></disk>" }), 'disk', /device="lun"/],
  ['a floppy', domainWith({ device: "<disk type='volume' device='floppy'><source pool='images' volume='x'/><target dev='fda'/></disk>" }), 'disk'],
  ['a volume of a pool not allowed', domainWith({ device: "<disk type='volume'><source pool='host-root' volume='x'/><target dev='vdb'/></disk>" }), 'disk', /pool="host-root"/],
  ['a cdrom from a pool not allowed', domainWith({ device: "<disk type='volume' device='cdrom'><source pool='host-root' volume='x.iso'/><target dev='sda'/></disk>" }), 'disk'],
  ['a volume disk with a file too', domainWith({ device: "<disk type='volume'><source pool='images' volume='x' file='/etc/shadow'/><target dev='vdb'/></disk>" }), 'disk', /attribute file/],
  ['a volume disk with a dev too', domainWith({ device: "<disk type='volume'><source pool='images' volume='x' dev='/dev/sda'/><target dev='vdb'/></disk>" }), 'disk'],
  ['a volume named by a path', domainWith({ device: "<disk type='volume'><source pool='images' volume='../../etc/shadow'/><target dev='vdb'/></disk>" }), 'disk', /volume=/],
  ['a disk without a source', domainWith({ device: "<disk type='volume' device='disk'><target dev='vdb'/></disk>" }), 'disk', /source/],
  ['a <backingStore>', domainWith({ device: "<disk type='volume'><source pool='images' volume='x'/><backingStore type='file'><format type='raw'/><source file='/etc/shadow'/></backingStore><target dev='vdb'/></disk>" }), 'backingStore'],
  ['a <mirror>', domainWith({ device: "<disk type='volume'><source pool='images' volume='x'/><mirror type='file' file='/tmp/m'/><target dev='vdb'/></disk>" }), 'mirror'],
  ['a source startupPolicy', domainWith({ device: "<disk type='volume' device='cdrom'><source pool='images' volume='x' startupPolicy='optional'/><target dev='sda'/></disk>" }), 'disk', /startupPolicy/],
  ['disk encryption with a secret', domainWith({ device: "<disk type='volume'><source pool='images' volume='x'><encryption format='luks'><secret type='passphrase' uuid='x'/></encryption></source><target dev='vdb'/></disk>" }), 'encryption'],
  ['a disk on a host iothread', domainWith({ device: "<disk type='volume'><driver name='qemu' iothread='1'/><source pool='images' volume='x'/><target dev='vdb'/></disk>" }), 'disk', /iothread/],
  ['a shareable disk', domainWith({ device: "<disk type='volume'><source pool='images' volume='x'/><target dev='vdb'/><shareable/></disk>" }), 'shareable'],
  ['VNC on every address', domainWith({ device: "<graphics type='vnc' autoport='yes' listen='0.0.0.0'/>" }), 'graphics', /listen="0.0.0.0"/],
  ['VNC on every address, as a child', domainWith({ device: "<graphics type='vnc' autoport='yes'><listen type='address' address='0.0.0.0'/></graphics>" }), 'graphics', /address="0.0.0.0"/],
  ['VNC listening where qemu.conf says', domainWith({ device: "<graphics type='vnc' autoport='yes'/>" }), 'graphics', /127.0.0.1/],
  ['VNC on a host network', domainWith({ device: "<graphics type='vnc'><listen type='network' network='default'/></graphics>" }), 'graphics'],
  ['VNC on a host socket path', domainWith({ device: "<graphics type='vnc'><listen type='socket' socket='/run/x.sock'/></graphics>" }), 'graphics'],
  ['VNC on a chosen port', domainWith({ device: "<graphics type='vnc' port='22' autoport='no' listen='127.0.0.1'/>" }), 'graphics', /port/],
  ['SDL graphics', domainWith({ device: "<graphics type='sdl' display=':0' xauth='/root/.Xauthority'/>" }), 'graphics'],
  ['an rng from a host device', domainWith({ device: "<rng model='virtio'><backend model='random'>/dev/hwrng</backend></rng>" }), 'rng', /urandom/],
  ['an rng from an egd socket', domainWith({ device: "<rng model='virtio'><backend model='egd' type='unix'><source mode='connect' path='/run/egd'/></backend></rng>" }), 'rng'],
  ['an rng with no backend', domainWith({ device: "<rng model='virtio'/>" }), 'rng'],
  ['an upper-case <HOSTDEV>', domainWith({ device: "<HOSTDEV mode='subsystem' type='pci'/>" }), 'HOSTDEV'],
  ['an upper-case <Disk>', domainWith({ device: "<Disk type='file'><source file='/etc/shadow'/></Disk>" }), 'Disk'],
  ['an upper-case attribute', domainWith({ device: "<disk TYPE='file' type='volume'><source pool='images' volume='x'/><target dev='vdb'/></disk>" }), 'disk', /TYPE/],
  ['an upper-case value', domainWith({ device: "<disk type='VOLUME'><source pool='images' volume='x'/><target dev='vdb'/></disk>" }), 'disk'],
  ['an upper-case file attribute', domainWith({ device: "<disk type='volume'><source pool='images' volume='x' FILE='/etc/shadow'/><target dev='vdb'/></disk>" }), 'disk'],
  ['a namespaced attribute', domainWith({ device: "<disk type='volume' xml:lang='en'><source pool='images' volume='x'/><target dev='vdb'/></disk>" }), 'disk', /xml:lang/],
  ['a value decoded from a character reference', domainWith({ device: "<disk type='&#102;ile'><source file='/etc/shadow'/><target dev='vdb'/></disk>" }), 'disk', /type="file"/],
  ['an element named like an Object member', domainWith({ device: '<constructor/>' }), 'constructor'],
  ['__proto__', domainWith({ device: '<__proto__/>' }), '__proto__'],
  ['an attribute named like an Object member', domainWith({ device: "<disk type='volume' toString='x'><source pool='images' volume='x'/><target dev='vdb'/></disk>" }), 'disk', /toString/],
  ['hostdev deep in a disk', domainWith({ device: "<disk type='volume'><source pool='images' volume='x'/><target dev='vdb'><hostdev/></target></disk>" }), 'hostdev'],
  ['hostdev deep in a controller', domainWith({ device: "<controller type='pci'><model name='pcie-root-port'><hostdev mode='subsystem'/></model></controller>" }), 'hostdev'],
  ['a second <devices>', domainWith({ top: '<devices/>' }), 'devices', /only one/],
  ['a hostdev in a second <devices>', domainWith({ top: "<devices><hostdev mode='subsystem'/></devices>" }), 'hostdev'],
  ['a second <name>', domainWith({ top: '<name>other</name>' }), 'name', /only one/],
  ['<devices> in the wrong place', domainWith().replace('</os>', '<devices/></os>'), 'devices'],
  ['text where there is none', domainWith({ device: '/etc/shadow' }), 'devices', /text/],
  ['a domain type libvirt would run elsewhere', domainWith().replace("type='kvm'", "type='lxc'"), 'domain', /type="lxc"/],
  ['a domain with no type', domainWith().replace(" type='kvm'", ''), 'domain', /needs the attribute type/],
];

t.test('everything that reaches the host is refused, by name', async (t) => {
  for (const [what, xml, element, detail] of DANGEROUS) {
    const verdict = checkRawDomainXml(xml, ALLOW);
    t.match(verdict, { ok: false, element }, what);
    if (detail && !verdict.ok) t.match(verdict.detail, detail, `${what}: why`);
  }
});

t.test('a document nested deep is refused before it is parsed', async (t) => {
  const nest = (n: number, open: string, close: string) => open.repeat(n) + close.repeat(n);
  const start = Date.now();
  t.match(checkRawDomainXml(`<domain type='kvm'><name>x</name>${nest(150_000, '<a>', '</a>')}</domain>`, ALLOW), { ok: false, element: 'xml', detail: /nested deeper than 32/ });
  t.ok(Date.now() - start < 2000, 'at once, not after a quadratic parse');
  // quotes hide '>' and '/>' inside a start tag; comments, CDATA and self-closing tags do not nest
  t.match(checkRawDomainXml(`<domain type='kvm'>${nest(40, `<a x="/>" y='>'>`, '</a>')}</domain>`, ALLOW), { ok: false, element: 'xml', detail: /nested/ });
  const flat = domainWith({ top: `<!-- ${'<a>'.repeat(100)} --><description><![CDATA[${'<a>'.repeat(100)}]]></description>` }).replace('<vcpu>2</vcpu>', `<vcpu>2</vcpu>${'<!--x-->'.repeat(50)}`);
  t.match(checkRawDomainXml(flat, ALLOW), { ok: true }, 'markup in comments and CDATA does not count');
  t.match(checkRawDomainXml(`<domain type='kvm'>${'<features/>'.repeat(100)}</domain>`, ALLOW), { ok: false, element: 'features', detail: /only one/ }, 'empty-element tags do not nest');
  t.match(checkRawDomainXml(`<domain type='kvm'>${nest(31, '<a>', '</a>')}</domain>`, ALLOW), { ok: false, element: 'a', detail: /not allowed/ }, '32 levels are parsed');
  t.match(checkRawDomainXml(undefined as unknown as string, ALLOW), { ok: false, element: 'xml' });
});

/** Every element of the subtree, depth first. */
const elements = (e: XmlElement): XmlElement[] => [e, ...e.children.flatMap(elements)];

/** Refused things to hide in a valid document, with the element each is refused by. */
const HIDDEN: Array<[string, string]> = [
  ["<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='0' slot='2' function='0'/></source></hostdev>", 'hostdev'],
  ["<filesystem type='mount'><source dir='/'/><target dir='h'/></filesystem>", 'filesystem'],
  ['<emulator>/bin/sh</emulator>', 'emulator'],
  ["<seclabel type='none'/>", 'seclabel'],
  [`<qemu:commandline xmlns:qemu='${QEMU_NS}'><qemu:arg value='-x'/></qemu:commandline>`, 'qemu:commandline'],
  [`<x:caps xmlns:x='${QEMU_NS}'/>`, 'x:caps'],
  ["<disk type='file' device='disk'><source file='/etc/shadow'/><target dev='vdz'/></disk>", 'disk'],
  ["<disk type='volume' device='disk'><source pool='host-root' volume='x'/><target dev='vdz'/></disk>", 'disk'],
  ["<interface type='bridge'><source bridge='br0'/></interface>", 'interface'],
  ["<interface type='direct'><source dev='eth0' mode='passthrough'/></interface>", 'interface'],
  ["<serial type='file'><source path='/etc/x'/></serial>", 'serial'],
  ["<parallel type='dev'><source path='/dev/parport0'/></parallel>", 'parallel'],
  ["<channel type='unix'><source mode='bind' path='/run/x'/><target type='virtio' name='x'/></channel>", 'channel'],
  ["<smartcard mode='host'/>", 'smartcard'],
  ["<redirdev bus='usb' type='spicevmc'/>", 'redirdev'],
  ["<shmem name='s'/>", 'shmem'],
  ["<graphics type='vnc' listen='0.0.0.0'/>", 'graphics'],
  ["<rng model='virtio'><backend model='random'>/dev/hwrng</backend></rng>", 'rng'],
  ['<HOSTDEV/>', 'HOSTDEV'],
  ["<backingStore type='file'><source file='/etc/shadow'/></backingStore>", 'backingStore'],
];

t.test('property: a refused element anywhere under <devices> of a valid document is refused by its name', async (t) => {
  const bases = [...variants()].filter((_, i) => i % 9 === 0).map((tpl) => built(tpl));
  bases.push(domainWith({ device: "<graphics type='vnc' autoport='yes' listen='127.0.0.1'/><video><model type='vga'/></video><memballoon model='virtio'><stats period='5'/></memballoon>" }));
  for (const base of bases) t.match(checkRawDomainXml(base, ALLOW), { ok: true }, 'the base passes');
  fc.assert(
    fc.property(fc.nat({ max: bases.length - 1 }), fc.nat(), fc.constantFrom(...HIDDEN), fc.boolean(), (b, at, [markup, element], first) => {
      const base = bases[b];
      const devices = childElements(parseXml(base).root, 'devices')[0];
      const inside = elements(devices);
      const host = inside[at % inside.length];
      const xml = host.selfClosing
        ? splice(base, host.contentStart - 2, host.end, `>${markup}</${host.name}>`)
        : splice(base, first ? host.contentStart : host.contentEnd, first ? host.contentStart : host.contentEnd, markup);
      const verdict = checkRawDomainXml(xml, ALLOW);
      return !verdict.ok && verdict.element === element;
    }),
    { numRuns: 1000 },
  );
  t.pass('1000 placements');
});
