// GET /v1/vms/{name}: one VM — the collector's view of it (zone, tenant, app, latest use)
// joined with what libvirt says now (state, vCPUs and memory, current and maximum) and
// its zone's floor. A VM the host knows but the collector has not seen yet is shown
// without a zone; one neither knows is a 404.
import type { FastifyInstance } from 'fastify';
import type { DomainInfo } from '../../core/host/types.js';
import type { RouterContext } from '../context.js';
import { notFound } from '../problem.js';
import { problemResponses } from '../schemas/common.js';
import { VmNameParams } from './history.js';
import { VmInfoView } from '../schemas/vm-info.js';

function domainView(d: DomainInfo) {
  return {
    uuid: d.uuid,
    state: d.state,
    id: d.id,
    persistent: d.persistent,
    vcpusCurrent: d.vcpusCurrent,
    vcpusMax: d.vcpusMax,
    memoryMiB: d.memoryKiB / 1024,
    maxMemoryMiB: d.maxMemoryKiB / 1024,
  };
}

export async function vmInfoRoutes(app: FastifyInstance, ctx: RouterContext) {
  app.get<{ Params: { name: string } }>(
    '/v1/vms/:name',
    {
      schema: {
        summary: 'One VM: its zone, tenant, app, latest use, libvirt state and size (current and maximum), and its zone floor',
        tags: ['vms'],
        params: VmNameParams,
        response: { 200: VmInfoView, ...problemResponses },
      },
    },
    async (request) => {
      const name = request.params.name;
      const view = (await ctx.deps.vms()).find((v) => v.name === name);
      let domain: DomainInfo | null = null;
      try {
        domain = ctx.deps.host ? await ctx.deps.host.lookup(name) : null;
      } catch {
        // not defined on the host (or the host did not answer): the collector's view stands alone
        domain = null;
      }
      if (!view && !domain) throw notFound(`no VM named ${JSON.stringify(name)} on this host (see GET /v1/vms)`, 'name');
      const zone = view?.zone ?? null;
      const floor = ctx.deps.config.classes.find((c) => c.name === zone)?.floor ?? null;
      return { ...(view ?? { name }), zone, domain: domain && domainView(domain), zoneFloor: floor };
    },
  );
}
