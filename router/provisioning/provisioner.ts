// Creating the domain of a placement. Before anything is reserved, prepare() turns the
// request into a DomainPlan: a template's shape with the asked size, an image of its pool
// and networks of its list — or, when the operator allows it, raw XML that passed the
// allow-list — under a name and uuid checked free on the host and held (per process)
// until the creation ends. The placement's transaction then stores the intent (name, uuid,
// root volume) with its reservation, and create() carries it out step by step, recording
// each step so a daemon killed half-way leaves something the reconciler can settle:
// root volume → define → partition → start → bind. A failed step undoes the earlier ones
// by the domain's uuid and releases the reservation — except a step libvirt did not
// answer in time (libvirt.callTimeoutSeconds): its outcome is unknown, so nothing is
// undone and the reservation stays charged; the creation is left as recorded for the
// reconciler, which takes it up once the call that timed out has ended.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../core/log.js';
import { failpoint } from '../../core/failpoint.js';
import { isHostCallTimeout, isLibvirtError, isNotFound, mayBeConnectionLoss, type HostCallTimeout } from '../../core/host/errors.js';
import type { HostAdapter } from '../../core/host/types.js';
import { DEFAULT_PARTITION, partitionOf } from '../../core/model/types.js';
import type { AuditLog } from '../../core/store/audit.js';
import { setDomainPartition, setDomainUuid, setZoneMetadata } from '../../core/xml/domain-xml.js';
import type { EnsurePartition } from '../deps.js';
import type { Caller } from '../access/access.js';
import { placedAnswer, type PlacedAnswer } from '../placement/placed-answer.js';
import { hostTimeoutProblem } from '../placement/host-refusal.js';
import { refused, type Refusal } from '../placement/results.js';
import type { ReservationLifecycle } from '../reservations/lifecycle.js';
import type { Reservation } from '../reservations/store.js';
import { buildDomainXml } from './build-domain.js';
import type { DomainTemplate } from './domain-template.js';
import { checkRawDomainXml } from './raw-domain-policy.js';
import { rootVolumePlan, type RootVolumePlan } from './root-volume.js';
import { rawDomainAllowance, type TemplateCatalog } from './templates.js';

/** What a placement asks for that bears on the domain it may create. */
export interface CreatingRequest {
  tenant: string;
  app: string;
  vcpus: number;
  memoryMiB: number;
  name?: string;
  /** build the domain from this operator template (with image and networks) */
  template?: string;
  image?: string;
  networks?: string[];
  /** the caller's own domain XML, when provisioning.rawDomainXml allows it */
  domainXml?: string;
}

/** A domain to create, checked against the templates and the host before anything is reserved. */
export interface DomainPlan {
  name: string;
  /** daemon-generated: the domain is found (and undone) by it */
  uuid: string;
  template: DomainTemplate | null;
  networks: string[];
  rootVolume: RootVolumePlan | null;
  /** the caller's XML, when raw domain XML is allowed and it passed the allow-list */
  rawXml: string | null;
  vcpus: number;
  memoryMiB: number;
}

export interface ProvisionerOptions {
  reservations: ReservationLifecycle;
  host?: HostAdapter;
  templates: () => TemplateCatalog;
  rawDomainXml: () => boolean;
  /** see RouterDeps.ensurePartition */
  ensurePartition?: EnsurePartition;
  /** see RouterDeps.enforcing */
  enforcing?: () => boolean;
  audit?: AuditLog;
  logger?: Logger;
  now: () => number;
}

