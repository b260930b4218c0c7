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

export const PoolSchema = Type.Object(
  {
    template: Type.String({ minLength: 1, description: 'path of a libvirt domain XML template; {{name}} is replaced by the member name', examples: ['/etc/virtzone/templates/gold-worker.xml'] }),
    min: Type.Integer({ minimum: 0, default: 0, description: 'fewest members the auto-scaler keeps' }),
    max: Type.Integer({ minimum: 0, default: 0, description: 'most members the auto-scaler creates' }),
    shutdownTimeoutSeconds: Type.Integer({ minimum: 1, default: 120, description: 'graceful shutdown wait before destroy' }),
  },
  { additionalProperties: false, description: 'a pool of identical VMs the auto-scaler adds under sustained high load and removes (only those it created) under sustained low load' },
);

export const ClassSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$', description: 'class and zone name; also the partition /machine/virtzone-<name>' }),
    buffer: Type.Number({ minimum: 0, maximum: 10, default: 0.2, description: 'headroom over the predicted peak: zone = peak x (1 + buffer)' }),
    floor: Type.Object(ResourceAmountSchema.properties, { additionalProperties: false, default: {}, description: 'the least this zone is given, whatever the forecast says' }),
    pool: Type.Optional(PoolSchema),
    neverShrink: Type.Optional(Type.Boolean({ default: false, description: 'no VM of this class is ever planned or scaled below its provisioned size, and its zone never below its members\' provisioned total' })),
  },
  { additionalProperties: false },
);

const SizeRange = (what: string, unit: string, max: number, defMin: number, defMax: number) =>
  Type.Object(
    {
      min: Type.Integer({ minimum: 1, maximum: max, default: defMin, description: `smallest ${what} a request may ask for, ${unit}` }),
      max: Type.Integer({ minimum: 1, maximum: max, default: defMax, description: `largest ${what} a request may ask for, ${unit}` }),
    },
    { additionalProperties: false, default: {}, description: `the ${what} a request may ask for` },
  );

export const TemplateSchema = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 256, description: 'what the template is for (shown by virtzone templates)' })),
    domainType: Type.Union([Type.Literal('kvm'), Type.Literal('qemu'), Type.Literal('test')], { default: 'kvm', description: "libvirt <domain type>: kvm on real hosts; qemu (TCG) where KVM is absent; test for libvirt's test driver" }),
    arch: Type.String({ pattern: '^[a-z0-9_]{1,32}$', default: 'x86_64', description: 'guest architecture' }),
    machine: Type.String({ pattern: '^[a-z0-9_.-]{1,64}$', default: 'q35', description: 'QEMU machine type' }),
    firmware: Type.Union([Type.Literal('bios'), Type.Literal('efi')], { default: 'bios', description: 'guest firmware' }),
    diskBus: Type.Union([Type.Literal('virtio'), Type.Literal('sata'), Type.Literal('scsi')], { default: 'virtio', description: 'bus of the root disk' }),
    nicModel: Type.Union([Type.Literal('virtio'), Type.Literal('e1000'), Type.Literal('rtl8139')], { default: 'virtio', description: 'model of each network interface' }),
    vcpus: SizeRange('vCPU count', 'vCPUs', 1024, 1, 8),
    memoryMiB: SizeRange('memory', 'MiB', 16777216, 256, 16384),
    pool: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'libvirt storage pool holding the images a request may name; the root disks are created there too', examples: ['images'] }),
    rootDisk: Type.Union([Type.Literal('overlay'), Type.Literal('clone')], { default: 'overlay', description: 'how a root disk is made from the image: overlay = a qcow2 volume backed by the image (fast, the image must stay); clone = a full copy (virStorageVolCreateXMLFrom)' }),
    networks: Type.Array(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }), { minItems: 1, uniqueItems: true, description: 'libvirt networks a VM of this template may join; a request that names none joins the first' }),
    baseXmlFile: Type.Optional(Type.String({ pattern: '^/', description: "root-owned domain XML file used as the guest shape instead of the keys above (the daemon still sets name, uuid, size, partition, metadata, root disk and networks); it must be owned by root and writable by root only", examples: ['/etc/virtzone/templates/legacy-bios.xml'] })),
  },
  { additionalProperties: false, description: 'a VM shape the operator allows: requests name it with a size in its ranges, an image of its pool and networks of its list' },
);

