// `virtzone audit` and `virtzone vm` against a real virtzoned over libvirt's test driver
// (test/fixtures/host.xml): the daemon's own set-mode rows, a switch made with `virtzone
// mode`, rows written to its audit table, filters, the table and --json, and exit 2 for
// bad input and an unknown VM.
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { AuditLog } from '../../core/store/audit.js';
import { ADDON, json, probe, startDaemon, virtzone, type Daemon } from './harness.js';

const work = mkdtempSync(join(tmpdir(), 'vz-cli-audit-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

if (!existsSync(ADDON)) {
  t.pass('skipped: the libvirt addon is not built (npm run build:native)', { skip: true });
} else {
  let daemon: Daemon;
  let s: string[];
  let startedAt: number;

  t.before(async () => {
    startedAt = Math.floor(Date.now() / 1000);
    daemon = await startDaemon({ dir: work, config: { classes: [{ name: 'gold', floor: { cpuCores: 1, memoryMiB: 1024 } }, { name: 'silver' }, { name: 'bronze' }] } });
    s = ['--socket', daemon.socket];
    // the collector's first tick lists the fixture's domains
    const deadline = Date.now() + 30_000;
    while (!((await probe(daemon.socket, '/v1/vms')).body ?? []).some((v: { name: string }) => v.name === 'gold-web-01')) {
      if (Date.now() > deadline) throw new Error('the daemon never listed gold-web-01');
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  t.teardown(async () => {
    await daemon?.stop();
  });

  t.test('audit: the first start, a mode switch, filters, table and --json', async (t) => {
    let r = await virtzone(['audit', ...s, '--json']);
    t.equal(r.code, 0, r.stderr);
    const first = json(r).filter((x: { action: string }) => x.action === 'set-mode');
    t.equal(first.length, 1, 'the first start wrote one set-mode row');
    t.match(first[0], { actor: 'config', vm: 'host', result: 'ok', before: { mode: null }, after: { mode: 'observe', source: 'config' }, reason: /first start/ });
    t.equal(first[0].time, new Date(first[0].ts * 1000).toISOString(), 'each row has its ISO time');

    const sw = await virtzone(['mode', 'enforce', '--reason', 'audit test', ...s]);
    t.equal(sw.code, 0, sw.stderr);
    r = await virtzone(['audit', ...s, '--action', 'set-mode', '--json']);
    const rows = json(r);
    t.equal(rows.length, 2, 'the switch added a row');
    t.match(rows[0], { before: { mode: 'observe' }, after: { mode: 'enforce', source: 'api' }, reason: /audit test/ }, 'newest first');
    t.not(rows[0].actor, 'config', `an admin's switch names the credential (${rows[0].actor})`);
    t.same(json(await virtzone(['audit', ...s, '--action', 'set-mode', '--limit', '1', '--json'])).map((x: { id: number }) => x.id), [rows[0].id], '--limit 1: the newest');
    t.same(json(await virtzone(['audit', ...s, '--actor', rows[0].actor, '--vm', 'host', '--result', 'ok', '--json'])).map((x: { id: number }) => x.id), [rows[0].id], '--actor, --vm, --result');

    const table = await virtzone(['audit', ...s, '--action', 'set-mode']);
    t.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    t.match(lines[0], /^ Time \(UTC\)\s+Actor\s+VM\s+Action\s+Result\s+Before → after\s+Reason$/);
    t.match(lines[1], /^-+$/);
    t.equal(lines.length, 4, 'two rows');
    t.match(lines[2], /^ \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\s+\S+\s+host\s+set-mode\s+ok\s+mode observe→enforce, .*set by .*: audit test$/);
    t.match(lines[3], /\s+config\s+host\s+set-mode\s+ok\s+mode -→observe, .*first start/);

    // times: a bare duration, ISO 8601, unix seconds
    t.equal(json(await virtzone(['audit', ...s, '--action', 'set-mode', '--since', '1h', '--json'])).length, 2, '--since 1h');
    t.equal(json(await virtzone(['audit', ...s, '--action', 'set-mode', '--since', String(startedAt - 60), '--json'])).length, 2, '--since unix seconds');
    const none = await virtzone(['audit', ...s, '--until', '2020-01-01T00:00:00Z']);
    t.equal(none.code, 0);
    t.match(none.stderr, /no rows match/);
    t.equal(json(await virtzone(['audit', ...s, '--since', '2099-01-01', '--json'])).length, 0, '--since in the future: nothing');
  });

  t.test('audit: bad input is exit 2 with a message', async (t) => {
    const bad = async (args: string[], message: RegExp) => {
      const r = await virtzone(['audit', ...s, ...args]);
      t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
      t.match(r.stderr, message, `${args.join(' ')}: ${r.stderr.trim()}`);
      t.equal(r.stdout, '');
    };
    await bad(['--since', 'yesterday'], /^virtzone audit: --since: "yesterday" is not a time/);
    await bad(['--until', '2025-13-45'], /--until: "2025-13-45" is not a time/);
    await bad(['--since', '1h', '--until', '2h'], /--until .* is before --since/);
    await bad(['--limit', '0'], /--limit: "0" is not a whole number from 1 to 10000/);
    await bad(['--limit', '10001'], /--limit/);
    await bad(['--limit', 'many'], /--limit/);
    await bad(['--result', 'done'], /Allowed choices are ok, failed, rolled_back, skipped/);
    await bad(['--vm', ''], /--vm: empty/);
  });

  t.test('vm: like virsh dominfo, with its recent actions', async (t) => {
    // rows about the VM, as the auto-scaler writes them, in the daemon's audit table
    const db = new Database(daemon.db);
    db.pragma('busy_timeout = 10000');
    const audit = new AuditLog(db);
    const now = Date.now() / 1000;
    for (let i = 0; i < 12; i++) {
      audit.append({ ts: now - 600 + i, actor: 'autoscaler', vm: 'gold-web-01', action: 'setVcpus', reason: `zone gold is hot (${i})`, before: { vcpus: 1 }, after: { vcpus: 2 }, result: i === 11 ? 'failed' : 'ok', error: i === 11 ? 'no room' : null });
    }
    audit.append({ ts: now, actor: 'autoscaler', vm: 'silver-db-02', action: 'setVcpus', reason: 'another VM', before: { vcpus: 1 }, after: { vcpus: 2 }, result: 'ok' });
    db.close();

    const r = await virtzone(['vm', 'gold-web-01', ...s, '--json']);
    t.equal(r.code, 0, r.stderr);
    const vm = json(r);
    t.match(vm, { name: 'gold-web-01', zone: 'gold', domain: { state: 'running' }, zoneFloor: { cpuCores: 1, memoryMiB: 1024 }, zoneView: { name: 'gold' } });
    t.ok(vm.domain.vcpusMax >= vm.domain.vcpusCurrent && vm.domain.vcpusCurrent >= 1, `vCPUs ${vm.domain.vcpusCurrent}/${vm.domain.vcpusMax}`);
    t.ok(vm.domain.maxMemoryMiB >= vm.domain.memoryMiB && vm.domain.memoryMiB > 0, `memory ${vm.domain.memoryMiB}/${vm.domain.maxMemoryMiB} MiB`);
    t.equal(vm.recentActions.length, 10, 'the last 10 actions');
    t.same(vm.recentActions.map((a: { reason: string }) => a.reason), Array.from({ length: 10 }, (_, i) => `zone gold is hot (${11 - i})`), 'newest first, its own only');
    t.match(vm.hourPeak, { rollups: Number });

    const text = await virtzone(['vm', 'gold-web-01', ...s]);
    t.equal(text.code, 0, text.stderr);
    t.match(text.stdout, /^Name: +gold-web-01\n/);
    t.match(text.stdout, /\nState: +running\n/);
    t.match(text.stdout, /\nZone: +gold\n/);
    t.match(text.stdout, new RegExp(`\\nvCPUs: +${vm.domain.vcpusCurrent} \\(max ${vm.domain.vcpusMax}\\)\\n`));
    t.match(text.stdout, /\nZone floor: +1 cores, 1024 MiB\n/);
    t.match(text.stdout, /\nCPU use: +.* now; last hour's peak /);
    t.match(text.stdout, /\nRecent actions \(newest first\):\n Time \(UTC\)\s+Actor/);
    t.match(text.stdout, /autoscaler\s+gold-web-01\s+setVcpus\s+failed\s+vcpus 1→2\s+zone gold is hot \(11\) \(error: no room\)/);
    t.notMatch(text.stdout, /silver-db-02/);

    const quiet = json(await virtzone(['vm', 'bronze-cache-03', ...s, '--json']));
    t.same(quiet.recentActions, [], 'a VM nothing was done to');
    t.equal(quiet.zoneFloor.cpuCores, 0, 'a class without a floor: zero');
  });

  t.test('vm: an unknown VM is exit 2', async (t) => {
    const r = await virtzone(['vm', 'no-such-vm', ...s]);
    t.equal(r.code, 2);
    t.match(r.stderr, /^virtzone vm: no VM named "no-such-vm" on this host .*\(field: name\)/);
    t.equal(r.stdout, '');
    const unreachable = await virtzone(['vm', 'gold-web-01', '--socket', join(work, 'none.sock')]);
    t.equal(unreachable.code, 3, 'no daemon: exit 3');
  });
}
