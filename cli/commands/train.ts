// virtzone train [--series KEY ...] [--json]: train the forecasting models now
// (POST /v1/train) and show a progress bar while the run goes, polling GET /v1/train.
// Exit 0 when the run finished and its models are in use, 1 when it failed (the last good
// model stays in use), 3 when the daemon cannot be reached.
import type { Command } from 'commander';
import { addConnectionOptions, DaemonClient, problemError, type ConnectionOptions } from '../client.js';
import { CliError, ExitCode, fmtTime, printJson, usageError } from '../output.js';
import { describeTraining, type TrainStatusReply } from './status.js';

interface TrainOptions extends ConnectionOptions {
  series: string[];
  json?: boolean;
  poll: string;
}

const collect = (value: string, previous: string[]) => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];

/** `[#########-----------]  45%  lstm fit 9/20` (width: the bar's cells). */
function progressBar(s: TrainStatusReply | undefined, elapsedSeconds: number, width = 30): string {
  const p = s?.running?.progress;
  const clock = `${Math.floor(elapsedSeconds / 60)}:${String(Math.floor(elapsedSeconds % 60)).padStart(2, '0')}`;
  if (!p || !p.total) return `[${'.'.repeat(width)}]  starting  ${clock}`;
  const frac = Math.min(1, Math.max(0, (p.done ?? 0) / p.total));
  const full = Math.round(frac * width);
  const what = [p.model, p.phase].filter(Boolean).join(' ');
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${String(Math.floor(frac * 100)).padStart(3)}%  ${what} ${p.done ?? 0}/${p.total}  ${clock}`;
}

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('train the forecasting models now, with a progress bar')
    .option('--series <key>', 'train only this series (class:gold, vm:web-1, ...); repeatable or comma-separated', collect, [])
    .option('--poll <seconds>', 'how often to ask for progress', '0.5')
    .option('--json', 'print the outcome as JSON (progress still goes to stderr on a terminal)');
  addConnectionOptions(cmd)
    .addHelpText(
      'after',
      `
Training runs in the daemon (a worker thread); this command starts it and follows it. If a
run is already going, it follows that one. Ctrl-C stops following, not the run.

Exit status: 0 trained, 1 the run failed (the last good model stays in use), 3 the daemon
cannot be reached.

Examples:
  virtzone train
  virtzone train --series class:gold,class:silver
  virtzone train --json | jq .status.lastGood`,
    )
    .action(async (opts: TrainOptions) => {
      const poll = Number(opts.poll);
      if (!Number.isFinite(poll) || poll < 0.05 || poll > 60) throw usageError(`--poll: ${JSON.stringify(opts.poll)} is not a number of seconds between 0.05 and 60`);
      const client = DaemonClient.fromOptions(opts);
      const status = async (): Promise<TrainStatusReply | undefined> => {
        const r = await client.request<TrainStatusReply>('GET', '/v1/train');
        if (r.status === 404) return undefined; // a daemon that does not report progress
        if (r.status >= 300) throw problemError(r.status, r.body);
        return r.body;
      };
      const before = await status();
      const beforeGood = before?.lastGood?.id ?? 0;
      const beforeFailure = before?.lastFailure?.id ?? 0;
      const started = Date.now();
      const tty = process.stderr.isTTY === true;
      let lastLine = '';
      const draw = (s: TrainStatusReply | undefined) => {
        const line = progressBar(s, (Date.now() - started) / 1000);
        if (tty) process.stderr.write(`\r${line}\x1b[K`);
        else {
          // in a log, one line per phase rather than one per poll
          const phase = line.replace(/\s+\d+:\d\d$/, '').replace(/\[[#.-]+\]\s+\d+%\s+/, '').replace(/ \d+\/\d+$/, '');
          if (phase !== lastLine) process.stderr.write(`${line}\n`);
          lastLine = phase;
        }
      };
      // the POST may answer at once (run started) or when the run ends: follow both ways
      let posted: { body?: Record<string, unknown>; error?: unknown } | undefined;
      const post = client
        .request<Record<string, unknown>>('POST', '/v1/train', { body: opts.series.length ? { series: opts.series } : {}, timeoutMs: 0 })
        .then((r) => {
          posted = r.status >= 300 ? { error: problemError(r.status, r.body) } : { body: r.body };
        })
        .catch((error: unknown) => {
          posted = { error };
        });
      let last = before;
      let runId: number | undefined;
      while (true) {
        await Promise.race([post, new Promise((r) => setTimeout(r, poll * 1000))]);
        if (posted?.error) break;
        if (before !== undefined) {
          last = await status();
          runId ??= last?.running?.runId ?? (typeof posted?.body?.runId === 'number' ? (posted.body.runId as number) : undefined);
          const ours = last?.running && (runId === undefined || last.running.runId === runId);
          if (ours) draw(last);
          if (posted && !ours) break;
        } else if (posted) break;
      }
      if (tty) process.stderr.write('\r\x1b[K');
      if (posted?.error) throw posted.error;
      const final = before === undefined ? undefined : await status();
      const failed =
        final?.lastFailure && (final.lastFailure.id ?? 0) > beforeFailure && (runId === undefined || final.lastFailure.id === runId)
          ? final.lastFailure
          : undefined;
      const good = final?.lastGood && (final.lastGood.id ?? 0) > beforeGood ? final.lastGood : undefined;
      const seconds = Math.round((Date.now() - started) / 100) / 10;
      if (opts.json) printJson({ result: posted?.body ?? null, status: final ?? null, failed: failed !== undefined, seconds });
      if (failed) throw new CliError(`training run ${failed.id ?? '?'} failed: ${failed.error ?? 'unknown error'} (the last good model stays in use)`, ExitCode.RUNTIME);
      if (opts.json) return;
      const lines = [`Trained in ${seconds} s.`];
      if (good) lines.push(`Run ${good.id ?? '?'} finished ${fmtTime(good.finishedAt ?? null)} UTC; its models are in use.`);
      if (final) lines.push(`Training: ${describeTraining(final)}`);
      else if (posted?.body) lines.push(JSON.stringify(posted.body));
      process.stdout.write(lines.join('\n') + '\n');
    });
}
