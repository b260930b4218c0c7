import type { FastifyRequest } from 'fastify';

/** An absent body means "no options" (then defaults apply); a present one is checked strictly. */
export async function absentBodyIsEmpty(request: FastifyRequest) {
  if (request.body === undefined || request.body === null) request.body = {};
}
