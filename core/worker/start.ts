// Starting a worker thread from a module next to the caller. Built, the compiled .js is
// there; from the source tree (tsx, tap) only the .ts is, and a worker does not inherit
// the parent's TypeScript loader for its entry, so a one-line bootstrap registers tsx in
// the worker first.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** `base` is the module URL without extension, e.g. new URL('./train-worker', import.meta.url). */
export function startModuleWorker(base: URL, opts: WorkerOptions): Worker {
  const js = new URL(`${base.href}.js`);
  if (existsSync(fileURLToPath(js))) return new Worker(js, opts);
  const tsx = import.meta.resolve('tsx/esm/api');
  const ts = `${base.href}.ts`;
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(ts)}); })`, { ...opts, eval: true });
}
