// Schemas of the read and action routes.
import { Type } from '@sinclair/typebox';
import { EmptyBody, OpenObject, Resources, ZoneName } from './common.js';

export const ZoneView = Type.Object(
  {
    name: Type.String(),
    rank: Type.Integer(),
    partition: Type.String(),
    allocation: Resources,
    provisioned: Resources,
    used: Resources,
    forecastPeak: Type.Optional(Resources),
    reserved: { ...Resources, description: 'active reservations charged to this zone' },
    overflowReserved: { ...Resources, description: 'the part of reserved granted by the overflow manager' },
    free: { ...Resources, description: 'room for placements as admission sees it (config router.admission) — provisioned: allocation - provisioned - reserved; expected: allocation - max(use, forecast peak) - reserved x use ratio (allocation CPU includes host.cpuOvercommit); negative when over-committed' },
    reservations: Type.Integer(),
    vms: Type.Array(Type.String()),
    exhausted: Type.Boolean(),
    state: Type.Optional(
      Type.Union(['exhausted', 'hot', 'ok', 'cold', 'empty'].map((s) => Type.Literal(s)), {
        description: 'exhausted (the auto-scaler has no option left), hot (use above autoscaler.highWater), cold (below lowWater), ok, or empty',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ZoneParams = Type.Object({ zone: ZoneName }, { additionalProperties: false });

export const VmView = Type.Object(
  { name: Type.String(), zone: Type.Optional(Type.Union([Type.String(), Type.Null()])) },
  { additionalProperties: true },
);

export const SeriesParams = Type.Object(
  {
    series: Type.String({
      minLength: 1,
      maxLength: 160,
      pattern: '^((class|vm|tenant|app):)?[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$',
      description: '"class:gold", "vm:web-1", "tenant:acme", "app:db", or a bare class name',
    }),
  },
  { additionalProperties: false },
);

export const Prediction = Type.Object(
  {
    series: Type.String(),
    resource: Type.Union([Type.Literal('cpu'), Type.Literal('memory')]),
    horizon: Type.Union([Type.Literal('5m'), Type.Literal('30m'), Type.Literal('24h')]),
    origin: Type.Number(),
    peakLoad: Type.Number(),
    averageLoad: Type.Number(),
    trend: Type.Number(),
    distribution: Type.Record(Type.String(), Type.Number()),
    model: Type.String(),
    confidence: Type.Number(),
  },
  { additionalProperties: false },
);

export const ForecastView = Type.Object(
  { series: Type.String(), predictions: Type.Array(Prediction) },
  { additionalProperties: false },
);

export const RepartitionBody = Type.Object(
  { apply: Type.Boolean({ default: false, description: 'carry the plan out on the VMs and partitions; false (the default): only compute and show it' }) },
  { additionalProperties: false },
);

export const TrainBody = Type.Object(
  {
    series: Type.Optional(
      Type.Array(SeriesParams.properties.series, { minItems: 1, maxItems: 1000, uniqueItems: true, description: 'train only these series' }),
    ),
  },
  { additionalProperties: false },
);

export const HealthCheck = Type.Object(
  { ok: Type.Boolean(), detail: Type.String() },
  { additionalProperties: false },
);

export const HealthView = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('failing')]),
    checks: Type.Object(
      {
        libvirt: HealthCheck,
        store: HealthCheck,
        model: HealthCheck,
        zones: Type.Optional({ ...HealthCheck, description: "whether the zones' partitions are enforced as the mode says (absent: the daemon does not manage them)" }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export { EmptyBody, OpenObject };
