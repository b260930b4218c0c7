// Storage pools and volumes, and domains by UUID, through LibvirtHost and the real addon
// against libvirt's test driver (test/fixtures/host.xml: pool `images` with two qcow2
// base images). Every open of the fixture starts from the file, so each test sees the
// two base images and nothing else.
import t from 'tap';
import { openHost, type LibvirtHost } from '../../core/host/libvirt-host.js';
import { loadNative } from '../../core/host/native.js';
import { LibvirtError, isNotFound } from '../../core/host/errors.js';
import { attributeOf, childElements, parseXml } from '../../core/xml/parse.js';
import { HostSupervisor } from '../../core/host/supervisor.js';
import { supervisedHost } from '../../core/host/supervised-host.js';
import { FIXTURE_URI, RUNNING, SHUT_OFF } from './helpers.js';

type TestT = Parameters<Parameters<typeof t.test>[0]>[0];

const GiB = 1024 ** 3;
const POOL = 'images';
const POOL_PATH = '/var/lib/virtzone/images';
const BASE_IMAGES = ['alpine-3.qcow2', 'debian-12.qcow2'];

async function withHost(t: TestT, fn: (host: LibvirtHost) => Promise<void>): Promise<void> {
  const host = await openHost(FIXTURE_URI);
  t.teardown(() => host.close());
  await fn(host);
}

async function rejectsLibvirt(t: TestT, p: Promise<unknown>, codeName: string, what: string): Promise<LibvirtError> {
  try {
    await p;
  } catch (err) {
    t.type(err, LibvirtError, `${what}: a LibvirtError`);
    const e = err as LibvirtError;
    t.equal(e.codeName, codeName, `${what}: ${codeName} (got: ${e.message})`);
    return e;
  }
  t.fail(`${what}: expected a rejection`);
  throw new Error('unreachable');
}

function volumeXml(name: string, capacityMiB: number, format: string, backingPath?: string): string {
  const backingStore = backingPath ? `<backingStore><path>${backingPath}</path><format type='qcow2'/></backingStore>` : '';
  return `<volume type='file'><name>${name}</name><capacity unit='MiB'>${capacityMiB}</capacity>` +
    `<target><format type='${format}'/></target>${backingStore}</volume>`;
}

t.test('looks up the pool with its type and target path', (t) =>
  withHost(t, async (host) => {
    t.same(await host.lookupStoragePool(POOL), {
      name: POOL,
      uuid: '7a2e0000-0000-4000-8001-000000000001',
      active: true,
      type: 'dir',
      targetPath: POOL_PATH,
    });
  }),
);

t.test('an unknown pool is VIR_ERR_NO_STORAGE_POOL for every pool call', (t) =>
  withHost(t, async (host) => {
    const e = await rejectsLibvirt(t, host.lookupStoragePool('no-such-pool'), 'VIR_ERR_NO_STORAGE_POOL', 'lookupStoragePool');
    t.match(e.message, /^lookupStoragePool\("no-such-pool"\): /, 'names the operation');
    t.ok(isNotFound(e), 'isNotFound');
    t.ok(isNotFound(e, 'storagePool'), 'isNotFound(storagePool)');
    t.notOk(isNotFound(e, 'storageVolume'), 'not a missing volume');
    t.notOk(isNotFound(e, 'domain'), 'not a missing domain');
    await rejectsLibvirt(t, host.listStorageVolumes('no-such-pool'), 'VIR_ERR_NO_STORAGE_POOL', 'listStorageVolumes');
    await rejectsLibvirt(t, host.lookupStorageVolume('no-such-pool', BASE_IMAGES[0]), 'VIR_ERR_NO_STORAGE_POOL', 'lookupStorageVolume');
    await rejectsLibvirt(t, host.createStorageVolume('no-such-pool', volumeXml('x.raw', 1, 'raw')), 'VIR_ERR_NO_STORAGE_POOL', 'createStorageVolume');
    await rejectsLibvirt(t, host.deleteStorageVolume('no-such-pool', BASE_IMAGES[0]), 'VIR_ERR_NO_STORAGE_POOL', 'deleteStorageVolume');
  }),
);

