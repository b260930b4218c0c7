// virtzone templates [--json]: the operator templates this host builds VMs from
// (GET /v1/templates): size ranges, the pool whose volumes are the images, the networks.
import type { Command } from 'commander';
import { addConnectionOptions, DaemonClient, type ConnectionOptions } from '../client.js';
import { printJson, printTable } from '../output.js';

interface TemplateView {
  name: string;
  description?: string;
  domainType: string;
  machine: string;
  firmware: string;
  vcpus: { min: number; max: number };
  memoryMiB: { min: number; max: number };
  pool: string;
  rootDisk: string;
  networks: string[];
  baseXml: boolean;
}

export function registerTemplates(program: Command): void {
  const cmd = program
    .command('templates')
    .description('list the templates VMs are built from (sizes, image pool, networks)')
    .option('--json', "print the daemon's answer as JSON");
  addConnectionOptions(cmd)
    .addHelpText(
      'after',
      `
Templates are the operator's (config key templates). A placement names one with a size in
its ranges, an image (a volume of its pool) and networks from its list:

  virtzone place --tenant acme --app web --vcpus 2 --memory 2048 \\
    --template small --image debian-12.qcow2 --network default`,
    )
    .action(async (opts: ConnectionOptions & { json?: boolean }) => {
      const reply = await DaemonClient.fromOptions(opts).get<{ templates: TemplateView[]; rawDomainXml: boolean }>('/v1/templates');
      if (opts.json) return printJson(reply);
      if (reply.templates.length === 0) {
        process.stdout.write('no templates: add templates.<name> to the configuration to let placements create VMs\n');
      } else {
        printTable(
          [
            { header: 'Template' },
            { header: 'vCPUs' },
            { header: 'Memory MiB' },
            { header: 'Image pool' },
            { header: 'Root disk' },
            { header: 'Networks' },
            { header: 'Shape' },
            { header: 'Description' },
          ],
          reply.templates.map((t) => [
            t.name,
            `${t.vcpus.min}-${t.vcpus.max}`,
            `${t.memoryMiB.min}-${t.memoryMiB.max}`,
            t.pool,
            t.rootDisk,
            t.networks.join(', '),
            t.baseXml ? `${t.domainType}, base XML file` : `${t.domainType} ${t.machine} ${t.firmware}`,
            t.description ?? '',
          ]),
        );
      }
      process.stdout.write(`raw domain XML: ${reply.rawDomainXml ? 'accepted (allow-listed)' : 'refused (templates only)'}\n`);
    });
}
