// Loads, defaults and validates the YAML configuration. Any problem becomes one
// ConfigError whose message names the key, the bad value and what was expected.
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { Value } from '@sinclair/typebox/value';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ConfigSchema, TemplateSchema, type Config } from './schema.js';

const DEFAULT_CONFIG_PATH = '/etc/virtzone/virtzoned.yaml';
export const GENERAL_ZONE = 'general';

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

const checker = TypeCompiler.Compile(ConfigSchema);

/** A validator's JSON pointer as a config key: '/classes/0/buffer' → 'classes[0].buffer'. */
export function keyOf(pointer: string): string {
  // '/classes/0/buffer' -> 'classes[0].buffer'
  return (
    pointer
      .split('/')
      .filter(Boolean)
      .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
      .join('')
      .replace(/^\./, '') || '(root)'
  );
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const s = JSON.stringify(value);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

/** Validates a parsed object (defaults applied) and returns a typed Config. */
export function validateConfig(raw: unknown, source = 'config'): Config {
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${source}: the top level must be a mapping of keys, got ${show(raw)}`, '(root)');
  }
  const withDefaults = Value.Default(ConfigSchema, structuredClone(raw)) as Record<string, unknown>;
  // TypeBox fills defaults of declared properties only, not of a record's values
  const templates = withDefaults.templates;
  if (templates && typeof templates === 'object' && !Array.isArray(templates)) {
    for (const [name, t] of Object.entries(templates)) (templates as Record<string, unknown>)[name] = Value.Default(TemplateSchema, t);
  }
  const first = checker.Errors(withDefaults).First();
  if (first) {
    const key = keyOf(first.path);
    let expected = first.message.replace(/^Expected\s+/i, '');
    if (/additional|unexpected/i.test(first.message) || first.type === 42 /* ObjectAdditionalProperties */) {
      expected = 'a known key (unknown key)';
    }
    throw new ConfigError(`${source}: key ${key}: value ${show(first.value)} is invalid: expected ${expected}`, key);
  }
  const config = withDefaults as unknown as Config;
  checkSemantics(config, source);
  return config;
}

function checkSemantics(config: Config, source: string): void {
  const names = new Set<string>();
  config.classes.forEach((c, i) => {
    if (c.name === GENERAL_ZONE) {
      throw new ConfigError(`${source}: key classes[${i}].name: value "general" is invalid: expected a name other than the reserved general zone`, `classes[${i}].name`);
    }
    if (names.has(c.name)) {
      throw new ConfigError(`${source}: key classes[${i}].name: value ${show(c.name)} is invalid: expected a unique class name`, `classes[${i}].name`);
    }
    names.add(c.name);
    if (c.pool && c.pool.max < c.pool.min) {
      throw new ConfigError(`${source}: key classes[${i}].pool.max: value ${c.pool.max} is invalid: expected at least pool.min (${c.pool.min})`, `classes[${i}].pool.max`);
    }
  });
  config.rules.forEach((r, i) => {
    if (r.class !== GENERAL_ZONE && !names.has(r.class)) {
      throw new ConfigError(`${source}: key rules[${i}].class: value ${show(r.class)} is invalid: expected one of ${[...names, GENERAL_ZONE].join(', ')}`, `rules[${i}].class`);
    }
    if (r.tenant === undefined && r.app === undefined) {
      throw new ConfigError(`${source}: key rules[${i}]: value ${show(r)} is invalid: expected a tenant or an app to match`, `rules[${i}]`);
    }
  });
  if (config.autoscaler.lowWater >= config.autoscaler.highWater) {
    throw new ConfigError(`${source}: key autoscaler.lowWater: value ${config.autoscaler.lowWater} is invalid: expected less than autoscaler.highWater (${config.autoscaler.highWater})`, 'autoscaler.lowWater');
  }
  for (const [name, t] of Object.entries(config.templates)) {
    for (const range of ['vcpus', 'memoryMiB'] as const) {
      if (t[range].min > t[range].max) {
        const key = `templates.${name}.${range}.max`;
        throw new ConfigError(`${source}: key ${key}: value ${t[range].max} is invalid: expected at least ${range}.min (${t[range].min})`, key);
      }
    }
  }
  // the socket is the API: a mode that lets any local user in hands every user the daemon
  if ((parseInt(config.api.socketMode, 8) & 0o007) !== 0) {
    throw new ConfigError(`${source}: key api.socketMode: value ${show(config.api.socketMode)} is invalid: expected no access for others (e.g. 0660: the owner and api.socketGroup only)`, 'api.socketMode');
  }
  if (config.api.defaultTtlSeconds > config.api.maxTtlSeconds) {
    throw new ConfigError(`${source}: key api.defaultTtlSeconds: value ${config.api.defaultTtlSeconds} is invalid: expected at most api.maxTtlSeconds (${config.api.maxTtlSeconds})`, 'api.defaultTtlSeconds');
  }
  if (config.api.listen && !config.api.tokenFile) {
    throw new ConfigError(`${source}: key api.tokenFile: value nothing is invalid: expected a token file path when api.listen is set`, 'api.tokenFile');
  }
  if (config.libvirt.reconnectMaxMs < config.libvirt.reconnectInitialMs) {
    throw new ConfigError(`${source}: key libvirt.reconnectMaxMs: value ${config.libvirt.reconnectMaxMs} is invalid: expected at least libvirt.reconnectInitialMs`, 'libvirt.reconnectMaxMs');
  }
}

/** The built-in defaults: a working daemon with classes gold, silver, bronze. */
export function defaultConfig(): Config {
  return validateConfig({}, 'defaults');
}

/**
 * Reads the config file. A missing file is fine only when it is the default path
 * (no config at all means built-in defaults); a file named explicitly must exist.
 */
export function loadConfigFile(path: string | undefined): Config {
  const file = path ?? DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && path === undefined) return defaultConfig();
    throw new ConfigError(`${file}: cannot read config file (${code ?? (err as Error).message})`, '(file)');
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const msg = err instanceof YAMLParseError ? err.message.split('\n')[0] : (err as Error).message;
    throw new ConfigError(`${file}: not valid YAML: ${msg}`, '(yaml)');
  }
  return validateConfig(raw, file);
}

/** Command-line flags override the matching config keys. */
export interface ConfigOverrides {
  connect?: string;
  db?: string;
  socket?: string;
  listen?: string;
  tokenFile?: string;
}

export function applyOverrides(config: Config, o: ConfigOverrides): Config {
  const merged = structuredClone(config) as Record<string, any>;
  if (o.connect !== undefined) merged.libvirt.uri = o.connect;
  if (o.db !== undefined) merged.store.path = o.db;
  if (o.socket !== undefined) merged.api.socket = o.socket;
  if (o.listen !== undefined) merged.api.listen = o.listen;
  if (o.tokenFile !== undefined) merged.api.tokenFile = o.tokenFile;
  return validateConfig(merged, 'command line');
}
