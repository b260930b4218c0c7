// The few facts virtzone reads from libvirt's storage pool and volume XML descriptions
// (virStoragePoolGetXMLDesc, virStorageVolGetXMLDesc): a pool's type and target path, a
// volume's sizes and format. libvirt writes sizes in bytes (unit='bytes'); other units
// are converted all the same.
import { attributeOf, childElements, parseXml, type XmlElement } from './parse.js';

const UNIT_BYTES: Record<string, number> = {
  b: 1, bytes: 1,
  k: 1024, kib: 1024, kb: 1000,
  m: 1024 ** 2, mib: 1024 ** 2, mb: 1e6,
  g: 1024 ** 3, gib: 1024 ** 3, gb: 1e9,
  t: 1024 ** 4, tib: 1024 ** 4, tb: 1e12,
};

const first = (e: XmlElement | undefined, name: string): XmlElement | undefined => (e ? childElements(e, name)[0] : undefined);

function bytesOf(e: XmlElement | undefined): number {
  if (!e) return 0;
  const n = Number(e.text.trim());
  const unit = (attributeOf(e, 'unit') ?? 'bytes').toLowerCase();
  return Number.isFinite(n) ? n * (UNIT_BYTES[unit] ?? 1) : 0;
}

export interface PoolFacts {
  type: string;
  targetPath: string | null;
}

export function readPoolXml(xml: string): PoolFacts {
  const root = parseXml(xml).root;
  const path = first(first(root, 'target'), 'path');
  return { type: attributeOf(root, 'type') ?? '', targetPath: path ? path.text.trim() : null };
}

export interface VolumeFacts {
  capacityBytes: number;
  allocationBytes: number;
  format: string | null;
}

export function readVolumeXml(xml: string): VolumeFacts {
  const root = parseXml(xml).root;
  const format = first(first(root, 'target'), 'format');
  return {
    capacityBytes: bytesOf(first(root, 'capacity')),
    allocationBytes: bytesOf(first(root, 'allocation')),
    format: format ? (attributeOf(format, 'type') ?? null) : null,
  };
}
