// The reconciler: at start-up (before the API listens) and every
// provisioning.reconcileIntervalSeconds it compares the daemon's creation intents and
// bound reservations with the domains on the host and settles what a stop half-way
// left (reconcile-plan.ts decides; this carries out). Every action is audited. It never
// destroys a running guest: such a guest is reported. `virtzone reconcile --dry-run`
// shows the plan, `virtzone reconcile` applies it.
import type { Logger } from '../../core/log.js';
import { parseZoneMetadata } from '../../core/host/metadata.js';
import type { HostAdapter } from '../../core/host/types.js';
import type { AuditLog } from '../../core/store/audit.js';
import { placedAnswer } from '../placement/placed-answer.js';
import type { ReservationLifecycle } from '../reservations/lifecycle.js';
import type { Reservation } from '../reservations/store.js';
import type { Provisioner } from './provisioner.js';
import { planReconcile, type HostDomainFacts, type ReconcileAction } from './reconcile-plan.js';

export interface ReconcilerOptions {
  reservations: ReservationLifecycle;
  provisioner: Provisioner;
  host?: HostAdapter;
  audit?: AuditLog;
  logger?: Logger;
  now: () => number;
}

export interface ReconcileOutcome {
  action: ReconcileAction;
  /** applied: done; failed: tried and failed (error); planned: dry run; reported: nothing to do but tell */
  result: 'applied' | 'failed' | 'planned' | 'reported';
  error?: string;
}

export class HostNotReachable extends Error {
  override name = 'HostNotReachable';
}

export class Reconciler {
  /** one pass at a time: a periodic pass and an operator's must not act twice */
  private running: Promise<ReconcileOutcome[]> | null = null;

  constructor(private readonly o: ReconcilerOptions) {}

  /** Plans and (unless dryRun) applies one pass. Rejects with HostNotReachable when libvirt is not connected. */
  reconcile(opts: { dryRun: boolean; only?: Reservation }): Promise<ReconcileOutcome[]> {
    if (this.running && !opts.dryRun) {
      // after the pass in progress, whether it worked or not
      const again = () => this.reconcile(opts);
      return this.running.then(again, again);
    }
    const pass = this.pass(opts);
    if (!opts.dryRun) {
      this.running = pass.finally(() => {
        this.running = null;
      });
      // the caller is told of a failed pass through `pass`; this copy is only waited on
      this.running.catch(() => undefined);
    }
    return pass;
  }

  private async pass(opts: { dryRun: boolean; only?: Reservation }): Promise<ReconcileOutcome[]> {
    const actions = planReconcile(await this.facts(opts.only));
    const out: ReconcileOutcome[] = [];
    for (const action of actions) {
      if (action.kind === 'report') {
        if (!opts.dryRun) this.audit(action, 'skipped');
        out.push({ action, result: 'reported' });
        continue;
      }
      if (opts.dryRun) {
        out.push({ action, result: 'planned' });
        continue;
      }
      try {
        const done = await this.apply(action);
        this.audit(action, done ? 'ok' : 'failed', done ? undefined : 'not applied (the reservation changed meanwhile)');
        out.push(done ? { action, result: 'applied' } : { action, result: 'failed', error: 'the reservation changed meanwhile' });
      } catch (err) {
        this.audit(action, 'failed', (err as Error).message);
        out.push({ action, result: 'failed', error: (err as Error).message });
      }
    }
    if (!opts.dryRun && out.length > 0) this.o.logger?.info({ actions: out.map((x) => ({ kind: x.action.kind, reservation: x.action.reservation, domain: x.action.domain, result: x.result })) }, 'reconciler pass');
    return out;
  }

  /** The facts of one pass; with `only`, that reservation's creation alone (a retried request). */
  private async facts(only?: Reservation) {
    const host = this.o.host;
    if (!host || !host.isAlive()) throw new HostNotReachable('no connection to libvirt: cannot reconcile now');
    const store = this.o.reservations.store;
    // the database first, the host after: a creation that finishes in between then shows
    // on the host with a reservation this pass never saw unbound — never the other way
    // round (a bound reservation whose new domain the pass's host listing missed)
    const inFlight = new Set(this.o.provisioner.creating);
    const unfinished = only ? [only] : store.unfinishedCreations().filter((r) => !inFlight.has(r.id));
    const bound = only ? [] : store.boundToDomains();
    const list = await host.listDomains();
    const domains: HostDomainFacts[] = [];
    for (const d of list) {
      if (only && d.uuid.toLowerCase() !== only.domainUuid?.toLowerCase()) continue;
      let tagged: string | null = null;
      if (!only) {
        try {
          const meta = await host.getMetadata(d.name);
          tagged = meta === null ? null : (parseZoneMetadata(meta).reservation ?? null);
        } catch {
          tagged = 'unreadable';
        }
      }
      const running = d.state === 'running' || d.state === 'blocked' || d.state === 'paused' || d.state === 'pmsuspended';
      domains.push({ name: d.name, uuid: d.uuid, running, persistent: d.persistent, taggedReservation: tagged });
    }
    return {
      unfinished,
      bound,
      domains,
      reservation: (id: string) => store.get(id),
      // live: a creation begun since the snapshot is left alone too
      inFlight: this.o.provisioner.creating,
    };
  }

  private async apply(action: Exclude<ReconcileAction, { kind: 'report' }>): Promise<boolean> {
    const { reservations } = this.o;
    const store = reservations.store;
    switch (action.kind) {
      case 'bind': {
        const r = store.get(action.reservation)!;
        return reservations.bindCreated(r.id, action.domain, { ...placedAnswer(r), domain: action.domain });
      }
      case 'remove': {
        const r = store.get(action.reservation)!;
        const [pool, volume] = splitVolume(action.rootVolume);
        const undone = await this.o.provisioner.undo({ name: action.domain ?? r.name ?? '', uuid: action.uuid, rootVolume: pool ? { pool, volume } : null });
        if (!undone) throw new Error('the partial domain could not be removed');
        reservations.releaseUnfinished(r.id);
        store.setCreation(r.id, 'failed');
        return true;
      }
      case 'release': {
        const r = reservations.release(action.reservation);
        return r.kind === 'reservation';
      }
    }
  }

  private audit(action: ReconcileAction, result: 'ok' | 'failed' | 'skipped', error?: string): void {
    this.o.audit?.append({
      ts: this.o.now() / 1000,
      actor: 'reconciler',
      vm: action.domain ?? `reservation:${action.reservation}`,
      action: `reconcile-${action.kind}`,
      reason: action.why,
      before: { reservation: action.reservation },
      after: action.kind === 'report' ? null : { kind: action.kind },
      result,
      error: error ?? null,
    });
  }
}

function splitVolume(v: string | null): [string, string] | [null, null] {
  if (!v) return [null, null];
  const i = v.indexOf('/');
  return [v.slice(0, i), v.slice(i + 1)];
}
