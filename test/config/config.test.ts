import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig, defaultConfig, loadConfigFile, applyOverrides, ConfigError } from '../../core/config/load.js';

t.test('no config at all gives a working default with gold, silver, bronze', async (t) => {
  const c = defaultConfig();
  t.same(c.classes.map((x) => x.name), ['gold', 'silver', 'bronze']);
  t.equal(c.collect.intervalSeconds, 10);
  t.equal(c.api.socket, '/run/virtzone/virtzoned.sock');
  t.equal(c.libvirt.uri, 'qemu:///system');
});

const bad: Array<[string, unknown, string]> = [
  ['wrong type', { collect: { intervalSeconds: 'ten' } }, 'collect.intervalSeconds'],
  ['unknown top-level key', { colect: {} }, 'colect'],
  ['unknown nested key', { classes: [{ name: 'gold', bufer: 0.1 }] }, 'classes[0].bufer'],
  ['negative buffer', { classes: [{ name: 'gold', buffer: -1 }] }, 'classes[0].buffer'],
  ['duplicate class', { classes: [{ name: 'a' }, { name: 'a' }] }, 'classes[1].name'],
  ['reserved name', { classes: [{ name: 'general' }] }, 'classes[0].name'],
  ['rule to unknown class', { rules: [{ app: 'web', class: 'platinum' }] }, 'rules[0].class'],
  ['rule that matches nothing', { rules: [{ class: 'gold' }] }, 'rules[0]'],
  ['water marks inverted', { autoscaler: { lowWater: 0.9, highWater: 0.5 } }, 'autoscaler.lowWater'],
  ['TCP without token', { api: { listen: '127.0.0.1:8750' } }, 'api.tokenFile'],
  ['non-loopback listen', { api: { listen: '0.0.0.0:8750', tokenFile: '/x' } }, 'api.listen'],
  ['empty classes', { classes: [] }, 'classes'],
  ['top level is a list', [1, 2], '(root)'],
  ['unknown overflow scope', { overflow: { scope: 'everywhere' } }, 'overflow.scope'],
  ['app history too long', { router: { appHistoryDays: 365 } }, 'router.appHistoryDays'],
  ['fractional sample count', { router: { appMinSamples: 2.5 } }, 'router.appMinSamples'],
  ['a socket others may use', { api: { socketMode: '0666' } }, 'api.socketMode'],
  ['a socket others may read', { api: { socketMode: '0664' } }, 'api.socketMode'],
  ['a default TTL above the maximum', { api: { defaultTtlSeconds: 7200, maxTtlSeconds: 3600 } }, 'api.defaultTtlSeconds'],
  ['a template range upside down', { templates: { small: { pool: 'images', networks: ['default'], vcpus: { min: 4, max: 2 } } } }, 'templates.small.vcpus.max'],
  ['a template without networks', { templates: { small: { pool: 'images', networks: [] } } }, 'templates.small.networks'],
  ['a template name in capitals', { templates: { Small: { pool: 'images', networks: ['default'] } } }, 'templates.Small'],
];
for (const [what, raw, key] of bad) {
  t.test(`rejects ${what}, naming ${key}`, async (t) => {
    try {
      validateConfig(raw, 'test.yaml');
      t.fail('accepted');
    } catch (e) {
      t.ok(e instanceof ConfigError);
      t.equal((e as ConfigError).key, key);
      t.match((e as Error).message, key === '(root)' ? /top level/ : new RegExp(`key ${key.replace(/[[\].()]/g, '\\$&')}`));
      t.notMatch((e as Error).message, /\n/, 'one line');
    }
  });
}

t.test('files: missing explicit file, broken YAML, overrides', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-config-'));
  t.throws(() => loadConfigFile(join(dir, 'nope.yaml')), /cannot read config file \(ENOENT\)/);
  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, 'collect: [1, 2\n');
  t.throws(() => loadConfigFile(broken), /not valid YAML/);
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'collect:\n  intervalSeconds: 5\nclasses:\n  - name: web\n    buffer: 0.3\n');
  const c = loadConfigFile(good);
  t.equal(c.collect.intervalSeconds, 5);
  t.equal(c.classes[0].buffer, 0.3);
  t.same(c.classes[0].floor, { cpuCores: 0, memoryMiB: 0 });
  const o = applyOverrides(c, { connect: 'test:///default', db: '/tmp/x.db' });
  t.equal(o.libvirt.uri, 'test:///default');
  t.equal(o.store.path, '/tmp/x.db');
  t.equal(c.libvirt.uri, 'qemu:///system', 'original untouched');
});
