// The `virtzone` program: the subcommand registry and main(), apart from the entry
// (cli/virtzone.ts) so a caller can load the whole CLI before running it. Each subcommand
// lives in cli/commands/<name>.ts and exports register<Name>(program); add a command with
// one import and one call below. Exit codes are documented in cli/output.ts
// (0 ok, 1 runtime error, 2 usage/bad input, 3 daemon unreachable, 4 placement rejected).
import { Command, CommanderError } from 'commander';
import { CliError, ExitCode } from './output.js';
import { registerVms } from './commands/vms.js';
import { registerVm } from './commands/vm.js';
import { registerAudit } from './commands/audit.js';
import { registerHistory } from './commands/history.js';
import { registerImportTrace } from './commands/import-trace.js';
import { registerStatus } from './commands/status.js';
import { registerZones } from './commands/zones.js';
import { registerForecast } from './commands/forecast.js';
import { registerPlace } from './commands/place.js';
import { registerPlan } from './commands/plan.js';
import { registerApply } from './commands/apply.js';
import { registerMode } from './commands/mode.js';
import { registerTrain } from './commands/train.js';
import { registerCompletion } from './commands/completion.js';
import { registerBacktest } from './commands/backtest.js';
import { registerSimulate } from './commands/simulate.js';
import { registerTemplates } from './commands/templates.js';
import { registerReconcile } from './commands/reconcile.js';
import { registerBackup } from './commands/backup.js';
import { registerDashboard } from './commands/dashboard.js';

export function buildProgram(): Command {
  const program = new Command('virtzone')
    .description('operate virtzone: forecast-driven availability zones for a KVM/libvirt host')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride(); // inherited by subcommands registered below
  registerStatus(program);
  registerZones(program);
  registerVms(program);
  registerVm(program);
  registerHistory(program);
  registerForecast(program);
  registerPlace(program);
  registerTemplates(program);
  registerReconcile(program);
  registerPlan(program);
  registerApply(program);
  registerMode(program);
  registerAudit(program);
  registerTrain(program);
  registerImportTrace(program);
  registerBacktest(program);
  registerSimulate(program);
  registerBackup(program);
  registerDashboard(program);
  registerCompletion(program); // reads the whole tree when run, so order does not matter
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    // a command that printed its output and still failed (status: failing) set the code
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version end "with an error" in exitOverride mode; commander printed the message
      return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    const name = program.args[0] ? `virtzone ${program.args[0]}` : 'virtzone';
    if (err instanceof CliError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env.VIRTZONE_DEBUG) process.stderr.write(`${(err as Error).stack ?? ''}\n`);
    return ExitCode.RUNTIME;
  }
}
