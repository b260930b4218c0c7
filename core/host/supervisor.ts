// HostSupervisor keeps one libvirt connection usable for the daemon's lifetime: it opens
// it, notices when it is lost (close callback, keepalive timeout, a call failing with a
// connection error: all surface as the host's 'disconnected' event), and reconnects with
// exponential backoff. It never throws into the event loop: failures become events.
import { EventEmitter } from 'node:events';
import type { HostAdapter, HostEvent } from './types.js';
import { HostUnavailableError } from './errors.js';
import { openHost, type OpenHostOptions } from './libvirt-host.js';
import { reportSuccesses } from './success-clock.js';
import type { Log } from '../log.js';

export type SupervisorState = 'connecting' | 'connected' | 'waiting' | 'closed';

export interface HostSupervisorOptions {
  uri: string;
  /** first retry delay after a failure or a loss (config libvirt.reconnectInitialMs) */
  reconnectInitialMs: number;
  /** the delay doubles per failed attempt up to this (config libvirt.reconnectMaxMs) */
  reconnectMaxMs: number;
  /** +- this fraction of random spread on each delay, so restarted daemons do not stampede. Default 0.1 */
  jitter?: number;
  /** passed to openHost (keepalive, events, ...) */
  hostOptions?: OpenHostOptions;
  /** how a host is opened; default openHost. Tests and tools may wrap it. */
  open?: (uri: string, opts: OpenHostOptions) => Promise<HostAdapter>;
  /**
   * While connected, a cheap call (nodeInfo) is made when no call has succeeded for this
   * long, so an idle daemon still knows whether libvirt answers. Absent or 0: no probe.
   */
  probeIdleMs?: number;
  /** source of randomness for jitter, in [0, 1) */
  random?: () => number;
  log?: Log;
}

export interface SupervisorEvents {
  connected: [host: HostAdapter];
  disconnected: [info: { reason: string }];
  /** an attempt to (re)connect failed; the next one is in retryInMs */
  'connect-failed': [info: { attempt: number; error: Error; retryInMs: number }];
}

