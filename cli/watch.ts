// `--watch [SECONDS]` for commands that can refresh, like virt-top or watch(1): redraw the
// screen in a terminal, append one frame per refresh otherwise (a pipe or a log file),
// stop on Ctrl-C (exit 0) or after --count refreshes.
import { usageError } from './output.js';

const DEFAULT_WATCH_SECONDS = 3;

/** null when --watch was not given; the refresh interval in seconds otherwise. */
export function parseWatch(value: string | true | undefined): number | null {
  if (value === undefined) return null;
  if (value === true) return DEFAULT_WATCH_SECONDS;
  const s = Number(value);
  if (!Number.isFinite(s) || s < 0.1 || s > 86_400) throw usageError(`--watch: ${JSON.stringify(value)} is not a number of seconds between 0.1 and 86400`);
  return s;
}

export function parseCount(value: string | undefined, interval: number | null): number | null {
  if (value === undefined) return null;
  if (interval === null) throw usageError('--count: only with --watch');
  if (!/^[1-9]\d{0,8}$/.test(value)) throw usageError(`--count: ${JSON.stringify(value)} is not a positive whole number`);
  return Number(value);
}

const CLEAR = '\x1b[H\x1b[2J';

export async function watchLoop(
  frame: () => Promise<string>,
  opts: { intervalSeconds: number; count: number | null; clear: boolean; out?: NodeJS.WritableStream },
): Promise<void> {
  const out = opts.out ?? process.stdout;
  let stop = false;
  let wake: (() => void) | undefined;
  const onSignal = () => {
    stop = true;
    wake?.();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (let n = 0; !stop && (opts.count === null || n < opts.count); n++) {
      if (n > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, opts.intervalSeconds * 1000);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        if (stop) break;
      }
      const text = await frame();
      out.write(opts.clear ? CLEAR + text : (n > 0 && !text.startsWith('{') ? '\n' : '') + text);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
