// What the route plugins share: the injected providers, the placement service and
// the metrics. Built once per server by buildServer().
import type { FastifyRequest } from 'fastify';
import type { RouterDeps } from './deps.js';
import type { Caller } from './access/access.js';
import type { RouterMetrics } from './metrics.js';
import type { CollectedRoute } from './openapi.js';
import type { PlacementService } from './placement/service.js';

export interface RouterContext {
  deps: RouterDeps;
  service: PlacementService;
  metrics: RouterMetrics;
  routes: CollectedRoute[];
  now: () => number;
  /** who sent a request: its peer on the Unix socket, or a TCP client */
  caller: (request: FastifyRequest) => Caller;
}
