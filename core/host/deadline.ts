// A HostAdapter whose calls each answer within a deadline: for work done on behalf of a
// request that someone is waiting for. A call that has not settled in time rejects with
// HostCallTimeout while the underlying libvirt call goes on running on its thread (it
// cannot be cancelled); the error carries a promise of its end, so a caller that must not
// act before the host has (e.g. a creation's bookkeeping) can wait for it.
import { HostCallTimeout } from './errors.js';
import { decorateCalls } from './decorate.js';
import type { HostAdapter } from './types.js';

/** `call` raced against `ms`; on expiry rejects with HostCallTimeout naming `operation`. */
export function raceDeadline<T>(call: Promise<T>, ms: number, uri: string, operation: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      reject(new HostCallTimeout(uri, operation, ms, call.then(() => undefined, () => undefined)));
    }, ms);
    call.then(
      (v) => {
        clearTimeout(timer);
        if (!expired) resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        if (!expired) reject(e);
      },
    );
  });
}

/** `host` with every libvirt call bounded by `ms` milliseconds (see the module comment). */
export function withDeadline(host: HostAdapter, ms: number): HostAdapter {
  if (!(ms > 0)) throw new RangeError('withDeadline: the deadline must be > 0 ms');
  return decorateCalls(host, (name, run) => raceDeadline(run(), ms, host.uri, name));
}
