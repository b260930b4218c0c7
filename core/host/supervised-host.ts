// A HostAdapter that always speaks to the supervisor's current connection. Components
// that hold a HostAdapter for the daemon's lifetime (router, auto-scaler, apply) get
// this one, so a libvirtd restart is invisible to them: while the host is away every
// call rejects with HostUnavailableError, and after the reconnect calls go through again.
import type { HostSupervisor } from './supervisor.js';
import type { HostAdapter, HostEvent } from './types.js';

export function supervisedHost(supervisor: HostSupervisor): HostAdapter {
  const cur = (): HostAdapter => supervisor.current();
  return {
    get uri() {
      return supervisor.uri;
    },
    isAlive: () => supervisor.state === 'connected',
    // the supervisor owns the connection: closing it is the daemon's shutdown, not a component's
    close: async () => undefined,
    nodeInfo: () => cur().nodeInfo(),
    listDomains: () => cur().listDomains(),
    lookup: (name) => cur().lookup(name),
    getXml: (name, opts) => cur().getXml(name, opts),
    define: (xml) => cur().define(xml),
    undefine: (name) => cur().undefine(name),
    start: (name) => cur().start(name),
    shutdown: (name) => cur().shutdown(name),
    destroy: (name) => cur().destroy(name),
    allDomainStats: () => cur().allDomainStats(),
    setVcpus: (name, count, flags) => cur().setVcpus(name, count, flags),
    setMemory: (name, kib, flags) => cur().setMemory(name, kib, flags),
    getSchedulerParams: (name, flags) => cur().getSchedulerParams(name, flags),
    setSchedulerParams: (name, params, flags) => cur().setSchedulerParams(name, params, flags),
    getMemoryParams: (name, flags) => cur().getMemoryParams(name, flags),
    setMemoryParams: (name, params, flags) => cur().setMemoryParams(name, params, flags),
    getMetadata: (name, flags) => cur().getMetadata(name, flags),
    setMetadata: (name, xml, flags) => cur().setMetadata(name, xml, flags),
    lookupByUuid: (uuid) => cur().lookupByUuid(uuid),
    lookupStoragePool: (name) => cur().lookupStoragePool(name),
    listStorageVolumes: (pool) => cur().listStorageVolumes(pool),
    lookupStorageVolume: (pool, name) => cur().lookupStorageVolume(pool, name),
    createStorageVolume: (pool, xml, opts) => cur().createStorageVolume(pool, xml, opts),
    deleteStorageVolume: (pool, name) => cur().deleteStorageVolume(pool, name),
    listNetworks: () => cur().listNetworks(),
    onEvent: (listener: (e: HostEvent) => void) => supervisor.onHostEvent(listener),
  };
}
