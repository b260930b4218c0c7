// What the route plugins share: the injected providers, the placement service and
// the metrics. Built once per server by buildServer().
import type { FastifyReply } from 'fastify';
import type { RouterDeps } from './deps.js';
import type { RouterMetrics } from './metrics.js';
import type { CollectedRoute } from './openapi.js';
import type { Answer, PlacementService } from './placement/service.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';

export interface RouterContext {
  deps: RouterDeps;
  service: PlacementService;
  metrics: RouterMetrics;
  routes: CollectedRoute[];
  now: () => number;
}

export function sendAnswer(reply: FastifyReply, a: Answer) {
  if (a.headers) for (const [k, v] of Object.entries(a.headers)) reply.header(k, v);
  reply.code(a.status);
  if (a.problem) reply.type(PROBLEM_CONTENT_TYPE);
  return reply.send(a.body);
}