/** A step of a creation failed; `stage` says which, for the answer and the audit. */
class CreationStepError extends Error {
  constructor(
    readonly stage: 'volume' | 'define' | 'partition' | 'start',
    override readonly cause: unknown,
  ) {
    super(`${stage} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

const DOMAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

/** A name for a domain the request did not name: the app and the uuid's first group. */
function generatedName(app: string, uuid: string): string {
  const base = app.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 55);
  return `${base}-${uuid.slice(0, 8)}`;
}

export class Provisioner {
  /** names and uuids of domains this process is checking or creating now: check → define → start is serialized per name and uuid */
  private readonly held = new Set<string>();
  /** reservations whose domain this process is creating now (the reconciler leaves them alone) */
  readonly creating = new Set<string>();

  constructor(private readonly o: ProvisionerOptions) {}

  /** The plan for a creating placement, or why not; on success its name and uuid are held until release(plan). */
  async prepare(req: CreatingRequest, caller: Caller): Promise<{ kind: 'ok'; plan: DomainPlan } | Refusal> {
    const uuid = randomUUID();
    let shaped: Omit<DomainPlan, 'rootVolume' | 'uuid'> & { image?: string };
    if (req.domainXml !== undefined) {
      const raw = this.checkRaw(req, caller);
      if (raw.kind === 'refused') return raw;
      shaped = raw.plan;
    } else {
      const t = this.checkTemplate(req, uuid);
      if (t.kind === 'refused') return t;
      shaped = t.plan;
    }
    const host = this.o.host;
    if (!host || !host.isAlive()) return refused('host-unavailable', 'no connection to libvirt: cannot create a domain now');
    if (this.held.has(shaped.name)) return refused('conflict', `a domain named ${JSON.stringify(shaped.name)} is being created by another request`, 'name');
    this.held.add(shaped.name);
    this.held.add(uuid);
    const plan: DomainPlan = { ...shaped, uuid, rootVolume: null };
    try {
      const onHost = await this.checkHost(plan, shaped.image);
      if (onHost) {
        this.release(plan);
        return onHost;
      }
    } catch (err) {
      this.release(plan);
      if (isHostCallTimeout(err)) throw hostTimeoutProblem(err, 'check the host for the new domain');
      throw err;
    }
    return { kind: 'ok', plan };
  }

  /** Lets go of a plan's name and uuid (its creation ended, or it was never reserved). */
  release(plan: DomainPlan): void {
    this.held.delete(plan.name);
    this.held.delete(plan.uuid);
  }

  private checkTemplate(req: CreatingRequest, uuid: string): { kind: 'ok'; plan: Omit<DomainPlan, 'rootVolume' | 'uuid'> & { image: string } } | Refusal {
    const catalog = this.o.templates();
    const t = catalog.get(req.template!);
    if (!t) {
      const known = [...catalog.keys()];
      return refused('invalid', `no template ${JSON.stringify(req.template)}; this host has ${known.length ? known.join(', ') : 'none (see templates in the configuration)'}`, 'template');
    }
    if (req.vcpus < t.vcpus.min || req.vcpus > t.vcpus.max) {
      return refused('invalid', `template ${t.name} allows ${t.vcpus.min}..${t.vcpus.max} vCPUs, not ${req.vcpus}`, 'vcpus');
    }
    if (req.memoryMiB < t.memoryMiB.min || req.memoryMiB > t.memoryMiB.max) {
      return refused('invalid', `template ${t.name} allows ${t.memoryMiB.min}..${t.memoryMiB.max} MiB, not ${req.memoryMiB}`, 'memoryMiB');
    }
    if (req.image === undefined) return refused('invalid', `template ${t.name} needs an image: a volume of storage pool ${t.pool}`, 'image');
    const networks = req.networks ?? [t.networks[0]];
    const refusedNet = networks.find((n) => !t.networks.includes(n));
    if (refusedNet !== undefined) {
      return refused('invalid', `template ${t.name} may join networks ${t.networks.join(', ')}, not ${JSON.stringify(refusedNet)}`, 'networks');
    }
    const name = req.name ?? generatedName(req.app, uuid);
    return { kind: 'ok', plan: { name, template: t, networks, rawXml: null, vcpus: req.vcpus, memoryMiB: req.memoryMiB, image: req.image } };
  }

  private checkRaw(req: CreatingRequest, caller: Caller): { kind: 'ok'; plan: Omit<DomainPlan, 'rootVolume' | 'uuid'> } | Refusal {
    if (!this.o.rawDomainXml()) {
      return refused('forbidden', 'domainXml is not accepted on this host (provisioning.rawDomainXml is off): name a template instead', 'domainXml');
    }
    if (!caller.admin) {
      return refused('forbidden', 'domainXml is accepted only from the host\'s administrator (root on the Unix socket): name a template instead', 'domainXml');
    }
    const verdict = checkRawDomainXml(req.domainXml!, rawDomainAllowance(this.o.templates()));
    if (!verdict.ok) return refused('invalid', `domainXml: <${verdict.element}> is not allowed: ${verdict.detail}`, 'domainXml');
    // what runs is what is charged: the request's size must be the document's
    if (verdict.vcpus !== req.vcpus) {
      return refused('invalid', `vcpus ${req.vcpus} differs from the ${verdict.vcpus} vCPUs the domain XML starts with`, 'vcpus');
    }
    if (verdict.memoryMiB !== req.memoryMiB) {
      return refused('invalid', `memoryMiB ${req.memoryMiB} differs from the domain XML's <memory> (${verdict.memoryMiB} MiB)`, 'memoryMiB');
    }
    if (req.name !== undefined && req.name !== verdict.name) {
      return refused('invalid', `name ${JSON.stringify(req.name)} differs from the domain XML's <name> ${JSON.stringify(verdict.name)}`, 'name');
    }
    if (!DOMAIN_NAME.test(verdict.name)) return refused('invalid', `domainXml: <name> ${JSON.stringify(verdict.name)} is not a valid domain name`, 'domainXml');
    return { kind: 'ok', plan: { name: verdict.name, template: null, networks: [], rawXml: req.domainXml!, vcpus: verdict.vcpus, memoryMiB: verdict.memoryMiB } };
  }

