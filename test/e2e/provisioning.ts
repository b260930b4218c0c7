// What the e2e's template VMs need on the real host, set up the way an operator would:
// a bridge and a libvirt network on it (forward mode bridge: no firewall rules, no
// dnsmasq), a dir storage pool with a small qcow2 base image, and a root-owned base
// domain XML file for the template. virsh and ip are test-side tools only.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { E2E_DIR, consoleLogPath, type GuestImage } from './guest.js';
import { E2E_SCRIPTS, virsh } from './libvirtd.js';

const run = promisify(execFile);

export const E2E_POOL = 'vz-e2e-images';
export const E2E_NETWORK = 'vz-e2e-net';
export const E2E_BRIDGE = 'vzbr-e2e';
export const BASE_IMAGE = 'base.qcow2';
/** the console log every VM of the e2e template writes (one at a time) */
export const TEMPLATE_CONSOLE = consoleLogPath('template-guest');
const POOL_DIR = join(E2E_DIR, 'pool');

const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');

/** The template's base XML, written root-owned and 0644 as the daemon requires. */
function writeBaseXml(image: GuestImage, file: string): void {
  const cmdline = ['console=ttyS0', 'panic=-1', 'vz.burn=0', 'vz.report=2'].join(' ');
  const values: Record<string, string> = { KERNEL: image.kernel, INITRD: image.initrd, CMDLINE: cmdline, CONSOLE_LOG: TEMPLATE_CONSOLE };
  const tmpl = readFileSync(join(E2E_SCRIPTS, 'template-base.xml.tmpl'), 'utf8');
  const body = tmpl.slice(tmpl.indexOf('-->') + 3).trimStart();
  writeFileSync(file, body.replace(/\{\{([A-Z_]+)\}\}/g, (_, k: string) => xmlText(values[k])));
  chmodSync(file, 0o644);
}

/** Removes what prepareProvisioning made; never throws. */
export async function releaseProvisioning(): Promise<void> {
  const quiet = (p: Promise<unknown>) => p.catch(() => undefined);
  for (const v of await virsh('vol-list', E2E_POOL).then((o) => o.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean), () => [] as string[])) {
    await quiet(virsh('vol-delete', '--pool', E2E_POOL, v));
  }
  await quiet(virsh('pool-destroy', E2E_POOL));
  await quiet(virsh('pool-undefine', E2E_POOL));
  await quiet(virsh('net-destroy', E2E_NETWORK));
  await quiet(virsh('net-undefine', E2E_NETWORK));
  await quiet(run('ip', ['link', 'del', E2E_BRIDGE]));
  rmSync(POOL_DIR, { recursive: true, force: true });
}

/** The network, the pool with its base image, and the base XML file; returns the template config. */
export async function prepareProvisioning(image: GuestImage, dir: string): Promise<Record<string, unknown>> {
  await releaseProvisioning(); // a run that died half-way
  await run('ip', ['link', 'add', E2E_BRIDGE, 'type', 'bridge']);
  await run('ip', ['link', 'set', E2E_BRIDGE, 'up']);
  const netXml = join(dir, 'network.xml');
  writeFileSync(netXml, `<network><name>${E2E_NETWORK}</name><forward mode='bridge'/><bridge name='${E2E_BRIDGE}'/></network>`);
  await virsh('net-define', netXml);
  await virsh('net-start', E2E_NETWORK);
  mkdirSync(POOL_DIR, { recursive: true });
  await virsh('pool-define-as', E2E_POOL, 'dir', '--target', POOL_DIR);
  await virsh('pool-start', E2E_POOL);
  await virsh('vol-create-as', E2E_POOL, BASE_IMAGE, '64M', '--format', 'qcow2');
  const baseXmlFile = join(dir, 'e2e-template.xml');
  writeBaseXml(image, baseXmlFile);
  return {
    e2e: {
      description: 'the e2e guest: TCG, kernel boot, a qcow2 overlay root disk',
      domainType: 'qemu',
      machine: 'pc',
      pool: E2E_POOL,
      rootDisk: 'overlay',
      networks: [E2E_NETWORK],
      vcpus: { min: 1, max: 2 },
      memoryMiB: { min: 128, max: 512 },
      baseXmlFile,
    },
  };
}