t.test('lists the base images with path, key, sizes and format', (t) =>
  withHost(t, async (host) => {
    const vols = await host.listStorageVolumes(POOL);
    t.same(vols.map((v) => v.name).sort(), BASE_IMAGES);
    const debian = vols.find((v) => v.name === 'debian-12.qcow2');
    t.same(debian, {
      name: 'debian-12.qcow2',
      pool: POOL,
      path: `${POOL_PATH}/debian-12.qcow2`,
      key: `${POOL_PATH}/debian-12.qcow2`,
      capacityBytes: 4 * GiB,
      allocationBytes: 2 * GiB,
      format: 'qcow2',
    });
    const alpine = await host.lookupStorageVolume(POOL, 'alpine-3.qcow2');
    t.same(alpine, vols.find((v) => v.name === 'alpine-3.qcow2'), 'lookup returns what the list does');
    t.equal(alpine.capacityBytes, 2 * GiB);
  }),
);

t.test('an unknown volume is VIR_ERR_NO_STORAGE_VOL', (t) =>
  withHost(t, async (host) => {
    const e = await rejectsLibvirt(t, host.lookupStorageVolume(POOL, 'nope.qcow2'), 'VIR_ERR_NO_STORAGE_VOL', 'lookupStorageVolume');
    t.ok(isNotFound(e, 'storageVolume'));
    t.notOk(isNotFound(e, 'storagePool'));
    await rejectsLibvirt(t, host.deleteStorageVolume(POOL, 'nope.qcow2'), 'VIR_ERR_NO_STORAGE_VOL', 'deleteStorageVolume');
  }),
);

t.test('creates a volume from XML; it is listed and found afterwards', (t) =>
  withHost(t, async (host) => {
    const created = await host.createStorageVolume(POOL, volumeXml('scratch.raw', 512, 'raw'));
    t.match(created, {
      name: 'scratch.raw',
      pool: POOL,
      path: `${POOL_PATH}/scratch.raw`,
      capacityBytes: 512 * 1024 * 1024,
      format: 'raw',
    });
    t.same(await host.lookupStorageVolume(POOL, 'scratch.raw'), created);
    t.same((await host.listStorageVolumes(POOL)).map((v) => v.name).sort(), [...BASE_IMAGES, 'scratch.raw'].sort());
    // a second volume of the same name is refused, and the first one is left as it was
    const dup = await host.createStorageVolume(POOL, volumeXml('scratch.raw', 1, 'raw')).then(() => null, (e: unknown) => e);
    t.type(dup, LibvirtError, 'a duplicate name is a LibvirtError');
    t.notOk(isNotFound(dup), `a duplicate is not "not found" (${(dup as LibvirtError).codeName})`);
    t.equal((await host.lookupStorageVolume(POOL, 'scratch.raw')).capacityBytes, 512 * 1024 * 1024);
    // malformed volume XML is libvirt's XML error, not a crash
    await rejectsLibvirt(t, host.createStorageVolume(POOL, '<volume><name>broken'), 'VIR_ERR_XML_DETAIL', 'malformed XML');
  }),
);

t.test('clones a base image with cloneFrom (virStorageVolCreateXMLFrom)', (t) =>
  withHost(t, async (host) => {
    const clone = await host.createStorageVolume(POOL, volumeXml('vm-1-root.qcow2', 10 * 1024, 'qcow2'), { cloneFrom: 'debian-12.qcow2' });
    t.match(clone, { name: 'vm-1-root.qcow2', pool: POOL, path: `${POOL_PATH}/vm-1-root.qcow2`, format: 'qcow2', capacityBytes: 10 * GiB });
    t.same((await host.listStorageVolumes(POOL)).map((v) => v.name).sort(), [...BASE_IMAGES, 'vm-1-root.qcow2'].sort());
    t.same(await host.lookupStorageVolume(POOL, 'debian-12.qcow2').then((v) => v.capacityBytes), 4 * GiB, 'the source is untouched');

    const e = await rejectsLibvirt(
      t,
      host.createStorageVolume(POOL, volumeXml('vm-2-root.qcow2', 10 * 1024, 'qcow2'), { cloneFrom: 'no-such-image.qcow2' }),
      'VIR_ERR_NO_STORAGE_VOL',
      'cloneFrom an unknown volume',
    );
    t.match(e.message, /cloneFrom "no-such-image.qcow2"/, 'the operation names the source');
    await rejectsLibvirt(t, host.lookupStorageVolume(POOL, 'vm-2-root.qcow2'), 'VIR_ERR_NO_STORAGE_VOL', 'nothing was created');
  }),
);

