// Worker thread: reads the app use buckets (Store.appUseBuckets) from its own read-only
// connection, so the weeks of rollups it scans never block the daemon's event loop
// (WAL lets it read while the collector writes).
import { parentPort, workerData } from 'node:worker_threads';
import { Store } from './store.js';

export interface AppUseRequest {
  path: string;
  since: number;
  buckets: number;
}

const req = workerData as AppUseRequest;
try {
  const store = Store.openReadOnly(req.path);
  try {
    parentPort!.postMessage({ ok: true, rows: store.appUseBuckets(req.since, req.buckets) });
  } finally {
    store.close();
  }
} catch (err) {
  parentPort!.postMessage({ ok: false, error: (err as Error).message });
}
