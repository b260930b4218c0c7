// virtzone mode [observe|enforce] [--reason TEXT] [--json]: the daemon's mode and what each
// class still lacks before enforce makes sense (GET /v1/mode); with a mode, switches to it
// (POST /v1/mode, admin; audited, and it holds across restarts until the config's mode key
// changes).
import type { Command } from 'commander';
import { addConnectionOptions, DaemonClient, type ConnectionOptions } from '../client.js';
import { fmtTime, printJson, usageError } from '../output.js';

export interface ModeReply {
  mode: 'observe' | 'enforce';
  source: 'config' | 'api';
  configMode: 'observe' | 'enforce';
  by: string;
  since: number;
  changed?: boolean;
  classes: Array<{ class: string; historyDays: number; neededDays: number; model: string | null; missing: string[]; ready: boolean }>;
  wouldDo: { at: number; actions: Array<Record<string, unknown>> } | null;
}

export function registerMode(program: Command): void {
  const cmd = program
    .command('mode')
    .description('observe or enforce: show the mode and what each class still lacks, or switch it')
    .argument('[mode]', 'observe or enforce: switch to it (admin)')
    .option('--reason <text>', 'why, kept in the audit record')
    .option('--json', 'print JSON instead of text');
  addConnectionOptions(cmd)
    .addHelpText(
      'after',
      `
observe: the daemon collects, forecasts and plans, and reports what it would do, changing
nothing on VMs or cgroups (a fresh install starts here). enforce: plans are applied, the
auto-scaler acts and the zones' partitions are kept. A switch made here is audited and
holds across restarts until the config's mode key changes.

Examples:
  virtzone mode                              the mode, and what each class still lacks
  virtzone mode enforce --reason "a week of history, plan reviewed"
  virtzone mode observe --reason "maintenance"`,
    )
    .action(async (mode: string | undefined, opts: ConnectionOptions & { reason?: string; json?: boolean }) => {
      if (mode !== undefined && mode !== 'observe' && mode !== 'enforce') throw usageError(`mode: ${JSON.stringify(mode)} is not a mode: expected observe or enforce`);
      if (mode === undefined && opts.reason !== undefined) throw usageError('--reason: only with a mode to switch to');
      const client = DaemonClient.fromOptions(opts);
      const reply = mode === undefined ? await client.get<ModeReply>('/v1/mode') : await client.post<ModeReply>('/v1/mode', { mode, ...(opts.reason ? { reason: opts.reason } : {}) });
      if (opts.json) return printJson(reply);
      let text = mode !== undefined ? (reply.changed ? `Switched to ${reply.mode}.\n` : `Already ${reply.mode}: nothing changed.\n`) : '';
      text += renderMode(reply);
      process.stdout.write(text);
    });
}

/** The mode, who set it, and per class what is still missing (shared with `virtzone status`). */
export function renderMode(m: ModeReply): string {
  const who = m.source === 'api' ? `set by ${m.by} at ${fmtTime(m.since)} UTC; the config says ${m.configMode}` : `from the config since ${fmtTime(m.since)} UTC`;
  const lines = [`Mode: ${m.mode} (${who})`];
  if (m.mode === 'observe') lines.push('  nothing on VMs or cgroups is changed; `virtzone plan` shows what enforce would do');
  for (const c of m.classes) lines.push(`  ${c.class}: ${c.ready ? `ready (${c.historyDays} days of history, model ${c.model})` : `missing ${c.missing.join('; ')}`}`);
  if (m.wouldDo && m.wouldDo.actions.length > 0) {
    lines.push(`  the auto-scaler's last tick (${fmtTime(m.wouldDo.at)} UTC) would have done:`);
    for (const a of m.wouldDo.actions.slice(0, 10)) lines.push(`    ${describeAction(a)}`);
    if (m.wouldDo.actions.length > 10) lines.push(`    ... and ${m.wouldDo.actions.length - 10} more`);
  }
  return lines.join('\n') + '\n';
}

function describeAction(a: Record<string, unknown>): string {
  switch (a.kind) {
    case 'resize-vm':
      return `${a.direction} ${a.vm} (zone ${a.zone}) to ${a.vcpus} vCPUs, ${a.memoryMiB} MiB: ${a.reason}`;
    case 'transfer':
      return `move ${a.cpuCores} cores, ${a.memoryMiB} MiB from zone ${a.from} to ${a.to}: ${a.reason}`;
    case 'add-pool-member':
      return `start pool member ${a.name} in zone ${a.zone}: ${a.reason}`;
    case 'remove-pool-member':
      return `shut down pool member ${a.vm} in zone ${a.zone}: ${a.reason}`;
    default:
      return `${String(a.kind)} ${String(a.zone ?? '')}: ${String(a.reason ?? '')}`;
  }
}
