// Generates systemd/virtzoned.example.yaml from the config schema, so the sample can
// never drift from what the daemon accepts: every key, its meaning (the schema's
// `description`), its type and limits, and its default come from core/config/schema.ts.
//
//   npx tsx scripts/gen-sample-config.ts           write the sample
//   npx tsx scripts/gen-sample-config.ts --check   exit 1 if the file is stale
//   npx tsx scripts/gen-sample-config.ts --stdout  print it
//
// Format: every YAML line is commented out with "#" directly before its text
// ("#uri: qemu:///system"), so the file as installed means "all defaults" and a key is
// set by deleting its "#" (and its section's). Prose comments are "# text" (hash,
// space). Uncommenting every "#X" line gives a complete, valid config whose values are
// exactly the defaults, plus examples for the keys that have no default
// (test/systemd/sample-config.test.ts checks all of this).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify as yamlStringify } from 'yaml';
import { ConfigSchema } from '../core/config/schema.js';

/** The subset of JSON Schema that TypeBox emits for the config. */
export interface SchemaNode {
  type?: string;
  description?: string;
  default?: unknown;
  examples?: unknown[];
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  /** a map of named entries (TypeBox Record): one schema for every value */
  patternProperties?: Record<string, SchemaNode>;
  anyOf?: SchemaNode[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  pattern?: string;
  minItems?: number;
}

export const SAMPLE_CONFIG_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'systemd', 'virtzoned.example.yaml');
const WIDTH = 88;

const HEADER = `# virtzoned configuration: /etc/virtzone/virtzoned.yaml
#
# GENERATED from core/config/schema.ts by scripts/gen-sample-config.ts: do not edit
# by hand; regenerate with "npx tsx scripts/gen-sample-config.ts".
#
# Every key is optional. A key left out takes the default shown, and with no file at
# all virtzoned runs on the built-in defaults (priority classes gold, silver, bronze).
# As shipped every line is commented out: to set a key, delete the "#" in front of it
# and in front of its section (keep the indentation). Keys marked "Optional" have no
# default; the value shown is an example.
#
# The file is validated on start and on "systemctl reload virtzoned" (SIGHUP). A bad
# file stops the daemon at start with one line naming the key; on reload it is
# rejected, the running configuration stays, and the journal says why.
# Flags override keys: --connect (libvirt.uri), --db (store.path), --socket
# (api.socket), --listen (api.listen), --token-file (api.tokenFile).
`;

export class SampleConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SampleConfigError';
  }
}

function wrap(text: string, indent: string): string[] {
  const width = Math.max(40, WIDTH - indent.length - 2);
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(line);
  return out.map((l) => `${indent}# ${l}`);
}

function scalar(value: unknown): string {
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return yamlStringify(value).trimEnd();
}

function flow(value: unknown): string {
  return yamlStringify(value, { collectionStyle: 'flow' }).trimEnd();
}

export function typeText(s: SchemaNode): string {
  if (s.anyOf) return `one of ${s.anyOf.map((a) => scalar(a.const)).join(' | ')}`;
  const parts: string[] = [s.type ?? 'value'];
  const lo = s.minimum !== undefined ? { v: s.minimum, incl: true } : s.exclusiveMinimum !== undefined ? { v: s.exclusiveMinimum, incl: false } : undefined;
  const hi = s.maximum !== undefined ? { v: s.maximum, incl: true } : s.exclusiveMaximum !== undefined ? { v: s.exclusiveMaximum, incl: false } : undefined;
  if (lo && hi && lo.incl && hi.incl) parts.push(`${lo.v}..${hi.v}`);
  else {
    const bounds = [lo && `${lo.incl ? '>=' : '>'} ${lo.v}`, hi && `${hi.incl ? '<=' : '<'} ${hi.v}`].filter(Boolean);
    if (bounds.length) parts.push(bounds.join(' and '));
  }
  if (s.pattern) parts.push(`matching ${s.pattern}`);
  else if (s.minLength) parts.push('non-empty');
  if (s.minItems) parts.push(`at least ${s.minItems} item${s.minItems > 1 ? 's' : ''}`);
  return parts.join(', ');
}

/** A default as the prose shows it: YAML flow style, strings with spaces in quotes. */
export function shown(value: unknown): string {
  if (typeof value === 'string' && /\s/.test(value)) return JSON.stringify(value);
  return flow(value);
}

function docLines(key: string, path: string, s: SchemaNode, optional: boolean, indent: string): string[] {
  if (!s.description) {
    throw new SampleConfigError(`config key ${path} has no description in core/config/schema.ts: add one (the sample config is generated from it)`);
  }
  const lines = wrap(s.description, indent);
  if (s.type === 'object' && !s.anyOf) {
    if (optional && s.default === undefined) lines.push(`${indent}# Optional: leave the whole "${key}" section out to go without.`);
    return lines;
  }
  const def =
    s.default !== undefined
      ? `Default: ${shown(s.default)}.`
      : optional
        ? 'Optional; not set by default (the value shown is an example).'
        : 'Required (the value shown is an example).';
  lines.push(...wrap(`Type: ${typeText(s)}. ${def}`, indent));
  return lines;
}

const isEmpty = (v: unknown) => (Array.isArray(v) ? v.length === 0 : v !== null && typeof v === 'object' && Object.keys(v).length === 0);

