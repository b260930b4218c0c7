// The training run inside a worker_thread: tfjs' wasm backend is single-threaded and a
// run takes minutes, so it must not share the daemon's event loop (the API and the
// collector keep their latency). The worker only computes; the daemon stores the result.
import { parentPort, workerData } from 'node:worker_threads';
import { trainForecast } from '../train.js';
import type { TrainRequest, WorkerMessage } from './messages.js';

const port = parentPort;
if (!port) throw new Error('train-worker: must run as a worker_thread');
const abort = new AbortController();
port.on('message', (m: { type: string }) => {
  if (m.type === 'abort') abort.abort();
});

const req = workerData as TrainRequest;
const send = (m: WorkerMessage, transfer: Transferable[] = []) => port.postMessage(m, transfer as never);
try {
  const { trained } = await trainForecast(req.series, {
    lstm: req.lstm,
    signal: abort.signal,
    now: () => req.now,
    onProgress: (e) => send({ type: 'progress', model: e.model, phase: e.phase, done: e.done, total: e.total, ...('detail' in e && e.detail ? { detail: e.detail } : {}) }),
  });
  const weights = trained.models.flatMap((m) => (m.weights ? [m.weights.buffer as ArrayBuffer] : []));
  send({ type: 'done', trained }, weights);
} catch (err) {
  send({ type: 'error', message: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined });
}
port.close();
