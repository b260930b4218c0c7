// Puts tfjs on its WebAssembly backend once per process (or worker thread). SIMD is used
// when the runtime has it; tfjs keeps its wasm threads off under Node
// (tensorflow/tfjs#3830), so training runs single-threaded — the daemon runs it in a
// worker_thread to keep its own event loop free. tfjs-node is not available here.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface BackendInfo {
  backend: string;
  simd: boolean;
  threads: boolean;
}

let ready: Promise<BackendInfo> | undefined;

export function initTensorflow(): Promise<BackendInfo> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
    setWasmPaths(dist);
    // production mode: no per-op NaN checks, no console warnings (e.g. the tfjs-node banner)
    tf.enableProdMode();
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend could not be initialised');
    await tf.ready();
    return {
      backend: tf.getBackend(),
      simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
      threads: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
    };
  })();
  return ready;
}

export { tf };
