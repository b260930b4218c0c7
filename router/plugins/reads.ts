// GET /v1/vms and /v1/forecasts/{series}: delegated to the injected providers.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { RouterContext } from '../context.js';
import { notFound } from '../problem.js';
import { problemResponses } from '../schemas/common.js';
import { ForecastView, SeriesParams, VmView } from '../schemas/reads.js';

export async function readRoutes(app: FastifyInstance, ctx: RouterContext) {
  app.get(
    '/v1/vms',
    { schema: { summary: 'VMs on this host with their zone', tags: ['vms'], response: { 200: Type.Array(VmView), ...problemResponses } } },
    async () => ctx.deps.vms(),
  );

  app.get<{ Params: { series: string } }>(
    '/v1/forecasts/:series',
    {
      schema: {
        summary: 'Latest predictions of a series (every horizon and resource)',
        tags: ['forecasts'],
        params: SeriesParams,
        response: { 200: ForecastView, ...problemResponses },
      },
    },
    async (request) => {
      const raw = request.params.series;
      const series = raw.includes(':') ? raw : `class:${raw}`; // a bare name is a class
      const predictions = await ctx.deps.forecasts(series);
      if (!predictions.length) throw notFound(`no forecast for series ${JSON.stringify(series)} (not trained yet, or unknown)`, 'series');
      return { series, predictions };
    },
  );
}
