// virtzone vms --db FILE [--json]: every VM the store knows, with its class, size and
// latest usage (offline, from a database file).
import type { Command } from 'commander';
import { openStoreForReading } from '../db.js';
import { fmtNum, fmtTime, isoTime, printJson, printTable } from '../output.js';

export function registerVms(program: Command): void {
  program
    .command('vms')
    .description('list VMs with their class, size and latest usage')
    .requiredOption('--db <file>', 'read this virtzone database file (offline)')
    .option('--json', 'print JSON (an array of VMs) instead of a table')
    .action((opts: { db: string; json?: boolean }) => {
      const store = openStoreForReading(opts.db);
      try {
        const vms = store.listVms();
        if (opts.json) {
          printJson(
            vms.map((v) => ({
              name: v.name,
              uuid: v.uuid,
              class: v.class,
              tenant: v.tenant,
              app: v.app,
              source: v.source,
              vcpus: v.vcpus,
              memoryMiB: v.memoryMiB,
              cpuCores: v.latest?.cpuCores ?? null,
              memoryUsedMiB: v.latest?.memoryMiB ?? null,
              latestAt: isoTime(v.latest?.ts),
              firstSeen: isoTime(v.firstSeen),
              lastSeen: isoTime(v.lastSeen),
            })),
          );
          return;
        }
        printTable(
          [
            { header: 'Name' },
            { header: 'Class' },
            { header: 'vCPUs', align: 'right' },
            { header: 'Memory MiB', align: 'right' },
            { header: 'CPU cores', align: 'right' },
            { header: 'Mem used MiB', align: 'right' },
            { header: 'Last seen (UTC)' },
            { header: 'Source' },
          ],
          vms.map((v) => [
            v.name,
            v.class ?? '-',
            v.vcpus,
            fmtNum(v.memoryMiB, 0),
            fmtNum(v.latest?.cpuCores, 2),
            fmtNum(v.latest?.memoryMiB, 0),
            fmtTime(v.lastSeen),
            v.source,
          ]),
        );
      } finally {
        store.close();
      }
    });
}