t.test('creates a qcow2 overlay whose backing store is a base image', (t) =>
  withHost(t, async (host) => {
    const base = await host.lookupStorageVolume(POOL, 'debian-12.qcow2');
    const overlay = await host.createStorageVolume(POOL, volumeXml('vm-3-root.qcow2', 20 * 1024, 'qcow2', base.path));
    t.match(overlay, { name: 'vm-3-root.qcow2', path: `${POOL_PATH}/vm-3-root.qcow2`, format: 'qcow2', capacityBytes: 20 * GiB });

    t.same((await host.listStorageVolumes(POOL)).map((v) => v.name).sort(), [...BASE_IMAGES, 'vm-3-root.qcow2'].sort());

    // The adapter's record does not carry the backing store; libvirt's own description of
    // the volume does (read through the addon, on a connection of its own).
    const conn = await loadNative().open(FIXTURE_URI);
    t.teardown(() => conn.close());
    const raw = await conn.createStorageVolume(POOL, volumeXml('vm-3-root.qcow2', 20 * 1024, 'qcow2', base.path));
    const backing = childElements(parseXml(raw.xml).root, 'backingStore');
    t.equal(backing.length, 1, 'one <backingStore>');
    t.equal(childElements(backing[0], 'path')[0]?.text.trim(), base.path);
    t.equal(attributeOf(childElements(backing[0], 'format')[0], 'type'), 'qcow2');
  }),
);

t.test('deletes a volume: gone from lookup and list, a second delete is not found', (t) =>
  withHost(t, async (host) => {
    await host.createStorageVolume(POOL, volumeXml('vm-4-root.qcow2', 1024, 'qcow2'), { cloneFrom: 'alpine-3.qcow2' });
    await host.deleteStorageVolume(POOL, 'vm-4-root.qcow2');
    await rejectsLibvirt(t, host.lookupStorageVolume(POOL, 'vm-4-root.qcow2'), 'VIR_ERR_NO_STORAGE_VOL', 'after delete');
    t.same((await host.listStorageVolumes(POOL)).map((v) => v.name).sort(), BASE_IMAGES);
    await rejectsLibvirt(t, host.deleteStorageVolume(POOL, 'vm-4-root.qcow2'), 'VIR_ERR_NO_STORAGE_VOL', 'second delete');
    // a base image can be deleted too (the adapter does not guard them)
    await host.deleteStorageVolume(POOL, 'alpine-3.qcow2');
    t.same((await host.listStorageVolumes(POOL)).map((v) => v.name), ['debian-12.qcow2']);
  }),
);

t.test('finds a domain by UUID; an unknown UUID is VIR_ERR_NO_DOMAIN', (t) =>
  withHost(t, async (host) => {
    const first = await host.lookupByUuid('7a2e0000-0000-4000-8000-000000000001');
    t.equal(first.name, RUNNING[0]);
    t.equal(first.state, 'running');
    t.same(first, await host.lookup(RUNNING[0]), 'the same record as lookup by name');
    const off = await host.lookupByUuid('7A2E0000-0000-4000-8000-000000000007');
    t.equal(off.name, SHUT_OFF[0], 'upper-case hex is the same UUID');
    t.equal(off.state, 'shutoff');

    const e = await rejectsLibvirt(t, host.lookupByUuid('7a2e0000-0000-4000-8000-0000000000ff'), 'VIR_ERR_NO_DOMAIN', 'unknown uuid');
    t.ok(isNotFound(e, 'domain'));
    t.match(e.message, /^lookupByUuid\("7a2e0000-0000-4000-8000-0000000000ff"\): /);
    const bad = await host.lookupByUuid('not-a-uuid').then(() => null, (err: unknown) => err);
    t.type(bad, LibvirtError, 'a malformed UUID is a LibvirtError');
    t.notOk(isNotFound(bad), `a malformed UUID is not "not found" (${(bad as LibvirtError).codeName})`);

    // a domain defined now is found by the UUID in its XML
    const xml = (await host.getXml(RUNNING[1], { inactive: true }))
      .replace(/<name>[^<]*<\/name>/, '<name>by-uuid-vm</name>')
      .replace(/<uuid>[^<]*<\/uuid>/, '<uuid>5b0c1d2e-3f40-4a51-8c62-738495a6b7c8</uuid>');
    await host.define(xml);
    t.equal((await host.lookupByUuid('5b0c1d2e-3f40-4a51-8c62-738495a6b7c8')).name, 'by-uuid-vm');
    await host.undefine('by-uuid-vm');
    await rejectsLibvirt(t, host.lookupByUuid('5b0c1d2e-3f40-4a51-8c62-738495a6b7c8'), 'VIR_ERR_NO_DOMAIN', 'after undefine');
  }),
);

