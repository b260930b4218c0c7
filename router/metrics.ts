// Prometheus metrics on a per-server Registry (never the global one, so two servers in
// one process — tests — do not collide), named by Prometheus conventions: base units
// (seconds, bytes, cores), `_total` on counters, one unit per family. The router feeds
// request counts and latency per route and placement decisions by zone and outcome; the
// zone families are read from the zone provider at scrape time (refreshZones); the
// daemon adds the families it has the data for (addDaemonSources). The files under
// metrics/ hold each group of families and the optional listener.
import { Counter, Histogram, Registry } from 'prom-client';
import type { ZoneState } from '../core/model/types.js';
import type { ConnectionLimits } from './listen.js';
import type { ZoneTotals } from './reservations/store.js';
import { registerBuildInfo } from './metrics/build-info.js';
import { registerDaemonMetrics, type DaemonMetricSources } from './metrics/daemon-metrics.js';
import { registerDefaultMetrics } from './metrics/default-metrics.js';
import { listenMetrics, type MetricsListener } from './metrics/listener.js';
import { registerZoneMetrics } from './metrics/zone-metrics.js';

export type { DaemonMetricSources, MetricsVm } from './metrics/daemon-metrics.js';
export type { MetricsListener } from './metrics/listener.js';

export interface RouterMetrics {
  registry: Registry;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  decision(zone: string, outcome: string): void;
  /** reads the zone provider into the zone gauges; call right before serializing */
  refreshZones(): Promise<void>;
  /** the exposition text: the zones refreshed, then every family */
  render(): Promise<string>;
  /** registers the families the daemon feeds (forecasts, model, libvirt, collector, actions, VMs); once */
  addDaemonSources(sources: DaemonMetricSources): void;
  /** serves GET /metrics alone, without a token, on HOST:PORT (config metrics.listen) */
  listen(listen: string, limits: ConnectionLimits): Promise<MetricsListener>;
}

export function createMetrics(opts: {
  zones: () => Promise<ZoneState[]>;
  reserved: () => Map<string, ZoneTotals>;
  defaultMetrics?: boolean;
}): RouterMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) registerDefaultMetrics(registry);
  registerBuildInfo(registry);
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
  const fillZones = registerZoneMetrics(registry);
  let daemonSources = false;
  const metrics: RouterMetrics = {
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
      fillZones(await opts.zones(), opts.reserved());
    },
    async render() {
      await metrics.refreshZones();
      return registry.metrics();
    },
    addDaemonSources(sources) {
      if (daemonSources) throw new Error('metrics: the daemon sources are already registered');
      daemonSources = true;
      registerDaemonMetrics(registry, sources);
    },
    listen(listen, limits) {
      return listenMetrics({ contentType: registry.contentType, render: () => metrics.render() }, listen, limits);
    },
  };
  return metrics;
}