  /** The host side: the name is free, the image and networks exist, the root volume's name is free. */
  private async checkHost(plan: DomainPlan, image: string | undefined): Promise<Refusal | null> {
    const host = this.o.host!;
    if (await exists(() => host.lookup(plan.name))) return refused('conflict', `a domain named ${JSON.stringify(plan.name)} already exists`, 'name');
    const t = plan.template;
    if (!t) return null;
    let volume;
    try {
      volume = await host.lookupStorageVolume(t.pool, image!);
    } catch (err) {
      if (isNotFound(err)) return refused('invalid', `no image ${JSON.stringify(image)} in storage pool ${t.pool} of template ${t.name}`, 'image');
      throw err;
    }
    const active = new Set((await host.listNetworks()).filter((n) => n.active).map((n) => n.name));
    const down = plan.networks.find((n) => !active.has(n));
    if (down !== undefined) return refused('host-failed', `network ${down} of template ${t.name} is not active on this host`);
    plan.rootVolume = rootVolumePlan(plan.name, volume, t.rootDisk);
    if (await exists(() => host.lookupStorageVolume(t.pool, plan.rootVolume!.volume))) {
      return refused('conflict', `storage pool ${t.pool} already has a volume ${plan.rootVolume.volume}; choose another name`, 'name');
    }
    return null;
  }

  /** The reservation's intent: stored with it, in the transaction that decides the placement. */
  intentOf(plan: DomainPlan): { domainUuid: string; template: string | null; rootVolume: string | null } {
    return { domainUuid: plan.uuid, template: plan.template?.name ?? null, rootVolume: plan.rootVolume ? `${plan.rootVolume.pool}/${plan.rootVolume.volume}` : null };
  }

  private enforcingZones(): boolean {
    return this.o.enforcing?.() !== false;
  }

  /**
   * The partition a new domain starts in: its zone's while zones are enforced; in observe
   * mode libvirt's default (nothing is created in the cgroup tree), where a later apply in
   * enforce mode finds it and moves it at its next start.
   */
  private partitionFor(zone: string): string {
    return this.enforcingZones() ? partitionOf(zone) : DEFAULT_PARTITION;
  }

  /** The domain XML of a plan, tagged with its reservation. */
  domainXml(plan: DomainPlan, r: Reservation): string {
    const metadata = { class: r.zone, tenant: r.tenant, app: r.app, reservation: r.id };
    const partition = this.partitionFor(r.zone);
    if (plan.template) {
      const v = plan.rootVolume!;
      return buildDomainXml(plan.template, {
        name: plan.name,
        uuid: plan.uuid,
        vcpus: plan.vcpus,
        memoryMiB: plan.memoryMiB,
        partition,
        metadata,
        rootVolume: { pool: v.pool, volume: v.volume, format: v.format },
        networks: plan.networks,
      });
    }
    // raw XML: the daemon's uuid, partition and tag replace whatever the caller wrote,
    // each placed by the parser's offsets (a <name> in a comment cannot mislead them)
    return setZoneMetadata(setDomainPartition(setDomainUuid(plan.rawXml!, plan.uuid), partition), metadata);
  }

