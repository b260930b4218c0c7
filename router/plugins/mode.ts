// GET /v1/mode: observe or enforce, who set it, and what each class still lacks before
// enforce makes sense. POST /v1/mode (admin): switch it; the switch is audited and holds
// across restarts until the config's mode key changes.
import type { FastifyInstance } from 'fastify';
import type { RouterContext } from '../context.js';
import { notFound } from '../problem.js';
import { problemResponses } from '../schemas/common.js';
import { ModeBody, ModeView } from '../schemas/mode.js';
import type { Mode } from '../deps.js';

export async function modeRoutes(app: FastifyInstance, ctx: RouterContext) {
  const control = () => {
    const m = ctx.deps.mode;
    if (!m) throw notFound('this daemon does not report a mode (no mode provider)', 'mode');
    return m;
  };

  app.get(
    '/v1/mode',
    { schema: { summary: 'The operating mode (observe or enforce) and the evidence each class still lacks', tags: ['mode'], response: { 200: ModeView, ...problemResponses } } },
    async () => control().view(),
  );

  app.post<{ Body: { mode: Mode; reason?: string } }>(
    '/v1/mode',
    {
      config: { role: 'admin' },
      schema: { summary: 'Switch between observe and enforce (audited)', tags: ['mode'], body: ModeBody, response: { 200: ModeView, ...problemResponses } },
    },
    async (request) => control().set(request.body.mode, ctx.caller(request).principal.name, request.body.reason),
  );
}
