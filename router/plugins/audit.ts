// GET /v1/audit: the audit table (every action virtzone took or decided not to take),
// newest first, filtered by time, VM, actor, action and result (`virtzone audit`,
// `virtzone vm`). Read role: the rows name VMs and credentials, nothing secret.
import type { FastifyInstance } from 'fastify';
import type { RouterContext } from '../context.js';
import { notFound } from '../problem.js';
import { AuditListView, AuditQueryString, auditQueryOf, type AuditQueryStrings } from '../schemas/audit.js';
import { problemResponses } from '../schemas/common.js';

export async function auditRoutes(app: FastifyInstance, ctx: RouterContext) {
  app.get<{ Querystring: AuditQueryStrings }>(
    '/v1/audit',
    {
      schema: {
        summary: 'Audit rows (what virtzone did, why, before and after), newest first',
        tags: ['audit'],
        querystring: AuditQueryString,
        response: { 200: AuditListView, ...problemResponses },
      },
    },
    async (request) => {
      const audit = ctx.deps.audit;
      if (!audit) throw notFound('this daemon keeps no audit log (no audit table)', 'audit');
      return audit.list(auditQueryOf(request.query));
    },
  );
}
