// GET /metrics (Prometheus text) and GET /v1/openapi.json (generated from the routes).
import type { FastifyInstance } from 'fastify';
import type { RouterContext } from '../context.js';
import { buildOpenApi } from '../openapi.js';
import { Problem } from '../schemas/common.js';

export async function metaRoutes(app: FastifyInstance, ctx: RouterContext) {
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['meta'] } }, async (_request, reply) => {
    await ctx.metrics.refreshZones();
    const text = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(text);
  });

  let doc: unknown;
  app.get('/v1/openapi.json', { schema: { summary: 'This document', tags: ['meta'] } }, async () => {
    doc ??= buildOpenApi(ctx.routes, { Problem }, { title: 'virtzoned', version: '1' });
    return doc;
  });
}
