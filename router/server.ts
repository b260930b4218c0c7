// The daemon's HTTP API: buildServer(deps) assembles fastify from the route plugins;
// listenApi(server) puts it on the Unix socket (and loopback TCP with a token). Every
// request is identified (access/) and checked against its route's role before anything
// else runs, then counted against its credential's rate limit.
import { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { AccessControl, loadCredentials, type Caller } from './access/access.js';
import { mayDo } from './access/principal.js';
import type { RouterContext } from './context.js';
import type { RouterDeps } from './deps.js';
import type { Config } from '../core/config/schema.js';
import { parseJsonBody } from './json-body.js';
import { frameworkErrors, installProblemHandlers, sendProblem } from './errors.js';
import { createLimitedServer, createTcpServer, listenTcp, prepareSocketPath, removeSocket, resolveGid, secureSocket } from './listen.js';
import { createMetrics } from './metrics.js';
import { collectRoutes } from './openapi.js';
import { overflowPolicy } from './overflow/policy.js';
import { randomlySeededRng } from './overflow/rng.js';
import { PlacementService } from './placement/service.js';
import { actionRoutes } from './plugins/actions.js';
import { auditRoutes } from './plugins/audit.js';
import { dashboardRoutes } from './plugins/dashboard.js';
import { healthRoutes } from './plugins/health.js';
import { historyRoutes } from './plugins/history.js';
import { metaRoutes } from './plugins/meta.js';
import { placementRoutes } from './plugins/placements.js';
import { provisioningRoutes } from './plugins/provisioning.js';
import { modeRoutes } from './plugins/mode.js';
import { readRoutes } from './plugins/reads.js';
import { vmInfoRoutes } from './plugins/vm-info.js';
import { zoneRoutes } from './plugins/zones.js';
import { ProblemError, problemBody } from './problem.js';
import { ReservationStore } from './reservations/store.js';
import { Problem } from './schemas/common.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface VirtzoneServer {
  app: FastifyInstance;
  service: PlacementService;
  context: RouterContext;
  /** sockets accepted by the TCP listener: requests on them need a bearer token */
  tcpSockets: WeakSet<object>;
  /** who may do what: api.peers and the tokens file */
  access: AccessControl;
  /** fastify's request handler, to serve it on a second (TCP) server */
  handler: Handler;
  /**
   * Puts a reloaded configuration into effect for the next request (SIGHUP), its
   * credentials included. Keys that only work at start (the socket, the body limit) are
   * kept by the caller's reloader. Throws, changing nothing, when the tokens file, a
   * peers rule or a template does not load.
   */
  reconfigure(next: Config): void;
  /** Reads the credentials again (the tokens file may have changed while the config did not). */
  refreshCredentials(): void;
}