  /**
   * Creates, starts and binds the domain of a reservation whose intent is stored; on a
   * failed step undoes what was done (by uuid) and releases the reservation.
   */
  async create(plan: DomainPlan, r: Reservation): Promise<{ kind: 'created'; answer: PlacedAnswer } | Refusal> {
    const { reservations } = this.o;
    const store = reservations.store;
    const host = this.o.host!;
    this.creating.add(r.id);
    let stage: CreationStepError['stage'] = 'volume';
    try {
      await failpoint('create.after-intent');
      if (plan.rootVolume) {
        const v = plan.rootVolume;
        await host.createStorageVolume(v.pool, v.xml, v.cloneFrom ? { cloneFrom: v.cloneFrom } : undefined);
        store.setCreation(r.id, 'volume');
        await failpoint('create.after-volume');
      }
      stage = 'define';
      await host.define(this.domainXml(plan, r));
      store.setCreation(r.id, 'defined');
      await failpoint('create.after-define');
      stage = 'partition';
      if (this.enforcingZones()) await this.o.ensurePartition?.(r.zone, { vcpus: r.vcpus, memoryMiB: r.memoryMiB, name: plan.name });
      stage = 'start';
      await host.start(plan.name);
      store.setCreation(r.id, 'started');
      await failpoint('create.after-start');
    } catch (err) {
      if (isHostCallTimeout(err)) throw this.timedOut(plan, r, stage, err);
      this.creating.delete(r.id);
      return this.failed(plan, r, new CreationStepError(stage, err));
    }
    try {
      const answer: PlacedAnswer = { ...placedAnswer(r), domain: plan.name };
      if (!reservations.bindCreated(r.id, plan.name, answer)) return this.unbound(plan, r);
      const after = { state: 'running', uuid: plan.uuid, partition: this.partitionFor(r.zone), vcpus: r.vcpus, memoryMiB: r.memoryMiB, template: plan.template?.name ?? null, rootVolume: plan.rootVolume?.volume ?? null, networks: plan.networks };
      this.audit(r, plan, 'create', 'ok', null, after);
      this.o.logger?.info({ vm: plan.name, zone: r.zone, action: 'create', why: reasonOf(r), before: null, after }, `${plan.name} created and started in ${this.partitionFor(r.zone)}`);
      await failpoint('create.before-answer');
      return { kind: 'created', answer };
    } finally {
      this.creating.delete(r.id);
    }
  }

  /** The reservation ended (released, expired) while its domain was created: the running guest is reported, never destroyed. */
  private unbound(plan: DomainPlan, r: Reservation): Refusal {
    const now = this.o.reservations.store.get(r.id);
    this.o.reservations.store.setCreation(r.id, 'done');
    this.o.reservations.store.forgetKey(r.id);
    this.audit(r, plan, 'create', 'failed', null, { state: 'running', uuid: plan.uuid }, `reservation ${now?.state ?? 'gone'} while its domain was created; the domain runs without a reservation`);
    this.o.logger?.warn({ vm: plan.name, reservation: r.id, state: now?.state }, 'reservation ended while its domain was created: the domain runs without one (virtzone reconcile lists it)');
    return refused('conflict', `reservation ${r.id} was ${now?.state ?? 'removed'} while its domain was created; domain ${plan.name} runs without a reservation and is listed by the reconciler`, 'id');
  }

