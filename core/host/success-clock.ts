// A HostAdapter that reports each call that succeeded: the freshest evidence that libvirt
// answers. A connection object can claim to be alive while libvirtd is stopped or wedged
// (a local socket stays open); the age of the last successful call cannot.
import { decorateCalls } from './decorate.js';
import type { HostAdapter } from './types.js';

/** `host`, calling `onSuccess()` whenever one of its libvirt calls resolves. */
export function reportSuccesses(host: HostAdapter, onSuccess: () => void): HostAdapter {
  return decorateCalls(host, (_name, run) => {
    const out = run();
    out.then(onSuccess, () => undefined);
    return out;
  });
}
