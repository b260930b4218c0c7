// POST /v1/placements and the reservation it creates: GET, confirm, DELETE. The
// placement service answers in domain terms; the HTTP statuses, problem+json bodies and
// headers of those answers are decided here.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { partitionOf } from '../../core/model/types.js';
import type { RouterContext } from '../context.js';
import type { Refusal, PlaceResult, RefusalReason, ReservationResult } from '../placement/results.js';
import { PROBLEM_CONTENT_TYPE, ProblemError, conflict, notFound, problemBody, unavailable, unprocessable } from '../problem.js';
import type { Reservation } from '../reservations/store.js';
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

const iso = (ms: number) => new Date(ms).toISOString();

/** A reservation as the API shows it. */
function reservationView(r: Reservation, now: number): Record<string, unknown> {
  const active = r.state === 'reserved' || r.state === 'bound';
  const view: Record<string, unknown> = {
    id: r.id,
    // an active row past its TTL is expired even before the sweep marks it
    state: active && r.expiresAt <= now ? 'expired' : r.state,
    zone: r.zone,
    chargeZone: r.chargeZone,
    partition: partitionOf(r.zone),
    tenant: r.tenant,
    app: r.app,
    vcpus: r.vcpus,
    memoryMiB: r.memoryMiB,
    overflow: r.overflow,
    createdAt: iso(r.createdAt),
    expiresAt: iso(r.expiresAt),
  };
  if (r.priority !== null) view.priority = r.priority;
  if (r.name !== null) view.name = r.name;
  if (r.probability !== null) view.probability = r.probability;
  if (r.domain !== null) view.domain = r.domain;
  if (r.endedAt !== null) view.endedAt = iso(r.endedAt);
  return view;
}

const REFUSALS: Record<RefusalReason, (r: Refusal) => ProblemError> = {
  invalid: (r) => unprocessable(r.detail, r.field),
  forbidden: (r) => new ProblemError(403, 'forbidden', 'Forbidden', r.detail, { field: r.field }),
  // not the host's fullness: the tenant's own limit, until it releases something
  'over-quota': (r) => new ProblemError(429, 'quota-exceeded', 'Quota exceeded', r.detail, { field: r.field, extensions: r.extensions }),
  'in-progress': (r) => new ProblemError(409, 'in-progress', 'Request in progress', r.detail, { field: r.field, headers: { 'retry-after': '1' } }),
  conflict: (r) => conflict(r.detail, r.field),
  'not-found': (r) => notFound(r.detail, r.field),
  'host-unavailable': (r) => unavailable(r.detail),
  // the host's trouble, not the caller's: 503, retry later
  'partition-failed': (r) => new ProblemError(503, 'partition-failed', 'Zone partition unavailable', r.detail, { field: r.field, headers: { 'retry-after': '30' } }),
  'host-failed': (r) => new ProblemError(503, 'host-failed', 'Hypervisor failed', r.detail, { field: r.field, headers: { 'retry-after': '30' } }),
};

/** A refusal as the problem the error handler sends (status, problem+json body, headers). */
const refusalProblem = (r: Refusal): ProblemError => REFUSALS[r.reason](r);

/** 201 for a placement (Idempotent-Replayed on a retry); 429 with Retry-After for a rejection. */
function sendPlacement(reply: FastifyReply, result: PlaceResult) {
  switch (result.kind) {
    case 'placed':
      return reply.code(201).send(result.answer);
    case 'replayed':
      return reply.code(201).header('idempotent-replayed', 'true').send(result.answer);
    case 'rejected': {
      const d = result.overflow;
      const body = problemBody(
        429,
        'zone-full',
        'Zone full',
        `zone ${result.zone} has no room for ${result.request.cpuCores} vCPUs / ${result.request.memoryMiB} MiB and the ${d.policy} overflow policy did not grant it (free share ${d.freeShare.toFixed(3)}, probability ${d.probability.toFixed(3)})`,
        { extensions: { decision: 'rejected', zone: result.zone, policy: d.policy, probability: d.probability, retryAfterSeconds: result.retryAfterSeconds } },
      );
      return reply.code(429).header('retry-after', String(result.retryAfterSeconds)).type(PROBLEM_CONTENT_TYPE).send(body);
    }
    case 'refused':
      throw refusalProblem(result);
  }
}

function sendReservation(reply: FastifyReply, result: ReservationResult, now: number) {
  if (result.kind === 'refused') throw refusalProblem(result);
  return reply.code(200).send(reservationView(result.reservation, now));
}

export async function placementRoutes(app: FastifyInstance, ctx: RouterContext) {
  const { service } = ctx;

  app.post<{ Body: PlacementBodyT; Headers: { 'idempotency-key': string } }>(
    '/v1/placements',
    {
      config: { role: 'provision' },
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
    async (request, reply) => sendPlacement(reply, await service.place(request.body, request.headers['idempotency-key'], ctx.caller(request))),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/placements/:id',
    { schema: { summary: 'A reservation', tags: ['placements'], params: ReservationId, response: { 200: ReservationView, ...problemResponses } } },
    async (request, reply) => sendReservation(reply, service.get(request.params.id), ctx.now()),
  );

  app.post<{ Params: { id: string }; Body: { domain: string } }>(
    '/v1/placements/:id/confirm',
    {
      config: { role: 'provision' },
      schema: {
        summary: 'Bind a reservation to a domain the caller created',
        tags: ['placements'],
        params: ReservationId,
        body: ConfirmBody,
        response: { 200: ReservationView, ...problemResponses },
      },
    },
    async (request, reply) => sendReservation(reply, await service.confirm(request.params.id, request.body.domain, ctx.caller(request)), ctx.now()),
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/placements/:id',
    { config: { role: 'provision' }, schema: { summary: 'Release a reservation', tags: ['placements'], params: ReservationId, response: { 200: ReservationView, ...problemResponses } } },
    async (request, reply) => sendReservation(reply, service.release(request.params.id, ctx.caller(request)), ctx.now()),
  );
}
