// VMs built from operator templates, against libvirt's test driver through the real
// binding: the daemon writes the whole domain XML (name, its own uuid, the charged size,
// the partition, the tag, a root disk made in the template's pool, networks from its
// list), defines and starts it; everything a request may not decide is refused before
// anything is reserved or defined.
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import t from 'tap';
import { openHost } from '../../core/host/libvirt-host.js';
import { parseZoneMetadata } from '../../core/host/metadata.js';
import type { HostAdapter } from '../../core/host/types.js';
import { readDomainPartition, readDomainSize } from '../../core/xml/domain-xml.js';
import { call, closeAgents, removeDir, startHarness, startHostHarness, TEMPLATES } from './helpers.js';

const HOST_XML = fileURLToPath(new URL('./fixtures/host.xml', import.meta.url));
const URI = `test://${HOST_XML}`;


const body = (extra: Record<string, unknown> = {}) => ({ tenant: 'acme', app: 'web', priority: 'gold', vcpus: 2, memoryMiB: 1024, template: 'small', image: 'debian-12.qcow2', ...extra });

function dbRows(dbPath: string) {
  const db = new Database(dbPath, { readonly: true });
  const rows = db.prepare('SELECT id, state, name, vcpus, memory_mib, domain_uuid, creation, root_volume FROM reservations ORDER BY created_at, id').all() as {
    id: string;
    state: string;
    name: string;
    vcpus: number;
    memory_mib: number;
    domain_uuid: string | null;
    creation: string | null;
    root_volume: string | null;
  }[];
  db.close();
  return rows;
}

t.test('a VM from a template: built by the daemon, charged what it runs', async (t) => {
  const host = await openHost(URI);
  const h = await startHostHarness(t, host, { config: { templates: TEMPLATES } });
  const s = { socket: h.socket };

  const listed = await call(s, 'GET', '/v1/templates');
  t.equal(listed.status, 200);
  t.same(listed.json.templates.map((x: { name: string }) => x.name), ['small', 'copy']);
  t.match(listed.json, { rawDomainXml: false, templates: [{ name: 'small', pool: 'images', rootDisk: 'overlay', networks: ['default', 'tenant-net'], vcpus: { min: 1, max: 4 }, baseXml: false }] });

  const placed = await call(s, 'POST', '/v1/placements', { body: body({ name: 'web-01', networks: ['tenant-net'] }), key: 'tmpl-key-0001' });
  t.equal(placed.status, 201, placed.text);
  t.match(placed.json, { decision: 'placed', zone: 'gold', domain: 'web-01', partition: '/machine/virtzone-gold' });
  const [row] = dbRows(h.dbPath);
  t.match(row, { state: 'bound', name: 'web-01', vcpus: 2, memory_mib: 1024, creation: 'done', root_volume: 'images/web-01-root.qcow2' });

  const info = await host.lookup('web-01');
  t.equal(info.state, 'running');
  t.equal(info.uuid.toLowerCase(), row.domain_uuid, "the domain has the uuid stored with the intent, the daemon's own");
  const xml = await host.getXml('web-01', { inactive: true });
  t.equal(readDomainPartition(xml), '/machine/virtzone-gold');
  t.same(readDomainSize(xml), { vcpus: 2, currentVcpus: null, memoryKiB: 1024 * 1024, currentMemoryKiB: 1024 * 1024 }, 'runs exactly the size it was charged');
  t.match(xml, /<disk type='volume' device='disk'>[\s\S]*<source pool='images' volume='web-01-root.qcow2'/);
  t.match(xml, /<interface type='network'>[\s\S]*<source network='tenant-net'/);
  t.notMatch(xml, /default/, 'only the network asked for');
  t.same(parseZoneMetadata((await host.getMetadata('web-01'))!), { class: 'gold', tenant: 'acme', app: 'web', reservation: placed.json.reservationId });

  // the root disk: a qcow2 overlay in the template's pool, backed by the image
  const root = await host.lookupStorageVolume('images', 'web-01-root.qcow2');
  t.equal(root.format, 'qcow2');
  t.equal(root.capacityBytes, 8 * 1024 ** 3, 'as large as the image');

  // a copy template clones the image (same format)
  const copied = await call(s, 'POST', '/v1/placements', { body: body({ template: 'copy', image: 'alpine-3.raw', name: 'batch-01', vcpus: 1, memoryMiB: 512 }), key: 'tmpl-key-0002' });
  t.equal(copied.status, 201, copied.text);
  t.equal((await host.lookupStorageVolume('images', 'batch-01-root.img')).format, 'raw');
  t.match(await host.getXml('batch-01'), /<source network='tenant-net'/, 'the template\'s first network when none is asked for');

  // no name: the daemon makes one from the app and the uuid
  const unnamed = await call(s, 'POST', '/v1/placements', { body: body({ app: 'api', vcpus: 1, memoryMiB: 256 }), key: 'tmpl-key-0003' });
  t.equal(unnamed.status, 201, unnamed.text);
  t.match(unnamed.json.domain, /^api-[0-9a-f]{8}$/);

  // the same key replays: nothing created again
  const before = (await host.listDomains()).length;
  const again = await call(s, 'POST', '/v1/placements', { body: body({ name: 'web-01', networks: ['tenant-net'] }), key: 'tmpl-key-0001' });
  t.equal(again.status, 201);
  t.equal(again.headers['idempotent-replayed'], 'true');
  t.same(again.json, placed.json);
  t.equal((await host.listDomains()).length, before);

  // created and audited
  const created = h.audit.list({ action: 'create' });
  t.equal(created.length, 3);
  t.ok(created.every((a) => a.result === 'ok' && a.actor === 'router'));
  t.match(created.find((a) => a.vm === 'web-01')!.after, { uuid: row.domain_uuid, vcpus: 2, memoryMiB: 1024, template: 'small', rootVolume: 'web-01-root.qcow2', networks: ['tenant-net'] });
});

