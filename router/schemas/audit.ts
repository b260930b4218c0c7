// Schemas of GET /v1/audit and the pure parsing of its query. Query values arrive as
// strings (the server's Ajv does not coerce): the schema bounds their shape, and
// auditQueryOf turns them into an AuditQuery, refusing what the patterns cannot (a limit
// out of range, an impossible date, until before since) with a 400 naming the field.
import { Type } from '@sinclair/typebox';
import { AUDIT_RESULTS, type AuditQuery, type AuditResult } from '../../core/store/audit.js';
import { badRequest } from '../problem.js';

export const AUDIT_LIMIT_MAX = 10_000;
export const AUDIT_LIMIT_DEFAULT = 100;

const UNIX_SECONDS = '[0-9]{1,11}(\\.[0-9]{1,6})?';
const ISO_TIME = '[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?';

const Time = (description: string) =>
  Type.String({ minLength: 1, maxLength: 40, pattern: `^(${UNIX_SECONDS}|${ISO_TIME})$`, description: `${description}: unix seconds or ISO 8601 (a time without a zone is UTC)` });

const Text = (description: string) => Type.String({ minLength: 1, maxLength: 128, description });

export const AuditQueryString = Type.Object(
  {
    since: Type.Optional(Time('rows at or after this time')),
    until: Type.Optional(Time('rows at or before this time')),
    vm: Type.Optional(Text('only rows about this VM (a domain name, "host", or "zone:<name>")')),
    actor: Type.Optional(Text("only rows by this actor ('config', 'autoscaler', 'apply', 'router', a credential's name, ...)")),
    action: Type.Optional(Text("only rows of this action ('set-mode', 'setVcpus', 'zone-limits', ...)")),
    result: Type.Optional(Type.Union(AUDIT_RESULTS.map((r) => Type.Literal(r)), { description: 'only rows that ended so' })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$', description: `at most this many rows, 1..${AUDIT_LIMIT_MAX} (default ${AUDIT_LIMIT_DEFAULT})` })),
  },
  { additionalProperties: false },
);

export interface AuditQueryStrings {
  since?: string;
  until?: string;
  vm?: string;
  actor?: string;
  action?: string;
  result?: AuditResult;
  limit?: string;
}

export const AuditRowView = Type.Object(
  {
    id: Type.Integer(),
    ts: Type.Number({ description: 'unix seconds' }),
    actor: Type.String(),
    vm: Type.String({ description: 'the domain acted on, "host", or "zone:<name>"' }),
    action: Type.String(),
    reason: Type.String(),
    before: Type.Unknown({ description: 'the value before (any JSON)' }),
    after: Type.Unknown({ description: 'the value after, or what was asked (any JSON)' }),
    result: Type.Union(AUDIT_RESULTS.map((r) => Type.Literal(r))),
    error: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false, description: 'one action virtzone took, or decided not to take' },
);

export const AuditListView = Type.Array(AuditRowView, { description: 'newest first' });

/** A query time as unix seconds; null when the text names no real instant (2025-02-30). */
export function timeOf(text: string): number | null {
  if (/^[0-9]{1,11}(\.[0-9]+)?$/.test(text)) return Number(text);
  const zoned = /T/.test(text) && !/(Z|[+-][0-9]{2}:?[0-9]{2})$/.test(text) ? `${text}Z` : text;
  const ms = Date.parse(zoned);
  if (!Number.isFinite(ms)) return null;
  // Date.parse rolls 2025-02-30 over to March: only a date that prints back the same is real
  const day = text.slice(0, 10);
  if (new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)))).toISOString().slice(0, 10) !== day) return null;
  return ms / 1000;
}

/** The store's query for a request's query strings; a 400 naming the field for what cannot be. */
export function auditQueryOf(q: AuditQueryStrings): AuditQuery {
  const out: AuditQuery = {};
  for (const field of ['since', 'until'] as const) {
    const text = q[field];
    if (text === undefined) continue;
    const t = timeOf(text);
    if (t === null) throw badRequest(`query parameter field ${field}: ${JSON.stringify(text)} is not a real time`, field);
    out[field] = t;
  }
  if (out.since !== undefined && out.until !== undefined && out.until < out.since) {
    throw badRequest(`query parameter field until: until (${out.until}) is before since (${out.since})`, 'until');
  }
  if (q.limit !== undefined) {
    const limit = Number(q.limit);
    if (limit < 1 || limit > AUDIT_LIMIT_MAX) throw badRequest(`query parameter field limit: ${limit} is out of range 1..${AUDIT_LIMIT_MAX}`, 'limit');
    out.limit = limit;
  } else {
    out.limit = AUDIT_LIMIT_DEFAULT;
  }
  if (q.vm !== undefined) out.vm = q.vm;
  if (q.actor !== undefined) out.actor = q.actor;
  if (q.action !== undefined) out.action = q.action;
  if (q.result !== undefined) out.result = q.result;
  return out;
}
