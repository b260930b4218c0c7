// The operator's templates as the provisioner uses them: the config's templates.<name>
// with each base XML file read, checked for its owner and mode, and validated. Runs at
// config validation (start, SIGHUP), so a bad template stops the daemon with its key
// named (exit 78) instead of failing the first placement.
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '../../core/config/load.js';
import type { Config } from '../../core/config/schema.js';
import type { DomainTemplate } from './domain-template.js';
import { TemplateError, validateBaseXml } from './build-domain.js';
import type { RawDomainAllowance } from './raw-domain-policy.js';

export type TemplateCatalog = ReadonlyMap<string, DomainTemplate>;

/** Reads a base XML file that only root may have written: anything else could be made to carry a host path. */
function readBaseXml(key: string, path: string, source: string): string {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw new ConfigError(`${source}: key ${key}: value ${JSON.stringify(path)} is invalid: expected a readable file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, key);
  }
  if (!st.isFile()) throw new ConfigError(`${source}: key ${key}: value ${JSON.stringify(path)} is invalid: expected a regular file`, key);
  if (st.uid !== 0 || (st.mode & 0o022) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw new ConfigError(`${source}: key ${key}: value ${JSON.stringify(path)} is invalid: expected a file owned by root and writable by root only (owner uid ${st.uid}, mode ${mode})`, key);
  }
  const text = readFileSync(path, 'utf8');
  try {
    validateBaseXml(text);
  } catch (err) {
    if (err instanceof TemplateError || err instanceof Error) {
      throw new ConfigError(`${source}: key ${key}: value ${JSON.stringify(path)} is invalid: ${err.message}`, key);
    }
    throw err;
  }
  return text;
}

/** The templates of a validated config; throws ConfigError naming the key of a bad base XML file. */
export function loadTemplates(config: Config, source = 'config'): TemplateCatalog {
  const out = new Map<string, DomainTemplate>();
  for (const [name, t] of Object.entries(config.templates)) {
    const { baseXmlFile, ...shape } = t;
    const template: DomainTemplate = { name, ...shape };
    if (baseXmlFile !== undefined) template.baseXml = readBaseXml(`templates.${name}.baseXmlFile`, baseXmlFile, source);
    out.set(name, template);
  }
  return out;
}

/** What raw domain XML may use: the pools and networks of all templates together. */
export function rawDomainAllowance(catalog: TemplateCatalog): RawDomainAllowance {
  const pools = new Set<string>();
  const networks = new Set<string>();
  for (const t of catalog.values()) {
    pools.add(t.pool);
    for (const n of t.networks) networks.add(n);
  }
  return { pools, networks };
}
