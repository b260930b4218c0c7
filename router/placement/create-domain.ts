// Defines and starts a domain for a placement: partition set to the zone's, tagged with
// virtzone metadata, started. Any failed step undoes the earlier ones, so a failed
// placement leaves no domain behind (the caller then releases the reservation).
import type { HostAdapter } from '../../core/host/types.js';
import { buildZoneMetadata } from '../../core/host/metadata.js';
import { setDomainPartition } from '../../core/xml/domain-xml.js';

export interface DomainTags {
  zone: string;
  tenant: string;
  app: string;
  reservationId: string;
}

export class DomainCreateError extends Error {
  constructor(
    readonly stage: 'define' | 'metadata' | 'partition' | 'start',
    readonly cause: unknown,
  ) {
    super(`${stage} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'DomainCreateError';
  }
}

/** The element stored under the virtzone metadata namespace (core/host/metadata.ts); the zone is the VM's class. */
export function virtzoneMetadata(tags: DomainTags): string {
  return buildZoneMetadata({ class: tags.zone, tenant: tags.tenant, app: tags.app, reservation: tags.reservationId });
}

/**
 * `xml` was checked by inspectDomainXml already; returns the domain's name.
 * `ensurePartition` runs right before the start: the partition must exist in every
 * cgroup hierarchy then, and it may have been removed since the zones were set up
 * (libvirt removes a partition's directories when a domain fails to start in it).
 */
export async function createDomain(
  host: HostAdapter,
  xml: string,
  partition: string,
  tags: DomainTags,
  ensurePartition?: () => Promise<void>,
): Promise<string> {
  const placed = setDomainPartition(xml, partition);
  let name: string;
  try {
    name = await host.define(placed);
  } catch (err) {
    throw new DomainCreateError('define', err);
  }
  let stage: 'metadata' | 'partition' | 'start' = 'metadata';
  try {
    await host.setMetadata(name, virtzoneMetadata(tags), { config: true });
    stage = 'partition';
    await ensurePartition?.();
    stage = 'start';
    await host.start(name);
    return name;
  } catch (err) {
    // undo: stop it if it got as far as running, then remove the definition we made
    if (stage === 'start') await host.destroy(name).catch(() => undefined);
    await host.undefine(name).catch(() => undefined);
    throw new DomainCreateError(stage, err);
  }
}