t.test('what a request may not decide is refused before anything is reserved or defined', async (t) => {
  const host = await openHost(URI);
  const h = await startHostHarness(t, host, { config: { templates: TEMPLATES } });
  const s = { socket: h.socket };
  const domains = async () => (await host.listDomains()).map((d) => d.name).sort();
  const volumes = async () => (await host.listStorageVolumes('images')).map((v) => v.name).sort();
  const domainsBefore = await domains();
  const volumesBefore = await volumes();

  const cases: Array<[string, Record<string, unknown>, number, string, RegExp?]> = [
    ['unknown template', body({ template: 'huge' }), 422, 'template', /no template "huge"; this host has small, copy/],
    ['too many vCPUs for the template', body({ vcpus: 5 }), 422, 'vcpus', /allows 1\.\.4 vCPUs/],
    ['too little memory for the template', body({ memoryMiB: 128 }), 422, 'memoryMiB'],
    ['too much memory for the template', body({ memoryMiB: 8192 }), 422, 'memoryMiB'],
    ['no image', body({ image: undefined }), 422, 'image'],
    ['an image not in the pool', body({ image: 'windows.qcow2' }), 422, 'image', /no image "windows.qcow2" in storage pool images/],
    ['an image path', body({ image: '/etc/shadow' }), 400, 'image'],
    ['a network outside the template', body({ networks: ['host-lan'] }), 422, 'networks', /may join networks default, tenant-net/],
    ['image without a template', { ...body(), template: undefined }, 422, 'image'],
    ['a name that exists', body({ name: 'existing-vm' }), 409, 'name'],
    ['a bad name', body({ name: '../etc' }), 400, 'name'],
    ['raw domain XML on defaults', { ...body({ template: undefined, image: undefined }), domainXml: "<domain type='test'><name>x</name></domain>" }, 403, 'domainXml'],
    ['a template and domainXml', body({ domainXml: "<domain type='test'><name>x</name></domain>" }), 422, 'domainXml'],
  ];
  let n = 0;
  for (const [what, b, status, field, detail] of cases) {
    const r = await call(s, 'POST', '/v1/placements', { body: b, key: `refused-key-${String(++n).padStart(4, '0')}` });
    t.equal(r.status, status, `${what}: ${r.text}`);
    t.equal(r.json?.field, field, `${what}: names ${field}`);
    t.match(r.headers['content-type'], /application\/problem\+json/);
    if (detail) t.match(r.json.detail, detail, what);
  }
  t.same(dbRows(h.dbPath), [], 'nothing reserved');
  t.same(await domains(), domainsBefore, 'nothing defined');
  t.same(await volumes(), volumesBefore, 'no volume created');
});

