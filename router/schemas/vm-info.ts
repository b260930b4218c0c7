// Schema of GET /v1/vms/{name}: one VM as `virtzone vm` shows it, like `virsh dominfo`.
import { Type } from '@sinclair/typebox';
import { Resources } from './common.js';

const DomainState = Type.Union(
  ['nostate', 'running', 'blocked', 'paused', 'shutdown', 'shutoff', 'crashed', 'pmsuspended'].map((s) => Type.Literal(s)),
);

export const DomainView = Type.Object(
  {
    uuid: Type.String(),
    state: DomainState,
    id: Type.Integer({ description: 'libvirt domain id, -1 when not running' }),
    persistent: Type.Boolean(),
    vcpusCurrent: Type.Integer(),
    vcpusMax: Type.Integer(),
    memoryMiB: Type.Number({ description: 'current memory' }),
    maxMemoryMiB: Type.Number(),
  },
  { additionalProperties: false, description: "what libvirt says of the domain now (null: the host does not know it, or did not answer)" },
);

export const VmInfoView = Type.Object(
  {
    name: Type.String(),
    zone: Type.Union([Type.String(), Type.Null()]),
    domain: Type.Union([DomainView, Type.Null()]),
    zoneFloor: Type.Union([Resources, Type.Null()], { description: "the least the VM's zone is given (config classes[].floor); null for general or no zone" }),
  },
  { additionalProperties: true, description: 'the VM as GET /v1/vms shows it (tenant, app, vcpus, memoryMiB, latest use, ...), plus the domain and its zone floor' },
);