export const RuleSchema = Type.Object(
  {
    tenant: Type.Optional(Type.String({ minLength: 1, description: 'match requests from this tenant', examples: ['acme'] })),
    app: Type.Optional(Type.String({ minLength: 1, description: 'match requests for this app', examples: ['web'] })),
    class: Type.String({ minLength: 1, description: 'a configured class name, or "general"', examples: ['gold'] }),
  },
  { additionalProperties: false },
);

const RoleSchema = Type.Union([Type.Literal('read'), Type.Literal('provision'), Type.Literal('admin')], {
  description: 'read: status, zones, VMs, history, forecasts, metrics; provision: also placements, its own reservations and confirms; admin: also repartition, train, reconcile',
});

/** Who may act for which tenants at which classes: a peers rule, and a tokens file entry. */
export const GrantSchema = {
  role: RoleSchema,
  tenants: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { minItems: 1, uniqueItems: true, default: ['*'], description: 'tenants this caller may place for; "*" = any' }),
  classes: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, uniqueItems: true, default: ['*'], description: 'zones (classes, or "general") this caller may ask for; "*" = any' }),
};

export const PeerRuleSchema = Type.Object(
  {
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'a user name or uid', examples: ['ci-runner'] })),
    group: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'a group name or gid: matches its members (primary or supplementary group)', examples: ['virtzone-provision'] })),
    ...GrantSchema,
  },
  { additionalProperties: false },
);