t.test('a failed step undoes what was made, by uuid, and releases the reservation', async (t) => {
  for (const step of ['createStorageVolume', 'define', 'start'] as const) {
    const real = await openHost(URI);
    const failing: HostAdapter = Object.create(real, {
      [step]: { value: async () => Promise.reject(new Error(`injected: ${step} failed at /var/lib/secret/path`)) },
    });
    const h = await startHarness({ host: failing, config: { templates: TEMPLATES } });
    const s = { socket: h.socket };
    const r = await call(s, 'POST', '/v1/placements', { body: body({ name: 'vm-fail' }), key: `fail-key-${step}` });
    t.equal(r.status, 503, `${step}: the host's failure is a 503, not the caller's: ${r.text}`);
    t.notMatch(r.text, /secret/, `${step}: no host path in the answer`);
    t.notOk((await real.listDomains()).some((d) => d.name === 'vm-fail'), `${step}: no domain left`);
    t.notOk((await real.listStorageVolumes('images')).some((v) => v.name === 'vm-fail-root.qcow2'), `${step}: no root volume left`);
    t.match(dbRows(h.dbPath), [{ state: 'released', creation: 'failed' }], `${step}: released`);
    t.same((await call(s, 'GET', '/v1/zones/gold')).json.reserved, { cpuCores: 0, memoryMiB: 0 });
    t.match(h.audit.list({ action: 'create' }), [{ vm: 'vm-fail', result: 'rolled_back' }]);
    // the key was forgotten: a retry on a healthy host places afresh
    await h.close();
    closeAgents();
    const healthy = await startHarness({ host: real, dir: h.dir, config: { templates: TEMPLATES } });
    const retry = await call({ socket: healthy.socket }, 'POST', '/v1/placements', { body: body({ name: 'vm-fail' }), key: `fail-key-${step}` });
    t.equal(retry.status, 201, `${step}: the retry creates it`);
    await healthy.close();
    await real.close();
    removeDir(h.dir);
    closeAgents();
  }
});

t.test('the reservation ending while its domain is created is reported, not answered 201', async (t) => {
  const real = await openHost(URI);
  let release: (() => Promise<unknown>) | null = null;
  const slowStart: HostAdapter = Object.create(real, {
    start: {
      value: async (name: string) => {
        await release!();
        return real.start(name);
      },
    },
  });
  const h = await startHostHarness(t, slowStart, { config: { templates: TEMPLATES } });
  const s = { socket: h.socket };
  // the caller releases its reservation while the domain is being started
  release = async () => {
    const [row] = dbRows(h.dbPath);
    return call(s, 'DELETE', `/v1/placements/${row.id}`);
  };
  const r = await call(s, 'POST', '/v1/placements', { body: body({ name: 'vm-late' }), key: 'late-key-0001' });
  t.equal(r.status, 409, r.text);
  t.match(r.json.detail, /released while its domain was created; domain vm-late runs without a reservation/);
  t.equal((await real.lookup('vm-late')).state, 'running', 'the running guest is not destroyed');
  const rec = await call(s, 'POST', '/v1/reconcile', { body: {} });
  t.match(rec.json, { applied: false, actions: [{ kind: 'report', domain: 'vm-late', result: 'reported' }] });
  t.match(h.audit.list({ action: 'create' }), [{ vm: 'vm-late', result: 'failed' }]);
});
