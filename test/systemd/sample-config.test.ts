// The shipped sample config (systemd/virtzoned.example.yaml) against the schema:
// not stale, valid as shipped (= the defaults), valid with every line uncommented,
// every schema key present, and every documented default the real default.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { validateConfig, defaultConfig } from '../../core/config/load.js';
import { ConfigSchema } from '../../core/config/schema.js';
import { generateSampleConfig, SAMPLE_CONFIG_PATH, SampleConfigError, type SchemaNode } from '../../scripts/gen-sample-config.js';

const sample = readFileSync(SAMPLE_CONFIG_PATH, 'utf8');
const schema = ConfigSchema as unknown as SchemaNode;

/** What an operator does to set a key: delete the "#" directly in front of YAML text. */
function uncommentAll(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/^(\s*)#([^\s#].*)$/, '$1$2'))
    .join('\n');
}

t.test('the sample is what the generator makes from the current schema', async (t) => {
  t.equal(sample, generateSampleConfig(), 'systemd/virtzoned.example.yaml is stale: run "npx tsx scripts/gen-sample-config.ts"');
});

t.test('as shipped (all commented out) it is valid and means exactly the defaults', async (t) => {
  const raw = parseYaml(sample);
  t.equal(raw, null, 'no active key');
  t.same(validateConfig(raw, 'sample'), defaultConfig());
});

const enabledRaw = parseYaml(uncommentAll(sample)) as Record<string, unknown>;

t.test('with every line uncommented it is a valid config', async (t) => {
  t.type(enabledRaw, 'object');
  const c = validateConfig(enabledRaw, 'sample (uncommented)');
  t.same(c.classes.map((x) => x.name), ['gold', 'silver', 'bronze']);
  t.ok(c.classes[0].pool, 'pool example on gold');
  t.ok(c.rules.length >= 1, 'example rules');
  t.equal(c.api.listen, '127.0.0.1:8750');
});

// An independent walk of the schema (not the generator's): every key must be present in
// the uncommented sample, and every key that has a default must show that default.
function checkAgainstSchema(s: SchemaNode, value: unknown, path: string, missing: string[], wrong: string[]): void {
  if (s.type === 'object' && s.properties) {
    const obj = (value ?? {}) as Record<string, unknown>;
    for (const [key, child] of Object.entries(s.properties)) {
      const p = path ? `${path}.${key}` : key;
      if (obj[key] === undefined) missing.push(p);
      else checkAgainstSchema(child, obj[key], p, missing, wrong);
    }
    return;
  }
  if (s.type === 'object' && s.patternProperties) {
    // a map of named entries: each entry against the one value schema
    const entries = Object.entries((value ?? {}) as Record<string, unknown>);
    if (entries.length === 0) missing.push(`${path}.<name>`);
    const valueSchema = Object.values(s.patternProperties)[0];
    for (const [name, entry] of entries) checkAgainstSchema(valueSchema, entry, `${path}.${name}`, missing, wrong);
    return;
  }
  if (s.type === 'array' && s.items) {
    const items = Array.isArray(value) ? value : [];
    if (items.length === 0) {
      missing.push(`${path}[]`);
      return;
    }
    if (s.items.type === 'object' && s.items.properties) {
      for (const [key, child] of Object.entries(s.items.properties)) {
        const carrying = items.filter((it) => (it as Record<string, unknown>)[key] !== undefined);
        if (carrying.length === 0) missing.push(`${path}[].${key}`);
        for (const it of carrying) checkAgainstSchema(child, (it as Record<string, unknown>)[key], `${path}[].${key}`, missing, wrong);
      }
    }
    return;
  }
  if (s.default !== undefined && JSON.stringify(value) !== JSON.stringify(s.default)) {
    wrong.push(`${path}: sample shows ${JSON.stringify(value)}, default is ${JSON.stringify(s.default)}`);
  }
}

t.test('every schema key appears in the sample, with its real default', async (t) => {
  const missing: string[] = [];
  const wrong: string[] = [];
  checkAgainstSchema(schema, enabledRaw, '', missing, wrong);
  t.same(missing, [], 'schema keys missing from the sample');
  t.same(wrong, [], 'documented defaults that are not the defaults');
  // and textually, as the operator reads it: each leaf key name as "#key:" or "#- key:"
  const names = new Set<string>();
  const collect = (s: SchemaNode) => {
    for (const [k, c] of Object.entries(s.properties ?? {})) {
      names.add(k);
      collect(c);
      if (c.items) collect(c.items);
    }
  };
  collect(schema);
  for (const n of names) t.match(sample, new RegExp(`^\\s*#(- )?${n}:`, 'm'), `key ${n} is in the file`);
});

t.test('every key line is preceded by a prose comment (its meaning)', async (t) => {
  const lines = sample.split('\n');
  const seen = new Set<string>();
  const undocumented: string[] = [];
  lines.forEach((line, i) => {
    const m = /^\s*#(?:- )?([A-Za-z][A-Za-z0-9]*):/.exec(line);
    if (!m || seen.has(m[1])) return; // later list entries repeat keys without prose
    seen.add(m[1]);
    if (!/^\s*# \S/.test(lines[i - 1] ?? '')) undocumented.push(m[1]);
  });
  t.same(undocumented, []);
});

t.test('the generator refuses a key without a description or an example', async (t) => {
  const noDescription: SchemaNode = { type: 'object', properties: { a: { type: 'number', default: 1 } }, required: ['a'] };
  t.throws(() => generateSampleConfig(noDescription), { name: 'SampleConfigError' });
  t.ok((() => { try { generateSampleConfig(noDescription); } catch (e) { return e instanceof SampleConfigError; } return false; })());
  t.throws(() => generateSampleConfig(noDescription), /config key a has no description/);
  const noExample: SchemaNode = { type: 'object', properties: { b: { type: 'string', description: 'b' } }, required: [] };
  t.throws(() => generateSampleConfig(noExample), /config key b has neither a default nor examples/);
});
