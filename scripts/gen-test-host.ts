// Generates a host XML for libvirt's test driver (URI test:///abs/path.xml) with N
// domains spread over priority classes, each tagged with virtzone metadata, plus the
// storage and networks VMs are built from: a `dir` pool `images` holding base images and
// the networks `default` and `tenant-net`. Used for test/fixtures/host.xml and the
// 1,000-domain collector benchmark.
//
//   npx tsx scripts/gen-test-host.ts --domains 1000 --out /tmp/host-1000.xml
//   npx tsx scripts/gen-test-host.ts --domains 7 --shut-off 1 --out test/fixtures/host.xml
//
// Output is deterministic (names, UUIDs, sizes depend only on the options).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildZoneMetadata } from '../core/host/metadata.js';

export interface TestHostSpec {
  /** number of domains */
  domains: number;
  /** how many of them are shut off (the last ones); default floor(domains / 7) */
  shutOff?: number;
  /** classes, assigned round-robin; default gold, silver, bronze */
  classes?: string[];
  /** host CPUs; default max(16, domains / 4) */
  cpus?: number;
  /** host memory in MiB; default max(64 GiB, domains x 2 GiB) */
  memoryMiB?: number;
}

const APPS = ['web', 'db', 'cache', 'batch', 'api'];
const TENANTS = ['acme', 'globex', 'initech'];
// The test driver's own namespace for per-domain run state (1 running, 5 shut off).
const TEST_NS = 'http://libvirt.org/schemas/domain/test/1.0';

export interface GeneratedDomain {
  name: string;
  uuid: string;
  class: string;
  tenant: string;
  app: string;
  running: boolean;
  vcpus: number;
  maxVcpus: number;
  memoryKiB: number;
  maxMemoryKiB: number;
}

/** The domains a spec produces, in document order. */
export function testHostDomains(spec: TestHostSpec): GeneratedDomain[] {
  const n = spec.domains;
  if (!Number.isInteger(n) || n < 0) throw new RangeError('domains must be a non-negative integer');
  const classes = spec.classes ?? ['gold', 'silver', 'bronze'];
  const shutOff = spec.shutOff ?? Math.floor(n / 7);
  const width = Math.max(2, String(n).length);
  const out: GeneratedDomain[] = [];
  for (let i = 0; i < n; i++) {
    const cls = classes[i % classes.length];
    const app = APPS[i % APPS.length];
    const sizeStep = i % 4; // 4, 8, 12, 16 GiB maximum
    const maxMemoryKiB = (sizeStep + 1) * 4 * 1024 * 1024;
    out.push({
      name: `${cls}-${app}-${String(i + 1).padStart(width, '0')}`,
      uuid: `7a2e0000-0000-4000-8000-${(i + 1).toString(16).padStart(12, '0')}`,
      class: cls,
      tenant: TENANTS[i % TENANTS.length],
      app,
      running: i < n - shutOff,
      vcpus: 2 + (i % 3),
      maxVcpus: 8,
      memoryKiB: maxMemoryKiB / 2,
      maxMemoryKiB,
    });
  }
  return out;
}

/** The storage pool every generated host has, with its base images (qcow2). */
export const TEST_POOL = {
  name: 'images',
  uuid: '7a2e0000-0000-4000-8001-000000000001',
  targetPath: '/var/lib/virtzone/images',
  volumes: [
    { name: 'debian-12.qcow2', capacityGiB: 4, allocationGiB: 2 },
    { name: 'alpine-3.qcow2', capacityGiB: 2, allocationGiB: 1 },
  ],
} as const;

/** The networks every generated host has; the test driver starts each one. */
export const TEST_NETWORKS = [
  { name: 'default', uuid: '7a2e0000-0000-4000-8002-000000000001', bridge: 'virbr0', natAddress: '192.168.122.1' },
  { name: 'tenant-net', uuid: '7a2e0000-0000-4000-8002-000000000002', bridge: 'virbr1', natAddress: null },
] as const;

// The test driver takes a <pool> with its <volume>s nested. It gives every pool 100 GiB
// whatever the XML says and counts the volumes' allocation against that, so the pool's
// sizes are left out here.
function poolXml(): string {
  const p = TEST_POOL;
  const volumes = p.volumes.map((v) => `    <volume type='file'>
      <name>${v.name}</name>
      <capacity unit='GiB'>${v.capacityGiB}</capacity>
      <allocation unit='GiB'>${v.allocationGiB}</allocation>
      <target>
        <format type='qcow2'/>
      </target>
    </volume>
`).join('');
  return `  <pool type='dir'>
    <name>${p.name}</name>
    <uuid>${p.uuid}</uuid>
    <target>
      <path>${p.targetPath}</path>
    </target>
${volumes}  </pool>
`;
}