t.test('isNotFound is false for anything but libvirt not-found errors', async (t) => {
  t.notOk(isNotFound(new Error('VIR_ERR_NO_DOMAIN')));
  t.notOk(isNotFound(undefined));
  const info = { code: 38, domain: 0, level: 2, message: 'gone', codeName: 'VIR_ERR_SYSTEM_ERROR', domainName: 'VIR_FROM_NONE' };
  t.notOk(isNotFound(new LibvirtError(info)));
  t.ok(isNotFound(new LibvirtError({ ...info, code: 43, codeName: 'VIR_ERR_NO_NETWORK' }), 'network'));
  t.notOk(isNotFound(new LibvirtError({ ...info, codeName: 'VIR_ERR_INVALID_CONN' })), 'a lost connection does not say the object is gone');
});

t.test('storage, network and UUID calls on a closed connection reject like the others', async (t) => {
  const host = await openHost(FIXTURE_URI);
  await host.close();
  const calls: Array<[string, Promise<unknown>]> = [
    ['lookupByUuid', host.lookupByUuid('7a2e0000-0000-4000-8000-000000000001')],
    ['lookupStoragePool', host.lookupStoragePool(POOL)],
    ['listStorageVolumes', host.listStorageVolumes(POOL)],
    ['lookupStorageVolume', host.lookupStorageVolume(POOL, BASE_IMAGES[0])],
    ['createStorageVolume', host.createStorageVolume(POOL, volumeXml('x.raw', 1, 'raw'))],
    ['createStorageVolume cloneFrom', host.createStorageVolume(POOL, volumeXml('x.raw', 1, 'raw'), { cloneFrom: BASE_IMAGES[0] })],
    ['deleteStorageVolume', host.deleteStorageVolume(POOL, BASE_IMAGES[0])],
    ['listNetworks', host.listNetworks()],
  ];
  for (const [what, p] of calls) {
    const e = await rejectsLibvirt(t, p, 'VIR_ERR_INVALID_CONN', `${what} after close`);
    t.match(e.message, /closed/);
    t.notOk(isNotFound(e));
  }
});

t.test('bad arguments reject with a TypeError before reaching libvirt', (t) =>
  withHost(t, async (host) => {
    await t.rejects(host.lookupStoragePool(42 as unknown as string), TypeError);
    await t.rejects(host.createStorageVolume(POOL, undefined as unknown as string), TypeError);
    await t.rejects(host.createStorageVolume(POOL, volumeXml('x.raw', 1, 'raw'), { cloneFrom: 7 as unknown as string }), TypeError);
    t.same((await host.listStorageVolumes(POOL)).map((v) => v.name).sort(), BASE_IMAGES, 'nothing was created');
  }),
);

t.test('the supervised host forwards storage, network and UUID calls with their options', async (t) => {
  const sup = new HostSupervisor({ uri: FIXTURE_URI, reconnectInitialMs: 10, reconnectMaxMs: 40 });
  t.teardown(() => sup.close());
  await sup.start().whenConnected();
  const host = supervisedHost(sup);
  t.equal((await host.lookupStoragePool(POOL)).targetPath, POOL_PATH);
  const clone = await host.createStorageVolume(POOL, volumeXml('vm-5-root.qcow2', 4 * 1024, 'qcow2'), { cloneFrom: 'debian-12.qcow2' });
  t.equal(clone.name, 'vm-5-root.qcow2');
  await rejectsLibvirt(
    t,
    host.createStorageVolume(POOL, volumeXml('vm-6-root.qcow2', 1, 'qcow2'), { cloneFrom: 'no-such-image.qcow2' }),
    'VIR_ERR_NO_STORAGE_VOL',
    'cloneFrom reaches libvirt through the supervised host',
  );
  t.equal((await host.lookupStorageVolume(POOL, 'vm-5-root.qcow2')).path, `${POOL_PATH}/vm-5-root.qcow2`);
  t.same((await host.listStorageVolumes(POOL)).map((v) => v.name).sort(), [...BASE_IMAGES, 'vm-5-root.qcow2'].sort());
  await host.deleteStorageVolume(POOL, 'vm-5-root.qcow2');
  t.same((await host.listStorageVolumes(POOL)).map((v) => v.name).sort(), BASE_IMAGES);
  t.equal((await host.lookupByUuid('7a2e0000-0000-4000-8000-000000000002')).name, RUNNING[1]);
  t.same((await host.listNetworks()).map((n) => n.name).sort(), ['default', 'tenant-net']);
});
