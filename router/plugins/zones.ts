// GET /v1/zones and /v1/zones/{zone}: the zone monitor's view plus the router's reservations.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { GENERAL_ZONE_NAME } from '../../core/model/types.js';
import { zoneCondition } from '../../partitioner/index.js';
import type { RouterContext } from '../context.js';
import { notFound } from '../problem.js';
import { problemResponses } from '../schemas/common.js';
import { ZoneParams, ZoneView } from '../schemas/reads.js';

export async function zoneRoutes(app: FastifyInstance, ctx: RouterContext) {
  const classes = () => ctx.deps.config.classes.map((c) => c.name);

  async function views() {
    const zero = { cpuCores: 0, memoryMiB: 0 };
    return (await ctx.service.zoneRooms())
      .map(({ zone: z, rank, totals: t, free }) => ({
        name: z.name,
        rank,
        partition: z.partition,
        allocation: z.allocation,
        provisioned: z.provisioned,
        used: z.used,
        ...(z.forecastPeak ? { forecastPeak: z.forecastPeak } : {}),
        reserved: t?.reserved ?? zero,
        overflowReserved: t?.overflow ?? zero,
        // the room the next admission check sees: computed as a decision computes it
        // (config router.admission, reservations at their app profiles' charge)
        free,
        reservations: t?.count ?? 0,
        vms: z.vms,
        exhausted: z.exhausted,
        state: zoneCondition(z, ctx.deps.config.autoscaler),
      }))
      .sort((a, b) => a.rank - b.rank);
  }

  app.get(
    '/v1/zones',
    { schema: { summary: 'All zones, highest priority first', tags: ['zones'], response: { 200: Type.Array(ZoneView), ...problemResponses } } },
    async () => views(),
  );

  app.get<{ Params: { zone: string } }>(
    '/v1/zones/:zone',
    { schema: { summary: 'One zone', tags: ['zones'], params: ZoneParams, response: { 200: ZoneView, ...problemResponses } } },
    async (request) => {
      const name = request.params.zone;
      const zone = (await views()).find((z) => z.name === name);
      if (!zone) {
        throw notFound(`no zone ${JSON.stringify(name)}: zones are ${[...classes(), GENERAL_ZONE_NAME].join(', ')}`, 'zone');
      }
      return zone;
    },
  );
}
