// OpenAPI 3.1 document generated from the very schemas fastify validates with, collected
// from the registered routes (onRoute), so the contract cannot drift from the code.
import type { FastifyInstance, RouteOptions } from 'fastify';

interface RouteSchema {
  summary?: string;
  description?: string;
  tags?: string[];
  body?: unknown;
  params?: { properties?: Record<string, unknown>; required?: string[] };
  querystring?: { properties?: Record<string, unknown>; required?: string[] };
  headers?: { properties?: Record<string, unknown>; required?: string[] };
  response?: Record<string, unknown>;
  security?: unknown;
}

export interface CollectedRoute {
  method: string;
  url: string;
  schema: RouteSchema;
}

/** Plain JSON copy with `$ref: 'X'` (fastify's shared-schema ids) pointed at components. */
function toOpenApiSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toOpenApiSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === '$id') continue;
    out[k] = k === '$ref' && typeof v === 'string' && !v.startsWith('#') ? `#/components/schemas/${v}` : toOpenApiSchema(v);
  }
  return out;
}

function parameters(where: 'path' | 'query' | 'header', s?: { properties?: Record<string, unknown>; required?: string[] }) {
  return Object.entries(s?.properties ?? {}).map(([name, schema]) => ({
    name: where === 'header' ? name.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase()) : name,
    in: where,
    required: where === 'path' || (s?.required ?? []).includes(name),
    schema: toOpenApiSchema(schema),
    ...(typeof (schema as { description?: unknown }).description === 'string' ? { description: (schema as { description: string }).description } : {}),
  }));
}

const STATUS_TEXT: Record<string, string> = { '200': 'OK', '201': 'Created', '429': 'Rejected: no room and the overflow manager did not grant it', '4xx': 'Client error (problem details)', '5xx': 'Server error (problem details)', '503': 'Unavailable' };

export function buildOpenApi(routes: readonly CollectedRoute[], components: Record<string, unknown>, info: { title: string; version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const s = r.schema;
    const op: Record<string, unknown> = {
      operationId: `${r.method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c?: string) => (c ? c.toUpperCase() : ''))}`,
    };
    if (s.summary) op.summary = s.summary;
    if (s.description) op.description = s.description;
    if (s.tags) op.tags = s.tags;
    const params = [...parameters('path', s.params), ...parameters('query', s.querystring), ...parameters('header', s.headers)];
    if (params.length) op.parameters = params;
    if (s.body) op.requestBody = { required: true, content: { 'application/json': { schema: toOpenApiSchema(s.body) } } };
    const responses: Record<string, unknown> = {};
    for (const [code, schema] of Object.entries(s.response ?? {})) {
      const problem = code.startsWith('4') || code.startsWith('5');
      const type = code === '200' && r.url === '/metrics' ? 'text/plain' : problem ? 'application/problem+json' : 'application/json';
      responses[code] = { description: STATUS_TEXT[code] ?? code, content: { [type]: { schema: toOpenApiSchema(schema) } } };
    }
    if (!Object.keys(responses).length) responses['200'] = { description: 'OK' };
    op.responses = responses;
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      ...info,
      description: 'virtzoned HTTP API: Unix socket (no auth; file mode and group guard it) or loopback TCP with a bearer token.',
    },
    servers: [{ url: '/' }],
    components: {
      schemas: Object.fromEntries(Object.entries(components).map(([k, v]) => [k, toOpenApiSchema(v)])),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'required on loopback TCP (api.listen), not on the Unix socket' } },
    },
    security: [{}, { bearer: [] }],
    paths,
  };
}

/** Registers the onRoute hook that records every route; call before any route is added. */
export function collectRoutes(app: FastifyInstance): CollectedRoute[] {
  const routes: CollectedRoute[] = [];
  app.addHook('onRoute', (opts: RouteOptions) => {
    const methods = Array.isArray(opts.method) ? opts.method : [opts.method];
    for (const m of methods) {
      if (m === 'HEAD' || (opts.schema as { hide?: boolean } | undefined)?.hide) continue;
      routes.push({ method: m, url: opts.url, schema: (opts.schema ?? {}) as RouteSchema });
    }
  });
  return routes;
}

// Documentation keys on route schemas, as @fastify/swagger declares them.
declare module 'fastify' {
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: string[];
    hide?: boolean;
  }
}
