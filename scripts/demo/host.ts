// Writes the demo's libvirt test-driver host: one domain per VM of a Bitbrains trace
// folder, named bitbrains-<id> like `import-trace` names them, in the same classes
// (round-robin over the classes in VM-id order), sized from the trace's provisioned
// cores and memory (vCPUs current = provisioned, maximum = 2x, so hot-plug has room).
//
//   npx tsx scripts/demo/host.ts --trace DIR --out FILE [--cpus N] [--memory-gib M]
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { listBitbrainsVms, readBitbrainsVm } from '../../core/trace/bitbrains.js';
import { testHostXml, type GeneratedDomain } from '../gen-test-host.js';

const { values } = parseArgs({
  options: {
    trace: { type: 'string' },
    out: { type: 'string' },
    cpus: { type: 'string', default: '32' },
    'memory-gib': { type: 'string', default: '256' },
    classes: { type: 'string', default: 'gold,silver,bronze' },
  },
});
if (!values.trace || !values.out) {
  console.error('usage: host.ts --trace DIR --out FILE [--cpus N] [--memory-gib M] [--classes a,b,c]');
  process.exit(2);
}
const classes = values.classes!.split(',');
const vms = listBitbrainsVms(values.trace);
const domains: GeneratedDomain[] = [];
for (const [i, vm] of vms.entries()) {
  const { rows } = await readBitbrainsVm(vm);
  // the largest provisioned size the trace shows (rows with 0 cores are unprovisioned)
  const cores = Math.max(1, ...rows.map((r) => r.cores));
  const memMiB = Math.max(1024, ...rows.map((r) => Math.ceil(r.memProvisionedKiB / 1024)));
  const memoryKiB = Math.ceil(memMiB / 256) * 256 * 1024;
  domains.push({
    name: `bitbrains-${vm.id}`,
    uuid: `b17b0000-0000-4000-8000-${Number(vm.id).toString(16).padStart(12, '0')}`,
    class: classes[i % classes.length],
    tenant: ['acme', 'globex', 'initech'][i % 3],
    app: ['web', 'db', 'batch', 'api'][i % 4],
    running: true,
    vcpus: Math.min(cores, 32),
    maxVcpus: Math.min(cores * 2, 64),
    memoryKiB,
    maxMemoryKiB: memoryKiB * 2,
  });
}
writeFileSync(resolve(values.out), testHostXml(domains, Number(values.cpus), Number(values['memory-gib']) * 1024));
console.error(`demo host: ${domains.length} domains, ${values.cpus} CPUs, ${values['memory-gib']} GiB -> ${resolve(values.out)}`);
