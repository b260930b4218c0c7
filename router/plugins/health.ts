// /healthz: libvirt connection, store, model age. 503 when libvirt or the store fail
// (the daemon cannot do its job); a missing or stale model, or zones that should be
// enforced and are not, only degrade it (200).
// libvirt is judged by the age of its last successful call as well as by the connection:
// a stopped or wedged libvirtd leaves the connection looking alive.
import type { FastifyInstance } from 'fastify';
import type { RouterContext } from '../context.js';
import { HealthView } from '../schemas/reads.js';

export async function healthRoutes(app: FastifyInstance, ctx: RouterContext) {
  const maxAge = ctx.deps.maxModelAgeSeconds ?? 48 * 3600;
  const storeProbe = ctx.deps.db.prepare("SELECT version FROM schema_version WHERE component = 'reservations'");

  app.get(
    '/healthz',
    { schema: { summary: 'Liveness of libvirt, the store and the forecasting model', tags: ['health'], response: { 200: HealthView, 503: HealthView } } },
    async (_request, reply) => {
      const libvirt = libvirtCheck(ctx);
      let store;
      try {
        const row = storeProbe.get() as { version: number } | undefined;
        store = row ? { ok: true, detail: `reservations schema v${row.version}` } : { ok: false, detail: 'reservations schema missing' };
        // a full disk still answers reads: the writers' last outcome tells
        const writes = ctx.deps.storeWrites?.();
        if (store.ok && writes && !writes.ok) store = { ok: false, detail: `database reads work but ${writes.detail}` };
      } catch (err) {
        store = { ok: false, detail: `store query failed: ${(err as Error).message}` };
      }
      let model;
      try {
        const age = await ctx.deps.actions.modelAgeSeconds();
        model =
          age === null
            ? { ok: false, detail: 'no model trained yet' }
            : { ok: age <= maxAge, detail: `newest model is ${Math.round(age)} s old (limit ${maxAge} s)` };
      } catch (err) {
        model = { ok: false, detail: `model age unknown: ${(err as Error).message}` };
      }
      const zones = ctx.deps.zonesHealth?.();
      const failing = !libvirt.ok || !store.ok;
      const status = failing ? 'failing' : model.ok && (zones?.ok ?? true) ? 'ok' : 'degraded';
      return reply.code(failing ? 503 : 200).send({ status, checks: { libvirt, store, model, ...(zones ? { zones } : {}) } });
    },
  );
}

/** libvirt's check: connected, and a call succeeded within libvirt.healthyWithinSeconds. */
export function libvirtCheck(ctx: RouterContext): { ok: boolean; detail: string } {
  const host = ctx.deps.host;
  if (!host) return { ok: false, detail: 'no hypervisor connection configured' };
  if (!host.isAlive()) return { ok: false, detail: `connection to ${host.uri} lost` };
  const age = ctx.deps.hostCallAgeSeconds?.();
  if (age === undefined || age === null) return { ok: true, detail: `connected to ${host.uri}` };
  const limit = ctx.deps.config.libvirt.healthyWithinSeconds;
  const ageText = `${Math.round(age)} s ago`;
  if (age > limit) return { ok: false, detail: `connected to ${host.uri}, but no libvirt call has succeeded for ${Math.round(age)} s (limit ${limit} s)` };
  return { ok: true, detail: `connected to ${host.uri}; last call succeeded ${ageText}` };
}