export async function buildServer(deps: RouterDeps): Promise<VirtzoneServer> {
  const { config } = deps;
  const now = deps.now ?? Date.now;
  // one random source for the server's life: a reload rebuilds the policy, not the stream
  const rng = deps.rng ?? randomlySeededRng();
  let handler: Handler | undefined;
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    // no per-request log lines: decisions are logged (debug) where they are made
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.api.bodyLimitBytes,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    exposeHeadRoutes: false,
    return503OnClosing: true,
    forceCloseConnections: true,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false } },
    frameworkErrors,
    serverFactory: (h: Handler) => {
      handler = h;
      return createLimitedServer(h, config.api);
    },
  }) as unknown as FastifyInstance;

  const store = new ReservationStore(deps.db);
  const metricsRef: { decision?: (zone: string, outcome: string) => void } = {};
  const service = new PlacementService({
    store,
    config,
    zones: deps.zones,
    forecasts: deps.forecasts,
    vms: deps.vms,
    appProfiles: deps.appProfiles,
    host: deps.host,
    ensurePartition: deps.ensurePartition,
    enforcing: deps.enforcing,
    audit: deps.audit,
    onDomainTagged: deps.onDomainTagged,
    now,
    logger: deps.logger,
    policy: overflowPolicy(config.overflow.policy, config.overflow, rng),
    onDecision: (zone, outcome) => metricsRef.decision?.(zone, outcome),
  });
  const metrics = createMetrics({ zones: deps.zones, reserved: () => service.reservedByZone() });
  metricsRef.decision = metrics.decision;

  const routes = collectRoutes(app);
  const tcpSockets = new WeakSet<object>();
  const credentials = loadCredentials(config);
  const access = new AccessControl(credentials.peers, credentials.tokens);
  const caller = (request: FastifyRequest): Caller => request.caller;
  const context: RouterContext = { deps, service, metrics, routes, now, caller };
  const server: VirtzoneServer = {
    app,
    service,
    context,
    tcpSockets,
    access,
    handler: handler!,
    reconfigure(next) {
      // what can fail first (credentials, then the service's templates): a refusal changes nothing
      const credentials = loadCredentials(next);
      service.reconfigure(next, overflowPolicy(next.overflow.policy, next.overflow, rng));
      access.replace(credentials);
      context.deps = { ...context.deps, config: next };
    },
    refreshCredentials() {
      access.replace(loadCredentials(context.deps.config));
    },
  };

  // request bodies are JSON or nothing: text/plain is not accepted (415)
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addSchema(Problem);
  installProblemHandlers(app);

  // (callback-style hooks: no promise per request on the hot path)
  // a placeholder of the right shape for V8; the first hook sets every request's own
  app.decorateRequest('caller', null as unknown as Caller);
  app.addHook('onRequest', (request, reply, done) => {
    const who = access.identify(request.raw.socket, tcpSockets.has(request.raw.socket), request.headers.authorization);
    if (who.kind === 'unauthenticated') {
      reply.header('www-authenticate', 'Bearer realm="virtzoned"');
      return sendProblem(reply, problemBody(401, 'unauthorized', 'Unauthorized', 'a valid bearer token is required on TCP', { field: 'Authorization' }));
    }
    if (who.kind === 'no-role') return sendProblem(reply, problemBody(403, 'forbidden', 'Forbidden', `${who.who} has no role on this API (api.peers, api.socketRole)`));
    const { principal } = who.caller;
    const needed = request.routeOptions.config?.role ?? 'read';
    if (!mayDo(principal, needed)) {
      return sendProblem(reply, problemBody(403, 'forbidden', 'Forbidden', `${request.method} ${request.routeOptions.url ?? request.url} needs the ${needed} role; ${principal.name} has ${principal.role}`, { extensions: { role: principal.role, needed } }));
    }
    request.caller = who.caller;
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  // per credential; routes registered after this are counted (its onRoute hook adds them)
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    max: () => context.deps.config.api.rateLimit.max,
    timeWindow: () => context.deps.config.api.rateLimit.windowSeconds * 1000,
    keyGenerator: (request) => caller(request).principal.name,
    // the host's administrator can stop the daemon anyway; its tools are not throttled
    allowList: (request) => caller(request).admin,
    errorResponseBuilder: (request, limit) =>
      new ProblemError(429, 'rate-limited', 'Too many requests', `${caller(request).principal.name} sent more than ${limit.max} requests in ${context.deps.config.api.rateLimit.windowSeconds} s (api.rateLimit); retry after ${limit.after}`, {
        extensions: { limit: limit.max, windowSeconds: context.deps.config.api.rateLimit.windowSeconds },
      }),
  });
  await app.register(placementRoutes, context);
  await app.register(provisioningRoutes, context);
  await app.register(zoneRoutes, context);
  await app.register(readRoutes, context);
  await app.register(actionRoutes, context);
  await app.register(modeRoutes, context);
  await app.register(historyRoutes, context);
  await app.register(vmInfoRoutes, context);
  await app.register(auditRoutes, context);
  await app.register(healthRoutes, context);
  await app.register(metaRoutes, context);
  await app.register(dashboardRoutes, context);

  const sweepMs = deps.sweepIntervalMs ?? 5000;
  if (sweepMs > 0) {
    const timer = setInterval(() => {
      try {
        const { expired } = service.sweep();
        if (expired) deps.logger?.debug({ expired }, 'expired reservations released');
      } catch (err) {
        deps.logger?.error({ err }, 'reservation sweep failed');
      }
    }, sweepMs);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
  }
  // run one sweep now: reservations that expired while the daemon was down are released
  service.sweep();
  return server;
}

export interface ApiListeners {
  socketPath: string;
  tcp?: { host: string; port: number };
  close(): Promise<void>;
}

/**
 * Listens on api.socket (and api.listen). Refuses to start — throws — when another
 * daemon answers on the socket, when the socket path is not a socket, or when the
 * token file is missing, empty or readable by group or others.
 */
export async function listenApi(server: VirtzoneServer, api: RouterDeps['config']['api']): Promise<ApiListeners> {
  if (api.listen !== undefined && !api.tokenFile) throw new Error('api.listen is set but api.tokenFile is not');
  const gid = api.socketGroup === undefined ? undefined : resolveGid(api.socketGroup);
  await prepareSocketPath(api.socket);
  await server.app.listen({ path: api.socket, backlog: 1024 });
  try {
    secureSocket(api.socket, api.socketMode, gid);
  } catch (err) {
    await server.app.close();
    removeSocket(api.socket);
    throw err;
  }
  let tcp: Server | undefined;
  let tcpAddress: { host: string; port: number } | undefined;
  if (api.listen !== undefined) {
    tcp = createTcpServer(server.handler, server.tcpSockets, api);
    try {
      tcpAddress = await listenTcp(tcp, api.listen);
    } catch (err) {
      await server.app.close();
      removeSocket(api.socket);
      throw err;
    }
  }
  return {
    socketPath: api.socket,
    tcp: tcpAddress,
    async close() {
      if (tcp) {
        tcp.closeAllConnections();
        await new Promise<void>((resolve) => tcp!.close(() => resolve()));
      }
      await server.app.close();
      removeSocket(api.socket);
    },
  };
}
