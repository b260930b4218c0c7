// GET /v1/plan, POST /v1/repartition, POST /v1/train: delegated to the daemon's actions.
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

  app.post<{ Body: { dryRun: boolean } }>(
    '/v1/repartition',
    {
      preValidation: absentBodyIsEmpty,
      schema: {
        summary: 'Compute a plan from the latest forecasts and apply it (dryRun: only show it)',
        tags: ['plan'],
        body: RepartitionBody,
        response: { 200: OpenObject, ...problemResponses },
      },
    },
    async (request) => ctx.deps.actions.repartition({ dryRun: request.body.dryRun }),
  );

  app.post<{ Body: { series?: string[] } }>(
    '/v1/train',
    {
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
