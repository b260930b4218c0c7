// The daemon's configuration: this one TypeBox schema is the source of the TypeScript
// type (ConfigSchema -> Config), of load-time validation (load.ts) and of the documented
// defaults (every `default` below is what a key means when it is absent).
import { Type, type Static } from '@sinclair/typebox';

const NonNegative = (description: string, def: number) =>
  Type.Number({ minimum: 0, default: def, description });
const Fraction = (description: string, def: number) =>
  Type.Number({ minimum: 0, maximum: 1, default: def, description });

export const ResourceAmountSchema = Type.Object(
  {
    cpuCores: NonNegative('CPU in cores (may be fractional)', 0),
    memoryMiB: NonNegative('memory in MiB', 0),
  },
  { additionalProperties: false, default: {} },
);
export type ResourceAmount = Static<typeof ResourceAmountSchema>;

export const PoolSchema = Type.Object(
  {
    template: Type.String({ minLength: 1, description: 'path of a libvirt domain XML template; {{name}} is replaced by the member name' }),
    min: Type.Integer({ minimum: 0, default: 0, description: 'fewest members the auto-scaler keeps' }),
    max: Type.Integer({ minimum: 0, default: 0, description: 'most members the auto-scaler creates' }),
    shutdownTimeoutSeconds: Type.Integer({ minimum: 1, default: 120, description: 'graceful shutdown wait before destroy' }),
  },
  { additionalProperties: false },
);

export const ClassSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$', description: 'class and zone name; also the partition /machine/virtzone-<name>' }),
    buffer: Type.Number({ minimum: 0, maximum: 10, default: 0.2, description: 'headroom over the predicted peak: zone = peak x (1 + buffer)' }),
    floor: ResourceAmountSchema,
    pool: Type.Optional(PoolSchema),
  },
  { additionalProperties: false },
);
export type ClassConfig = Static<typeof ClassSchema>;

export const RuleSchema = Type.Object(
  {
    tenant: Type.Optional(Type.String({ minLength: 1 })),
    app: Type.Optional(Type.String({ minLength: 1 })),
    class: Type.String({ minLength: 1, description: 'a configured class name, or "general"' }),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    libvirt: Type.Object(
      {
        uri: Type.String({ minLength: 1, default: 'qemu:///system', description: 'libvirt connection URI' }),
        keepaliveIntervalSeconds: Type.Integer({ minimum: 1, maximum: 600, default: 5 }),
        keepaliveCount: Type.Integer({ minimum: 1, maximum: 100, default: 3 }),
        reconnectInitialMs: Type.Integer({ minimum: 10, default: 500 }),
        reconnectMaxMs: Type.Integer({ minimum: 100, default: 30000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    store: Type.Object(
      {
        path: Type.String({ minLength: 1, default: '/var/lib/virtzone/virtzone.db' }),
        rawRetentionHours: Type.Number({ exclusiveMinimum: 0, default: 48 }),
        rollupRetentionDays: Type.Number({ exclusiveMinimum: 0, default: 90 }),
      },
      { additionalProperties: false, default: {} },
    ),
    collect: Type.Object(
      {
        intervalSeconds: Type.Number({ minimum: 1, maximum: 3600, default: 10 }),
      },
      { additionalProperties: false, default: {} },
    ),
    classes: Type.Array(ClassSchema, {
      minItems: 1,
      default: [{ name: 'gold' }, { name: 'silver' }, { name: 'bronze' }],
      description: 'priority classes, highest first',
    }),
    rules: Type.Array(RuleSchema, { default: [], description: 'tenant/app -> class mapping, first match wins' }),
    host: Type.Object(
      {
        reserve: Type.Object(
          { cpuCores: NonNegative('kept for the host itself', 1), memoryMiB: NonNegative('kept for the host itself', 1024) },
          { additionalProperties: false, default: {} },
        ),
        cpuOvercommit: Type.Number({ minimum: 1, maximum: 16, default: 1 }),
      },
      { additionalProperties: false, default: {} },
    ),
    partitioner: Type.Object(
      {
        quantile: Type.Union([Type.Literal(0.5), Type.Literal(0.9), Type.Literal(0.95), Type.Literal(0.99)], { default: 0.95 }),
        horizon: Type.Union([Type.Literal('5m'), Type.Literal('30m'), Type.Literal('24h')], { default: '30m' }),
        lowConfidenceBufferMultiplier: Type.Number({ minimum: 1, maximum: 10, default: 2, description: 'buffer multiplier when history is short (VPA-style confidence)' }),
        memoryMarginMiB: NonNegative('memory never ballooned below use + this', 256),
        memoryMarginFraction: Fraction('... and never below use x (1 + this)', 0.1),
      },
      { additionalProperties: false, default: {} },
    ),
    apply: Type.Object(
      {
        maxStepFraction: Fraction('largest share of a VM size changed in one step', 0.25),
        minChangeMemoryMiB: NonNegative('smaller memory changes are skipped', 64),
        minChangeCpuShares: NonNegative('smaller shares changes are skipped', 64),
        verifyTimeoutMs: Type.Integer({ minimum: 0, default: 5000 }),
        unplugTimeoutMs: Type.Integer({ minimum: 0, default: 5000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    autoscaler: Type.Object(
      {
        intervalSeconds: Type.Number({ minimum: 1, default: 30 }),
        highWater: Fraction('grow above this utilization', 0.85),
        lowWater: Fraction('shrink below this utilization', 0.5),
        cooldownSeconds: Type.Number({ minimum: 0, default: 300 }),
        sustainTicks: Type.Integer({ minimum: 1, default: 2 }),
        enabled: Type.Boolean({ default: true }),
      },
      { additionalProperties: false, default: {} },
    ),
    forecast: Type.Object(
      {
        schedule: Type.String({ minLength: 1, default: '0 3 * * *', description: 'cron for nightly training (local time)' }),
        country: Type.String({ default: 'NL', description: 'date-holidays country code' }),
        region: Type.Optional(Type.String()),
        refreshMinutes: Type.Number({ minimum: 1, default: 5 }),
        epochs: Type.Integer({ minimum: 1, maximum: 1000, default: 8 }),
      },
      { additionalProperties: false, default: {} },
    ),
    api: Type.Object(
      {
        socket: Type.String({ minLength: 1, default: '/run/virtzone/virtzoned.sock' }),
        socketMode: Type.String({ pattern: '^0?[0-7]{3}$', default: '0660' }),
        socketGroup: Type.Optional(Type.String({ minLength: 1 })),
        listen: Type.Optional(Type.String({ pattern: '^(127\\.\\d+\\.\\d+\\.\\d+|localhost|\\[::1\\]):\\d{1,5}$', description: 'loopback HOST:PORT' })),
        tokenFile: Type.Optional(Type.String({ minLength: 1 })),
        bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 10485760, default: 262144 }),
        defaultTtlSeconds: Type.Integer({ minimum: 1, maximum: 604800, default: 600 }),
      },
      { additionalProperties: false, default: {} },
    ),
    overflow: Type.Object(
      {
        policy: Type.Union([Type.Literal('probabilistic'), Type.Literal('quota')], { default: 'probabilistic' }),
        threshold: Fraction('free share below which grants become probabilistic', 0.2),
        exponent: Type.Number({ exclusiveMinimum: 0, maximum: 10, default: 2, description: 'curve shape: p = (free/threshold)^(exponent / weight)' }),
        retryAfterSeconds: Type.Integer({ minimum: 1, default: 60 }),
      },
      { additionalProperties: false, default: {} },
    ),
    log: Type.Object(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
          { default: 'info' },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
