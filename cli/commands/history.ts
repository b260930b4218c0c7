// virtzone history VM [--db FILE] [--since T] [--until T] [--json]: a VM's 5-minute
// series (its rollups), from the daemon (GET /v1/vms/{name}/history) or, with --db, from
// a database file. VM may also be a series key such as class:gold
// (GET /v1/series/{series}/history). Times print in UTC.
import type { Command } from 'commander';
import type { Rollup } from '../../core/model/types.js';
import { addConnectionOptions, DaemonClient, type ConnectionOptions } from '../client.js';
import { openStoreForReading } from '../db.js';
import { parseTimeArg } from '../args.js';
import { fmtNum, fmtRate, fmtTime, isoTime, printJson, printTable, usageError } from '../output.js';

interface HistoryOptions extends ConnectionOptions {
  db?: string;
  since?: string;
  until?: string;
  json?: boolean;
}

/** The daemon's history answer (router/plugins/history.ts HistoryView); null where a value was not finite. */
export interface HistoryReply {
  series: string;
  vm?: string;
  zone?: string | null;
  since: number | null;
  until: number | null;
  stepSeconds: number;
  count: number;
  rollups: Array<{ [K in keyof Omit<Rollup, 'series'>]: number | null }>;
}

/** Rollups as the daemon sends them, back to Rollup (NaN where it sent null). */
export function rollupsFromReply(series: string, reply: HistoryReply): Rollup[] {
  const n = (v: number | null) => (v === null ? NaN : v);
  return reply.rollups.map((r) => ({
    series,
    ts: r.ts as number,
    cpuMean: n(r.cpuMean),
    cpuMax: n(r.cpuMax),
    cpuP95: n(r.cpuP95),
    memMean: n(r.memMean),
    memMax: n(r.memMax),
    memP95: n(r.memP95),
    netBps: n(r.netBps),
    diskBps: n(r.diskBps),
    samples: r.samples ?? 0,
  }));
}

/** GET the history of a VM name or a series key from the daemon. */
export async function fetchHistory(client: DaemonClient, vmOrSeries: string, since?: number, until?: number): Promise<HistoryReply> {
  const path = vmOrSeries.includes(':')
    ? `/v1/series/${encodeURIComponent(vmOrSeries)}/history`
    : `/v1/vms/${encodeURIComponent(vmOrSeries)}/history`;
  return client.get<HistoryReply>(path, { query: { since, until } });
}

export function registerHistory(program: Command): void {
  const cmd = program
    .command('history')
    .description("show a VM's 5-minute usage history (mean, max, p95 of CPU and memory)")
    .argument('<vm>', 'VM name (or a series key such as class:gold)')
    .option('--db <file>', 'read this virtzone database file instead of asking the daemon (offline)')
    .option('--since <time>', 'from this time: ISO 8601, -2h, -7d, now, unix seconds (default: all)')
    .option('--until <time>', 'up to (excluding) this time (default: all)')
    .option('--json', 'print JSON instead of a table');
  addConnectionOptions(cmd)
    .addHelpText(
      'after',
      `
Examples:
  virtzone history web-01 --since -2h          the last two hours, from the daemon
  virtzone history class:gold --since -1d --json
  virtzone history bitbrains-407 --db trace.db --since 2013-08-01 --until 2013-08-02`,
    )
    .action(async (vm: string, opts: HistoryOptions) => {
      const since = opts.since !== undefined ? parseTimeArg(opts.since, '--since') : undefined;
      const until = opts.until !== undefined ? parseTimeArg(opts.until, '--until') : undefined;
      if (since !== undefined && until !== undefined && until <= since) {
        throw usageError(`--until (${isoTime(until)}) must be after --since (${isoTime(since)})`);
      }
      if (opts.db === undefined) {
        const reply = await fetchHistory(DaemonClient.fromOptions(opts), vm, since, until);
        print(reply.vm ?? null, reply.series, reply.zone ?? null, since, until, rollupsFromReply(reply.series, reply), vm, opts.json);
        return;
      }
      if (opts.socket !== undefined || opts.url !== undefined) throw usageError('--db reads a file offline: drop --socket/--url, or drop --db to ask the daemon');
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
        print(record?.name ?? null, isSeries ? vm : `vm:${vm}`, record?.class ?? null, since, until, rollups, vm, opts.json);
      } finally {
        store.close();
      }
    });
}

function print(vm: string | null, series: string, cls: string | null, since: number | undefined, until: number | undefined, rollups: Rollup[], asked: string, json?: boolean): void {
  if (json) {
    printJson({
      vm,
      series,
      class: cls,
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
  if (rollups.length === 0) process.stderr.write(`virtzone history: no rollups for ${asked} in that range\n`);
}
