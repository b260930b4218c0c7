// GET /v1/templates: the shapes this host builds VMs from. POST /v1/reconcile: what the
// reconciler would do about interrupted creations and vanished domains, and (with
// {"apply": true}) doing it.
import type { FastifyInstance } from 'fastify';
import { absentBodyIsEmpty } from './absent-body.js';
import type { RouterContext } from '../context.js';
import { unavailable } from '../problem.js';
import { HostNotReachable } from '../provisioning/reconciler.js';
import { problemResponses } from '../schemas/common.js';
import { ReconcileAnswer, ReconcileBody, TemplateList } from '../schemas/provisioning.js';

export async function provisioningRoutes(app: FastifyInstance, ctx: RouterContext) {
  app.get(
    '/v1/templates',
    { schema: { summary: 'The operator templates VMs are built from', tags: ['placements'], response: { 200: TemplateList, ...problemResponses } } },
    async () => ({
      templates: [...ctx.service.templates().values()].map(({ baseXml, ...t }) => ({ ...t, baseXml: baseXml !== undefined })),
      rawDomainXml: ctx.deps.config.provisioning.rawDomainXml,
    }),
  );

  app.post<{ Body: { apply?: boolean } }>(
    '/v1/reconcile',
    {
      config: { role: 'admin' },
      preValidation: absentBodyIsEmpty,
      schema: {
        summary: 'Settle interrupted creations and vanished domains (dry run unless apply is true)',
        description: 'A running guest is never removed: one without a reservation of its own is reported. Every applied action is audited.',
        tags: ['placements'],
        body: ReconcileBody,
        response: { 200: ReconcileAnswer, ...problemResponses },
      },
    },
    async (request) => {
      const apply = request.body.apply === true;
      try {
        const outcomes = await ctx.service.reconciler.reconcile({ dryRun: !apply });
        return {
          applied: apply,
          actions: outcomes.map(({ action, result, error }) => ({
            kind: action.kind,
            reservation: action.reservation,
            domain: action.domain,
            why: action.why,
            result,
            ...(error !== undefined ? { error } : {}),
          })),
        };
      } catch (err) {
        if (err instanceof HostNotReachable) throw unavailable(err.message);
        throw err;
      }
    },
  );
}
