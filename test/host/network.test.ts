// Networks through LibvirtHost and the real addon against libvirt's test driver
// (test/fixtures/host.xml: networks `default` and `tenant-net`, both started).
import t from 'tap';
import { openHost } from '../../core/host/libvirt-host.js';
import { FIXTURE_URI } from './helpers.js';
import { TEST_NETWORKS, generateTestHostXml } from '../../scripts/gen-test-host.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

t.test('lists both fixture networks, active, with their UUIDs', async (t) => {
  const host = await openHost(FIXTURE_URI);
  t.teardown(() => host.close());
  const nets = await host.listNetworks();
  t.same(
    [...nets].sort((a, b) => a.name.localeCompare(b.name)),
    [
      { name: 'default', uuid: '7a2e0000-0000-4000-8002-000000000001', active: true },
      { name: 'tenant-net', uuid: '7a2e0000-0000-4000-8002-000000000002', active: true },
    ],
  );
});

t.test('a host without networks lists none', async (t) => {
  // The generator always writes the networks; strip them to see an empty answer.
  const dir = mkdtempSync(join(tmpdir(), 'virtzone-net-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'host.xml');
  const xml = generateTestHostXml({ domains: 2 }).replace(/ {2}<network>[\s\S]*?<\/network>\n/g, '');
  t.notMatch(xml, /<network>/);
  writeFileSync(file, xml);
  const host = await openHost(`test://${file}`);
  t.teardown(() => host.close());
  t.same(await host.listNetworks(), []);
  t.equal(TEST_NETWORKS.length, 2, 'the generator describes two networks');
});
