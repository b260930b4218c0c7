// prom-client's standard process and Node.js metrics under their stock names
// (process_*, nodejs_*), so dashboards and alerts written for any Node.js service work.
import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * Gauges prom-client names with a "_total" suffix, which Prometheus reserves for
 * counters (promtool check metrics rejects them). Each repeats the sum over its
 * per-type sibling (nodejs_active_handles{type} ...), so nothing is lost without them.
 */
const MISNAMED_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function registerDefaultMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_GAUGES) if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
}
