// Pool members: domains the auto-scaler defines from a zone's template. Pure XML work.
import { partitionOf } from '../../core/model/types.js';
import type { Resources } from '../plan/types.js';
import { escapeXml } from '../../core/xml/escape.js';
import { readDomainSize, removeDomainUuid, setDomainName, setDomainPartition, setZoneMetadata } from '../../core/xml/domain-xml.js';

/** Template problems are reported as the template's, whatever step found them. */
function inTemplate<T>(step: () => T): T {
  try {
    return step();
  } catch (err) {
    throw new Error(`domain template: ${(err as Error).message}`);
  }
}

/** The size a member of this template starts with (current memory and vCPUs). */
export function templateSize(xml: string): Resources {
  const size = inTemplate(() => readDomainSize(xml));
  const kib = size.currentMemoryKiB ?? size.memoryKiB;
  if (kib === null) throw new Error('domain template: no <memory> element');
  if (size.vcpus === null) throw new Error('domain template: no <vcpu> element');
  return { cpuCores: size.currentVcpus ?? size.vcpus, memoryMiB: Math.ceil(kib / 1024) };
}

/**
 * A member's domain XML: {{name}} replaced, any <uuid> dropped (libvirt makes a new
 * one), placed in the zone's partition and tagged as a pool member of the zone.
 */
export function renderPoolMember(template: string, name: string, zone: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw new Error(`pool member name ${JSON.stringify(name)} is not a valid domain name`);
  return inTemplate(() => {
    let xml = template.split('{{name}}').join(escapeXml(name));
    xml = removeDomainUuid(setDomainName(xml, name));
    xml = setDomainPartition(xml, partitionOf(zone));
    // pool="true" is what marks a member as the auto-scaler's own (only those are removed).
    return setZoneMetadata(xml, { class: zone, pool: 'true' });
  });
}
