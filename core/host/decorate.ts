// Building a HostAdapter that wraps every libvirt call of another one (deadlines, success
// tracking): the list of calls is typed against HostAdapter, so a call added there and
// not here fails the typecheck instead of silently going unwrapped.
import type { HostAdapter } from './types.js';

/** The HostAdapter members that are not libvirt calls (no I/O, or the adapter's own lifecycle). */
type NotACall = 'uri' | 'isAlive' | 'close' | 'onEvent';
export type HostCall = Exclude<keyof HostAdapter, NotACall>;

const CALL_SET: Record<HostCall, true> = {
  nodeInfo: true, listDomains: true, lookup: true, getXml: true, define: true, undefine: true, start: true, shutdown: true, destroy: true,
  allDomainStats: true, setVcpus: true, setMemory: true, getSchedulerParams: true, setSchedulerParams: true, getMemoryParams: true,
  setMemoryParams: true, getMetadata: true, setMetadata: true, lookupByUuid: true, lookupStoragePool: true, listStorageVolumes: true,
  lookupStorageVolume: true, createStorageVolume: true, deleteStorageVolume: true, listNetworks: true,
};
export const HOST_CALLS = Object.keys(CALL_SET) as readonly HostCall[];

/**
 * `host` with each libvirt call replaced by `wrap(name, run)`, where `run()` makes the
 * original call with the caller's arguments (all of them: implementations may take more
 * than the interface names, e.g. allDomainStats options). The rest passes through.
 */
export function decorateCalls(host: HostAdapter, wrap: (name: HostCall, run: () => Promise<unknown>) => Promise<unknown>): HostAdapter {
  const decorated = {
    get uri() {
      return host.uri;
    },
    isAlive: () => host.isAlive(),
    close: () => host.close(),
    onEvent: (listener) => host.onEvent(listener),
  } as HostAdapter;
  for (const name of HOST_CALLS) {
    (decorated as unknown as Record<string, unknown>)[name] = (...args: unknown[]) =>
      wrap(name, () => (host[name] as (...a: unknown[]) => Promise<unknown>).apply(host, args));
  }
  return decorated;
}
