// Shared bits of the host tests: the fixture URI and waiting for host events.
import { fileURLToPath } from 'node:url';
import type { HostAdapter, HostEvent } from '../../core/host/types.js';

export const FIXTURE = fileURLToPath(new URL('../fixtures/host.xml', import.meta.url));
/** Every open of a test:// URI gets a fresh copy of the file's state. */
export const FIXTURE_URI = `test://${FIXTURE}`;

/** The fixture's domains (see scripts/gen-test-host.ts --domains 7 --shut-off 1). */
export const RUNNING = ['gold-web-01', 'silver-db-02', 'bronze-cache-03', 'gold-batch-04', 'silver-api-05', 'bronze-web-06'];
export const SHUT_OFF = ['gold-db-07'];

/** Resolves with the first event matching `pred`, or rejects after timeoutMs. */
export function nextEvent(host: HostAdapter, pred: (e: HostEvent) => boolean, timeoutMs = 5000): Promise<HostEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching host event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = host.onEvent((e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}