function exampleOf(path: string, s: SchemaNode): unknown {
  if (s.default !== undefined && !isEmpty(s.default)) return s.default;
  if (s.examples && s.examples.length > 0) return s.examples[0];
  if (s.default !== undefined) return s.default;
  throw new SampleConfigError(`config key ${path} has neither a default nor examples in core/config/schema.ts: add "examples" so the sample can show it`);
}

interface RenderContext {
  /** document keys (first occurrence) or render values only (later list entries) */
  docs: boolean;
  /** include optional keys that have no default (with their examples) */
  optionals: boolean;
}

/**
 * Renders one key. `col` is the column of the "#"; `dash` puts "- " before the key
 * (the first key of a list entry). Children go two columns right of the key text.
 */
function renderKey(key: string, path: string, s: SchemaNode, value: unknown, optional: boolean, col: number, dash: boolean, ctx: RenderContext): string[] {
  const pad = ' '.repeat(col);
  const out = ctx.docs ? docLines(key, path, s, optional, pad) : [];
  const prefix = `${pad}#${dash ? '- ' : ''}${key}:`;
  const childCol = col + (dash ? 2 : 0) + 2;
  if (s.type === 'object' && s.properties) {
    out.push(prefix);
    out.push(...renderProperties(path, s, value, childCol, false, ctx));
  } else if (s.type === 'object' && s.patternProperties) {
    // a map of named entries: its example's entries, each rendered with the value schema
    const entries = (value !== undefined && !isEmpty(value) ? value : exampleOf(path, s)) as Record<string, unknown>;
    const valueSchema = Object.values(s.patternProperties)[0];
    out.push(prefix);
    Object.entries(entries).forEach(([name, entry], i) => {
      const entryCtx = { docs: ctx.docs && i === 0, optionals: ctx.optionals && i === 0 };
      if (entryCtx.docs) out.push(`${' '.repeat(childCol)}# an entry named ${name} (the name is yours to choose)`);
      out.push(`${' '.repeat(childCol)}#${name}:`);
      out.push(...renderProperties(`${path}.${name}`, valueSchema, entry, childCol + 2, false, entryCtx));
    });
  } else if (s.type === 'array' && s.items) {
    const items = (value !== undefined ? value : exampleOf(path, s)) as unknown[];
    if (!Array.isArray(items) || items.length === 0) {
      throw new SampleConfigError(`config key ${path}: the sample needs a non-empty default or example list`);
    }
    out.push(prefix);
    items.forEach((item, i) => {
      const itemCtx = { docs: ctx.docs && i === 0, optionals: ctx.optionals && i === 0 };
      if (s.items!.type === 'object' && s.items!.properties) {
        out.push(...renderProperties(`${path}[]`, s.items!, item, col + 2, true, itemCtx));
      } else {
        out.push(`${' '.repeat(col + 2)}#- ${scalar(item)}`);
      }
    });
  } else {
    const v = value !== undefined ? value : exampleOf(path, s);
    out.push(`${prefix} ${scalar(v)}`);
  }
  return out;
}

function renderProperties(path: string, s: SchemaNode, value: unknown, col: number, listEntry: boolean, ctx: RenderContext): string[] {
  const out: string[] = [];
  const given = (value ?? {}) as Record<string, unknown>;
  let first = true;
  for (const [key, child] of Object.entries(s.properties ?? {})) {
    const optional = !(s.required ?? []).includes(key);
    const childPath = path ? `${path}.${key}` : key;
    const noDefault = child.default === undefined;
    // optional keys without a default: shown (with examples) where ctx allows it
    if (optional && noDefault && given[key] === undefined && !ctx.optionals) continue;
    // a list entry's first key carries the "- "; the rest sit two columns right of the dash
    const dash = listEntry && first;
    const keyCol = listEntry && !first ? col + 2 : col;
    out.push(...renderKey(key, childPath, child, given[key], optional, keyCol, dash, ctx));
    first = false;
  }
  return out;
}

/** The sample config text, generated from `schema` (the daemon's ConfigSchema by default). */
export function generateSampleConfig(schema: SchemaNode = ConfigSchema as unknown as SchemaNode): string {
  const out: string[] = [HEADER.trimEnd()];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const optional = !(schema.required ?? []).includes(key);
    out.push('');
    out.push(...renderKey(key, key, child, undefined, optional, 0, false, { docs: true, optionals: true }));
  }
  return out.join('\n') + '\n';
}

function main(argv: string[]): number {
  const text = generateSampleConfig();
  if (argv.includes('--stdout')) {
    process.stdout.write(text);
    return 0;
  }
  if (argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(SAMPLE_CONFIG_PATH, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== text) {
      process.stderr.write(`${SAMPLE_CONFIG_PATH} is stale: run "npx tsx scripts/gen-sample-config.ts"\n`);
      return 1;
    }
    return 0;
  }
  writeFileSync(SAMPLE_CONFIG_PATH, text);
  process.stdout.write(`wrote ${SAMPLE_CONFIG_PATH}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    if (err instanceof SampleConfigError) {
      process.stderr.write(`gen-sample-config: ${err.message}\n`);
      process.exitCode = 2;
    } else {
      throw err;
    }
  }
}
