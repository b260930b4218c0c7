// Prometheus metrics on a per-server Registry (never the global one, so two servers in
// one process — tests — do not collide): request counts and latency per route,
// placement decisions by zone and outcome, and zone sizes read from the zone provider
// at scrape time (refreshZones).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ZoneState } from '../core/model/types.js';
import type { Resources } from './overflow/policy.js';

export interface RouterMetrics {
  registry: Registry;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  decision(zone: string, outcome: string): void;
  /** reads the zone provider into the zone gauges; call right before serializing */
  refreshZones(): Promise<void>;
}

export function createMetrics(opts: {
  zones: () => Promise<ZoneState[]>;
  reserved: () => Map<string, { reserved: Resources }>;
  defaultMetrics?: boolean;
}): RouterMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'virtzoned_' });
  const requests = new Counter({
    name: 'virtzone_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'virtzone_http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const decisions = new Counter({
    name: 'virtzone_placement_decisions_total',
    help: 'placement decisions by zone and outcome (placed, borrowed, overflow, rejected, replayed, failed)',
    labelNames: ['zone', 'outcome'] as const,
    registers: [registry],
  });
  // zone sizes: one gauge family per quantity, labelled by zone and resource
  const families = ['allocation', 'provisioned', 'used', 'reserved'] as const;
  const gauges = Object.fromEntries(
    families.map((f) => [
      f,
      new Gauge({
        name: `virtzone_zone_${f}`,
        help: `zone ${f} by resource (cpu in cores, memory in MiB)`,
        labelNames: ['zone', 'resource'] as const,
        registers: [registry],
      }),
    ]),
  ) as Record<(typeof families)[number], Gauge<'zone' | 'resource'>>;
  const vmCount = new Gauge({ name: 'virtzone_zone_vms', help: 'member VMs per zone', labelNames: ['zone'] as const, registers: [registry] });
  const zoneCount = new Gauge({ name: 'virtzone_zones', help: 'zones reported by the zone monitor', registers: [registry] });
  return {
    registry,
    observeRequest(method, route, status, seconds) {
      requests.inc({ method, route, status: String(status) });
      latency.observe({ method, route }, seconds);
    },
    decision(zone, outcome) {
      decisions.inc({ zone, outcome });
    },
    // Not a collect() callback: the registry gathers metrics concurrently, so one
    // gauge's async collect could not fill the others in time.
    async refreshZones() {
      const zones = await opts.zones();
      const reserved = opts.reserved();
      for (const g of Object.values(gauges)) g.reset();
      vmCount.reset();
      for (const z of zones) {
        const set = (f: (typeof families)[number], r: Resources) => {
          gauges[f].set({ zone: z.name, resource: 'cpu' }, r.cpuCores);
          gauges[f].set({ zone: z.name, resource: 'memory' }, r.memoryMiB);
        };
        set('allocation', z.allocation);
        set('provisioned', z.provisioned);
        set('used', z.used);
        set('reserved', reserved.get(z.name)?.reserved ?? { cpuCores: 0, memoryMiB: 0 });
        vmCount.set({ zone: z.name }, z.vms.length);
      }
      zoneCount.set(zones.length);
    },
  };
}
