// Raw domain XML, when the operator turns provisioning.rawDomainXml on: only what passes
// the allow-list is defined — with the daemon's uuid, partition and tag, charged the size
// the document starts with — and each dangerous element is a 422 naming it, with nothing
// reserved or defined.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import t from 'tap';
import { openHost } from '../../core/host/libvirt-host.js';
import { readDomainPartition } from '../../core/xml/domain-xml.js';
import { call, startHostHarness, TEMPLATES } from './helpers.js';
import { writeTokensFile } from '../fixtures/tokens.js';
import { canSwitchUser, requestAs } from '../fixtures/unix-client.js';

const HOST_XML = fileURLToPath(new URL('./fixtures/host.xml', import.meta.url));
const URI = `test://${HOST_XML}`;

const domainXml = (name: string, devices = '', extra = '') =>
  `<domain type='test'><name>${name}</name><uuid>aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee</uuid><memory unit='MiB'>1024</memory><vcpu>2</vcpu>${extra}<os><type arch='x86_64'>hvm</type></os>` +
  `<devices><disk type='volume' device='disk'><source pool='images' volume='debian-12.qcow2'/><target dev='vda' bus='virtio'/></disk>` +
  `<interface type='network'><source network='default'/><model type='virtio'/></interface>${devices}</devices></domain>`;
const body = (xml: string, extra: Record<string, unknown> = {}) => ({ tenant: 'acme', app: 'web', priority: 'gold', vcpus: 2, memoryMiB: 1024, domainXml: xml, ...extra });

