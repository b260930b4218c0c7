// A placement answered 201 is never lost: the real daemon is killed with SIGKILL in the
// middle of a burst of placements from concurrent clients, restarted on the same
// database, and every reservation it answered 201 for is there with its zone and size;
// no reservation exists that was neither answered 201 nor still in flight at the kill.
// (Process death only: power loss is covered by synchronous=FULL on the commits.)
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { call, closeAgents } from '../router/helpers.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const CLIENTS = 10;
const PER_CLIENT = 30;
/** 201 answers after which the daemon is killed: about half of the burst */
const KILL_AFTER = 120;

interface Running {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

async function startDaemon(dir: string, socket: string): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'daemon/bin/virtzoned.ts'), '--config', join(dir, 'virtzoned.yaml')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 90_000;
  while (!out.includes('"virtzoned serving"')) {
    if (child.exitCode !== null) throw new Error(`virtzoned exited ${child.exitCode}: ${err}${out.slice(-2000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`virtzoned did not serve within 90 s: ${err}${out.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!existsSync(socket)) throw new Error('serving, but no socket');
  return { child, exited, stderr: () => err };
}

type Outcome =
  | { kind: 'answered'; status: number; body: any; request: { tenant: string; app: string; ttlSeconds: number; priority: string; vcpus: number; memoryMiB: number } }
  | { kind: 'in-flight'; error: string };

t.test('SIGKILL during a placement burst loses no reservation answered 201', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-kill-burst-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const hostXml = join(dir, 'host.xml');
  copyFileSync(join(ROOT, 'test/fixtures/host.xml'), hostXml);
  const socket = join(dir, 'virtzoned.sock');
  const db = join(dir, 'virtzone.db');
  writeFileSync(
    join(dir, 'virtzoned.yaml'),
    [
      `libvirt: { uri: "test://${hostXml}" }`,
      `store: { path: "${db}" }`,
      `api: { socket: "${socket}" }`,
      'zones: { manageCgroups: false }',
      // room for the burst: the zones share (16 - 1) x 16 cores
      'host: { cpuOvercommit: 16 }',
      'forecast: { schedule: "0 3 1 1 *" }',
      '',
    ].join('\n'),
  );

  let daemon = await startDaemon(dir, socket);
  t.teardown(() => {
    daemon.child.kill('SIGKILL');
    closeAgents();
  });

  const outcomes = new Map<string, Outcome>();
  let created = 0;
  let killed = false;
  const priorities = ['gold', 'silver', 'bronze'];
  const client = async (c: number) => {
    for (let n = 0; n < PER_CLIENT; n++) {
      const key = `burst-${c}-${n}`;
      // every request its own size, so a stored reservation can be matched to its answer
      const request = { tenant: 'acme', app: `app-${c}`, ttlSeconds: 3600, priority: priorities[(c + n) % 3], vcpus: 1, memoryMiB: 64 + c * PER_CLIENT + n };
      try {
        const r = await call({ socket }, 'POST', '/v1/placements', { body: request, key });
        outcomes.set(key, { kind: 'answered', status: r.status, body: r.json, request });
        if (r.status === 201 && ++created === KILL_AFTER) {
          killed = true;
          daemon.child.kill('SIGKILL');
        }
      } catch (err) {
        // no answer: the request may or may not have been decided when the process died
        outcomes.set(key, { kind: 'in-flight', error: (err as Error).message });
        return; // a client stops at its first failure (the daemon is gone)
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  t.ok(killed, `the daemon was killed mid-burst (${created} answered 201 in all)`);
  const death = await daemon.exited;
  t.equal(death.signal, 'SIGKILL', 'by SIGKILL');
  closeAgents();

  const answered = [...outcomes].filter(([, o]) => o.kind === 'answered' && o.status === 201) as Array<[string, Extract<Outcome, { kind: 'answered' }>]>;
  const rejected = [...outcomes].filter(([, o]) => o.kind === 'answered' && o.status !== 201);
  const inFlight = new Set([...outcomes].filter(([, o]) => o.kind === 'in-flight').map(([k]) => k));
  t.ok(answered.length >= KILL_AFTER, `${answered.length} answered 201, ${rejected.length} answered otherwise, ${inFlight.size} in flight`);
  t.ok(outcomes.size < CLIENTS * PER_CLIENT, 'the kill cut the burst short');
  for (const [key, o] of rejected) t.equal(o.status, 429, `${key}: the only other answer is a full zone (${JSON.stringify(o.body)})`);

  // restart on the same database
  daemon = await startDaemon(dir, socket);
  let lost = 0;
  for (const [key, o] of answered) {
    const r = await call({ socket }, 'GET', `/v1/placements/${o.body.reservationId}`);
    const same = r.status === 200 && r.json.zone === o.body.zone && r.json.vcpus === o.request.vcpus && r.json.memoryMiB === o.request.memoryMiB && r.json.state === 'reserved';
    if (!same) {
      lost++;
      t.fail(`${key}: answered 201 (${JSON.stringify(o.body)}), after the restart ${r.status} ${r.text}`);
    }
  }
  t.equal(lost, 0, `all ${answered.length} reservations answered 201 are there, with their zone and size`);
  // a retry with the key of an answered placement replays its answer and reserves nothing new
  const [firstKey, first] = answered[0];
  const replay = await call({ socket }, 'POST', '/v1/placements', { body: first.request, key: firstKey });
  t.equal(replay.status, 201, replay.text);
  t.equal(replay.json.reservationId, first.body.reservationId, 'the same reservation');
  t.equal(replay.headers['idempotent-replayed'], 'true');

  daemon.child.kill('SIGTERM');
  t.equal((await daemon.exited).code, 0, 'the restarted daemon stops cleanly');

  // every stored reservation was answered 201 or was in flight at the kill
  const store = new Database(db, { readonly: true, fileMustExist: true });
  t.teardown(() => store.close());
  const rows = store.prepare('SELECT id, idempotency_key AS key, zone, vcpus, memory_mib AS memoryMiB FROM reservations').all() as Array<{ id: string; key: string | null; zone: string; vcpus: number; memoryMiB: number }>;
  const answeredIds = new Map(answered.map(([key, o]) => [o.body.reservationId as string, key]));
  const unexplained = rows.filter((r) => !answeredIds.has(r.id) && !(r.key !== null && inFlight.has(r.key)));
  t.same(unexplained, [], 'no reservation that was neither answered 201 nor in flight');
  const keysOfRows = new Set(rows.map((r) => r.key));
  for (const [key] of rejected) t.notOk(keysOfRows.has(key), `${key}: answered 429, nothing stored`);
  t.equal(rows.length, answered.length + rows.filter((r) => r.key !== null && inFlight.has(r.key)).length, 'stored = answered 201 + some of those in flight');
  const misfiled = rows.filter((r) => answeredIds.has(r.id) && answeredIds.get(r.id) !== r.key);
  t.same(misfiled, [], 'each answered reservation is stored under the key it was answered for');
});
