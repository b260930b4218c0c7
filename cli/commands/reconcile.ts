// virtzone reconcile [--dry-run] [--json]: settle what interrupted VM creations left
// (POST /v1/reconcile): bind domains that came up, remove ones that never ran, release
// reservations whose domain vanished; running guests without a reservation are only
// reported. Exit 0 when every action succeeded, 1 when one failed.
import type { Command } from 'commander';
import { addConnectionOptions, DaemonClient, type ConnectionOptions } from '../client.js';
import { CliError, ExitCode, printJson, printTable } from '../output.js';

interface ReconcileReply {
  applied: boolean;
  actions: Array<{ kind: string; reservation: string | null; domain: string | null; why: string; result: string; error?: string }>;
}

export function registerReconcile(program: Command): void {
  const cmd = program
    .command('reconcile')
    .description('settle interrupted VM creations and vanished domains (never removes a running guest)')
    .option('--dry-run', 'only show what would be done')
    .option('--json', "print the daemon's answer as JSON");
  addConnectionOptions(cmd, 120)
    .addHelpText(
      'after',
      `
The daemon also does this at start and every provisioning.reconcileIntervalSeconds.
Actions: bind (a creation stopped after its domain started), remove (a creation stopped
before its domain ran: the domain and root volume it made are removed), release (a
reservation whose domain is gone), report (a guest without a reservation of its own:
left running; destroy or confirm it yourself). Every applied action is in the audit log.`,
    )
    .action(async (opts: ConnectionOptions & { dryRun?: boolean; json?: boolean }) => {
      const reply = await DaemonClient.fromOptions(opts, 120).post<ReconcileReply>('/v1/reconcile', { apply: !opts.dryRun });
      if (opts.json) printJson(reply);
      else if (reply.actions.length === 0) process.stdout.write('nothing to reconcile\n');
      else {
        printTable(
          [{ header: 'Action' }, { header: 'Domain' }, { header: 'Reservation' }, { header: 'Result' }, { header: 'Why' }],
          reply.actions.map((a) => [a.kind, a.domain ?? '-', a.reservation ?? '-', a.error ? `${a.result}: ${a.error}` : a.result, a.why]),
        );
        if (!reply.applied) process.stdout.write('dry run: nothing was changed\n');
      }
      const failed = reply.actions.filter((a) => a.result === 'failed').length;
      if (failed > 0) throw new CliError(`${failed} reconcile action(s) failed`, ExitCode.RUNTIME);
    });
}
