// virtzone apply [--dry-run] [--json]: re-partition now (POST /v1/repartition): compute the
// plan from the latest forecasts and apply it — zone limits, partitions, per-VM steps
// (bounded, verified, audited, rolled back on failure). --dry-run shows it all without acting.
// Exit 0 when everything asked was done, 1 when a step failed or the apply aborted.
import type { Command } from 'commander';
import { addConnectionOptions, DaemonClient, type ConnectionOptions } from '../client.js';
import { ExitCode, printJson } from '../output.js';
import { applyFailed, renderPlan, type ApplyReply } from '../plan-view.js';

export function registerApply(program: Command): void {
  const cmd = program
    .command('apply')
    .description('re-partition now: apply the current plan to zones and VMs (--dry-run: only show it)')
    .option('--dry-run', 'compute the plan and the steps, change nothing')
    .option('--json', "print the daemon's report as JSON");
  addConnectionOptions(cmd, 600)
    .addHelpText(
      'after',
      `
Exit status: 0 when every step took effect, 1 when a step failed (it was rolled back) or a
failure aborted the rest, 3 when the daemon cannot be reached.

Examples:
  virtzone apply --dry-run      what would change, step by step
  virtzone apply                do it (each step is recorded in the audit log)
  virtzone apply --json | jq .report.vms.counts`,
    )
    .action(async (opts: ConnectionOptions & { dryRun?: boolean; json?: boolean }) => {
      const dryRun = opts.dryRun === true;
      const reply = await DaemonClient.fromOptions(opts, 600).post<ApplyReply>('/v1/repartition', { apply: !dryRun });
      if (!dryRun && applyFailed(reply)) process.exitCode = ExitCode.RUNTIME;
      if (opts.json) return printJson(reply);
      process.stdout.write((dryRun ? 'Dry run: nothing was changed.\n\n' : '') + renderPlan(reply, { applied: !dryRun }));
    });
}
