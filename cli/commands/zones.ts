// virtzone zones [ZONE] [--json]: every zone's size, use, forecast peak, headroom and
// state, highest priority first (GET /v1/zones, or /v1/zones/{zone}).
import type { Command } from 'commander';
import { addConnectionOptions, DaemonClient, type ConnectionOptions } from '../client.js';
import type { Resources } from '../../core/model/types.js';
import { fmtNum, printJson, renderTable } from '../output.js';


/** One zone as GET /v1/zones answers (router/schemas/reads.ts ZoneView). */
export interface ZoneReply {
  name: string;
  rank: number;
  partition: string;
  allocation: Resources;
  provisioned: Resources;
  used: Resources;
  forecastPeak?: Resources;
  reserved: Resources;
  overflowReserved: Resources;
  free: Resources;
  reservations: number;
  vms: string[];
  exhausted: boolean;
  state?: string;
}

/** What the zone can still take: its size less the larger of its use and its forecast peak. */
export function headroom(z: ZoneReply): Resources {
  return {
    cpuCores: z.allocation.cpuCores - Math.max(z.used.cpuCores, z.forecastPeak?.cpuCores ?? 0),
    memoryMiB: z.allocation.memoryMiB - Math.max(z.used.memoryMiB, z.forecastPeak?.memoryMiB ?? 0),
  };
}

export function zoneState(z: ZoneReply): string {
  return z.state ?? (z.exhausted ? 'exhausted' : '-');
}

function renderZones(zones: readonly ZoneReply[]): string {
  return renderTable(
    [
      { header: 'Zone' },
      { header: 'Size\ncores', align: 'right' },
      { header: 'Used\ncores', align: 'right' },
      { header: 'Peak\ncores', align: 'right' },
      { header: 'Headroom\ncores', align: 'right' },
      { header: 'Size\nMiB', align: 'right' },
      { header: 'Used\nMiB', align: 'right' },
      { header: 'Peak\nMiB', align: 'right' },
      { header: 'Headroom\nMiB', align: 'right' },
      { header: 'VMs', align: 'right' },
      { header: 'State' },
    ],
    zones.map((z) => {
      const room = headroom(z);
      return [
        z.name,
        fmtNum(z.allocation.cpuCores, 2),
        fmtNum(z.used.cpuCores, 2),
        fmtNum(z.forecastPeak?.cpuCores, 2),
        fmtNum(room.cpuCores, 2),
        fmtNum(z.allocation.memoryMiB, 0),
        fmtNum(z.used.memoryMiB, 0),
        fmtNum(z.forecastPeak?.memoryMiB, 0),
        fmtNum(room.memoryMiB, 0),
        z.vms.length,
        zoneState(z),
      ];
    }),
  );
}

export function registerZones(program: Command): void {
  const cmd = program
    .command('zones')
    .description("show each zone's size, use, forecast peak, headroom and state")
    .argument('[zone]', 'only this zone (a class name or general)')
    .option('--json', 'print JSON (the daemon\'s zone views plus headroom) instead of a table');
  addConnectionOptions(cmd)
    .addHelpText(
      'after',
      `
Columns: Size is the zone's allocation, Used the latest measured use of its VMs, Peak the
forecast peak over the planning horizon, Headroom = Size - max(Used, Peak). State is
exhausted (the auto-scaler has nothing left to give it), hot (above autoscaler.highWater),
cold (below lowWater), ok, or empty.

Examples:
  virtzone zones
  virtzone zones gold --json | jq .free`,
    )
    .action(async (zone: string | undefined, opts: ConnectionOptions & { json?: boolean }) => {
      const client = DaemonClient.fromOptions(opts);
      const zones = zone === undefined ? await client.get<ZoneReply[]>('/v1/zones') : [await client.get<ZoneReply>(`/v1/zones/${encodeURIComponent(zone)}`)];
      if (opts.json) {
        const withRoom = zones.map((z) => ({ ...z, headroom: headroom(z), state: zoneState(z) }));
        printJson(zone === undefined ? withRoom : withRoom[0]);
        return;
      }
      process.stdout.write(renderZones(zones));
    });
}
