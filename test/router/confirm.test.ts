// Confirm: a caller that creates its own VM binds it to its reservation. The tag goes
// to the running domain and its persistent definition, so the VM joins its zone at the
// next collector tick; an operator's floors in an existing tag of the zone are kept; a
// domain larger than its reservation, or one of another zone, reservation or pool, is
// refused.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { Collector } from '../../collector/collector.js';
import { LibvirtError } from '../../core/host/errors.js';
import { openHost } from '../../core/host/libvirt-host.js';
import { parseZoneMetadata } from '../../core/host/metadata.js';
import type { HostAdapter } from '../../core/host/types.js';
import { Store } from '../../core/store/store.js';
import { call, closeAgents, removeDir, startHarness, startHostHarness } from './helpers.js';

const HOST_XML = fileURLToPath(new URL('./fixtures/host.xml', import.meta.url));
const URI = `test://${HOST_XML}`;

const domainXml = (name: string, vcpus: number, memoryMiB: number, tag = '') =>
  `<domain type="test"><name>${name}</name><metadata>${tag}</metadata><memory unit="MiB">${memoryMiB}</memory><vcpu>${vcpus}</vcpu><os><type arch="x86_64">hvm</type></os></domain>`;
const tag = (attrs: string) => `<virtzone:zone xmlns:virtzone="https://virtzone.dev/xmlns/virtzone/1" ${attrs}/>`;

async function running(host: HostAdapter, xml: string): Promise<string> {
  const name = await host.define(xml);
  await host.start(name);
  return name;
}

