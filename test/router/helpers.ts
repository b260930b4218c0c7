// Test harness for the router: a real SQLite file, real providers over plain data (the
// zone monitor's snapshot, stored predictions), a real Unix socket, real HTTP.
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../core/config/load.js';
import type { Config } from '../../core/config/schema.js';
import type { LoadPrediction, ZoneState } from '../../core/model/types.js';
import { partitionOf } from '../../core/model/types.js';
import { AuditLog } from '../../core/store/audit.js';
import { ModeControl } from '../../partitioner/mode/mode-control.js';
import { modeReportOf } from '../../partitioner/mode/mode.js';
import { openDatabase } from '../../core/store/open.js';
import type { ModeAnswer, RouterDeps } from '../../router/deps.js';
import { mulberry32 } from '../../router/overflow/rng.js';
import { buildServer, listenApi, type ApiListeners, type VirtzoneServer } from '../../router/server.js';

export function zone(name: string, rank: number, cpuCores: number, memoryMiB: number, extra: Partial<ZoneState> = {}): ZoneState {
  return {
    name,
    rank,
    partition: partitionOf(name),
    allocation: { cpuCores, memoryMiB },
    provisioned: { cpuCores: 0, memoryMiB: 0 },
    used: { cpuCores: 0, memoryMiB: 0 },
    vms: [],
    exhausted: true,
    ...extra,
  };
}

/** Templates over fixtures/host.xml's pool (images) and networks (default, tenant-net; host-lan is in none). */
export const TEMPLATES = {
  small: { description: 'a small Linux VM', domainType: 'test', pool: 'images', networks: ['default', 'tenant-net'], vcpus: { min: 1, max: 4 }, memoryMiB: { min: 256, max: 4096 } },
  copy: { domainType: 'test', pool: 'images', rootDisk: 'clone', networks: ['tenant-net'], vcpus: { min: 1, max: 2 }, memoryMiB: { min: 256, max: 2048 } },
};

export interface Harness {
  dir: string;
  dbPath: string;
  socket: string;
  server: VirtzoneServer;
  listeners: ApiListeners;
  zones: ZoneState[];
  predictions: LoadPrediction[];
  clock: { now: number };
  config: Config;
  /** the audit log the router writes creations, confirms and reconciler actions to */
  audit: AuditLog;
  close(): Promise<void>;
}

export interface HarnessOptions {
  config?: Record<string, unknown>;
  zones?: ZoneState[];
  dir?: string;
  seed?: number;
  host?: RouterDeps['host'];
  clock?: { now: number };
  /** app profiles the router charges requests by (RouterDeps.appProfiles) */
  appProfiles?: RouterDeps['appProfiles'];
  /** see RouterDeps.onDomainTagged */
  onDomainTagged?: RouterDeps['onDomainTagged'];
  /** what GET /v1/vms shows (default: each zone's members, untagged) */
  vms?: Awaited<ReturnType<RouterDeps['vms']>>;
  /** the zone provider yields to the event loop for up to this many ms (as a provider doing I/O would) */
  providerDelayMs?: number;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'vz-router-'));
  const socket = join(dir, 'virtzoned.sock');
  const dbPath = join(dir, 'virtzone.db');
  const raw = structuredClone(opts.config ?? {}) as Record<string, any>;
  raw.api = { socket, ...(raw.api ?? {}) };
  const config = validateConfig(raw, 'test');
  const db = openDatabase(dbPath);
  const audit = new AuditLog(db);
  const zones = opts.zones ?? [zone('gold', 0, 8, 16384), zone('silver', 1, 8, 16384), zone('bronze', 2, 8, 16384), zone('general', 3, 8, 16384)];
  const predictions: LoadPrediction[] = [];
  const clock = opts.clock ?? { now: Date.parse('2025-01-06T12:00:00Z') };
  let trainedAt: number | null = null;
  // the daemon's own mode control over this harness's audit table; no class evidence here
  const modeControl = new ModeControl(audit, config.mode, () => clock.now / 1000);
  const modeAnswer = (changed?: boolean): ModeAnswer => modeReportOf(modeControl.view(), [], null, changed);
  const deps: RouterDeps = {
    config,
    db,
    zones: async () => {
      if (opts.providerDelayMs) await new Promise((r) => setTimeout(r, Math.floor(Math.random() * (opts.providerDelayMs! + 1))));
      return zones;
    },
    forecasts: async (series) => predictions.filter((p) => p.series === series),
    vms: async () => opts.vms ?? zones.flatMap((z) => z.vms.map((name) => ({ name, zone: z.name }))),
    actions: {
      plan: async () => ({ zones: zones.map((z) => ({ name: z.name, ...z.allocation })) }),
      repartition: async ({ dryRun }) => ({ dryRun, applied: !dryRun, zones: zones.length }),
      train: async ({ series }) => {
        trainedAt = clock.now;
        return { trained: series ?? ['class:gold', 'class:silver', 'class:bronze'] };
      },
      modelAgeSeconds: async () => (trainedAt === null ? null : (clock.now - trainedAt) / 1000),
      trainStatus: async () => ({ state: trainedAt === null ? 'idle' : 'done' }),
    },
    history: async () => [],
    mode: {
      view: async () => modeAnswer(),
      set: async (mode, by, reason) => modeAnswer(modeControl.setByAdmin(mode, by, reason)),
    },
    host: opts.host,
    audit,
    onDomainTagged: opts.onDomainTagged,
    appProfiles: opts.appProfiles,
    rng: mulberry32(opts.seed ?? 42),
    now: () => clock.now,
    sweepIntervalMs: 0,
  };
  const server = await buildServer(deps);
  const listeners = await listenApi(server, config.api);
  return {
    dir,
    dbPath,
    socket,
    server,
    listeners,
    zones,
    predictions,
    clock,
    config,
    audit,
    async close() {
      await listeners.close();
      db.close();
    },
  };
}

/**
 * A harness over a libvirt connection (or a wrapper of one), both closed, the directory
 * removed and the HTTP agents dropped when the test ends.
 */
export async function startHostHarness(t: { teardown(fn: () => unknown): void }, host: NonNullable<RouterDeps['host']>, opts: Omit<HarnessOptions, 'host'> = {}): Promise<Harness> {
  const h = await startHarness({ ...opts, host });
  t.teardown(async () => {
    await h.close();
    await host.close();
    removeDir(h.dir);
    closeAgents();
  });
  return h;
}

export function removeDir(dir: string) {
  rmSync(dir, { recursive: true, force: true });
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

const agents = new Map<string, Agent>();

/** One HTTP request over the Unix socket (or TCP when `tcp` is given). Raw body strings are sent as-is. */
export function call(
  target: { socket?: string; tcp?: { host: string; port: number } },
  method: string,
  path: string,
  opts: { body?: unknown; raw?: string | Buffer; headers?: Record<string, string>; key?: string } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  let payload: string | Buffer | undefined;
  if (opts.raw !== undefined) payload = opts.raw;
  else if (opts.body !== undefined) {
    payload = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  if (opts.key !== undefined) headers['idempotency-key'] = opts.key;
  if (payload !== undefined) headers['content-length'] ??= String(Buffer.byteLength(payload));
  const agentKey = target.socket ?? `${target.tcp!.host}:${target.tcp!.port}`;
  let agent = agents.get(agentKey);
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: 1000 });
    agents.set(agentKey, agent);
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        agent,
        method,
        path,
        headers,
        ...(target.socket ? { socketPath: target.socket } : { host: target.tcp!.host, port: target.tcp!.port }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export function closeAgents() {
  for (const a of agents.values()) a.destroy();
  agents.clear();
}
