// A day and more of history for the e2e guests, written into the daemon's database before
// it starts (test/fixtures/history.ts), with each guest's uuid and size read from libvirt.
import { writeSteadyHistory } from '../fixtures/history.js';
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
  writeSteadyHistory(
    dbPath,
    known.map((g) => ({ name: g.name, uuid: g.uuid, cls: g.cls, tenant: 'e2e', app: 'e2e-test', vcpus: g.vcpus, memoryMiB: g.currentMiB, cpuCores: g.cpuCores, usedMemoryMiB: g.memoryMiB })),
    hours,
  );
}