/** Next reconnect delay: initial x 2^(attempt-1), capped, with +-jitter. Pure. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, jitter = 0, random = Math.random): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  const spread = base * jitter * (2 * random() - 1);
  return Math.max(0, Math.round(Math.min(maxMs, base + spread)));
}

export class HostSupervisor extends EventEmitter<SupervisorEvents> {
  readonly uri: string;
  private readonly opts: HostSupervisorOptions;
  private host: HostAdapter | null = null;
  private unsubscribe: (() => void) | null = null;
  private _state: SupervisorState = 'connecting';
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private since = Date.now();
  private lastError: Error | undefined;
  private lastReason = 'not connected yet';
  private waiters: Array<{ resolve: (h: HostAdapter) => void; reject: (e: Error) => void }> = [];
  private readonly hostListeners = new Set<(e: HostEvent) => void>();
  private connecting: Promise<void> | null = null;
  /** when a libvirt call (or the connect) last succeeded, ms since epoch; null: never */
  private lastOkAt: number | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  private probing = false;

  constructor(opts: HostSupervisorOptions) {
    super();
    if (!(opts.reconnectInitialMs > 0) || !(opts.reconnectMaxMs >= opts.reconnectInitialMs)) {
      throw new RangeError('HostSupervisor: need 0 < reconnectInitialMs <= reconnectMaxMs');
    }
    this.uri = opts.uri;
    this.opts = opts;
  }

  /** Builds a supervisor from the daemon config's `libvirt` section. */
  static fromConfig(
    cfg: {
      uri: string;
      keepaliveIntervalSeconds: number;
      keepaliveCount: number;
      reconnectInitialMs: number;
      reconnectMaxMs: number;
      callThreads?: number;
      healthyWithinSeconds?: number;
    },
    extra: Partial<HostSupervisorOptions> = {},
  ): HostSupervisor {
    return new HostSupervisor({
      uri: cfg.uri,
      reconnectInitialMs: cfg.reconnectInitialMs,
      reconnectMaxMs: cfg.reconnectMaxMs,
      // three chances for an idle daemon to show libvirt answers before /healthz says it does not
      ...(cfg.healthyWithinSeconds !== undefined ? { probeIdleMs: (cfg.healthyWithinSeconds * 1000) / 3 } : {}),
      ...extra,
      hostOptions: {
        keepaliveIntervalSeconds: cfg.keepaliveIntervalSeconds,
        keepaliveCount: cfg.keepaliveCount,
        ...(cfg.callThreads !== undefined ? { callThreads: cfg.callThreads } : {}),
        ...extra.hostOptions,
      },
    });
  }

  /** When a libvirt call last succeeded (any call, or the connect itself), ms since epoch; null: never. */
  get lastSuccessAt(): number | null {
    return this.lastOkAt;
  }

  /** Seconds since a libvirt call last succeeded; null when none ever did. */
  lastSuccessAgeSeconds(now = Date.now()): number | null {
    return this.lastOkAt === null ? null : Math.max(0, now - this.lastOkAt) / 1000;
  }

  get state(): SupervisorState {
    return this._state;
  }

  /** Starts connecting (in the background). Idempotent. */
  start(): this {
    if (this._state === 'closed') throw new Error('HostSupervisor: start() after close()');
    if (!this.host && !this.connecting && !this.timer) this.beginConnect();
    return this;
  }

  /** The connected host. Throws HostUnavailableError while there is none. */
  current(): HostAdapter {
    if (this.host && this._state === 'connected') return this.host;
    throw new HostUnavailableError(this.uri, this.unavailableReason(), this.since, this.lastError);
  }

  /**
   * Resolves with the host once connected (at once if it is). Rejects with
   * HostUnavailableError when the supervisor closes, or after timeoutMs if given.
   */
  whenConnected(timeoutMs?: number): Promise<HostAdapter> {
    if (this.host && this._state === 'connected') return Promise.resolve(this.host);
    if (this._state === 'closed') return Promise.reject(this.unavailable());
    return new Promise<HostAdapter>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = {
        resolve: (h: HostAdapter) => {
          if (timer) clearTimeout(timer);
          resolve(h);
        },
        reject: (e: Error) => {
          if (timer) clearTimeout(timer);
          reject(e);
        },
      };
      this.waiters.push(waiter);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(this.unavailable(`not connected within ${timeoutMs} ms`));
        }, timeoutMs);
      }
    });
  }

  /** Host events of whichever connection is current; survives reconnects. */
  onHostEvent(listener: (e: HostEvent) => void): () => void {
    this.hostListeners.add(listener);
    return () => {
      this.hostListeners.delete(listener);
    };
  }

  /** Stops reconnecting and closes the current connection. */
  async close(): Promise<void> {
    if (this._state === 'closed') return;
    this._state = 'closed';
    this.lastReason = 'the supervisor is closed';
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stopProbe();
    const host = this.detachHost();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(this.unavailable());
    if (host) await host.close().catch(() => undefined);
    // A connect in flight finishes on its own; connect() closes what it opened after close().
    await this.connecting?.catch(() => undefined);
  }

  // A method, not a field test: the state changes across awaits, which TypeScript's narrowing cannot see.
  private isClosed(): boolean {
    return this._state === 'closed';
  }

  private unavailableReason(): string {
    if (this._state === 'closed') return 'the supervisor is closed';
    if (this._state === 'connecting') return `connecting (${this.lastReason})`;
    return `${this.lastReason}; reconnecting`;
  }

  private unavailable(reason = this.unavailableReason()): HostUnavailableError {
    return new HostUnavailableError(this.uri, reason, this.since, this.lastError);
  }

  private beginConnect(): void {
    const attempt: Promise<void> = this.connect().finally(() => {
      if (this.connecting === attempt) this.connecting = null;
    });
    this.connecting = attempt;
  }

  private async connect(): Promise<void> {
    this._state = 'connecting';
    this.attempt++;
    const open = this.opts.open ?? openHost;
    let host: HostAdapter;
    try {
      host = await open(this.uri, this.opts.hostOptions ?? {});
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.lastError = error;
      this.lastReason = error.message;
      if (this.isClosed()) return;
      this.scheduleRetry(error);
      return;
    }
    if (this.isClosed()) {
      await host.close().catch(() => undefined);
      return;
    }
    this.attempt = 0;
    this.lastError = undefined;
    this.lastOkAt = Date.now();
    const reporting = reportSuccesses(host, () => {
      this.lastOkAt = Date.now();
    });
    this.host = reporting;
    this._state = 'connected';
    this.unsubscribe = host.onEvent((e) => this.onHostEventInternal(reporting, e));
    this.startProbe();
    this.opts.log?.info({ uri: this.uri }, 'libvirt connected');
    // everyone gets the same host current() returns: the one that records successes
    this.safeEmit('connected', reporting);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve(reporting);
  }

  private scheduleRetry(error: Error): void {
    const delay = backoffDelay(
      this.attempt,
      this.opts.reconnectInitialMs,
      this.opts.reconnectMaxMs,
      this.opts.jitter ?? 0.1,
      this.opts.random,
    );
    this._state = 'waiting';
    this.opts.log?.warn({ uri: this.uri, attempt: this.attempt, retryInMs: delay, err: error.message }, 'libvirt connect failed');
    this.safeEmit('connect-failed', { attempt: this.attempt, error, retryInMs: delay });
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this._state !== 'closed') this.beginConnect();
    }, delay);
  }

  private onHostEventInternal(host: HostAdapter, e: HostEvent): void {
    for (const listener of [...this.hostListeners]) {
      try {
        listener(e);
      } catch (err) {
        this.opts.log?.warn({ err: (err as Error).message }, 'host event listener failed');
      }
    }
    if (e.type === 'disconnected' && host === this.host) this.onLost(e.reason);
  }

  private onLost(reason: string): void {
    const host = this.detachHost();
    this.since = Date.now();
    this.lastReason = `connection lost: ${reason}`;
    this.opts.log?.warn({ uri: this.uri, reason }, 'libvirt connection lost');
    this.safeEmit('disconnected', { reason });
    // Release what is left of the old connection; its close cannot fail the supervisor.
    if (host) void host.close().catch(() => undefined);
    if (this._state === 'closed') return;
    this.attempt = 1;
    this._state = 'waiting';
    const delay = backoffDelay(1, this.opts.reconnectInitialMs, this.opts.reconnectMaxMs, this.opts.jitter ?? 0.1, this.opts.random);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this._state !== 'closed') this.beginConnect();
    }, delay);
  }

  /** Probes an idle connection (see probeIdleMs); one probe at a time, so a wedged libvirtd cannot pile them up. */
  private startProbe(): void {
    const idleMs = this.opts.probeIdleMs ?? 0;
    if (!(idleMs > 0) || this.probeTimer) return;
    this.probeTimer = setInterval(() => {
      const host = this.host;
      if (!host || this.probing || this._state !== 'connected') return;
      if (this.lastOkAt !== null && Date.now() - this.lastOkAt < idleMs) return;
      this.probing = true;
      host
        .nodeInfo()
        .catch(() => undefined)
        .finally(() => {
          this.probing = false;
        });
    }, Math.max(50, Math.round(idleMs / 2)));
    // the probe serves the daemon's other work: it never keeps the process alive by itself
    this.probeTimer.unref();
  }

  private stopProbe(): void {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
  }

  private detachHost(): HostAdapter | null {
    this.stopProbe();
    const host = this.host;
    this.host = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    return host;
  }

  /** A throwing 'connected'/'disconnected' listener must not break the reconnect loop. */
  private safeEmit<K extends keyof SupervisorEvents>(event: K, ...args: SupervisorEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: SupervisorEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.opts.log?.warn({ event, err: (err as Error).message }, 'supervisor listener failed');
    }
  }
}
