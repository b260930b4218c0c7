// SIGHUP's meaning for the daemon: read the config file again and apply it, or keep the
// running configuration and say why. Keys that only take effect at start (where the
// database or the API socket lives) are not changed live: they keep their running
// value and a warning names them, so what `virtzone status` shows is what is in effect.
import { ConfigError } from '../../core/config/load.js';
import type { Config } from '../../core/config/schema.js';
import type { Log } from '../../core/log.js';

/** Keys read once at start; a change in the file waits for a restart. */
const RESTART_ONLY_KEYS: readonly string[] = [
  // the connection, the database and the forecaster are set up once at start
  'libvirt',
  'store',
  'forecast',
  'partitioner.quantile', // the forecaster predicts at it
  // the zones' cgroup hierarchy is found and written from these at start
  'zones.manageCgroups',
  'zones.cgroupRoot',
  'zones.layout',
  'zones.systemdUnitDir',
  'api.socket',
  'api.socketMode',
  'api.socketGroup',
  'api.listen',
  'api.bodyLimitBytes',
  'metrics.listen',
];

export interface ConfigReloaderOptions {
  /** Reads and validates the file (with command-line overrides applied); throws ConfigError. */
  load: () => Config;
  /** The configuration in effect now. */
  current: () => Config;
  /** Puts the new configuration into effect (the caller swaps its reference here). */
  apply: (next: Config, previous: Config, changedKeys: string[]) => Promise<void> | void;
  log: Log;
  restartOnlyKeys?: readonly string[];
  /**
   * Re-reads what the configuration names rather than holds (the tokens file), on every
   * accepted reload even when no key changed. Throws: the reload is reported as failed.
   */
  refresh?: () => void;
}

export type ReloadOutcome =
  | { ok: true; changedKeys: string[]; deferredKeys: string[] }
  | { ok: false; error: string; key?: string };

/** Flattens to leaf paths: objects recurse, arrays and scalars are leaves ("classes", "api.socket"). */
function leaves(value: unknown, prefix: string, out: Map<string, string>): Map<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out.set(prefix, JSON.stringify(value));
  }
  return out;
}

/** Keys whose value differs between two configs, sorted. */
export function changedConfigKeys(a: Config, b: Config): string[] {
  const la = leaves(a, '', new Map());
  const lb = leaves(b, '', new Map());
  const keys = new Set([...la.keys(), ...lb.keys()]);
  return [...keys].filter((k) => la.get(k) !== lb.get(k)).sort();
}

const covers = (restartKey: string, key: string) => key === restartKey || key.startsWith(`${restartKey}.`);

function setPath(target: Record<string, any>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const p of parts.slice(0, -1)) {
    if (node[p] === undefined || node[p] === null || typeof node[p] !== 'object') node[p] = {};
    node = node[p];
  }
  const last = parts[parts.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = structuredClone(value);
}

function getPath(source: unknown, path: string): unknown {
  let node: any = source;
  for (const p of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = node[p];
  }
  return node;
}

/** Returns reload(), for installSignalHandlers, and reloadWithOutcome() for an API or a test. */
export function createConfigReloader(options: ConfigReloaderOptions) {
  const restartOnly = options.restartOnlyKeys ?? RESTART_ONLY_KEYS;
  const { log } = options;

  async function reloadWithOutcome(): Promise<ReloadOutcome> {
    let loaded: Config;
    try {
      loaded = options.load();
    } catch (err) {
      if (err instanceof ConfigError) {
        log.error({ key: err.key, reason: err.message }, `config reload rejected, keeping the running configuration: ${err.message}`);
        return { ok: false, error: err.message, key: err.key };
      }
      throw err;
    }
    const previous = options.current();
    const changed = changedConfigKeys(previous, loaded);
    const deferred = changed.filter((k) => restartOnly.some((r) => covers(r, k)));
    const next = structuredClone(loaded) as Config;
    for (const k of deferred) setPath(next as unknown as Record<string, any>, k, getPath(previous, k));
    const live = changed.filter((k) => !deferred.includes(k));
    if (deferred.length > 0) {
      log.warn({ keys: deferred }, `config keys changed that take effect only after a restart: ${deferred.join(', ')}`);
    }
    if (live.length > 0) await options.apply(next, previous, live);
    try {
      options.refresh?.();
    } catch (err) {
      log.error({ reason: (err as Error).message }, `config reloaded, but the credentials could not be read again; the previous ones stay in force: ${(err as Error).message}`);
      return { ok: false, error: (err as Error).message, key: 'api.tokenFile' };
    }
    if (live.length === 0) {
      log.info({ changedKeys: [] }, 'config reloaded: nothing to change');
      return { ok: true, changedKeys: [], deferredKeys: deferred };
    }
    log.info({ changedKeys: live }, `config reloaded: ${live.join(', ')}`);
    return { ok: true, changedKeys: live, deferredKeys: deferred };
  }

  return {
    reloadWithOutcome,
    reload: async (): Promise<void> => {
      await reloadWithOutcome();
    },
  };
}
