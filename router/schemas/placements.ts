import { Type, type Static } from '@sinclair/typebox';
import { Name, ZoneName, problemResponses } from './common.js';

export const PlacementBody = Type.Object(
  {
    tenant: Name('tenant asking for the VM'),
    app: Name('application the VM belongs to'),
    priority: Type.Optional({ ...ZoneName, description: 'explicit class (zone) name; absent: config rules decide, else general' }),
    vcpus: Type.Integer({ minimum: 1, maximum: 1024, description: 'vCPUs to reserve' }),
    memoryMiB: Type.Integer({ minimum: 1, maximum: 16777216, description: 'memory to reserve, MiB (at most 16 TiB)' }),
    name: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$', description: 'domain name (must equal <name> in domainXml when both are given)' }),
    ),
    template: Type.Optional(
      Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z][a-z0-9-]{0,31}$', description: "operator template (GET /v1/templates) the daemon builds the domain from, with this request's vcpus and memoryMiB (within the template's ranges), image and networks; the domain is defined, started in its zone's partition and tagged" }),
    ),
    image: Type.Optional(
      Type.String({ minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9][A-Za-z0-9._+-]{0,254}$', description: "with template: a volume of the template's storage pool; the root disk is made from it (a qcow2 overlay or a copy)" }),
    ),
    networks: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }), {
        minItems: 1,
        maxItems: 8,
        uniqueItems: true,
        description: "with template: libvirt networks from the template's list, one interface each; absent: the template's first",
      }),
    ),
    domainXml: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1048576,
        description:
          "the caller's own libvirt domain XML, accepted only when the operator turned provisioning.rawDomainXml on, only from the host's administrator (root on the Unix socket; 403 otherwise) and only if it passes the allow-list (422 naming the element): the elements templates produce, disks only as volumes of the templates' pools, interfaces only on the templates' networks. vcpus and memoryMiB must equal its starting vCPUs and <memory>. The daemon sets its uuid, partition and tag",
      }),
    ),
    ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 604800, description: 'reservation lifetime; default api.defaultTtlSeconds' })),
  },
  { additionalProperties: false },
);
export type PlacementBodyT = Static<typeof PlacementBody>;

export const IdempotencyHeaders = Type.Object(
  {
    'idempotency-key': Type.String({
      minLength: 8,
      maxLength: 255,
      pattern: '^[A-Za-z0-9._:+/=-]{8,255}$',
      description: 'required; the same key with the same body returns the first answer and never reserves twice',
    }),
  },
  { required: ['idempotency-key'], additionalProperties: true },
);

export const ReservationId = Type.Object(
  { id: Type.String({ format: 'uuid', description: 'reservation id' }) },
  { additionalProperties: false },
);

export const ConfirmBody = Type.Object(
  { domain: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$', description: 'name of the domain the caller created' }) },
  { additionalProperties: false },
);

export const Placed = Type.Object(
  {
    decision: Type.Literal('placed'),
    zone: Type.String(),
    reservationId: Type.String(),
    partition: Type.String(),
    expiresAt: Type.String({ format: 'date-time' }),
    overflow: Type.Boolean({ description: 'granted by the overflow manager beyond the zone\'s room' }),
    probability: Type.Optional(Type.Number({ description: 'grant probability (overflow only)' })),
    borrowedFrom: Type.Optional(Type.String({ description: 'zone whose spare capacity holds the reservation until the auto-scaler re-partitions' })),
    domain: Type.Optional(Type.String({ description: 'the domain the daemon created and started (template or domainXml)' })),
  },
  { additionalProperties: false },
);

export const Rejected = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Literal(429),
    detail: Type.String(),
    decision: Type.Literal('rejected'),
    zone: Type.String(),
    policy: Type.Union([Type.Literal('probabilistic'), Type.Literal('quota')]),
    probability: Type.Number(),
    retryAfterSeconds: Type.Integer(),
  },
  { additionalProperties: false, description: 'problem details of an overflow rejection; Retry-After carries retryAfterSeconds' },
);

export const QuotaExceeded = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Literal(429),
    detail: Type.String(),
    field: Type.Optional(Type.String()),
    quota: Type.Union([Type.Literal('vcpus'), Type.Literal('memoryMiB'), Type.Literal('reservations')], { description: 'the quota the request would exceed (config quotas)' }),
    limit: Type.Integer(),
    held: Type.Integer({ description: 'what the tenant holds now' }),
    asked: Type.Integer({ description: 'what this request would add' }),
  },
  { additionalProperties: false, description: "problem details of a request over its tenant's quota: releasing a reservation makes room, retrying does not" },
);

export const RateLimited = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Literal(429),
    detail: Type.String(),
    limit: Type.Integer(),
    windowSeconds: Type.Integer(),
  },
  { additionalProperties: false, description: 'problem details of a credential over api.rateLimit; Retry-After says when its window resets' },
);

export const ReservationView = Type.Object(
  {
    id: Type.String(),
    state: Type.Union(['reserved', 'bound', 'fulfilled', 'released', 'expired'].map((s) => Type.Literal(s))),
    zone: Type.String(),
    chargeZone: Type.String(),
    partition: Type.String(),
    tenant: Type.String(),
    app: Type.String(),
    priority: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    vcpus: Type.Integer(),
    memoryMiB: Type.Integer(),
    overflow: Type.Boolean(),
    probability: Type.Optional(Type.Number()),
    domain: Type.Optional(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.String({ format: 'date-time' }),
    endedAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);

export const placementResponses = {
  201: Placed,
  429: Type.Union([Rejected, QuotaExceeded, RateLimited]),
  ...problemResponses,
};