  /**
   * A step libvirt did not answer in time: it may still complete (the call runs on), so
   * nothing is undone and the reservation stays charged with its creation as recorded.
   * The reservation counts as being created until that call has ended — the reconciler
   * must not judge the host while the step may still change it — and the reconciler's
   * next pass after that settles it (binds a running domain, removes a partial one).
   */
  private timedOut(plan: DomainPlan, r: Reservation, stage: CreationStepError['stage'], err: HostCallTimeout) {
    void err.settled.finally(() => this.creating.delete(r.id));
    this.audit(r, plan, 'create', 'failed', null, null, `${stage}: libvirt did not answer ${err.operation} within ${err.timeoutMs} ms; left for the reconciler`);
    this.o.logger?.warn(
      { vm: plan.name, uuid: plan.uuid, reservation: r.id, stage, operation: err.operation, timeoutMs: err.timeoutMs },
      `domain creation timed out at ${stage}; nothing undone (the call may still complete), left for the reconciler`,
    );
    return hostTimeoutProblem(err, stage === 'volume' ? 'create the root volume' : `${stage} the domain`);
  }

  private async failed(plan: DomainPlan, r: Reservation, err: CreationStepError): Promise<Refusal> {
    const undone = await this.undo(plan);
    const { reservations } = this.o;
    if (undone) {
      reservations.releaseUnfinished(r.id);
      reservations.store.setCreation(r.id, 'failed');
    }
    this.audit(r, plan, 'create', undone ? 'rolled_back' : 'failed', null, null, `${err.stage}: ${messageOf(err.cause)}`);
    this.o.logger?.warn({ vm: plan.name, uuid: plan.uuid, reservation: r.id, stage: err.stage, err: err.cause, undone }, `domain creation failed at ${err.stage}; ${undone ? 'undone, reservation released' : 'left for the reconciler'}`);
    if (!undone) return refused('host-unavailable', `libvirt failed during ${err.stage} and the partial domain could not be removed yet; the reconciler will settle it`);
    if (isLibvirtError(err.cause) && mayBeConnectionLoss(err.cause)) return refused('host-unavailable', `the connection to libvirt was lost during ${err.stage}; nothing was kept, the reservation was released`);
    if (err.stage === 'partition') return refused('partition-failed', `the resource partition ${partitionOf(r.zone)} of zone ${r.zone} could not be prepared; nothing was kept, the reservation was released`);
    if (err.stage === 'define' && plan.rawXml !== null) return refused('invalid', `libvirt refused the domain XML (${libvirtCode(err.cause)}); nothing was kept, the reservation was released`, 'domainXml');
    return refused('host-failed', `libvirt failed to ${err.stage === 'volume' ? 'create the root volume' : err.stage} the domain (${libvirtCode(err.cause)}); nothing was kept, the reservation was released`);
  }

  /** Removes what a creation made, found by its uuid and volume name; false when something could not be removed. */
  async undo(plan: { name: string; uuid: string; rootVolume: { pool: string; volume: string } | null }): Promise<boolean> {
    const host = this.o.host;
    if (!host || !host.isAlive()) return false;
    try {
      const d = await host.lookupByUuid(plan.uuid).catch((e) => (isNotFound(e) ? null : Promise.reject(e)));
      if (d) {
        if (d.id >= 0) await host.destroy(d.name).catch((e) => (isLibvirtError(e, 'VIR_ERR_OPERATION_INVALID') ? undefined : Promise.reject(e)));
        if (d.persistent) await host.undefine(d.name);
      }
      if (plan.rootVolume) await host.deleteStorageVolume(plan.rootVolume.pool, plan.rootVolume.volume).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
      return true;
    } catch (err) {
      this.o.logger?.warn({ vm: plan.name, uuid: plan.uuid, err }, 'could not undo a partial domain creation');
      return false;
    }
  }

  private audit(r: Reservation, plan: { name: string }, action: string, result: 'ok' | 'failed' | 'rolled_back', before: unknown, after: unknown, error?: string): void {
    this.o.audit?.append({
      ts: this.o.now() / 1000,
      actor: 'router',
      vm: plan.name,
      action,
      reason: reasonOf(r),
      before,
      after,
      result,
      error: error ?? null,
    });
  }
}

const reasonOf = (r: Reservation) => `placement ${r.id} (tenant ${r.tenant}, app ${r.app})`;


async function exists(lookup: () => Promise<unknown>): Promise<boolean> {
  try {
    await lookup();
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** libvirt's symbolic code only: its message may carry host paths, which the caller is not told. */
function libvirtCode(err: unknown): string {
  return isLibvirtError(err) ? err.codeName : 'error';
}