// libvirt refuses NAT forwarding without an address to NAT from; a network without
// <forward> is an isolated bridge.
function networkXml(n: (typeof TEST_NETWORKS)[number]): string {
  const nat = n.natAddress === null ? '' : `    <forward mode='nat'/>
    <ip address='${n.natAddress}' netmask='255.255.255.0'/>
`;
  return `  <network>
    <name>${n.name}</name>
    <uuid>${n.uuid}</uuid>
    <bridge name='${n.bridge}'/>
${nat}  </network>
`;
}

function domainXml(d: GeneratedDomain, index: number): string {
  const mac = (index + 1).toString(16).padStart(6, '0').replace(/(..)(..)(..)/, '$1:$2:$3');
  const zone = buildZoneMetadata({ class: d.class, tenant: d.tenant, app: d.app }, { forDomainXml: true });
  return `  <domain type='test' xmlns:test='${TEST_NS}'>
    <name>${d.name}</name>
    <uuid>${d.uuid}</uuid>
    <metadata>
      ${zone}
    </metadata>
    <memory unit='KiB'>${d.maxMemoryKiB}</memory>
    <currentMemory unit='KiB'>${d.memoryKiB}</currentMemory>
    <vcpu placement='static' current='${d.vcpus}'>${d.maxVcpus}</vcpu>
    <os>
      <type arch='x86_64'>hvm</type>
    </os>
    <devices>
      <disk type='file' device='disk'>
        <source file='/var/lib/libvirt/images/${d.name}.qcow2'/>
        <target dev='vda' bus='virtio'/>
      </disk>
      <interface type='network'>
        <mac address='52:54:00:${mac}'/>
        <source network='default'/>
      </interface>
      <memballoon model='virtio'/>
    </devices>
    <test:runstate>${d.running ? 1 : 5}</test:runstate>
  </domain>
`;
}

export function generateTestHostXml(spec: TestHostSpec): string {
  const domains = testHostDomains(spec);
  const cpus = spec.cpus ?? Math.max(16, Math.ceil(spec.domains / 4));
  return testHostXml(domains, cpus, spec.memoryMiB ?? Math.max(64 * 1024, spec.domains * 2048));
}

/** A test-driver host XML with exactly these domains, `cpus` host CPUs and `memoryMiB`, and TEST_POOL and TEST_NETWORKS. */
export function testHostXml(domains: readonly GeneratedDomain[], cpus: number, memoryMiB: number): string {
  const memoryKiB = memoryMiB * 1024;
  const sockets = 2;
  const threads = 2;
  const cores = Math.max(1, Math.ceil(cpus / (sockets * threads)));
  return `<!-- libvirt test-driver host: ${domains.length} domains. Generated by scripts/gen-test-host.ts; do not edit by hand. -->
<node>
  <cpu>
    <mhz>2400</mhz>
    <model>x86_64</model>
    <active>${cpus}</active>
    <nodes>1</nodes>
    <sockets>${sockets}</sockets>
    <cores>${cores}</cores>
    <threads>${threads}</threads>
  </cpu>
  <memory>${memoryKiB}</memory>
${domains.map(domainXml).join('')}${poolXml()}${TEST_NETWORKS.map(networkXml).join('')}</node>
`;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      domains: { type: 'string' },
      'shut-off': { type: 'string' },
      classes: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const domains = Number(values.domains);
  if (!values.domains || !Number.isInteger(domains) || domains < 0) {
    console.error('usage: gen-test-host --domains N [--shut-off K] [--classes gold,silver,bronze] [--out FILE]');
    process.exit(2);
  }
  const spec: TestHostSpec = { domains };
  if (values['shut-off'] !== undefined) spec.shutOff = Number(values['shut-off']);
  if (values.classes) spec.classes = values.classes.split(',');
  const xml = generateTestHostXml(spec);
  if (values.out) {
    writeFileSync(resolve(values.out), xml);
    console.error(`wrote ${domains} domains to ${resolve(values.out)} (URI test://${resolve(values.out)})`);
  } else {
    process.stdout.write(xml);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
