// The virtzone CLI as a user runs it (a child process), on real database files:
// output, --json, and the exit codes (0 ok, 1 runtime, 2 usage/bad input, 3 unreachable).
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADDON, HOST_XML, TEST_URI, virtzone as runVirtzone } from './harness.js';
import { makeQuirkyTrace, B0 } from '../trace/quirky-trace.js';
import { Store } from '../../core/store/store.js';
import { Collector } from '../../collector/collector.js';

const work = mkdtempSync(join(tmpdir(), 'virtzone-cli-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const virtzone = (...args: string[]) => runVirtzone(args);

const trace = makeQuirkyTrace(work);
const db = join(work, 'quirky.db');

t.test('import-trace, then vms and history read the database', async (t) => {
  const imp = await virtzone('import-trace', '--format', 'bitbrains', trace, '--db', db, '--json');
  t.equal(imp.code, 0, imp.stderr);
  const report = JSON.parse(imp.stdout);
  t.same(
    [report.vms, report.rowsRead, report.rowsRejected, report.rowsMerged, report.rowsStored, report.classRollupsStored],
    [2, 14, 4, 2, 8, 8],
  );
  t.same(report.classes, { gold: ['bitbrains-1'], silver: ['bitbrains-2'] });

  const vms = await virtzone('vms', '--db', db, '--json');
  t.equal(vms.code, 0, vms.stderr);
  const list = JSON.parse(vms.stdout);
  t.same(list.map((v: { name: string; class: string }) => [v.name, v.class]), [['bitbrains-1', 'gold'], ['bitbrains-2', 'silver']]);
  t.same([list[0].vcpus, list[0].memoryMiB, list[0].cpuCores, list[0].memoryUsedMiB, list[0].source], [4, 8192, 1, 1024, 'import']);

  const table = await virtzone('vms', '--db', db);
  t.equal(table.code, 0);
  const lines = table.stdout.trimEnd().split('\n');
  t.match(lines[0], /^ Name\s+Class\s+vCPUs\s+Memory MiB\s+CPU cores/);
  t.match(lines[1], /^-+$/);
  t.equal(lines.length, 4);
  t.match(lines[2], /^ bitbrains-1\s+gold\s+4\s+8192\s+1\s+1024\s+2013-06-30 22:40:00\s+import$/);

  const hist = await virtzone('history', 'bitbrains-1', '--db', db, '--json');
  t.equal(hist.code, 0, hist.stderr);
  const h = JSON.parse(hist.stdout);
  t.equal(h.series, 'vm:bitbrains-1');
  t.equal(h.class, 'gold');
  t.equal(h.count, 5);
  t.same(h.rollups.map((r: { cpuMean: number }) => r.cpuMean), [0.5, 2, 0, 1, 1]);
  t.equal(h.rollups[0].time, new Date(B0 * 1000).toISOString());

  const ranged = await virtzone('history', 'bitbrains-1', '--db', db, '--json', '--since', new Date((B0 + 300) * 1000).toISOString(), '--until', String(B0 + 2100));
  t.equal(ranged.code, 0, ranged.stderr);
  t.same(JSON.parse(ranged.stdout).rollups.map((r: { ts: number }) => r.ts), [B0 + 300, B0 + 1800], '[since, until)');

  const cls = await virtzone('history', 'class:silver', '--db', db);
  t.equal(cls.code, 0, cls.stderr);
  t.equal(cls.stdout.trimEnd().split('\n').length, 2 + 3);
});

t.test('exit codes and messages for bad input', async (t) => {
  const unknownVm = await virtzone('history', 'nope', '--db', db);
  t.equal(unknownVm.code, 2);
  t.match(unknownVm.stderr, /^virtzone history: unknown VM "nope" in .*quirky\.db \(2 VMs there/);
  t.equal(unknownVm.stdout, '');

  const missingDb = await virtzone('vms', '--db', join(work, 'missing.db'));
  t.equal(missingDb.code, 2);
  t.match(missingDb.stderr, /virtzone vms: --db: database file not found: .*missing\.db/);
  t.notOk(existsSync(join(work, 'missing.db')), 'reading never creates the file');

  // without --db, history asks the daemon: none runs at this socket
  const noDb = await virtzone('history', 'bitbrains-1', '--socket', join(work, 'no-daemon.sock'));
  t.equal(noDb.code, 3);
  t.match(noDb.stderr, /virtzoned is not running: no socket at/);

  const notDb = await virtzone('vms', '--db', join(trace, '2013-7', '2.csv'));
  t.equal(notDb.code, 2, notDb.stderr);
  t.match(notDb.stderr, /--db: .*2\.csv is not a virtzone database/);

  const badSince = await virtzone('history', 'bitbrains-1', '--db', db, '--since', 'last tuesday');
  t.equal(badSince.code, 2);
  t.match(badSince.stderr, /--since: "last tuesday" is not a time/);

  const inverted = await virtzone('history', 'bitbrains-1', '--db', db, '--since', '-1h', '--until', '-2h');
  t.equal(inverted.code, 2);
  t.match(inverted.stderr, /--until .* must be after --since/);

  const unknownCmd = await virtzone('frobnicate');
  t.equal(unknownCmd.code, 2);
  t.match(unknownCmd.stderr, /unknown command 'frobnicate'/);

  const help = await virtzone('--help');
  t.equal(help.code, 0);
  t.match(help.stdout, /import-trace/);

  const badFormat = await virtzone('import-trace', '--format', 'google', trace, '--db', join(work, 'x.db'));
  t.equal(badFormat.code, 2);
  t.match(badFormat.stderr, /--format: "google" is not a known trace format: expected one of bitbrains/);

  const noDir = await virtzone('import-trace', '--format', 'bitbrains', join(work, 'no-such-dir'), '--db', join(work, 'x.db'));
  t.equal(noDir.code, 2);
  t.match(noDir.stderr, /trace folder not found: .*no-such-dir/);

  const badClass = await virtzone('import-trace', '--format', 'bitbrains', trace, '--db', join(work, 'x.db'), '--class', 'platinum');
  t.equal(badClass.code, 2);
  t.match(badClass.stderr, /--class: "platinum" is not a configured class: expected one of gold, silver, bronze, general/);

  const badPair = await virtzone('import-trace', '--format', 'bitbrains', trace, '--db', join(work, 'x.db'), '--class-of', 'gold');
  t.equal(badPair.code, 2);
  t.match(badPair.stderr, /--class-of: "gold" is invalid: expected ID=CLASS/);

  const badConfig = await virtzone('import-trace', '--format', 'bitbrains', trace, '--db', join(work, 'x.db'), '--config', join(work, 'nope.yaml'));
  t.equal(badConfig.code, 2);
  t.match(badConfig.stderr, /--config: .*nope\.yaml: cannot read config file/);
});

t.test('--shift-to-now, --class and --class-of through the CLI', async (t) => {
  const shifted = join(work, 'shifted.db');
  const r = await virtzone('import-trace', '--format', 'bitbrains', trace, '--db', shifted, '--shift-to-now', '--class', 'bronze', '--class-of', '2=gold');
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /Rows read:\s+14\n/);
  t.match(r.stdout, /Rows rejected:\s+4\n/);
  t.match(r.stdout, /Shift:\s+\d+ weeks/);
  const list = JSON.parse((await virtzone('vms', '--db', shifted, '--json')).stdout);
  t.same(list.map((v: { class: string }) => v.class), ['bronze', 'gold']);
  const now = Date.now();
  const last = Date.parse(list[0].lastSeen);
  t.ok(last + 300_000 <= now && last > now - 7 * 86_400_000, `ends within the last 7 days: ${list[0].lastSeen}`);
  t.equal((last / 1000 - (B0 + 2400)) % (7 * 86_400), 0, 'shifted by whole weeks');
});

t.test('vms lists every domain the collector recorded from a test-driver host', { skip: !existsSync(ADDON) && 'native addon not built' }, async (t) => {
  const { openHost } = await import('../../core/host/libvirt-host.js');
  const host = await openHost(TEST_URI);
  const path = join(work, 'collected.db');
  const store = Store.open(path);
  const collector = new Collector({ host: () => host, store });
  await collector.tick();
  collector.close();
  store.close();
  await host.close();
  const names = [...readFileSync(HOST_XML, 'utf8').matchAll(/<domain\b[^>]*>\s*<name>([^<]+)<\/name>/g)].map((m) => m[1]);
  const r = await virtzone('vms', '--db', path, '--json');
  t.equal(r.code, 0, r.stderr);
  const list = JSON.parse(r.stdout) as Array<{ name: string; class: string | null; source: string }>;
  t.same(list.map((v) => v.name).sort(), [...names].sort());
  t.ok(list.every((v) => v.class !== null && v.source === 'collector'));
});
