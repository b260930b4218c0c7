import { Type } from '@sinclair/typebox';

const Range = Type.Object({ min: Type.Integer(), max: Type.Integer() }, { additionalProperties: false });

export const TemplateView = Type.Object(
  {
    name: Type.String(),
    description: Type.Optional(Type.String()),
    domainType: Type.String(),
    arch: Type.String(),
    machine: Type.String(),
    firmware: Type.String(),
    diskBus: Type.String(),
    nicModel: Type.String(),
    vcpus: Range,
    memoryMiB: Range,
    pool: Type.String({ description: 'storage pool whose volumes are the images a request may name' }),
    rootDisk: Type.String(),
    networks: Type.Array(Type.String()),
    baseXml: Type.Boolean({ description: "the guest shape comes from the operator's base XML file" }),
  },
  { additionalProperties: false },
);

export const TemplateList = Type.Object(
  {
    templates: Type.Array(TemplateView),
    rawDomainXml: Type.Boolean({ description: 'whether placements may bring their own (allow-listed) domain XML' }),
  },
  { additionalProperties: false },
);

export const ReconcileBody = Type.Object(
  { apply: Type.Optional(Type.Boolean({ default: false, description: 'carry the actions out; absent or false: only show them' })) },
  { additionalProperties: false },
);

export const ReconcileAnswer = Type.Object(
  {
    applied: Type.Boolean(),
    actions: Type.Array(
      Type.Object(
        {
          kind: Type.Union(['bind', 'remove', 'release', 'report'].map((k) => Type.Literal(k))),
          reservation: Type.Union([Type.String(), Type.Null()]),
          domain: Type.Union([Type.String(), Type.Null()]),
          why: Type.String(),
          result: Type.Union(['applied', 'failed', 'planned', 'reported'].map((k) => Type.Literal(k))),
          error: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
