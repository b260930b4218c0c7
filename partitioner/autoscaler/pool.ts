// Pool members: domains the auto-scaler defines from a zone's template. Pure XML work.
import { partitionOf } from '../../core/model/types.js';
import type { Resources } from '../plan/types.js';
import { escapeXml, withMetadata, withPartition } from '../vm-targets/membership.js';

const UNIT_TO_KIB: Record<string, number> = {
  b: 1 / 1024, bytes: 1 / 1024, k: 1, kib: 1, kb: 1000 / 1024, m: 1024, mib: 1024, mb: 1e6 / 1024, g: 1024 ** 2, gib: 1024 ** 2, gb: 1e9 / 1024, t: 1024 ** 3, tib: 1024 ** 3, tb: 1e12 / 1024,
};

function memoryKiB(xml: string, element: 'memory' | 'currentMemory'): number | null {
  const m = new RegExp(`<${element}\\b([^>]*)>\\s*(\\d+)\\s*</${element}>`).exec(xml);
  if (!m) return null;
  const unit = /unit\s*=\s*['"]([^'"]+)['"]/.exec(m[1])?.[1]?.toLowerCase() ?? 'kib';
  const f = UNIT_TO_KIB[unit];
  if (f === undefined) throw new Error(`domain template: unknown memory unit ${JSON.stringify(unit)}`);
  return Number(m[2]) * f;
}

/** The size a member of this template starts with (current memory and vCPUs). */
export function templateSize(xml: string): Resources {
  const kib = memoryKiB(xml, 'currentMemory') ?? memoryKiB(xml, 'memory');
  if (kib === null) throw new Error('domain template: no <memory> element');
  const v = /<vcpu\b([^>]*)>\s*(\d+)\s*<\/vcpu>/.exec(xml);
  if (!v) throw new Error('domain template: no <vcpu> element');
  const current = /current\s*=\s*['"](\d+)['"]/.exec(v[1])?.[1];
  return { cpuCores: Number(current ?? v[2]), memoryMiB: Math.ceil(kib / 1024) };
}

/**
 * A member's domain XML: {{name}} replaced, any <uuid> dropped (libvirt makes a new
 * one), placed in the zone's partition and tagged as a pool member of the zone.
 */
export function renderPoolMember(template: string, name: string, zone: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw new Error(`pool member name ${JSON.stringify(name)} is not a valid domain name`);
  let xml = template.split('{{name}}').join(escapeXml(name));
  if (!/<name>[^<]*<\/name>/.test(xml)) throw new Error('domain template: no <name> element');
  xml = xml.replace(/<name>[^<]*<\/name>/, `<name>${escapeXml(name)}</name>`);
  xml = xml.replace(/\s*<uuid>[^<]*<\/uuid>/, '');
  xml = withPartition(xml, partitionOf(zone));
  // pool="true" is what marks a member as the auto-scaler's own (only those are removed).
  return withMetadata(xml, { class: zone, pool: 'true' });
}
