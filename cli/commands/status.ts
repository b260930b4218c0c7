// virtzone status [--json]: is the daemon up, is libvirt connected, how old is the model,
// observe or enforce and what each class still lacks,
// and the zones at a glance (GET /healthz, /v1/zones, /v1/vms, /v1/train).
// Exit 0 when the daemon is ok or degraded (model missing or stale), 1 when it reports
// failing (libvirt or the store down), 3 when it cannot be reached.
import type { Command } from 'commander';
import { addConnectionOptions, DaemonClient, describeTarget, problemError, type ConnectionOptions } from '../client.js';
import { ExitCode, fmtNum, fmtTime, printJson, renderTable } from '../output.js';
import { zoneState, type ZoneReply } from './zones.js';
import { renderMode, type ModeReply } from './mode.js';

interface Check {
  ok: boolean;
  detail: string;
}

export interface HealthReply {
  status: 'ok' | 'degraded' | 'failing';
  checks: { libvirt: Check; store: Check; model: Check; zones?: Check };
}

/** What GET /v1/train answers when the daemon reports training (forecaster RoutineStatus); every field optional. */
export interface TrainStatusReply {
  running?: { runId?: number; startedAt?: number; trigger?: string; progress?: { model?: string; phase?: string; done?: number; total?: number } | null } | null;
  lastGood?: { id?: number; finishedAt?: number | null; startedAt?: number } | null;
  lastFailure?: { id?: number; finishedAt?: number | null; error?: string | null } | null;
  nextRun?: number | null;
  [field: string]: unknown;
}

/** GET that yields undefined on 404 (an optional endpoint of an older daemon). */
async function optional<T>(client: DaemonClient, path: string): Promise<T | undefined> {
  const r = await client.request<T>('GET', path);
  if (r.status === 404) return undefined;
  if (r.status >= 300) throw problemError(r.status, r.body);
  return r.body;
}

const mark = (c: Check) => (c.ok ? 'ok' : 'FAIL');

export function registerStatus(program: Command): void {
  const cmd = program
    .command('status')
    .description('daemon health, libvirt connection, model age and the zones at a glance')
    .option('--json', 'print JSON instead of text');
  addConnectionOptions(cmd)
    .addHelpText(
      'after',
      `
Exit status: 0 ok or degraded (no model yet, or a stale one), 1 failing (libvirt or the
store is down), 3 the daemon cannot be reached (not running, or no permission).

Examples:
  virtzone status
  virtzone status --json | jq -r .health.status
  virtzone status --url http://127.0.0.1:8750 --token-file /etc/virtzone/api-token`,
    )
    .action(async (opts: ConnectionOptions & { json?: boolean }) => {
      const client = DaemonClient.fromOptions(opts);
      const h = await client.request<HealthReply>('GET', '/healthz');
      if ((h.status !== 200 && h.status !== 503) || !h.body?.checks) throw problemError(h.status, h.body);
      const health = h.body;
      // a failing daemon may still answer the rest; if not, the health report alone is shown
      const [zones, vms, training, mode] = await Promise.all([
        client.get<ZoneReply[]>('/v1/zones').catch(() => undefined),
        client.get<unknown[]>('/v1/vms').catch(() => undefined),
        optional<TrainStatusReply>(client, '/v1/train').catch(() => undefined),
        optional<ModeReply>(client, '/v1/mode').catch(() => undefined),
      ]);
      if (health.status === 'failing') process.exitCode = ExitCode.RUNTIME;
      if (opts.json) {
        printJson({
          daemon: { reachable: true, at: describeTarget(client.target) },
          health,
          vms: vms?.length ?? null,
          training: training ?? null,
          mode: mode ?? null,
          zones:
            zones?.map((z) => ({
              name: z.name,
              allocation: z.allocation,
              used: z.used,
              forecastPeak: z.forecastPeak ?? null,
              vms: z.vms.length,
              state: zoneState(z),
            })) ?? null,
        });
        return;
      }
      const lines: Array<[string, string]> = [
        ['Daemon', `${health.status} (${describeTarget(client.target)})`],
        ['libvirt', `${mark(health.checks.libvirt)}  ${health.checks.libvirt.detail}`],
        ['Store', `${mark(health.checks.store)}  ${health.checks.store.detail}`],
        ['Model', `${health.checks.model.ok ? 'ok' : 'not ok'}  ${health.checks.model.detail}`],
      ];
      if (health.checks.zones) lines.push(['Zones', `${health.checks.zones.ok ? 'ok' : 'NOT ENFORCED'}  ${health.checks.zones.detail}`]);
      if (training) lines.push(['Training', describeTraining(training)]);
      if (vms) lines.push(['VMs', String(vms.length)]);
      const w = Math.max(...lines.map(([k]) => k.length)) + 2;
      let text = lines.map(([k, v]) => `${(k + ':').padEnd(w)}${v}`).join('\n') + '\n';
      if (mode) text += '\n' + renderMode(mode);
      if (zones?.length) {
        text +=
          '\n' +
          renderTable(
            [
              { header: 'Zone' },
              { header: 'CPU used/size (cores)', align: 'right' },
              { header: 'Memory used/size (MiB)', align: 'right' },
              { header: 'VMs', align: 'right' },
              { header: 'State' },
            ],
            zones.map((z) => [
              z.name,
              `${fmtNum(z.used.cpuCores, 2)} / ${fmtNum(z.allocation.cpuCores, 2)}`,
              `${fmtNum(z.used.memoryMiB, 0)} / ${fmtNum(z.allocation.memoryMiB, 0)}`,
              z.vms.length,
              zoneState(z),
            ]),
          );
      } else if (zones) {
        text += '\nNo zones yet (the daemon has no plan: is libvirt connected?)\n';
      }
      process.stdout.write(text);
    });
}

export function describeTraining(s: TrainStatusReply): string {
  const parts: string[] = [];
  const r = s.running;
  if (r) {
    const p = r.progress;
    const pctText = p && p.total ? ` ${Math.floor((100 * (p.done ?? 0)) / p.total)}% (${p.model ?? ''} ${p.phase ?? ''})`.replace(/\s+\)/, ')') : '';
    parts.push(`running (run ${r.runId ?? '?'}, ${r.trigger ?? 'manual'})${pctText}`);
  } else parts.push('idle');
  if (s.lastGood) parts.push(`last good run ${s.lastGood.id ?? '?'} finished ${fmtTime(s.lastGood.finishedAt ?? null)} UTC`);
  if (s.lastFailure && (!s.lastGood || (s.lastFailure.id ?? 0) > (s.lastGood.id ?? 0))) parts.push(`last run failed: ${s.lastFailure.error ?? 'unknown error'}`);
  if (s.nextRun) parts.push(`next ${fmtTime(s.nextRun)} UTC`);
  return parts.join('; ');
}
