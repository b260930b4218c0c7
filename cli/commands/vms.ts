// virtzone vms [--db FILE] [--watch [SECONDS]] [--json]: every VM with its zone, size and
// latest usage, like virt-top. Without --db it asks the daemon (GET /v1/vms); with --db
// it reads a database file offline.
import { Option, type Command } from 'commander';
import { addConnectionOptions, DaemonClient, type ConnectionOptions } from '../client.js';
import { openStoreForReading } from '../db.js';
import { fmtNum, fmtTime, isoTime, printJson, renderTable, usageError } from '../output.js';
import { watchLoop, parseWatch, parseCount } from '../watch.js';

interface VmsOptions extends ConnectionOptions {
  db?: string;
  json?: boolean;
  watch?: string | true;
  count?: string;
  sort: string;
}

/** One VM as both modes show it. */
export interface VmRow {
  name: string;
  uuid: string | null;
  /** daemon mode: the VM's zone; offline rows carry `class` instead */
  zone?: string | null;
  class?: string | null;
  tenant: string | null;
  app: string | null;
  vcpus: number | null;
  memoryMiB: number | null;
  cpuCores: number | null;
  memoryUsedMiB: number | null;
  lastSeen: string | null;
  [field: string]: unknown;
}

const SORTS = ['name', 'cpu', 'memory', 'zone'] as const;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The daemon's VM view (router VmView + what the daemon adds) as a row; unknown fields are kept. */
function rowFromDaemon(v: Record<string, unknown>): VmRow {
  const lastSeen = typeof v.lastSeen === 'number' ? isoTime(v.lastSeen) : str(v.lastSeen);
  return {
    ...v,
    name: String(v.name),
    uuid: str(v.uuid),
    zone: str(v.zone),
    tenant: str(v.tenant),
    app: str(v.app),
    vcpus: num(v.vcpus),
    memoryMiB: num(v.memoryMiB),
    cpuCores: num(v.cpuCores),
    memoryUsedMiB: num(v.memoryUsedMiB),
    lastSeen,
  };
}

/** Offline rows: the shape `vms --db --json` has always printed (class, source, latestAt, ...). */
function offlineRows(db: string): VmRow[] {
  const store = openStoreForReading(db);
  try {
    return store.listVms().map((v) => ({
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
    }));
  } finally {
    store.close();
  }
}

/** vm-2 before vm-10, as the store lists them */
const NAME_ORDER = new Intl.Collator('en', { numeric: true });

function sortRows(rows: VmRow[], by: string): VmRow[] {
  const desc = (a: number | null, b: number | null) => (b ?? -Infinity) - (a ?? -Infinity);
  const sorted = [...rows];
  const byName = (a: VmRow, b: VmRow) => NAME_ORDER.compare(a.name, b.name);
  if (by === 'cpu') sorted.sort((a, b) => desc(a.cpuCores, b.cpuCores) || byName(a, b));
  else if (by === 'memory') sorted.sort((a, b) => desc(a.memoryUsedMiB, b.memoryUsedMiB) || byName(a, b));
  else if (by === 'zone') sorted.sort((a, b) => (a.zone ?? a.class ?? '~').localeCompare(b.zone ?? b.class ?? '~') || byName(a, b));
  else sorted.sort(byName);
  return sorted;
}

const pct = (part: number | null, whole: number | null) => (part === null || !whole ? null : (100 * part) / whole);

/** The offline table (unchanged since the first `vms --db`). */
function renderOfflineVms(rows: readonly VmRow[]): string {
  return renderTable(
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
    rows.map((v) => [
      v.name,
      v.class ?? '-',
      v.vcpus,
      fmtNum(v.memoryMiB, 0),
      fmtNum(v.cpuCores, 2),
      fmtNum(v.memoryUsedMiB, 0),
      v.lastSeen ? fmtTime(Date.parse(v.lastSeen) / 1000) : '-',
      String(v.source ?? '-'),
    ]),
  );
}

/** The daemon's view, laid out like virt-top: size, use and share of each VM. */
function renderVms(rows: readonly VmRow[]): string {
  return renderTable(
    [
      { header: 'Name' },
      { header: 'Zone' },
      { header: 'vCPUs', align: 'right' },
      { header: 'CPU cores', align: 'right' },
      { header: '%CPU', align: 'right' },
      { header: 'Memory MiB', align: 'right' },
      { header: 'Used MiB', align: 'right' },
      { header: '%Mem', align: 'right' },
      { header: 'Tenant' },
      { header: 'App' },
    ],
    rows.map((v) => [
      v.name,
      v.zone ?? '-',
      v.vcpus,
      fmtNum(v.cpuCores, 2),
      fmtNum(pct(v.cpuCores, v.vcpus), 0),
      fmtNum(v.memoryMiB, 0),
      fmtNum(v.memoryUsedMiB, 0),
      fmtNum(pct(v.memoryUsedMiB, v.memoryMiB), 0),
      v.tenant ?? '-',
      v.app ?? '-',
    ]),
  );
}

export function registerVms(program: Command): void {
  const cmd = program
    .command('vms')
    .description('list VMs with their zone, size and latest usage (like virt-top)')
    .option('--db <file>', 'read this virtzone database file instead of asking the daemon (offline)')
    .option('--watch [seconds]', 'refresh every SECONDS (default 3) until interrupted, like virt-top')
    .option('--count <n>', 'with --watch: stop after N refreshes')
    .addOption(new Option('--sort <by>', 'order rows by (cpu and memory: highest first)').choices(SORTS).default('name'))
    .option('--json', 'print JSON (an array of VMs) instead of a table; with --watch one line per refresh');
  addConnectionOptions(cmd)
    .addHelpText(
      'after',
      `
Examples:
  virtzone vms                          ask the daemon on /run/virtzone/virtzoned.sock
  virtzone vms --watch 2 --sort cpu     refresh every 2 s, busiest first (Ctrl-C stops)
  virtzone vms --json | jq '.[] | select(.zone == "gold") | .name'
  virtzone vms --db /var/lib/virtzone/virtzone.db   offline, from a database file`,
    )
    .action(async (opts: VmsOptions) => {
      if (opts.db !== undefined && (opts.socket !== undefined || opts.url !== undefined)) throw usageError('--db reads a file offline: drop --socket/--url, or drop --db to ask the daemon');
      const interval = parseWatch(opts.watch);
      const count = parseCount(opts.count, interval);
      const client = opts.db === undefined ? DaemonClient.fromOptions(opts) : undefined;
      const fetchRows = async (): Promise<VmRow[]> =>
        client ? (await client.get<Array<Record<string, unknown>>>('/v1/vms')).map(rowFromDaemon) : offlineRows(opts.db!);
      const show = async () => {
        const rows = sortRows(await fetchRows(), opts.sort);
        if (opts.json) return interval === null ? JSON.stringify(rows, null, 2) + '\n' : JSON.stringify({ time: new Date().toISOString(), vms: rows }) + '\n';
        const title = interval === null ? '' : `virtzone vms - ${new Date().toISOString().replace('T', ' ').slice(0, 19)} UTC - ${rows.length} VMs (every ${interval} s)\n\n`;
        return title + (client ? renderVms(rows) : renderOfflineVms(rows));
      };
      if (interval === null) {
        const text = await show();
        if (opts.json) printJson(JSON.parse(text));
        else process.stdout.write(text);
        return;
      }
      await watchLoop(show, { intervalSeconds: interval, count, clear: !opts.json && process.stdout.isTTY === true });
    });
}
