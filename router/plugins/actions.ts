// GET /v1/plan, POST /v1/repartition, POST /v1/train: delegated to the daemon's actions.
// Repartition resizes live VMs: it only shows its plan unless the body says apply.
import type { FastifyInstance } from 'fastify';
import { absentBodyIsEmpty } from './absent-body.js';
import type { RouterContext } from '../context.js';
import { notFound } from '../problem.js';
import { OpenObject, problemResponses } from '../schemas/common.js';
import { RepartitionBody, TrainBody } from '../schemas/reads.js';

export async function actionRoutes(app: FastifyInstance, ctx: RouterContext) {
  app.get(
    '/v1/plan',
    { schema: { summary: "The partitioner's current plan", tags: ['plan'], response: { 200: OpenObject, ...problemResponses } } },
    async () => ctx.deps.actions.plan(),
  );

  app.post<{ Body: { apply: boolean } }>(
    '/v1/repartition',
    {
      config: { role: 'admin' },
      preValidation: absentBodyIsEmpty,
      schema: {
        summary: 'Compute a plan from the latest forecasts; apply it only when apply is true (else a dry run)',
        tags: ['plan'],
        body: RepartitionBody,
        response: { 200: OpenObject, ...problemResponses },
      },
    },
    async (request) => ctx.deps.actions.repartition({ dryRun: request.body.apply !== true }),
  );

  app.post<{ Body: { series?: string[] } }>(
    '/v1/train',
    {
      config: { role: 'admin' },
      preValidation: absentBodyIsEmpty,
      schema: { summary: 'Train the forecasting models now', tags: ['forecasts'], body: TrainBody, response: { 200: OpenObject, ...problemResponses } },
    },
    async (request) => ctx.deps.actions.train(request.body.series ? { series: request.body.series } : {}),
  );

  app.get(
    '/v1/train',
    { schema: { summary: 'The current or last training run and its progress', tags: ['forecasts'], response: { 200: OpenObject, ...problemResponses } } },
    async () => {
      const status = ctx.deps.actions.trainStatus;
      if (!status) throw notFound('this daemon does not report training progress (no trainStatus provider)', 'train');
      return status();
    },
  );
}