export const TenantQuotaSchema = Type.Object(
  {
    vcpus: Type.Optional(Type.Integer({ minimum: 0, description: 'vCPUs the tenant may hold: reservations in force plus the running VMs its placements made', examples: [64] })),
    memoryMiB: Type.Optional(Type.Integer({ minimum: 0, description: 'memory (MiB) the tenant may hold, counted as vcpus is', examples: [131072] })),
    reservations: Type.Optional(Type.Integer({ minimum: 0, description: 'reservations in force (reserved or bound) the tenant may hold', examples: [50] })),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    mode: Type.Union([Type.Literal('observe'), Type.Literal('enforce')], {
      default: 'observe',
      description:
        'observe: collect, forecast, plan and report what would be done, changing nothing on VMs or cgroups (new VMs start in libvirt\'s default partition); enforce: apply plans, run the auto-scaler, keep the zones\' partitions. An admin may switch it with `virtzone mode` (POST /v1/mode) until this key next changes',
    }),
    libvirt: Type.Object(
      {
        uri: Type.String({ minLength: 1, default: 'qemu:///system', description: 'libvirt connection URI' }),
        keepaliveIntervalSeconds: Type.Integer({ minimum: 1, maximum: 600, default: 5, description: 'seconds between libvirt keepalive probes on an idle connection' }),
        keepaliveCount: Type.Integer({ minimum: 1, maximum: 100, default: 3, description: 'unanswered keepalive probes before the connection counts as lost and a reconnect starts' }),
        reconnectInitialMs: Type.Integer({ minimum: 10, default: 500, description: 'first wait before reconnecting to libvirtd; doubles after each failed attempt' }),
        reconnectMaxMs: Type.Integer({ minimum: 100, default: 30000, description: 'longest wait between two reconnect attempts' }),
        callThreads: Type.Integer({ minimum: 1, maximum: 64, default: 4, description: 'threads of the daemon\'s own pool for blocking libvirt calls (kept apart from the threads file and crypto work use, so a libvirtd that does not answer cannot stall them)' }),
        callTimeoutSeconds: Type.Number({ minimum: 0.1, maximum: 600, default: 10, description: 'a libvirt call made for an API request (placement, provisioning, confirm, reconciler) that has not answered within this is given up: the request is answered 503 with Retry-After, the call itself is left to finish, and the reconciler settles what it did' }),
        healthyWithinSeconds: Type.Number({ minimum: 1, maximum: 3600, default: 30, description: '/healthz reports libvirt failing when no libvirt call has succeeded for this long (an idle daemon probes the host every third of it)' }),
      },
      { additionalProperties: false, default: {}, description: 'the connection to the hypervisor (libvirt)' },
    ),
    store: Type.Object(
      {
        path: Type.String({ minLength: 1, default: '/var/lib/virtzone/virtzone.db', description: 'SQLite database file (WAL: the -wal and -shm files sit next to it)' }),
        rawRetentionHours: Type.Number({ exclusiveMinimum: 0, default: 48, description: 'raw per-tick samples are kept this long' }),
        rollupRetentionDays: Type.Number({ exclusiveMinimum: 0, default: 90, description: '5-minute rollups (what the forecaster trains on) are kept this long' }),
      },
      { additionalProperties: false, default: {}, description: 'the SQLite database' },
    ),
    collect: Type.Object(
      {
        intervalSeconds: Type.Number({ minimum: 1, maximum: 3600, default: 10, description: 'seconds between collector ticks (one all-domain stats call each)' }),
      },
      { additionalProperties: false, default: {}, description: 'the utilization collector' },
    ),
    classes: Type.Array(ClassSchema, {
      minItems: 1,
      default: [{ name: 'gold' }, { name: 'silver' }, { name: 'bronze' }],
      description: 'priority classes, highest first',
    }),
    rules: Type.Array(RuleSchema, { default: [], description: 'tenant/app -> class mapping, first match wins', examples: [[{ tenant: 'acme', app: 'web', class: 'gold' }, { app: 'batch', class: 'general' }]] }),
    host: Type.Object(
      {
        reserve: Type.Object(
          { cpuCores: NonNegative('kept for the host itself', 1), memoryMiB: NonNegative('kept for the host itself', 1024) },
          { additionalProperties: false, default: {}, description: 'kept back for the host itself (never given to any zone)' },
        ),
        cpuOvercommit: Type.Number({ minimum: 1, maximum: 16, default: 1, description: 'CPU overcommit ratio: the zones share (host cores - reserve) x this' }),
      },
      { additionalProperties: false, default: {}, description: 'the host\'s capacity as the partitioner sees it' },
    ),
    partitioner: Type.Object(
      {
        quantile: Type.Union([Type.Literal(0.5), Type.Literal(0.9), Type.Literal(0.95), Type.Literal(0.99)], { default: 0.95, description: 'forecast quantile of the peak a zone is sized for (0.95: the zone covers the peak about 95% of the time)' }),
        horizon: Type.Union([Type.Literal('5m'), Type.Literal('30m'), Type.Literal('24h')], { default: '30m', description: 'forecast horizon the zones are sized for' }),
        lowConfidenceBufferMultiplier: Type.Number({ minimum: 1, maximum: 10, default: 2, description: 'buffer multiplier when history is short (VPA-style confidence)' }),
        memoryMarginMiB: NonNegative('memory never ballooned below use + this', 256),
        memoryMarginFraction: Fraction('... and never below use x (1 + this)', 0.1),
        vmMemoryFloorMiB: NonNegative('no VM is ballooned below this (a VM may set its own floor in its metadata)', 512),
        vmMinVcpus: Type.Integer({ minimum: 1, default: 1, description: 'no VM is shrunk below this many vCPUs' }),
        minHistoryHours: Type.Number({ minimum: 0, maximum: 8760, default: 24, description: 'no VM is planned or scaled below its provisioned size before it has this many hours of its own samples' }),
        readyAfterDays: Type.Number({ minimum: 0, maximum: 365, default: 7, description: 'days of a class\'s own history before `virtzone status` counts it ready for enforce (with a trained model covering it)' }),
      },
      { additionalProperties: false, default: {}, description: 'sizing the zones from the forecast' },
    ),
    apply: Type.Object(
      {
        maxStepFraction: Fraction('largest share of a VM size changed in one step', 0.25),
        minChangeMemoryMiB: NonNegative('smaller memory changes are skipped', 64),
        minChangeCpuShares: NonNegative('smaller shares changes are skipped', 64),
        verifyTimeoutMs: Type.Integer({ minimum: 0, default: 5000, description: 'how long a change may take to show when the domain is read back (balloon, vCPUs)' }),
        unplugTimeoutMs: Type.Integer({ minimum: 0, default: 5000, description: 'how long a best-effort vCPU hot-unplug may take before it is given up' }),
        maxStepsPerVm: Type.Integer({ minimum: 1, maximum: 100, default: 8, description: 'bounded steps per VM in one apply (the auto-scaler uses 1 per tick)' }),
      },
      { additionalProperties: false, default: {}, description: 'carrying out a plan on the VMs (bounded, verified, rolled back on failure)' },
    ),
    autoscaler: Type.Object(
      {
        intervalSeconds: Type.Number({ minimum: 1, default: 30, description: 'seconds between auto-scaler ticks' }),
        highWater: Fraction('grow above this utilization', 0.85),
        lowWater: Fraction('shrink below this utilization', 0.5),
        cooldownSeconds: Type.Number({ minimum: 0, default: 300, description: 'least time between two shrinks of one zone' }),
        sustainTicks: Type.Integer({ minimum: 1, default: 2, description: 'ticks a zone must stay past a water mark before the auto-scaler acts (hysteresis)' }),
        growCooldownSeconds: Type.Number({ minimum: 0, default: 60, description: 'least time between two grows of one zone (shrinks wait cooldownSeconds)' }),
        enabled: Type.Boolean({ default: true, description: 'false: zones are monitored and reported but never resized automatically' }),
      },
      { additionalProperties: false, default: {}, description: 'the zone monitor and auto-scaler' },
    ),
    zones: Type.Object(
      {
        manageCgroups: Type.Boolean({ default: true, description: 'create the zones\' resource partitions and set zone-level limits' }),
        cgroupRoot: Type.String({ minLength: 1, default: '/sys/fs/cgroup', description: 'where the cgroup hierarchies are mounted' }),
        layout: Type.Union([Type.Literal('auto'), Type.Literal('cgroupfs'), Type.Literal('systemd')], { default: 'auto', description: 'how libvirt names partitions: cgroupfs = <name>.partition dirs, systemd = machine-<name>.slice units' }),
        systemdUnitDir: Type.String({ minLength: 1, default: '/run/systemd/system', description: 'no longer used: zone slices need no unit file (systemctl start and set-property); kept so that existing configs load' }),
        vmOverheadMiB: NonNegative('per-VM QEMU overhead added to a zone memory limit', 256),
        cpuLimit: Type.Union([Type.Literal('shares'), Type.Literal('quota')], {
          default: 'shares',
          description: 'how a zone\'s CPU allocation is enforced: shares = work-conserving (cpu.weight/cpu.shares in proportion to the allocation, no per-zone cap: a zone is guaranteed its allocation under contention and may use CPU other zones leave idle); quota = hard cap at the allocation (cpu.max / cfs_quota). Memory is always a hard limit',
        }),
      },
      { additionalProperties: false, default: {}, description: 'the zones\' resource partitions (cgroups) on the host' },
    ),
    forecast: Type.Object(
      {
        schedule: Type.String({ minLength: 1, default: '0 3 * * *', description: 'cron for nightly training (local time)' }),
        country: Type.String({ default: 'NL', description: 'date-holidays country code' }),
        region: Type.Optional(Type.String({ description: 'date-holidays region (e.g. a state) within the country, for regional holidays', examples: ['BY'] })),
        refreshMinutes: Type.Number({ minimum: 1, default: 5, description: 'minutes between two forecast refreshes from the trained models' }),
        epochs: Type.Integer({ minimum: 1, maximum: 1000, default: 16, description: 'LSTM training epochs per night (one network for all series; 8192 windows per epoch)' }),
      },
      { additionalProperties: false, default: {}, description: 'the load forecaster (trained nightly)' },
    ),
    api: Type.Object(
      {
        socket: Type.String({ minLength: 1, default: '/run/virtzone/virtzoned.sock', description: 'Unix socket of the HTTP API (the CLI\'s default --socket)' }),
        socketMode: Type.String({ pattern: '^0?[0-7]{3}$', default: '0660', description: 'permissions of the socket file, octal; 0660 lets members of the socket\'s group use the CLI' }),
        socketGroup: Type.Optional(Type.String({ minLength: 1, description: "group that owns the socket (the daemon must be a member); unset: the daemon's own group (virtzone)", examples: ['virtzone'] })),
        listen: Type.Optional(Type.String({ pattern: '^(127\\.\\d+\\.\\d+\\.\\d+|localhost|\\[::1\\]):\\d{1,5}$', description: 'also serve the API on this loopback HOST:PORT (bearer token required)', examples: ['127.0.0.1:8750'] })),
        tokenFile: Type.Optional(
          Type.String({
            minLength: 1,
            description:
              "the tokens file for api.listen (required with it): YAML `tokens:`, each with a name, the token's sha256, a role and, for provision, its tenants and classes; mode 0600, or 0640 with the daemon's group; re-read on reload",
            examples: ['/etc/virtzone/tokens.yaml'],
          }),
        ),
        peers: Type.Array(PeerRuleSchema, {
          default: [],
          examples: [
            [
              { group: 'virtzone-provision', role: 'provision', tenants: ['acme'], classes: ['silver', 'bronze'] },
              { user: 'ops', role: 'admin' },
            ],
          ],
          description:
            'roles of local callers on the Unix socket, by the kernel\'s word for who they are (SO_PEERCRED: user, primary and supplementary groups); the first rule that matches decides. root and the daemon\'s own user are always admin',
        }),
        socketRole: Type.Union([Type.Literal('read'), Type.Literal('provision'), Type.Literal('none')], {
          default: 'read',
          description: 'role of a Unix socket caller no peers rule matches (only those api.socketMode lets in can connect at all); none: refused',
        }),
        rateLimit: Type.Object(
          {
            max: Type.Integer({ minimum: 1, maximum: 10000000, default: 6000, description: 'requests per credential per window; more are answered 429 with Retry-After (the host\'s administrator is not limited)' }),
            windowSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 60, description: 'the rate limit window' }),
          },
          { additionalProperties: false, default: {}, description: 'per-credential request rate limit (a token, or a Unix user)' },
        ),
        bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 10485760, default: 262144, description: 'largest request body accepted' }),
        defaultTtlSeconds: Type.Integer({ minimum: 1, maximum: 604800, default: 600, description: 'lifetime of a placement reservation whose request gives none' }),
        maxTtlSeconds: Type.Integer({ minimum: 1, maximum: 604800, default: 86400, description: 'the longest lifetime a placement may ask for (ttlSeconds above it: 422); a reservation holds capacity all that time' }),
        headersTimeoutSeconds: Type.Number({ minimum: 1, maximum: 300, default: 10, description: "a client must send a request's headers within this (a slowloris client is cut off)" }),
        requestTimeoutSeconds: Type.Number({ minimum: 1, maximum: 600, default: 60, description: 'a whole request (headers and body) must arrive within this' }),
        keepAliveTimeoutSeconds: Type.Number({ minimum: 0.1, maximum: 300, default: 5, description: 'an idle keep-alive connection is closed after this' }),
        maxConnections: Type.Integer({ minimum: 1, maximum: 65536, default: 512, description: 'open connections per listener (Unix socket, TCP); more are refused at accept' }),
      },
      { additionalProperties: false, default: {}, description: 'the HTTP API: a Unix socket, and optionally loopback TCP with a bearer token' },
    ),
    overflow: Type.Object(
      {
        policy: Type.Union([Type.Literal('probabilistic'), Type.Literal('quota')], { default: 'probabilistic', description: 'probabilistic: grant with a probability that falls with free capacity (subject of US patent 8,667,499, active); quota: deterministic per-class quotas (patent-free)' }),
        threshold: Fraction('free share below which grants become probabilistic', 0.2),
        exponent: Type.Number({ exclusiveMinimum: 0, maximum: 10, default: 2, description: 'curve shape: p = (free/threshold)^(exponent / weight)' }),
        retryAfterSeconds: Type.Integer({ minimum: 1, default: 60, description: 'retry hint sent with a denial' }),
        scope: Type.Union([Type.Literal('host'), Type.Literal('zones')], {
          default: 'host',
          description: "the free capacity an overflow decision sees: host = what is not in use on the whole host (as the plain mechanism sees it; zones still protect their members at run time by their CPU weights and memory limits); zones = only in the zones the request may borrow from (its own, general, lower priorities)",
        }),
      },
      { additionalProperties: false, default: {}, description: 'the overflow manager: requests that no zone can take after auto-scaling' },
    ),
    router: Type.Object(
      {
        admission: Type.Union([Type.Literal('expected'), Type.Literal('provisioned')], {
          default: 'expected',
          description: 'what a request and a zone\'s members are charged at when admitting into a zone: expected = their expected use (members: max(measured use, forecast peak); a request or reservation: its size x the class\'s observed use/provisioned ratio); provisioned = their full provisioned size',
        }),
        useRatioQuantile: Type.Number({ minimum: 0.5, maximum: 1, default: 0.9, description: 'expected admission: quantile over a class\'s running VMs of use/provisioned that a new request of the class is expected to use (bounded to [0.1, 1]; a class with no measured VM uses 1)' }),
        appHistoryDays: Type.Number({
          minimum: 0,
          maximum: 90,
          default: 28,
          description: 'expected admission: days of measured use of earlier VMs of the same tenant and app that a request is charged by (the useRatioQuantile of their 5-minute use/size ratios, bounded to [0.1, 1]) instead of its class\'s ratio; 0 = never',
        }),
        appMinSamples: Type.Integer({ minimum: 1, default: 288, description: 'expected admission: 5-minute samples an app needs (288 = one VM-day) before its own ratio is used' }),
      },
      { additionalProperties: false, default: {}, description: 'the placement router\'s admission into zones' },
    ),
    templates: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' }), TemplateSchema, {
      additionalProperties: false,
      default: {},
      description: 'VM templates by name (letters a-z, digits, -): the only shapes POST /v1/placements builds domains from. None by default: placements then only reserve, and callers create and confirm their VMs',
      examples: [{ small: { description: 'a small Linux VM', pool: 'images', networks: ['default'] } }],
    }),
    provisioning: Type.Object(
      {
        rawDomainXml: Type.Boolean({
          default: false,
          description: "accept a caller's own domain XML (domainXml) in placements, from the host's administrator only (root on the Unix socket); it must still pass the allow-list (the elements templates produce; disks only from templates' pools, networks only from templates' lists). Off: only templates create domains",
        }),
        reconcileIntervalSeconds: Type.Integer({ minimum: 0, maximum: 86400, default: 300, description: 'seconds between two reconciler passes over the domains the daemon created (one also runs at start); 0 = only at start' }),
      },
      { additionalProperties: false, default: {}, description: 'creating VMs: templates, raw domain XML, the reconciler' },
    ),
    quotas: Type.Object(
      {
        default: Type.Optional(Type.Object(TenantQuotaSchema.properties, { additionalProperties: false, description: 'the quota of every tenant without an entry of its own (and under one that leaves a key out)', examples: [{ vcpus: 64, memoryMiB: 131072, reservations: 50 }] })),
        tenants: Type.Record(Type.String({ minLength: 1, maxLength: 128 }), TenantQuotaSchema, { default: {}, description: 'quotas per tenant name (over quotas.default)', examples: [{ acme: { vcpus: 256, reservations: 200 } }] }),
      },
      {
        additionalProperties: false,
        default: {},
        description: 'what each tenant may hold on this host; a placement over a quota is answered 429 naming the quota. A tenant with no entry has the default; no default: unlimited',
        examples: [{ default: { vcpus: 64, memoryMiB: 131072, reservations: 50 }, tenants: { acme: { vcpus: 256 } } }],
      },
    ),
    metrics: Type.Object(
      {
        listen: Type.Optional(
          Type.String({
            pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):\\d{1,5}$',
            description:
              'also serve GET /metrics, and nothing else, on this HOST:PORT without a token, for a central Prometheus (any other path answers 404); unset: /metrics is only on the API. Read at start',
            examples: ['127.0.0.1:9469'],
          }),
        ),
      },
      { additionalProperties: false, default: {}, description: 'Prometheus metrics (always on the API\'s GET /metrics)' },
    ),
    log: Type.Object(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
          { default: 'info', description: 'least severe level that is logged' },
        ),
      },
      { additionalProperties: false, default: {}, description: 'logging: pino JSON lines on stdout, which systemd hands to the journal' },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
