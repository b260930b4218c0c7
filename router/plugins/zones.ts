// GET /v1/zones and /v1/zones/{zone}: the zone monitor's view plus the router's reservations.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { GENERAL_ZONE_NAME, type ZoneState } from '../../core/model/types.js';
import { zoneCondition } from '../../partitioner/surfaces/zones.js';
import type { RouterContext } from '../context.js';
import { expectedRoom, room, zoneCapacityOf } from '../placement/admission.js';
import { notFound } from '../problem.js';
import { problemResponses } from '../schemas/common.js';
import { ZoneParams, ZoneView } from '../schemas/reads.js';

export async function zoneRoutes(app: FastifyInstance, ctx: RouterContext) {
  const classes = ctx.deps.config.classes.map((c) => c.name);
  const rankOf = (z: string) => (classes.includes(z) ? classes.indexOf(z) : classes.length);

  async function views() {
    const zones = await ctx.deps.zones();
    const totals = ctx.service.reservedByZone();
    const zero = { cpuCores: 0, memoryMiB: 0 };
    return zones
      .map((z: ZoneState) => {
        const t = totals.get(z.name);
        const reserved = t?.reserved ?? zero;
        return {
          name: z.name,
          rank: rankOf(z.name),
          partition: z.partition,
          allocation: z.allocation,
          provisioned: z.provisioned,
          used: z.used,
          ...(z.forecastPeak ? { forecastPeak: z.forecastPeak } : {}),
          reserved,
          overflowReserved: t?.overflow ?? zero,
          // the room admission sees (config router.admission); allocation CPU already includes host.cpuOvercommit
          free: (ctx.deps.config.router.admission === 'expected' ? expectedRoom : room)(zoneCapacityOf(z, rankOf(z.name), reserved)),
          reservations: t?.count ?? 0,
          vms: z.vms,
          exhausted: z.exhausted,
          state: zoneCondition(z, ctx.deps.config.autoscaler),
        };
      })
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
        throw notFound(`no zone ${JSON.stringify(name)}: zones are ${[...classes, GENERAL_ZONE_NAME].join(', ')}`, 'zone');
      }
      return zone;
    },
  );
}
