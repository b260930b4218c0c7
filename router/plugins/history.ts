// GET /v1/vms/{name}/history and GET /v1/series/{series}/history: a series' 5-minute
// rollups from the store (`virtzone history VM`, `virtzone forecast`), delegated to the
// injected history provider. since/until are unix seconds, [since, until).
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ROLLUP_SECONDS, type Rollup } from '../../core/model/types.js';
import type { RouterContext } from '../context.js';
import { badRequest, notFound } from '../problem.js';
import { problemResponses } from '../schemas/common.js';
import { SeriesParams } from '../schemas/reads.js';

const UnixSeconds = (description: string) => Type.String({ pattern: '^[0-9]{1,11}$', description });

export const HistoryQuery = Type.Object(
  {
    since: Type.Optional(UnixSeconds('from this time, unix seconds (inclusive; default: the first rollup)')),
    until: Type.Optional(UnixSeconds('up to this time, unix seconds (exclusive; default: the last rollup)')),
  },
  { additionalProperties: false },
);

export const VmNameParams = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$', description: 'domain name' }) },
  { additionalProperties: false },
);

const Num = Type.Union([Type.Number(), Type.Null()]);

export const RollupView = Type.Object(
  {
    ts: Type.Integer({ description: 'bucket start, unix seconds' }),
    cpuMean: Num,
    cpuMax: Num,
    cpuP95: Num,
    memMean: Num,
    memMax: Num,
    memP95: Num,
    netBps: Num,
    diskBps: Num,
    samples: Type.Integer(),
  },
  { additionalProperties: false, description: 'one 5-minute rollup: CPU in cores, memory in MiB, I/O in bytes/s' },
);

export const HistoryView = Type.Object(
  {
    series: Type.String(),
    vm: Type.Optional(Type.String()),
    zone: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    since: Type.Union([Type.Integer(), Type.Null()]),
    until: Type.Union([Type.Integer(), Type.Null()]),
    stepSeconds: Type.Integer(),
    count: Type.Integer(),
    rollups: Type.Array(RollupView),
  },
  { additionalProperties: false },
);

const finite = (x: number) => (Number.isFinite(x) ? x : null);

function rollupView(r: Rollup) {
  return {
    ts: r.ts,
    cpuMean: finite(r.cpuMean),
    cpuMax: finite(r.cpuMax),
    cpuP95: finite(r.cpuP95),
    memMean: finite(r.memMean),
    memMax: finite(r.memMax),
    memP95: finite(r.memP95),
    netBps: finite(r.netBps),
    diskBps: finite(r.diskBps),
    samples: r.samples,
  };
}

function range(q: { since?: string; until?: string }) {
  const since = q.since === undefined ? null : Number(q.since);
  const until = q.until === undefined ? null : Number(q.until);
  if (since !== null && until !== null && until <= since) throw badRequest(`until (${until}) must be after since (${since})`, 'until');
  return { since, until };
}

export async function historyRoutes(app: FastifyInstance, ctx: RouterContext) {
  const provider = () => {
    const h = ctx.deps.history;
    if (!h) throw notFound('this daemon keeps no history to serve (no history provider)', 'history');
    return h;
  };

  app.get<{ Params: { name: string }; Querystring: { since?: string; until?: string } }>(
    '/v1/vms/:name/history',
    {
      schema: {
        summary: "A VM's 5-minute usage history (CPU cores, memory MiB: mean, max, p95)",
        tags: ['vms'],
        params: VmNameParams,
        querystring: HistoryQuery,
        response: { 200: HistoryView, ...problemResponses },
      },
    },
    async (request) => {
      const history = provider();
      const { since, until } = range(request.query);
      const name = request.params.name;
      const vm = (await ctx.deps.vms()).find((v) => v.name === name);
      if (!vm) throw notFound(`no VM named ${JSON.stringify(name)} on this host (see GET /v1/vms)`, 'name');
      const rollups = await history(`vm:${name}`, since ?? 0, until ?? Number.MAX_SAFE_INTEGER);
      return { series: `vm:${name}`, vm: name, zone: vm.zone ?? null, since, until, stepSeconds: ROLLUP_SECONDS, count: rollups.length, rollups: rollups.map(rollupView) };
    },
  );

  app.get<{ Params: { series: string }; Querystring: { since?: string; until?: string } }>(
    '/v1/series/:series/history',
    {
      schema: {
        summary: "A series' 5-minute history ('class:gold', 'vm:web-1', 'tenant:acme', 'app:db', or a bare class name)",
        tags: ['forecasts'],
        params: SeriesParams,
        querystring: HistoryQuery,
        response: { 200: HistoryView, ...problemResponses },
      },
    },
    async (request) => {
      const history = provider();
      const { since, until } = range(request.query);
      const raw = request.params.series;
      const series = raw.includes(':') ? raw : `class:${raw}`; // a bare name is a class, as in /v1/forecasts
      const rollups = await history(series, since ?? 0, until ?? Number.MAX_SAFE_INTEGER);
      return { series, since, until, stepSeconds: ROLLUP_SECONDS, count: rollups.length, rollups: rollups.map(rollupView) };
    },
  );
}
