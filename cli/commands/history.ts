// virtzone history VM --db FILE [--since T] [--until T] [--json]: a VM's 5-minute
// series (its rollups) from a database file. VM may also be a series key such as
// class:gold. Times print in UTC.
import type { Command } from 'commander';
import { openStoreForReading } from '../db.js';
import { parseTimeArg } from '../args.js';
import { fmtNum, fmtRate, fmtTime, isoTime, printJson, printTable, usageError } from '../output.js';

interface HistoryOptions {
  db: string;
  since?: string;
  until?: string;
  json?: boolean;
}

export function registerHistory(program: Command): void {
  program
    .command('history')
    .description("show a VM's 5-minute usage history (mean, max, p95 of CPU and memory)")
    .argument('<vm>', 'VM name (or a series key such as class:gold)')
    .requiredOption('--db <file>', 'read this virtzone database file (offline)')
    .option('--since <time>', 'from this time: ISO 8601, -2h, -7d, now, unix seconds (default: all)')
    .option('--until <time>', 'up to (excluding) this time (default: all)')
    .option('--json', 'print JSON instead of a table')
    .action((vm: string, opts: HistoryOptions) => {
      const since = opts.since !== undefined ? parseTimeArg(opts.since, '--since') : undefined;
      const until = opts.until !== undefined ? parseTimeArg(opts.until, '--until') : undefined;
      if (since !== undefined && until !== undefined && until <= since) {
        throw usageError(`--until (${isoTime(until)}) must be after --since (${isoTime(since)})`);
      }
      const store = openStoreForReading(opts.db);
      try {
        const isSeries = vm.includes(':');
        const record = isSeries ? undefined : store.getVm(vm);
        if (!isSeries && !record) {
          const n = store.listVms().length;
          throw usageError(`unknown VM ${JSON.stringify(vm)} in ${opts.db} (${n} VMs there; see: virtzone vms --db ${opts.db})`);
        }
        if (isSeries && !store.listSeries(vm).some((s) => s.series === vm)) {
          throw usageError(`unknown series ${JSON.stringify(vm)} in ${opts.db} (see: virtzone vms --db ${opts.db})`);
        }
        const rollups = store.history(vm, since, until);
        if (opts.json) {
          printJson({
            vm: record?.name ?? null,
            series: isSeries ? vm : `vm:${vm}`,
            class: record?.class ?? null,
            since: isoTime(since),
            until: isoTime(until),
            stepSeconds: 300,
            count: rollups.length,
            rollups: rollups.map((r) => ({
              ts: r.ts,
              time: isoTime(r.ts),
              cpuMean: r.cpuMean,
              cpuMax: r.cpuMax,
              cpuP95: r.cpuP95,
              memMean: r.memMean,
              memMax: r.memMax,
              memP95: r.memP95,
              netBps: r.netBps,
              diskBps: r.diskBps,
              samples: r.samples,
            })),
          });
          return;
        }
        printTable(
          [
            { header: 'Time (UTC)' },
            { header: 'CPU mean', align: 'right' },
            { header: 'CPU max', align: 'right' },
            { header: 'CPU p95', align: 'right' },
            { header: 'Mem mean MiB', align: 'right' },
            { header: 'Mem max MiB', align: 'right' },
            { header: 'Mem p95 MiB', align: 'right' },
            { header: 'Net', align: 'right' },
            { header: 'Disk', align: 'right' },
            { header: 'Samples', align: 'right' },
          ],
          rollups.map((r) => [
            fmtTime(r.ts),
            fmtNum(r.cpuMean, 3),
            fmtNum(r.cpuMax, 3),
            fmtNum(r.cpuP95, 3),
            fmtNum(r.memMean, 0),
            fmtNum(r.memMax, 0),
            fmtNum(r.memP95, 0),
            fmtRate(r.netBps),
            fmtRate(r.diskBps),
            r.samples,
          ]),
        );
        if (rollups.length === 0) process.stderr.write(`virtzone history: no rollups for ${vm} in that range\n`);
      } finally {
        store.close();
      }
    });
}
