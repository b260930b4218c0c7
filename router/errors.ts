// Turns every failure fastify or a route can produce into problem+json: schema
// violations name the field (from Ajv's instancePath / missingProperty /
// additionalProperty), parser and size errors keep their 4xx status, and only a
// genuine server fault becomes a 500 (logged; its detail is not shown).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isStorageError } from '../core/store/write-health.js';
import { PROBLEM_CONTENT_TYPE, ProblemError, problemBody, type FieldError } from './problem.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

const HEADER_NAMES: Record<string, string> = { 'idempotency-key': 'Idempotency-Key', authorization: 'Authorization', 'content-type': 'Content-Type' };

/** '/a/0/b~1c' -> 'a[0].b/c', plus the property Ajv names for required/additionalProperties. */
function fieldOf(e: AjvError, context: string | undefined): string {
  const parts = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (e.keyword === 'required' && typeof e.params.missingProperty === 'string') parts.push(e.params.missingProperty);
  if (e.keyword === 'additionalProperties' && typeof e.params.additionalProperty === 'string') parts.push(e.params.additionalProperty);
  let field = parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
  if (context === 'headers') field = HEADER_NAMES[field.toLowerCase()] ?? field;
  return field || (context === 'body' ? '(body)' : `(${context ?? 'request'})`);
}

function messageOf(e: AjvError, fieldName: string): string {
  // '(body)' -> 'the body'
  const field = fieldName.startsWith('(') ? `the ${fieldName.slice(1, -1)}` : fieldName;
  switch (e.keyword) {
    case 'required':
      return `missing required field ${field}`;
    case 'additionalProperties':
      return `unknown field ${field}`;
    case 'type':
      return `${field} must be of type ${String(e.params.type)}`;
    default:
      return `${field} ${e.message ?? 'is invalid'}`;
  }
}

const WHERE: Record<string, string> = { body: 'body', headers: 'header', params: 'path parameter', querystring: 'query parameter' };

function validationProblem(validation: AjvError[], context: string | undefined) {
  const errors: FieldError[] = validation.map((e) => {
    const field = fieldOf(e, context);
    return { field, message: messageOf(e, field) };
  });
  const first = errors[0] ?? { field: '(request)', message: 'invalid request' };
  const detail = first.field.startsWith('(') ? first.message : `${WHERE[context ?? ''] ?? 'request'} field ${first.field}: ${first.message}`;
  return problemBody(400, 'invalid-request', 'Invalid request', detail, {
    field: first.field,
    errors,
  });
}

/** Status, slug and wording for fastify's own request errors. */
const FASTIFY_CODES: Record<string, { status: number; slug: string; title: string; field?: string; detail?: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, slug: 'unsupported-media-type', title: 'Unsupported media type', field: 'Content-Type', detail: 'request bodies must be application/json' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, slug: 'body-too-large', title: 'Body too large', field: '(body)' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, slug: 'invalid-json', title: 'Invalid JSON', field: '(body)', detail: 'the body is empty but Content-Type is application/json' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, slug: 'invalid-json', title: 'Invalid JSON', field: '(body)' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, slug: 'invalid-request', title: 'Invalid request', field: 'Content-Length' },
  FST_ERR_BAD_URL: { status: 400, slug: 'invalid-request', title: 'Invalid request', field: '(url)' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, slug: 'invalid-request', title: 'URI too long', field: '(url)' },
};

export function sendProblem(reply: FastifyReply, body: Record<string, unknown> & { status: number }, headers: Record<string, string> = {}) {
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

function problemForError(err: FastifyError & { validation?: AjvError[]; validationContext?: string }) {
  if (err instanceof ProblemError) return { body: err.body(), headers: err.headers };
  if (err.validation) return { body: validationProblem(err.validation, err.validationContext), headers: {} };
  const known = err.code ? FASTIFY_CODES[err.code] : undefined;
  if (known) {
    return { body: problemBody(known.status, known.slug, known.title, known.detail ?? err.message, { field: known.field }), headers: {} };
  }
  // JSON.parse / secure-json-parse failures (broken JSON, __proto__ or constructor keys)
  if (err instanceof SyntaxError || /prototype property|forbidden/i.test(err.message)) {
    return { body: problemBody(400, 'invalid-json', 'Invalid JSON', `body is not acceptable JSON: ${err.message}`, { field: '(body)' }), headers: {} };
  }
  // the database cannot take writes (disk full, I/O error): the daemon is unavailable for
  // this request, not broken, and reads still work
  if (isStorageError(err)) {
    return {
      body: problemBody(503, 'store-unavailable', 'Database unavailable', `the database cannot be written (${err.code}: ${err.message}); nothing was changed, reads still work`),
      headers: { 'retry-after': '30' },
    };
  }
  const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
  if (status >= 400 && status < 500) {
    return { body: problemBody(status, 'invalid-request', 'Invalid request', err.message), headers: {} };
  }
  return undefined; // a server fault
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const p = problemForError(err);
    if (p) return sendProblem(reply, p.body, p.headers);
    request.log.error({ err, route: request.routeOptions.url }, 'request failed');
    return sendProblem(reply, problemBody(500, 'internal', 'Internal error', 'the daemon failed to handle this request; see its log'));
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problemBody(404, 'not-found', 'Not found', `no route ${request.method} ${request.url.split('?')[0]}`, { field: '(url)' })),
  );
}

/** fastify's frameworkErrors option: bad URLs and the like, before routing. */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply) {
  const p = problemForError(err) ?? { body: problemBody(400, 'invalid-request', 'Invalid request', err.message), headers: {} };
  return sendProblem(reply, p.body, p.headers);
}
