// The manual pages in man/ are what scripts/gen-man.ts makes from the sources now (so
// they cannot drift), they name every command, daemon flag and config key, and groff
// renders them without a warning.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { buildProgram } from '../../cli/main.js';
import { ConfigSchema } from '../../core/config/schema.js';
import { configKeys, daemonHelp, parseHelpOptions } from '../../scripts/gen-man.js';
import type { SchemaNode } from '../../scripts/gen-sample-config.js';
import { ROOT } from './harness.js';

const PAGES = ['virtzone.1', 'virtzoned.8', 'virtzoned.yaml.5'];
const work = mkdtempSync(join(tmpdir(), 'vz-man-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

/** A page as man shows it, without its formatting. */
const rendered = (file: string) =>
  spawnSync('man', ['-l', '-P', 'cat', file], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '200', MAN_KEEP_FORMATTING: '', LC_ALL: 'C.UTF-8' } });

t.test('man/ is what the generator makes from the sources now', async (t) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/gen-man.ts'), '--out', work], { cwd: ROOT, encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  for (const page of PAGES) {
    t.equal(readFileSync(join(ROOT, 'man', page), 'utf8'), readFileSync(join(work, page), 'utf8'), `man/${page} is up to date (else: npm run man)`);
  }
  const check = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/gen-man.ts'), '--check'], { cwd: ROOT, encoding: 'utf8' });
  t.equal(check.status, 0, `--check agrees: ${check.stderr}`);
});

t.test('groff renders every page without a warning', { skip: spawnSync('groff', ['--version']).status !== 0 && 'groff is not installed' }, async (t) => {
  for (const page of PAGES) {
    const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', join(work, page)], { encoding: 'utf8' });
    t.equal(r.status, 0, `${page}: groff exit 0`);
    t.equal(r.stderr, '', `${page}: no warnings`);
  }
});

t.test('virtzone(1) names every command and option', { skip: spawnSync('man', ['--version']).status !== 0 && 'man is not installed' }, async (t) => {
  const r = rendered(join(work, 'virtzone.1'));
  t.equal(r.status, 0, r.stderr);
  const text = r.stdout.replace(/\u2010|\u2212/g, '-');
  for (const c of buildProgram().commands) {
    t.match(text, new RegExp(`\\n {3}virtzone ${c.name()} `), `command ${c.name()}`);
    for (const o of c.options) t.ok(text.includes(o.flags), `${c.name()} ${o.flags}`);
  }
  t.match(text, /EXIT STATUS[\s\S]*\n {7}4 +place was rejected/);
});

t.test('virtzoned(8) names every flag, the signals and the exit codes', { skip: spawnSync('man', ['--version']).status !== 0 && 'man is not installed' }, async (t) => {
  const text = rendered(join(work, 'virtzoned.8')).stdout.replace(/\u2010|\u2212/g, '-');
  const flags = parseHelpOptions(daemonHelp());
  t.ok(flags.length >= 10, `${flags.length} flags`);
  t.ok(flags.some((f) => f.flags === '--check-config [file]' && /78 invalid/.test(f.description)), 'a wrapped description is joined');
  for (const f of flags) t.ok(text.includes(f.flags), f.flags);
  for (const sig of ['SIGHUP', 'SIGTERM', 'SIGINT']) t.match(text, new RegExp(`\\n {7}${sig}\\s`), sig);
  for (const code of [0, 1, 65, 78]) t.match(text, new RegExp(`\\n {7}${code} +\\S`), `exit ${code}`);
  // the codes the daemon's entry really uses
  const source = readFileSync(join(ROOT, 'daemon/bin/virtzoned.ts'), 'utf8');
  t.match(source, /EX_CONFIG = 78;/);
  t.match(source, /EX_DATAERR = 65;/);
});

t.test('virtzoned.yaml(5) documents every config key with its default', { skip: spawnSync('man', ['--version']).status !== 0 && 'man is not installed' }, async (t) => {
  const text = rendered(join(work, 'virtzoned.yaml.5')).stdout.replace(/\u2010|\u2212/g, '-');
  const keys = configKeys(ConfigSchema as unknown as SchemaNode);
  t.ok(keys.length > 100, `${keys.length} keys`);
  for (const k of keys) t.ok(text.includes(`\n       ${k.path}\n`) || text.includes(`\n       ${k.path} `), k.path);
  t.match(text, /\n {7}store\.path\n.*Default: \/var\/lib\/virtzone\/virtzone\.db\./);
  t.ok(keys.some((k) => k.path === 'classes[].floor.cpuCores'), 'list entries');
  t.ok(keys.some((k) => k.path.startsWith('templates.<name>.')), 'map entries');
});