t.test('raw domain XML through the allow-list', async (t) => {
  const host = await openHost(URI);
  const h = await startHostHarness(t, host, { config: { templates: TEMPLATES, provisioning: { rawDomainXml: true } } });
  const s = { socket: h.socket };
  const names = async () => (await host.listDomains()).map((d) => d.name).sort();
  const reservations = () => {
    const db = new Database(h.dbPath, { readonly: true });
    const n = (db.prepare('SELECT count(*) AS n FROM reservations').get() as { n: number }).n;
    db.close();
    return n;
  };

  const before = await names();
  const dangerous: Array<[string, string, string]> = [
    ['a host disk', "<disk type='block' device='disk'><source dev='/dev/sda'/><target dev='vdb' bus='virtio'/></disk>", 'disk'],
    ['a host file as disk', "<disk type='file' device='disk'><source file='/etc/shadow'/><target dev='vdb' bus='virtio'/></disk>", 'disk'],
    ['a host directory', "<filesystem type='mount'><source dir='/'/><target dir='host'/></filesystem>", 'filesystem'],
    ['PCI passthrough', "<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='1' slot='0' function='0'/></source></hostdev>", 'hostdev'],
    ['any binary as emulator', '<emulator>/bin/sh</emulator>', 'emulator'],
    ['the physical NIC', "<interface type='direct'><source dev='eth0' mode='bridge'/></interface>", 'interface'],
    ['an ethernet tap with a script', "<interface type='ethernet'><script path='/tmp/x'/></interface>", 'interface'],
    ['a network outside the templates', "<interface type='network'><source network='host-lan'/></interface>", 'interface'],
    ['a volume of another pool', "<disk type='volume' device='disk'><source pool='scratch' volume='x'/><target dev='vdb' bus='virtio'/></disk>", 'disk'],
    ['a host file as serial port', "<serial type='file'><source path='/etc/passwd'/></serial>", 'serial'],
  ];
  let n = 0;
  for (const [what, device, element] of dangerous) {
    const r = await call(s, 'POST', '/v1/placements', { body: body(domainXml(`bad-${++n}`, device)), key: `raw-bad-key-${n}` });
    t.equal(r.status, 422, `${what}: ${r.text}`);
    t.equal(r.json.field, 'domainXml');
    t.match(r.json.detail, new RegExp(`<${element}>`), `${what}: names <${element}>`);
  }
  const outside: Array<[string, string, string]> = [
    ['no security label', "<seclabel type='none'/>", 'seclabel'],
    ['qemu:commandline', "<qemu:commandline xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><qemu:arg value='-set'/></qemu:commandline>", 'qemu:commandline'],
    ['hugepages', '<memoryBacking><hugepages/></memoryBacking>', 'memoryBacking'],
    ['cpu tuning', '<cputune><shares>262144</shares></cputune>', 'cputune'],
  ];
  for (const [what, extra, element] of outside) {
    const r = await call(s, 'POST', '/v1/placements', { body: body(domainXml(`bad-${++n}`, '', extra)), key: `raw-bad-key-${n}` });
    t.equal(r.status, 422, `${what}: ${r.text}`);
    t.match(r.json.detail, new RegExp(`<${element}>`), `${what}: names <${element}>`);
  }
  const kernel = await call(s, 'POST', '/v1/placements', {
    body: body(domainXml(`bad-${++n}`).replace("<os><type arch='x86_64'>hvm</type></os>", "<os><type arch='x86_64'>hvm</type><kernel>/boot/vmlinuz</kernel></os>")),
    key: `raw-bad-key-${n}`,
  });
  t.equal(kernel.status, 422, 'direct kernel boot from a host path');
  t.match(kernel.json.detail, /<kernel>/);
  const doctype = await call(s, 'POST', '/v1/placements', { body: body(`<!DOCTYPE domain>${domainXml('bad-doctype')}`), key: 'raw-bad-doctype' });
  t.equal(doctype.status, 422, 'a DOCTYPE');

  // what runs is what is charged: a size that differs from the document's is refused
  const fewer = await call(s, 'POST', '/v1/placements', { body: body(domainXml('vm-small'), { vcpus: 1 }), key: 'raw-size-key-1' });
  t.equal(fewer.status, 422);
  t.equal(fewer.json.field, 'vcpus');
  const less = await call(s, 'POST', '/v1/placements', { body: body(domainXml('vm-small'), { memoryMiB: 128 }), key: 'raw-size-key-2' });
  t.equal(less.status, 422);
  t.equal(less.json.field, 'memoryMiB');
  t.equal(reservations(), 0, 'nothing reserved');
  t.same(await names(), before, 'nothing defined');

  // an allowed document: defined with the daemon's uuid, partition and tag
  const ok = await call(s, 'POST', '/v1/placements', { body: body(domainXml('vm-raw')), key: 'raw-ok-key-1' });
  t.equal(ok.status, 201, ok.text);
  const info = await host.lookup('vm-raw');
  t.equal(info.state, 'running');
  t.not(info.uuid, 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', "the daemon's uuid, not the caller's");
  t.equal(readDomainPartition(await host.getXml('vm-raw')), '/machine/virtzone-gold');
  t.match(await host.getMetadata('vm-raw'), /reservation=/);
});

t.test('raw domain XML only from the administrator: not over TCP, not from another user', async (t) => {
  const host = await openHost(URI);
  const dir = mkdtempSync(join(tmpdir(), 'vz-raw-admin-'));
  const tokenFile = join(dir, 'token');
  writeTokensFile(tokenFile, [{ token: 'raw-admin-token-0123456789', role: 'admin' }]);
  const h = await startHostHarness(t, host, {
    dir,
    config: { templates: TEMPLATES, provisioning: { rawDomainXml: true }, api: { listen: '127.0.0.1:0', tokenFile, socketGroup: 'nogroup', peers: [{ group: 'nogroup', role: 'provision' }] } },
  });
  const tcp = await call({ tcp: h.listeners.tcp! }, 'POST', '/v1/placements', {
    body: body(domainXml('vm-tcp')),
    key: 'raw-tcp-key-1',
    headers: { authorization: 'Bearer raw-admin-token-0123456789' },
  });
  t.equal(tcp.status, 403, `over TCP: ${tcp.text}`);
  t.equal(tcp.json.field, 'domainXml');
  t.match(tcp.json.detail, /only from the host's administrator/);

  // another user on the Unix socket, with the provision role (the kernel's SO_PEERCRED says who): refused too
  if (canSwitchUser()) {
    chmodSync(dir, 0o711);
    const r = await requestAs({ uid: 'nobody', gid: 'nogroup' }, h.socket, 'POST', '/v1/placements', { body: body(domainXml('vm-nobody')), headers: { 'idempotency-key': 'raw-nobody-key-1' } });
    t.equal(r.status, 403, `as nobody: ${r.raw}`);
    t.match(r.json?.detail, /only from the host's administrator/);
  }
  t.notOk((await host.listDomains()).some((d) => d.name === 'vm-tcp' || d.name === 'vm-nobody'), 'nothing defined');
});
