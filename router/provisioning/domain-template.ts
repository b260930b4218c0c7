// The operator's VM shapes. A template is the only thing the daemon builds domain XML
// from (router/provisioning/build-domain.ts): a request picks one and sizes it within its
// ranges; every host-facing choice — domain type, firmware, buses, the pool its disks
// live in, the networks it may join — is the operator's.

/** An operator-owned template (config templates.<name>), as the config loader hands it over. */
export interface DomainTemplate {
  name: string;
  description?: string;
  /** libvirt <domain type>: 'kvm' on real hosts; 'qemu' (TCG) or 'test' where KVM is absent */
  domainType: 'kvm' | 'qemu' | 'test';
  /** guest architecture, e.g. 'x86_64' */
  arch: string;
  /** QEMU machine type, e.g. 'q35' or 'pc' */
  machine: string;
  firmware: 'bios' | 'efi';
  diskBus: 'virtio' | 'sata' | 'scsi';
  nicModel: 'virtio' | 'e1000' | 'rtl8139';
  vcpus: { min: number; max: number };
  memoryMiB: { min: number; max: number };
  /** libvirt storage pool holding the template's images; root disks are created there too */
  pool: string;
  /** how a root disk is made from the image: a full copy, or a qcow2 overlay backed by it */
  rootDisk: 'clone' | 'overlay';
  /** libvirt networks a VM of this template may join (at least one) */
  networks: string[];
  /**
   * The text of an operator's root-owned base domain XML file (already read by the
   * loader), used instead of the structured shape above: its domain type, os, features,
   * devices and the rest are kept; the daemon still sets name, uuid, size, partition,
   * metadata, the root disk (on diskBus) and the interfaces (of nicModel).
   */
  baseXml?: string;
}
