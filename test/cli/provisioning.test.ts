// virtzone templates, place --template and reconcile against a real virtzoned over the
// libvirt test driver (test/router/fixtures/host.xml: a storage pool "images" with two
// images, networks default, tenant-net and host-lan).
import t from 'tap';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADDON, ROOT, json, startDaemon, virtzone, type Daemon } from './harness.js';

const work = mkdtempSync(join(tmpdir(), 'vz-cli-prov-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

if (!existsSync(ADDON)) {
  t.pass('skipped: the libvirt addon is not built (npm run build:native)', { skip: true });
} else {
  let daemon: Daemon;
  let s: string[];
  t.before(async () => {
    daemon = await startDaemon({
      dir: work,
      uri: `test://${join(ROOT, 'test/router/fixtures/host.xml')}`,
      config: {
        mode: 'enforce',
        // room for the VMs these tests create on the fixture's small host
        host: { cpuOvercommit: 8 },
        classes: [{ name: 'gold' }],
        templates: { small: { description: 'a small Linux VM', domainType: 'test', pool: 'images', networks: ['default', 'tenant-net'], vcpus: { min: 1, max: 4 }, memoryMiB: { min: 256, max: 4096 } } },
      },
    });
    s = ['--socket', daemon.socket];
  });
  t.teardown(async () => {
    await daemon?.stop();
  });

  t.test('templates lists what a request may ask for', async (t) => {
    const r = await virtzone(['templates', ...s]);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /small\s+1-4\s+256-4096\s+images\s+overlay\s+default, tenant-net\s+test q35 bios\s+a small Linux VM/);
    t.match(r.stdout, /raw domain XML: refused \(templates only\)/);
    const j = json(await virtzone(['templates', ...s, '--json']));
    t.same(j.templates.map((x: { name: string }) => x.name), ['small']);
  });

  t.test('place --template creates the VM; a bad image names its option', async (t) => {
    const base = ['place', ...s, '--tenant', 'acme', '--app', 'web', '--priority', 'gold', '--vcpus', '2', '--memory', '1024', '--template', 'small'];
    const r = await virtzone([...base, '--image', 'debian-12.qcow2', '--network', 'tenant-net', '--name', 'cli-vm']);
    t.equal(r.code, 0, r.stderr + r.stdout);
    t.match(r.stdout, /Domain:\s+cli-vm \(created and started\)/);
    await new Promise((res) => setTimeout(res, 300));
    const lines = daemon.logs().filter((l) => l.vm === 'cli-vm');
    t.equal(lines.length, 1, 'the daemon logs the creation once');
    t.match(lines[0], { action: 'create', why: /^placement [0-9a-f-]{36} \(tenant acme, app web\)$/, before: null, after: { state: 'running', partition: '/machine/virtzone-gold', vcpus: 2, memoryMiB: 1024, template: 'small', networks: ['tenant-net'] } });
    const bad = await virtzone([...base, '--image', 'nope.qcow2']);
    t.equal(bad.code, 2, 'the caller\'s mistake: exit 2');
    t.match(bad.stderr, /no image "nope.qcow2" in storage pool images.*field: image, option --image/);
    const net = await virtzone([...base, '--image', 'debian-12.qcow2', '--network', 'host-lan']);
    t.equal(net.code, 2);
    t.match(net.stderr, /option --network/);
  });

  t.test('reconcile shows and applies; nothing to do on a settled host', async (t) => {
    const dry = await virtzone(['reconcile', ...s, '--dry-run']);
    t.equal(dry.code, 0, dry.stderr);
    t.match(dry.stdout, /nothing to reconcile/);
    const applied = json(await virtzone(['reconcile', ...s, '--json']));
    t.same(applied, { applied: true, actions: [] });
  });

  t.test('observe mode: a new VM starts in libvirt\'s default partition; nothing is made for its zone', async (t) => {
    const sw = await virtzone(['mode', 'observe', '--reason', 'provisioning test', ...s]);
    t.equal(sw.code, 0, sw.stderr);
    const r = await virtzone(['place', ...s, '--tenant', 'acme', '--app', 'web', '--vcpus', '1', '--memory', '256', '--template', 'small', '--image', 'debian-12.qcow2', '--name', 'cli-vm-observed']);
    t.equal(r.code, 0, r.stderr + r.stdout);
    await new Promise((res) => setTimeout(res, 300));
    const lines = daemon.logs().filter((l) => l.vm === 'cli-vm-observed');
    t.match(lines[0], { action: 'create', after: { state: 'running', partition: '/machine' } }, 'the tag names its zone, the partition is libvirt\'s own');
    const vms = json(await virtzone(['vms', ...s, '--json']));
    t.ok(JSON.stringify(vms).includes('cli-vm-observed'));
  });
}
