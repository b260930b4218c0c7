// Store.appUseBuckets in a worker thread (app-use-worker.ts): what AppProfileCache reads
// the daemon's app history with.
import { startModuleWorker } from '../worker/start.js';
import type { AppUseRequest } from './app-use-worker.js';
import type { AppUseBucketRow } from './app-use-queries.js';

type Reply = { ok: true; rows: AppUseBucketRow[] } | { ok: false; error: string };

export function readAppUseBuckets(path: string, since: number, buckets: number): Promise<AppUseBucketRow[]> {
  return new Promise((resolve, reject) => {
    const worker = startModuleWorker(new URL('./app-use-worker', import.meta.url), { workerData: { path, since, buckets } satisfies AppUseRequest });
    let settled = false;
    worker.once('message', (m: Reply) => {
      settled = true;
      if (m.ok) resolve(m.rows);
      else reject(new Error(`reading app history: ${m.error}`));
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`reading app history: worker exited with code ${code}`));
    });
  });
}