t.test('confirm tags live and persistent, keeps floors, refuses what it must', async (t) => {
  const host = await openHost(URI);
  const store = Store.open(join(removeLater(t), 'collector.db'));
  const collector = new Collector({ host: () => host, store });
  const h = await startHarness({ host, onDomainTagged: (uuid) => collector.forget(uuid) });
  t.teardown(async () => {
    collector.close();
    store.close();
    await h.close();
    await host.close();
    removeDir(h.dir);
    closeAgents();
  });
  const s = { socket: h.socket };
  const reserve = async (key: string, vcpus = 2, memoryMiB = 1024, priority = 'silver') =>
    (await call(s, 'POST', '/v1/placements', { body: { tenant: 'acme', app: 'db', priority, vcpus, memoryMiB }, key })).json.reservationId as string;
  const confirm = (id: string, domain: string) => call(s, 'POST', `/v1/placements/${id}/confirm`, { body: { domain } });

  await running(host, domainXml('own-vm', 2, 1024));
  const T = 1_800_000_000_000;
  await collector.tick(T);
  t.equal(store.getVm('own-vm')!.class, null, 'untagged: in no zone yet');

  const id = await reserve('confirm-key-0001');
  const ok = await confirm(id, 'own-vm');
  t.equal(ok.status, 200, ok.text);
  t.match(ok.json, { state: 'bound', domain: 'own-vm', zone: 'silver' });
  const expected = { class: 'silver', tenant: 'acme', app: 'db', reservation: id };
  t.same(parseZoneMetadata((await host.getMetadata('own-vm', { live: true }))!), expected, 'the running domain is tagged');
  t.same(parseZoneMetadata((await host.getMetadata('own-vm', { config: true }))!), expected, 'and its persistent definition');
  await collector.tick(T + 10_000);
  t.equal(store.getVm('own-vm')!.class, 'silver', 'counted in its zone at the next collector tick');
  t.match(h.audit.list({ action: 'confirm' }), [{ vm: 'own-vm', result: 'ok', after: expected }]);
  t.equal((await confirm(id, 'own-vm')).status, 200, 'confirming again with the same domain is idempotent');

  // an operator's floors on a domain tagged for the zone are kept
  await running(host, domainXml('floored-vm', 2, 1024, tag('class="silver" memoryFloorMiB="512" minVcpus="2"')));
  const floored = await confirm(await reserve('confirm-key-0002'), 'floored-vm');
  t.equal(floored.status, 200, floored.text);
  t.match(parseZoneMetadata((await host.getMetadata('floored-vm', { live: true }))!), { class: 'silver', memoryFloorMiB: '512', minVcpus: '2', tenant: 'acme', app: 'db' });
  t.match(parseZoneMetadata((await host.getMetadata('floored-vm', { config: true }))!), { memoryFloorMiB: '512', minVcpus: '2' });

  // a shut-off persistent domain: its definition is tagged
  await host.define(domainXml('off-vm', 1, 512));
  const off = await confirm(await reserve('confirm-key-0003'), 'off-vm');
  t.equal(off.status, 200, off.text);
  t.match(parseZoneMetadata((await host.getMetadata('off-vm', { config: true }))!), { class: 'silver' });

  // refused: larger than the reservation (what runs is what is charged)
  await running(host, domainXml('big-vm', 4, 1024));
  await running(host, domainXml('fat-vm', 1, 8192));
  for (const [domain, what] of [
    ['big-vm', /runs 4 vCPUs, more than the 2/],
    ['fat-vm', /8192 MiB of memory, more than the 1024 MiB/],
  ] as const) {
    const r = await confirm(await reserve(`confirm-big-${domain}`), domain);
    t.equal(r.status, 422, `${domain}: ${r.text}`);
    t.equal(r.json.field, 'domain');
    t.match(r.json.detail, what);
    t.equal(await host.getMetadata(domain), null, `${domain}: not tagged`);
  }

  // refused: another zone, another reservation, a pool member
  await running(host, domainXml('gold-vm', 1, 512, tag('class="gold" tenant="x" app="y"')));
  await running(host, domainXml('taken-vm', 1, 512, tag('class="silver" reservation="0190aaaa-0000-7000-8000-000000000000"')));
  await running(host, domainXml('pool-vm', 1, 512, tag('class="silver" pool="true"')));
  for (const [domain, what] of [
    ['gold-vm', /already belongs to zone gold/],
    ['taken-vm', /already belongs to reservation 0190aaaa/],
    ['pool-vm', /member of zone silver's pool/],
  ] as const) {
    const before = await host.getMetadata(domain);
    const r = await confirm(await reserve(`confirm-ref-${domain}`), domain);
    t.equal(r.status, 409, `${domain}: ${r.text}`);
    t.equal(r.json.field, 'domain');
    t.match(r.json.detail, what);
    t.equal(await host.getMetadata(domain), before, `${domain}: its tag is untouched`);
  }

  // no such domain: the caller's mistake
  const ghost = await confirm(await reserve('confirm-key-ghost'), 'ghost');
  t.equal(ghost.status, 422);
  t.equal(ghost.json.field, 'domain');
});

t.test('libvirt failing during confirm is a 503 without its message', async (t) => {
  const real = await openHost(URI);
  const broken: HostAdapter = Object.create(real, {
    setMetadata: {
      value: async () => {
        throw new LibvirtError({ code: 1, domain: 10, message: 'internal error: cannot write /etc/libvirt/qemu/secret.xml', level: 2, codeName: 'VIR_ERR_INTERNAL_ERROR', domainName: 'VIR_FROM_QEMU' });
      },
    },
  });
  const h = await startHostHarness(t, broken);
  const s = { socket: h.socket };
  const id = (await call(s, 'POST', '/v1/placements', { body: { tenant: 'acme', app: 'db', priority: 'silver', vcpus: 1, memoryMiB: 1024 }, key: 'confirm-503-key' })).json.reservationId;
  const r = await call(s, 'POST', `/v1/placements/${id}/confirm`, { body: { domain: 'existing-vm' } });
  t.equal(r.status, 503, r.text);
  t.match(r.json.detail, /VIR_ERR_INTERNAL_ERROR/);
  t.notMatch(r.text, /etc\/libvirt/, 'no host path in the answer');
  t.match((await call(s, 'GET', `/v1/placements/${id}`)).json, { state: 'reserved' }, 'nothing bound');
});

function removeLater(t: Tap.Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'vz-confirm-'));
  t.teardown(() => removeDir(dir));
  return dir;
}
