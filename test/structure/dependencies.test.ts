// The structure rule (.dependency-cruiser.cjs) on the real tree, and on a small tree that
// breaks each part of it on purpose, so the rule is known to catch what it is meant to.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules/.bin/depcruise');
const PRODUCT = ['core', 'collector', 'forecaster', 'partitioner', 'router', 'simulator', 'cli', 'daemon', 'scripts'];

function cruise(cwd: string, dirs: string[]) {
  const r = spawnSync(DEPCRUISE, ['--config', CONFIG, '--output-type', 'err', ...dirs], { cwd, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

t.test('the tree keeps the rule', async (t) => {
  const r = cruise(ROOT, PRODUCT);
  t.equal(r.code, 0, r.out);
  t.notMatch(r.out, /error /);
});

t.test('each broken rule is reported by name', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-depcruise-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files: Record<string, string> = {
    'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }),
    'core/model/types.ts': "import { server } from '../../router/index.js';\nexport const types = server;\n",
    'router/index.ts': "export { server } from './server.js';\n",
    'router/server.ts': "export const server = 1;\n",
    'forecaster/index.ts': "export { model } from './model/lstm.js';\n",
    'forecaster/model/lstm.ts': "export const model = 2;\n",
    // a component reaching into another's internals
    'partitioner/plan/partition.ts': "import { model } from '../../forecaster/model/lstm.js';\nimport { server } from '../../router/index.js';\nexport const plan = model + server;\n",
    // a component importing the composition root
    'collector/collector.ts': "import { wire } from '../daemon/process/daemon.js';\nexport const c = wire;\n",
    'daemon/process/daemon.ts': "export const wire = 3;\n",
    // an import cycle
    'simulator/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
    'simulator/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, dirname(path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const r = cruise(dir, ['core', 'collector', 'forecaster', 'partitioner', 'router', 'simulator', 'daemon']);
  t.not(r.code, 0, 'a broken rule fails the check');
  t.match(r.out, /core-imports-no-component: core\/model\/types\.ts → router\/index\.ts/);
  t.match(r.out, /through-public-entry: partitioner\/plan\/partition\.ts → forecaster\/model\/lstm\.ts/);
  t.notMatch(r.out, /through-public-entry: partitioner\/plan\/partition\.ts → router\/index\.ts/, 'a public entry is allowed');
  t.match(r.out, /only-bin-imports-daemon: collector\/collector\.ts → daemon\/process\/daemon\.ts/);
  t.match(r.out, /no-circular: simulator\/(a|b)\.ts/);
});
