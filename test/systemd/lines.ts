// Test helper: a child process whose stdout is JSON lines, with waits on those lines.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface LineProcess {
  child: ChildProcess;
  lines: Array<Record<string, any>>;
  stderr: () => string;
  /** Resolves with the first line (at index >= from) matching; rejects after timeoutMs. */
  waitFor(match: (line: Record<string, any>) => boolean, timeoutMs?: number, from?: number): Promise<Record<string, any>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
}

export function spawnLines(cmd: string, args: string[], options: SpawnOptions = {}): LineProcess {
  const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<Record<string, any>> = [];
  const waiters: Array<() => void> = [];
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  createInterface({ input: child.stdout! }).on('line', (text) => {
    try {
      lines.push(JSON.parse(text));
    } catch {
      lines.push({ text });
    }
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      for (const w of waiters.splice(0)) w();
      resolve({ code, signal });
    }),
  );
  return {
    child,
    lines,
    stderr: () => err,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    waitFor(match, timeoutMs = 10000, from = 0) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`timed out after ${timeoutMs} ms; lines so far:\n${lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr: ${err}`));
        }, timeoutMs);
        const check = () => {
          const found = lines.slice(from).find(match);
          if (found) {
            clearTimeout(timer);
            resolve(found);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            reject(new Error(`process exited (${child.exitCode ?? child.signalCode}) before the line came; lines:\n${lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr: ${err}`));
          } else {
            waiters.push(check);
          }
        };
        check();
      });
    },
  };
}
