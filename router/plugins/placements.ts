// POST /v1/placements and the reservation it creates: GET, confirm, DELETE.
import type { FastifyInstance } from 'fastify';
import { sendAnswer, type RouterContext } from '../context.js';
import { problemResponses } from '../schemas/common.js';
import {
  ConfirmBody,
  IdempotencyHeaders,
  PlacementBody,
  ReservationId,
  ReservationView,
  placementResponses,
  type PlacementBodyT,
} from '../schemas/placements.js';

export async function placementRoutes(app: FastifyInstance, ctx: RouterContext) {
  const { service } = ctx;

  app.post<{ Body: PlacementBodyT; Headers: { 'idempotency-key': string } }>(
    '/v1/placements',
    {
      schema: {
        summary: 'Reserve room for a VM (and optionally define and start it)',
        description:
          'Maps the request to a zone (explicit priority, else config rules, else general), reserves capacity durably for ttlSeconds, or asks the overflow manager when the zone is full. The Idempotency-Key header is required: a retry with the same key and body returns the first answer and never reserves twice; the same key with a different body is 422.',
        tags: ['placements'],
        headers: IdempotencyHeaders,
        body: PlacementBody,
        response: placementResponses,
      },
    },
    async (request, reply) => sendAnswer(reply, await service.place(request.body, request.headers['idempotency-key'])),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/placements/:id',
    { schema: { summary: 'A reservation', tags: ['placements'], params: ReservationId, response: { 200: ReservationView, ...problemResponses } } },
    async (request, reply) => sendAnswer(reply, service.get(request.params.id)),
  );

  app.post<{ Params: { id: string }; Body: { domain: string } }>(
    '/v1/placements/:id/confirm',
    {
      schema: {
        summary: 'Bind a reservation to a domain the caller created',
        tags: ['placements'],
        params: ReservationId,
        body: ConfirmBody,
        response: { 200: ReservationView, ...problemResponses },
      },
    },
    async (request, reply) => sendAnswer(reply, await service.confirm(request.params.id, request.body.domain)),
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/placements/:id',
    { schema: { summary: 'Release a reservation', tags: ['placements'], params: ReservationId, response: { 200: ReservationView, ...problemResponses } } },
    async (request, reply) => sendAnswer(reply, service.release(request.params.id)),
  );
}
