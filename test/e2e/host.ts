// The host the daemon-level e2e files share: libvirtd started and stopped by the test,
// guests created from the built image, and nothing left behind (guests, partitions) when a
// file ends — even after a failed step — or when an earlier run died.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { removePartition } from './cgroups.js';
import { buildGuest, consoleLogPath, renderGuestXml, type GuestImage, type GuestOptions } from './guest.js';
import { removeDomain, startLibvirtd, stopLibvirtd, virsh } from './libvirtd.js';

/** Builds the guest image, starts libvirtd, and clears what a run that died left behind. */
export async function prepareHost(t: Test, guests: readonly string[], zones: readonly string[]): Promise<GuestImage> {
  const image = await buildGuest();
  t.comment((await startLibvirtd()).split('\n').pop() ?? '');
  for (const name of guests) await removeDomain(name);
  for (const z of zones) removePartition(`/machine/virtzone-${z}`);
  return image;
}

/** Removes the guests, stops libvirtd and removes the zones' partitions (what cannot go is named). */
export async function releaseHost(t: Test, guests: readonly string[], zones: readonly string[]): Promise<void> {
  for (const name of guests) await removeDomain(name);
  await stopLibvirtd();
  for (const z of zones) {
    try {
      removePartition(`/machine/virtzone-${z}`);
    } catch (e) {
      t.comment(`cannot remove partition of ${z}: ${(e as Error).message}`);
    }
  }
}

/** Creates (and starts) a transient guest from the image; its XML is kept in `dir`. */
export function guestCreator(dir: string, image: GuestImage): (o: Omit<GuestOptions, 'image'>) => Promise<void> {
  return async (o) => {
    const file = join(dir, `${o.name}.xml`);
    rmSync(consoleLogPath(o.name), { force: true });
    writeFileSync(file, renderGuestXml({ ...o, image }));
    await virsh('create', file);
  };
}
