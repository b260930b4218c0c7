// Faults a real host has, with virtzoned running as a process against a real libvirtd:
//   (a) libvirtd killed and restarted: the daemon notices, reconnects, collects again, and
//       keeps every stored row;
//   (b) kill -9 of the daemon during a burst of placements: the database is intact, and
//       every answered placement exists exactly once (retries with the same keys replay it);
//   (c) a guest destroyed behind the daemon's back while a plan is being applied: its step
//       fails cleanly and is audited, the rest goes on, the daemon keeps running;
//   (d) the database's disk fills up: the daemon says so (log, /healthz, 503 on writes)
//       and keeps serving reads; it recovers when space is back.
// Run: VZ_E2E=1 npx tap test/e2e/faults.test.ts (see scripts/e2e/README.md)
import t from 'tap';
import { execFile } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { buildZoneMetadata } from '../../core/host/metadata.js';
import { E2E_DIR, consoleLogPath, readGuestConsole, waitFor } from './guest.js';
import { e2eSkipReason, killLibvirtd, startLibvirtd, virsh } from './libvirtd.js';
import { guestCreator, prepareHost, releaseHost } from './host.js';
import { Virtzoned, e2eConfig, type ApiAnswer } from './daemon.js';
import { replayHistory } from './history.js';
import { BASE_IMAGE, E2E_POOL, prepareProvisioning, releaseProvisioning } from './provisioning.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const skip = e2eSkipReason();
if (skip) {
  t.plan(0, skip);
} else {
  await main();
}

