// A day and more of history for the e2e guests, written into the daemon's database through
// the store's own API before the daemon starts, as the collector would have written it:
// the partitioner only shrinks a VM below its provisioned size with a day of its own
// samples (partitioner.minHistoryHours), so the e2e replays one instead of waiting a day.
import { Store } from '../../core/store/store.js';
import { virsh } from './libvirtd.js';

export interface ReplayedGuest {
  name: string;
  cls: string;
  /** cores used in every replayed sample */
  cpuCores: number;
  /** MiB used in every replayed sample */
  memoryMiB: number;
}

/** `hours` of 5-minute samples ending a minute ago, for guests that exist in libvirt (their uuid and size read from it). */
export async function replayHistory(dbPath: string, guests: readonly ReplayedGuest[], hours: number): Promise<void> {
  const known = await Promise.all(
    guests.map(async (g) => {
      const info = Object.fromEntries(
        (await virsh('dominfo', g.name))
          .split('\n')
          .map((l) => l.split(/:\s+/, 2))
          .filter((kv) => kv.length === 2),
      );
      return { ...g, uuid: info.UUID, vcpus: Number(info['CPU(s)']), currentMiB: Number(String(info['Used memory']).split(' ')[0]) / 1024 };
    }),
  );
  const store = Store.open(dbPath);
  try {
    const end = Math.floor(Date.now() / 1000) - 60;
    for (let ts = end - hours * 3600; ts <= end; ts += 300) {
      store.recordTick(
        ts,
        known.map((g) => ({
          sample: { vm: g.name, uuid: g.uuid, ts, cpuCores: g.cpuCores, memoryMiB: g.memoryMiB, vcpus: g.vcpus, memoryCurrentMiB: g.currentMiB, netRxBps: 0, netTxBps: 0, blockRdBps: 0, blockWrBps: 0 },
          class: g.cls,
          tenant: 'e2e',
          app: 'e2e-test',
          vcpus: g.vcpus,
          memoryMiB: g.currentMiB,
        })),
      );
    }
  } finally {
    store.close();
  }
}
