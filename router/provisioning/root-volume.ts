// The root disk of a VM built from a template: a volume in the template's pool, made
// from the image the request names — a qcow2 overlay backed by it, or a full copy.
// Pure: the XML libvirt's virStorageVolCreateXML(From) takes, and the volume's name.
import { escapeXml } from '../../core/xml/escape.js';
import type { StorageVolumeInfo } from '../../core/host/types.js';

export interface RootVolumePlan {
  pool: string;
  /** the new volume's name: <domain>-root.<ext> */
  volume: string;
  /** its format: qcow2 for an overlay, the image's own for a copy */
  format: string;
  /** the XML for virStorageVolCreateXML(From) */
  xml: string;
  /** copy from this volume (virStorageVolCreateXMLFrom); absent: an overlay, created with its backing store in the XML */
  cloneFrom?: string;
}

export function rootVolumePlan(domain: string, image: StorageVolumeInfo, mode: 'overlay' | 'clone'): RootVolumePlan {
  const imageFormat = image.format ?? 'raw';
  const format = mode === 'overlay' ? 'qcow2' : imageFormat;
  const volume = `${domain}-root.${format === 'qcow2' ? 'qcow2' : 'img'}`;
  const lines = [
    '<volume>',
    `  <name>${escapeXml(volume)}</name>`,
    `  <capacity unit='bytes'>${Math.max(1, Math.round(image.capacityBytes))}</capacity>`,
    `  <target><format type='${escapeXml(format)}'/></target>`,
  ];
  if (mode === 'overlay') {
    lines.push(`  <backingStore><path>${escapeXml(image.path)}</path><format type='${escapeXml(imageFormat)}'/></backingStore>`);
  }
  lines.push('</volume>');
  const plan: RootVolumePlan = { pool: image.pool, volume, format, xml: lines.join('\n') };
  if (mode === 'clone') plan.cloneFrom = image.name;
  return plan;
}