async function main(): Promise<void> {
  const IDLE = 'vz-e2e-f-idle';
  const VICTIM = 'vz-e2e-f-victim';
  const PLACED = 'vz-e2e-f-placed';
  const GUESTS = [IDLE, VICTIM, PLACED];
  const ZONES = ['gold', 'silver', 'general'];
  const dir = mkdtempSync(join(E2E_DIR, 'faults-'));
  const fullDir = join(dir, 'full');
  let mounted = false;
  const daemons: Virtzoned[] = [];
  const observed: Record<string, unknown> = {};

  // Runs even when a step throws: daemons, guests, libvirtd, the tmpfs and partitions go.
  t.teardown(async () => {
    for (const d of daemons) await d.stop().catch(() => undefined);
    if (mounted) {
      await run('umount', [fullDir]).catch(() => run('umount', ['-l', fullDir]).catch((e) => t.comment(`umount ${fullDir}: ${(e as Error).message}`)));
    }
    await releaseHost(t, GUESTS, ZONES);
    await releaseProvisioning();
    writeFileSync(join(E2E_DIR, 'observed-faults.json'), JSON.stringify(observed, null, 2));
    // a failed run keeps the daemons' logs and databases for a look
    if (t.passing()) rmSync(dir, { recursive: true, force: true });
    else t.comment(`kept ${dir} (virtzoned*.log, virtzone.db)`);
  });

  const image = await prepareHost(t, GUESTS, ZONES);
  const templates = await prepareProvisioning(image, dir);
  const createGuest = guestCreator(dir, image);
  const zoneMeta = (cls: string) => buildZoneMetadata({ class: cls, tenant: 'e2e', app: 'e2e-faults' }, { forDomainXml: true });
  await createGuest({ name: IDLE, burn: 0, metadata: zoneMeta('silver') });
  await createGuest({ name: VICTIM, burn: 0, metadata: zoneMeta('gold') });
  for (const name of [IDLE, VICTIM]) await waitFor(`${name} to report`, () => readGuestConsole(consoleLogPath(name)).reports.at(-1), 60_000);

  const dbPath = join(dir, 'virtzone.db');
  // The auto-scaler is off here: the plan steps of (c) must be the re-partition's alone.
  // A narrow gold buffer: the idle victim's plan step is a balloon shrink, one of the
  // first steps (shrinks go first), and a paused guest never acks it.
  const config = e2eConfig(dir, {
    classes: [
      { name: 'gold', buffer: 0.2, floor: { cpuCores: 4, memoryMiB: 1024 } },
      { name: 'silver', buffer: 0.2, floor: { cpuCores: 2, memoryMiB: 1024 } },
    ],
    autoscaler: { enabled: false, intervalSeconds: 2 },
    host: { reserve: { cpuCores: 0, memoryMiB: 2048 }, cpuOvercommit: 16 },
    templates,
  });
  // a day and more of the guests' history, as the collector would have kept it: without
  // it no VM is shrunk below its provisioned size, and (c) needs the victim's shrink step
  await replayHistory(
    dbPath,
    [
      { name: IDLE, cls: 'silver', cpuCores: 0.02, memoryMiB: 60 },
      { name: VICTIM, cls: 'gold', cpuCores: 0.02, memoryMiB: 60 },
    ],
    26,
  );
  let daemon = await Virtzoned.start({ dir, config });
  daemons.push(daemon);

  const withDb = <T>(fn: (db: Database.Database) => T, readonly = true): T => {
    const db = new Database(dbPath, { readonly, fileMustExist: true });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  const counts = () =>
    withDb((db) =>
      Object.fromEntries(['vms', 'samples', 'rollups', 'audit', 'reservations'].map((tbl) => [tbl, (db.prepare(`SELECT COUNT(*) AS n FROM ${tbl}`).get() as { n: number }).n])),
    );
  const lastSampleTs = (vm: string) =>
    withDb((db) => (db.prepare('SELECT MAX(s.ts) AS ts FROM samples s JOIN vms v ON v.id = s.vm_id WHERE v.name = ?').get(vm) as { ts: number | null }).ts ?? 0);

  await t.test('(a) libvirtd killed and restarted: the daemon reconnects and collects again, no data lost', async (t) => {
    await waitFor('three samples of the idle guest', () => withDb((db) => (db.prepare('SELECT COUNT(*) AS n FROM samples').get() as { n: number }).n >= 6), 30_000, 500);
    const before = counts();
    const d = daemon;
    const killedAt = Date.now();
    await killLibvirtd();
    const scriptDone = Date.now();
    // how soon the daemon notices: /healthz turns 503 (libvirt check failing)
    const noticed = await waitFor(
      'the daemon to notice',
      async () => {
        const h = await d.api('GET', '/healthz');
        return h.body.checks.libvirt.ok === false ? Date.now() : undefined;
      },
      30_000,
      50,
    );
    // still serving while libvirt is away
    t.equal((await d.api('GET', '/v1/zones')).status, 200, 'GET /v1/zones answers while libvirtd is down');
    t.comment(await startLibvirtd());
    const upAt = Date.now();
    const back = await waitFor(
      'the daemon to reconnect',
      async () => {
        const h = await d.api('GET', '/healthz');
        return h.body.checks.libvirt.ok === true ? Date.now() : undefined;
      },
      60_000,
      50,
    );
    const lost = d.find(/libvirt connection lost/, killedAt)[0];
    const connected = d.find(/libvirt connected/, killedAt)[0];
    const reconnectMs = connected ? connected.time - upAt : back - upAt;
    t.comment(
      `libvirtd SIGKILLed (script took ${scriptDone - killedAt} ms); the daemon logged the loss ${lost ? lost.time - killedAt : '?'} ms after the kill (reason ${JSON.stringify(lost?.reason)}), /healthz 503 at ${noticed - killedAt} ms; ` +
        `libvirtd answering again ${upAt - killedAt} ms after the kill; daemon reconnected ${reconnectMs} ms after that (/healthz ok after ${back - upAt} ms)`,
    );
    t.ok(lost, 'the loss is logged');
    t.ok(connected, 'the reconnect is logged');
    t.ok(back - upAt < 15_000, `reconnected ${back - upAt} ms after libvirtd came back`);
    const resumedAt = Math.floor(upAt / 1000);
    await waitFor('a sample taken after the reconnect', () => lastSampleTs(IDLE) > resumedAt, 30_000, 500);
    const after = counts();
    t.comment(`rows before ${JSON.stringify(before)} after ${JSON.stringify(after)}`);
    for (const [tbl, n] of Object.entries(before)) t.ok(after[tbl] >= n, `${tbl}: ${n} -> ${after[tbl]}`);
    t.ok(after.samples > before.samples, 'collecting again');
    t.ok(d.running, 'the daemon kept running');
    observed.libvirtdRestart = { noticedMs: noticed - killedAt, logLostMs: lost ? lost.time - killedAt : null, libvirtdBackMs: upAt - killedAt, reconnectMs, healthzOkMs: back - upAt, before, after };
  });

  await t.test('(b) kill -9 during a burst of placements: nothing lost, nothing doubled', async (t) => {
    const N = 80;
    const body = (i: number) => ({ tenant: 'e2e', app: `burst-${i % 4}`, priority: 'general', vcpus: 1, memoryMiB: 16, ttlSeconds: 3600 });
    const key = (i: number) => `burst-key-${i}`;
    const answers = new Map<number, ApiAnswer | Error>();
    const d = daemon;
    const sends: Promise<void>[] = [];
    let killed = false;
    // Waves of 8 concurrent requests, a wave every 3 ms, none awaited; SIGKILL is sent
    // from inside the handler of the answer that makes a quarter, so at that instant
    // requests are in every stage: answered, committed but not answered, received but
    // not decided, not sent yet.
    const onAnswer = (i: number, a: ApiAnswer | Error) => {
      answers.set(i, a);
      if (!killed && answers.size >= N / 4) {
        killed = true;
        d.child.kill('SIGKILL');
      }
    };
    for (let i = 0; i < N && !killed; i++) {
      sends.push(d.api('POST', '/v1/placements', body(i), { 'idempotency-key': key(i) }).then((a) => onAnswer(i, a), (e) => onAnswer(i, e as Error)));
      if (i % 8 === 7) await sleep(3);
    }
    await Promise.all(sends);
    await d.kill9();
    const created = [...answers].filter(([, a]) => !(a instanceof Error) && a.status === 201) as Array<[number, ApiAnswer]>;
    const failed = [...answers].filter(([, a]) => a instanceof Error);
    const other = [...answers].filter(([, a]) => !(a instanceof Error) && a.status !== 201);
    t.comment(`before the kill: ${created.length} answered 201, ${other.length} other answers (${other.map(([, a]) => (a as ApiAnswer).status).join(',')}), ${failed.length} cut off (${[...new Set(failed.map(([, e]) => (e as Error).message))].join('; ')}), ${N - answers.size} never sent`);
    t.ok(failed.length + (N - answers.size) > 0, 'the kill landed in the middle of the burst');
    t.ok(created.length >= 1, 'some placements were answered before the kill');

    const integrity = withDb((db) => db.pragma('integrity_check', { simple: true }), false);
    t.equal(integrity, 'ok', 'PRAGMA integrity_check after kill -9');
    for (const [i, a] of created) {
      const rows = withDb((db) => db.prepare('SELECT id, idempotency_key, state FROM reservations WHERE id = ?').all(a.body.reservationId) as Array<{ id: string; idempotency_key: string; state: string }>);
      t.equal(rows.length, 1, `201 ${a.body.reservationId} (key ${key(i)}) is stored exactly once`);
      t.equal(rows[0]?.idempotency_key, key(i));
      t.equal(rows[0]?.state, 'reserved');
    }

    daemon = await Virtzoned.start({ dir, config, logName: 'virtzoned-2.log' });
    daemons.push(daemon);
    // every key again: answered ones replay the same reservation; the rest are placed now
    const retried = await Promise.all(Array.from({ length: N }, (_, i) => daemon.api('POST', '/v1/placements', body(i), { 'idempotency-key': key(i) })));
    for (const [i, a] of created) {
      t.equal(retried[i].status, 201);
      t.equal(retried[i].body.reservationId, a.body.reservationId, `key ${key(i)}: the same reservation`);
      t.equal(retried[i].headers['idempotent-replayed'], 'true');
    }
    const replayedUnanswered = retried.filter((r, i) => !created.some(([j]) => j === i) && r.headers['idempotent-replayed'] === 'true').length;
    const dup = withDb((db) => db.prepare("SELECT idempotency_key, COUNT(*) AS n FROM reservations WHERE idempotency_key LIKE 'burst-key-%' GROUP BY idempotency_key HAVING n > 1").all());
    t.same(dup, [], 'no key has two reservations');
    const stored = withDb((db) => (db.prepare("SELECT COUNT(*) AS n FROM reservations WHERE idempotency_key LIKE 'burst-key-%'").get() as { n: number }).n);
    const ok201 = retried.filter((r) => r.status === 201).length;
    t.equal(stored, ok201, `${stored} reservations for the ${ok201} keys answered 201`);
    t.comment(`after restart: ${ok201} of ${N} keys 201, ${replayedUnanswered} of the unanswered ones had been committed before the kill (replayed)`);
    observed.killBurst = { sent: answers.size, answered201: created.length, cutOff: failed.length, integrity, afterRetry201: ok201, stored, committedButUnanswered: replayedUnanswered };
  });

  await t.test('(b2) kill -9 at each step of a creation: after restart nothing half-made, the retry answered', async (t) => {
    const req = { tenant: 'e2e', app: 'e2e-web', vcpus: 1, memoryMiB: 256, template: 'e2e', image: BASE_IMAGE, name: PLACED };
    const volume = `${PLACED}-root.qcow2`;
    const volumes = async () => (await virsh('vol-list', E2E_POOL)).split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean);
    const tagOf = async (name: string) => /reservation="([^"]+)"/.exec(await virsh('metadata', name, 'https://virtzone.dev/xmlns/virtzone/1').catch(() => ''))?.[1];
    const steps = [
      { failpoint: 'create.after-intent', ran: false },
      { failpoint: 'create.after-volume', ran: false },
      { failpoint: 'create.after-define', ran: false },
      { failpoint: 'create.after-start', ran: true },
      { failpoint: 'create.before-answer', ran: true },
    ];
    const results: Record<string, unknown> = {};
    let n = 0;
    for (const step of steps) {
      const KEY = `e2e-cut-${++n}-${step.failpoint.replace(/\W/g, '-')}`;
      await daemon.stop();
      const frozen = await Virtzoned.start({ dir, config, logName: `virtzoned-cut-${n}.log`, env: { VIRTZONE_FAILPOINTS: step.failpoint } });
      daemons.push(frozen);
      const first = frozen.api('POST', '/v1/placements', req, { 'idempotency-key': KEY }, 120_000).catch((e: Error) => e);
      await waitFor(`${step.failpoint} to be reached`, () => frozen.lines.some((l) => l.msg.includes(`failpoint ${step.failpoint} reached`)), 60_000, 20);
      await frozen.kill9();
      await first;
      const stateAtKill = await virsh('domstate', PLACED).then((x) => x.trim(), () => 'gone');
      t.equal(stateAtKill === 'running', step.ran, `${step.failpoint}: killed with the domain ${stateAtKill}`);

      daemon = await Virtzoned.start({ dir, config, logName: `virtzoned-after-${n}.log` });
      daemons.push(daemon);
      // the start-up pass ran before the API listened: nothing half-made is left
      const state = await virsh('domstate', PLACED).then((x) => x.trim(), () => 'gone');
      const rows = withDb((db) => db.prepare('SELECT id, state, domain, creation FROM reservations WHERE name = ? ORDER BY created_at').all(PLACED) as Array<{ id: string; state: string; domain: string | null; creation: string }>);
      const cut = rows.at(-1)!;
      if (step.ran) {
        t.equal(state, 'running', `${step.failpoint}: the running guest was not destroyed`);
        t.match(cut, { state: 'bound', domain: PLACED, creation: 'done' }, `${step.failpoint}: bound to the guest that came up`);
        t.equal(await tagOf(PLACED), cut.id, `${step.failpoint}: the tagged domain has its reservation`);
      } else {
        t.equal(state, 'gone', `${step.failpoint}: the domain that never ran was removed`);
        t.notOk((await volumes()).includes(volume), `${step.failpoint}: with its root volume`);
        t.match(cut, { state: 'released', creation: 'failed' }, `${step.failpoint}: its reservation released`);
      }
      t.equal(rows.filter((r) => r.state === 'reserved').length, 0, `${step.failpoint}: no reservation holds room for a stopped creation`);

      const retry = await daemon.api('POST', '/v1/placements', req, { 'idempotency-key': KEY });
      t.equal(retry.status, 201, `${step.failpoint}: the retry is answered: ${JSON.stringify(retry.body)}`);
      t.equal(retry.body.domain, PLACED);
      t.equal(retry.body.reservationId === cut.id, step.ran, step.ran ? 'the first reservation' : 'placed afresh');
      t.equal((await virsh('domstate', PLACED)).trim(), 'running');
      const again = await daemon.api('POST', '/v1/placements', req, { 'idempotency-key': KEY });
      t.same(again.body, retry.body, `${step.failpoint}: the key replays it from now on`);
      const active = withDb((db) => db.prepare("SELECT id FROM reservations WHERE name = ? AND state IN ('reserved', 'bound')").all(PLACED) as Array<{ id: string }>);
      t.same(active.map((r) => r.id), [retry.body.reservationId], `${step.failpoint}: exactly one active reservation for the domain`);
      t.equal((await volumes()).filter((v) => v === volume).length, 1, `${step.failpoint}: one root volume`);
      results[step.failpoint] = { stateAtKill, afterRestart: state, cut: { state: cut.state, creation: cut.creation }, retry: retry.status, sameReservation: retry.body.reservationId === cut.id };
      // gone again for the next step (and the operator's way: destroy, undefine, reconcile)
      await virsh('destroy', PLACED);
      await virsh('undefine', PLACED);
      await virsh('vol-delete', '--pool', E2E_POOL, volume);
      const rec = await daemon.api('POST', '/v1/reconcile', { apply: true });
      t.match(rec.body.actions, [{ kind: 'release', domain: PLACED, result: 'applied' }], `${step.failpoint}: the vanished domain's reservation is released`);
    }
    observed.killDuringCreation = results;
  });

  await t.test('(b3) raw domain XML turned on: every dangerous element is a 422 naming it, nothing defined', async (t) => {
    await daemon.stop();
    daemon = await Virtzoned.start({ dir, config: { ...config, provisioning: { rawDomainXml: true } }, logName: 'virtzoned-raw.log' });
    daemons.push(daemon);
    const names = async () => (await virsh('list', '--all', '--name')).split('\n').map((l) => l.trim()).filter(Boolean).sort();
    const before = await names();
    const volumesBefore = await virsh('vol-list', E2E_POOL);
    const doc = (inner: string, top = '') =>
      `<domain type='qemu'><name>vz-e2e-f-raw</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>${top}<os><type arch='x86_64' machine='pc'>hvm</type></os>` +
      `<devices><disk type='volume' device='disk'><source pool='${E2E_POOL}' volume='${BASE_IMAGE}'/><target dev='vda' bus='virtio'/></disk>${inner}</devices></domain>`;
    const cases: Array<[string, string, string, string?]> = [
      ['the host disk', "<disk type='block' device='disk'><source dev='/dev/sda'/><target dev='vdb' bus='virtio'/></disk>", 'disk'],
      ['the host root', "<filesystem type='mount'><source dir='/'/><target dir='r'/></filesystem>", 'filesystem'],
      ['a PCI device', "<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='0' slot='1' function='0'/></source></hostdev>", 'hostdev'],
      ['any binary', '<emulator>/bin/sh</emulator>', 'emulator'],
      ['the physical NIC', "<interface type='direct'><source dev='eth0' mode='bridge'/></interface>", 'interface'],
      ['a host file console', "<serial type='file'><source path='/etc/passwd'/></serial>", 'serial'],
      ['no security label', '', 'seclabel', "<seclabel type='none'/>"],
      ['qemu:commandline', '', 'qemu:commandline', "<qemu:commandline xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><qemu:arg value='-s'/></qemu:commandline>"],
      ['memory backing', '', 'memoryBacking', '<memoryBacking><locked/></memoryBacking>'],
      ['cpu tuning', '', 'cputune', '<cputune><shares>262144</shares></cputune>'],
    ];
    let n = 0;
    for (const [what, inner, element, top] of cases) {
      const r = await daemon.api('POST', '/v1/placements', { tenant: 'e2e', app: 'e2e-raw', vcpus: 1, memoryMiB: 256, domainXml: doc(inner, top) }, { 'idempotency-key': `e2e-raw-bad-${++n}` });
      t.equal(r.status, 422, `${what}: ${r.status}`);
      t.match(r.body.detail, new RegExp(`<${element}>`), `${what}: names <${element}>`);
    }
    const mismatch = await daemon.api('POST', '/v1/placements', { tenant: 'e2e', app: 'e2e-raw', vcpus: 1, memoryMiB: 128, domainXml: doc('') }, { 'idempotency-key': 'e2e-raw-size-1' });
    t.equal(mismatch.status, 422, 'a size that is not what the document runs');
    t.equal(mismatch.body.field, 'memoryMiB');
    t.same(await names(), before, 'nothing defined');
    t.equal(await virsh('vol-list', E2E_POOL), volumesBefore, 'no volume created');
    const rows = withDb((db) => (db.prepare("SELECT count(*) AS n FROM reservations WHERE app = 'e2e-raw'").get() as { n: number }).n);
    t.equal(rows, 0, 'nothing reserved');
  });

  await t.test('(c) a guest destroyed behind the daemon\'s back mid-plan: the step fails cleanly and is audited', async (t) => {
    const d = daemon;
    // A paused guest cannot ack a balloon move: the plan's step on it waits (verify) and
    // is still waiting when the guest is destroyed under it.
    await waitFor('memory samples of the victim', async () => {
      const v = ((await d.api('GET', '/v1/vms')).body as Array<Record<string, any>>).find((x) => x.name === VICTIM);
      return typeof v?.memoryUsedMiB === 'number';
    }, 30_000, 500);
    await virsh('suspend', VICTIM);
    const since = Date.now() / 1000;
    const planned = d.api('POST', '/v1/repartition', { apply: true });
    await sleep(4000);
    await virsh('destroy', VICTIM);
    const destroyedAt = Date.now() / 1000;
    const r = await planned;
    t.equal(r.status, 200, 'POST /v1/repartition answers');
    const steps = (r.body.report?.vms?.steps ?? []) as Array<Record<string, any>>;
    const victim = steps.filter((s) => s.vm === VICTIM);
    t.comment(`victim steps: ${JSON.stringify(victim.map((s) => ({ kind: s.kind, from: s.from, to: s.to, result: s.result, error: s.error })))}`);
    t.ok(victim.length >= 1, 'the plan had steps for the victim');
    const broken = victim.find((s) => s.result === 'failed' || s.result === 'rolled_back');
    t.ok(broken, 'a victim step failed or was rolled back');
    t.match(broken?.error ?? '', /domain|not found|no domain/i, `its error: ${broken?.error}`);
    const others = steps.filter((s) => s.vm !== VICTIM);
    t.ok(others.every((s) => s.result === 'ok' || s.result === 'skipped'), `the other VMs' steps went on: ${others.map((s) => `${s.vm} ${s.kind} ${s.result}`).join('; ')}`);
    const audited = withDb((db) => db.prepare("SELECT actor, action, result, error, ts FROM audit WHERE vm = ? AND ts >= ? AND actor = 'repartition' ORDER BY id").all(VICTIM, since) as Array<Record<string, any>>);
    t.comment(`audit: ${JSON.stringify(audited)}`);
    const row = audited.find((a) => a.result === 'failed' || a.result === 'rolled_back');
    t.ok(row, 'the failed step is in the audit table');
    t.ok(row && row.error && row.error.length > 0, 'with its error');
    t.ok(row && row.ts >= destroyedAt - 1, 'recorded when it failed, after the destroy');
    const health = await d.api('GET', '/healthz');
    t.equal(health.status, 200, '/healthz still 200');
    t.equal((await d.api('GET', '/v1/zones')).status, 200);
    t.ok(d.running, 'the daemon keeps running');
    observed.destroyedMidPlan = { victimSteps: victim.map((s) => ({ kind: s.kind, from: s.from, to: s.to, result: s.result, error: s.error })), audit: audited };
  });

  await t.test('(d) a full disk under the database: reported, reads still served, recovers', async (t) => {
    await daemon.stop();
    mkdirSync(fullDir);
    await run('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', fullDir]);
    mounted = true;
    const cfg = e2eConfig(dir, {
      store: { path: join(fullDir, 'virtzone.db') },
      api: { socket: join(dir, 'full.sock') },
      autoscaler: { enabled: false, intervalSeconds: 2 },
    });
    const d = await Virtzoned.start({ dir, config: cfg, logName: 'virtzoned-full.log' });
    daemons.push(d);
    const fullDb = join(fullDir, 'virtzone.db');
    await waitFor('the collector writing', async () => (await d.api('GET', '/healthz')).body.checks.store.detail !== undefined && existsSync(fullDb + '-wal'), 20_000, 200);
    await sleep(3000);
    const placedBefore = await d.api('POST', '/v1/placements', { tenant: 'e2e', app: 'before-full', priority: 'general', vcpus: 1, memoryMiB: 16 }, { 'idempotency-key': 'full-disk-1' });
    t.equal(placedBefore.status, 201, 'a placement while there is room');

    // fill the file system
    const fillAt = Date.now();
    const fd = openSync(join(fullDir, 'fill'), 'w');
    const chunk = Buffer.alloc(64 * 1024);
    let filled = 0;
    try {
      for (;;) filled += writeSync(fd, chunk);
    } catch (e) {
      t.equal((e as NodeJS.ErrnoException).code, 'ENOSPC', `filled ${filled} bytes, then ENOSPC`);
    } finally {
      closeSync(fd);
    }
    const health = await waitFor(
      '/healthz to report the store',
      async () => {
        const h = await d.api('GET', '/healthz');
        return h.body.checks.store.ok === false ? h : undefined;
      },
      30_000,
      200,
    );
    t.comment(`/healthz ${health.status} after ${Date.now() - fillAt} ms: ${JSON.stringify(health.body.checks.store)}`);
    t.equal(health.status, 503);
    t.match(health.body.checks.store.detail, /SQLITE_FULL|full/);
    const logged = d.find(/database cannot be written/, fillAt);
    t.ok(logged.length >= 1, `logged: ${logged[0]?.msg} ${logged[0]?.err}`);

    const zones = await d.api('GET', '/v1/zones');
    const vms = await d.api('GET', '/v1/vms');
    const reservation = await d.api('GET', `/v1/placements/${placedBefore.body.reservationId}`);
    t.equal(zones.status, 200, 'GET /v1/zones still 200');
    t.equal(vms.status, 200, 'GET /v1/vms still 200');
    t.ok(Array.isArray(vms.body) && vms.body.length >= 1, `${vms.body.length} VMs listed`);
    t.equal(reservation.status, 200, 'GET /v1/placements/{id} still 200');
    const write = await d.api('POST', '/v1/placements', { tenant: 'e2e', app: 'while-full', priority: 'general', vcpus: 1, memoryMiB: 16 }, { 'idempotency-key': 'full-disk-2' });
    t.comment(`POST /v1/placements on a full disk: ${write.status} ${JSON.stringify(write.body)}`);
    t.equal(write.status, 503, 'a write is refused with 503');
    t.equal(write.headers['retry-after'], '30');

    rmSync(join(fullDir, 'fill'));
    const freedAt = Date.now();
    const recovered = await waitFor(
      'the store to recover',
      async () => {
        const h = await d.api('GET', '/healthz');
        return h.body.checks.store.ok === true ? h : undefined;
      },
      30_000,
      200,
    );
    t.comment(`recovered ${Date.now() - freedAt} ms after the space came back: ${JSON.stringify(recovered.body.checks.store)}`);
    const again = await d.api('POST', '/v1/placements', { tenant: 'e2e', app: 'while-full', priority: 'general', vcpus: 1, memoryMiB: 16 }, { 'idempotency-key': 'full-disk-2' });
    t.equal(again.status, 201, 'the refused placement goes through once there is room');
    t.ok(d.running, 'the daemon kept running');
    await d.stop();
    const check = new Database(fullDb, { readonly: true });
    const integrity = check.pragma('integrity_check', { simple: true });
    check.close();
    t.equal(integrity, 'ok', 'the database is intact');
    observed.fullDisk = { filledBytes: filled, health: health.body.checks.store, healthStatus: health.status, writeStatus: write.status, writeBody: write.body, recoveredStore: recovered.body.checks.store };
  });
}
