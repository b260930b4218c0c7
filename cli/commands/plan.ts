// virtzone plan [--json]: what a re-partition would change now (GET /v1/plan): each zone's
// allocation now → new, and every per-VM change, as diff tables. Changes nothing.
import type { Command } from 'commander';
import { addConnectionOptions, DaemonClient, type ConnectionOptions } from '../client.js';
import { printJson } from '../output.js';
import { renderPlan, type ApplyReply } from '../plan-view.js';

export function registerPlan(program: Command): void {
  const cmd = program
    .command('plan')
    .description('show what a re-partition would change (zone sizes and per-VM changes), without acting')
    .option('--json', "print the daemon's plan and diff as JSON");
  addConnectionOptions(cmd)
    .addHelpText(
      'after',
      `
The plan is computed from the latest forecasts and the host's capacity: each class gets its
forecast peak plus a buffer, in priority order; general gets the rest. "now" is the
allocation in force, "new" what the plan gives; Shortfall is demand the host cannot cover.
A class without a forecast keeps its members' provisioned sizes, and no VM is planned below
its size before it has partitioner.minHistoryHours of its own samples (nor ever in a class
with neverShrink): the Why column gives each change's evidence, or why a shrink was kept.

Examples:
  virtzone plan
  virtzone plan --json | jq '.diff.vms | length'
  virtzone apply --dry-run     the same plan, plus the steps an apply would take`,
    )
    .action(async (opts: ConnectionOptions & { json?: boolean }) => {
      const reply = await DaemonClient.fromOptions(opts).get<ApplyReply>('/v1/plan');
      if (opts.json) return printJson(reply);
      process.stdout.write(renderPlan(reply, { applied: false }));
    });
}
