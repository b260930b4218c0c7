// A libvirtd that stops answering (SIGSTOP: its socket stays open, the connection still
// looks alive, every call just waits) while virtzoned runs against it:
//   - a placement that needs the host (template provisioning) and a confirm answer 503
//     host-timeout with Retry-After within libvirt.callTimeoutSeconds (+ slack);
//   - /healthz turns 503 with libvirt failing once no call has succeeded for
//     libvirt.healthyWithinSeconds, naming the age;
//   - reads (GET /v1/zones) still answer;
// then SIGCONT: /healthz recovers, a template placement succeeds, and after a reconciler
// pass nothing the timed-out calls touched is left over (no stray domain or volume, no
// creation unfinished, nothing charged but the placement that succeeded).
// Keepalive is long on purpose: the connection must keep claiming to be alive.
// Run: VZ_E2E=1 npx tap test/e2e/wedged-libvirtd.test.ts (see scripts/e2e/README.md)
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { E2E_DIR, waitFor } from './guest.js';
import { e2eSkipReason, virsh } from './libvirtd.js';
import { prepareHost, releaseHost } from './host.js';
import { Virtzoned, e2eConfig } from './daemon.js';
import { BASE_IMAGE, E2E_POOL, prepareProvisioning, releaseProvisioning } from './provisioning.js';

const LIBVIRTD_PID = '/run/libvirtd.pid';
const CALL_TIMEOUT_S = 2;
const HEALTHY_WITHIN_S = 4;
const SLACK_MS = 1500;

const skip = e2eSkipReason();
if (skip) {
  t.plan(0, skip);
} else {
  await main();
}

function libvirtdPid(): number {
  return Number(readFileSync(LIBVIRTD_PID, 'utf8').trim());
}

async function main(): Promise<void> {
  const STUCK = 'vz-e2e-w-stuck';
  const PLACED = 'vz-e2e-w-placed';
  const GUESTS = [STUCK, PLACED];
  const ZONES = ['gold', 'silver', 'general'];
  const dir = mkdtempSync(join(E2E_DIR, 'wedged-'));
  const daemons: Virtzoned[] = [];
  let stoppedPid: number | null = null;
  const resume = () => {
    if (stoppedPid === null) return;
    try {
      process.kill(stoppedPid, 'SIGCONT');
    } catch {
      /* gone already */
    }
    stoppedPid = null;
  };
  // a stopped libvirtd would hang every later test: SIGCONT first, whatever happened
  process.once('exit', resume);
  t.teardown(async () => {
    resume();
    for (const d of daemons) await d.stop().catch(() => undefined);
    await releaseHost(t, GUESTS, ZONES);
    await releaseProvisioning();
    if (t.passing()) rmSync(dir, { recursive: true, force: true });
    else t.comment(`kept ${dir} (virtzoned.log, virtzone.db)`);
  });

  const image = await prepareHost(t, GUESTS, ZONES);
  const templates = await prepareProvisioning(image, dir);
  const base = e2eConfig(dir);
  const config = e2eConfig(dir, {
    libvirt: {
      ...(base.libvirt as Record<string, unknown>),
      keepaliveIntervalSeconds: 600,
      keepaliveCount: 100,
      callThreads: 4,
      callTimeoutSeconds: CALL_TIMEOUT_S,
      healthyWithinSeconds: HEALTHY_WITHIN_S,
    },
    autoscaler: { enabled: false, intervalSeconds: 2 },
    provisioning: { reconcileIntervalSeconds: 2 },
    templates,
  });
  const d = await Virtzoned.start({ dir, config });
  daemons.push(d);
  const dbPath = join(dir, 'virtzone.db');
  const rows = (sql: string) => {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql).all() as Record<string, unknown>[];
    } finally {
      db.close();
    }
  };
  const req = (name: string) => ({ tenant: 'e2e', app: 'e2e-web', vcpus: 1, memoryMiB: 256, template: 'e2e', image: BASE_IMAGE, name });

  await waitFor('/healthz ok', async () => (await d.api('GET', '/healthz')).body?.checks?.libvirt?.ok === true, 60_000, 200);
  // a plain reservation (no host call) to confirm while libvirtd is stopped
  const plain = await d.api('POST', '/v1/placements', { tenant: 'e2e', app: 'e2e-web', vcpus: 1, memoryMiB: 256 }, { 'idempotency-key': 'e2e-w-plain-1' });
  t.equal(plain.status, 201, JSON.stringify(plain.body));

  await t.test('libvirtd stopped: 503 host-timeout within the deadline, /healthz fails by age, reads answer', async (t) => {
    const pid = libvirtdPid();
    process.kill(pid, 'SIGSTOP');
    stoppedPid = pid;
    const stoppedAt = Date.now();

    let began = Date.now();
    const placed = await d.api('POST', '/v1/placements', req(STUCK), { 'idempotency-key': 'e2e-w-stuck-1' }, 30_000);
    const placeMs = Date.now() - began;
    t.equal(placed.status, 503, JSON.stringify(placed.body));
    t.match(placed.headers['content-type'], /application\/problem\+json/);
    t.match(placed.body, { type: /host-timeout$/, status: 503 });
    t.ok(Number(placed.headers['retry-after']) >= 1, `Retry-After ${placed.headers['retry-after']}`);
    t.ok(placeMs <= CALL_TIMEOUT_S * 1000 + SLACK_MS, `template placement answered in ${placeMs} ms`);

    began = Date.now();
    const confirmed = await d.api('POST', `/v1/placements/${plain.body.reservationId}/confirm`, { domain: STUCK }, {}, 30_000);
    const confirmMs = Date.now() - began;
    t.equal(confirmed.status, 503, JSON.stringify(confirmed.body));
    t.match(confirmed.body, { type: /host-timeout$/ });
    t.ok(confirmMs <= CALL_TIMEOUT_S * 1000 + SLACK_MS, `confirm answered in ${confirmMs} ms`);

    began = Date.now();
    const zones = await d.api('GET', '/v1/zones', undefined, {}, 10_000);
    t.equal(zones.status, 200, 'GET /v1/zones answers');
    t.ok(Date.now() - began < 1000, 'at once');

    const failing = await waitFor(
      '/healthz to report libvirt failing',
      async () => {
        const h = await d.api('GET', '/healthz', undefined, {}, 5000);
        return h.status === 503 && h.body.checks.libvirt.ok === false ? h : undefined;
      },
      (HEALTHY_WITHIN_S + 10) * 1000,
      200,
    );
    const failedAfter = Date.now() - stoppedAt;
    t.match(failing.body.checks.libvirt.detail, /no libvirt call has succeeded for \d+ s \(limit 4 s\)/);
    t.ok(failedAfter >= HEALTHY_WITHIN_S * 1000 - 1000, `not before healthyWithinSeconds (${failedAfter} ms)`);
    t.comment(`placement 503 in ${placeMs} ms, confirm 503 in ${confirmMs} ms, /healthz 503 ${failedAfter} ms after SIGSTOP: ${failing.body.checks.libvirt.detail}`);
  });

  await t.test('libvirtd resumed: /healthz recovers, a placement succeeds, nothing is left over', async (t) => {
    resume();
    const resumedAt = Date.now();
    await waitFor('/healthz ok again', async () => (await d.api('GET', '/healthz', undefined, {}, 5000)).status === 200, 30_000, 200);
    t.comment(`/healthz ok ${Date.now() - resumedAt} ms after SIGCONT`);
    const placed = await d.api('POST', '/v1/placements', req(PLACED), { 'idempotency-key': 'e2e-w-placed-1' }, 120_000);
    t.equal(placed.status, 201, JSON.stringify(placed.body));
    t.equal(placed.body.domain, PLACED);

    // the reconciler's passes (every 2 s) settle whatever the timed-out calls left
    await waitFor(
      'no unfinished creation',
      () => rows("SELECT id FROM reservations WHERE creation IS NOT NULL AND creation NOT IN ('done', 'failed')").length === 0,
      30_000,
      500,
    );
    const domains = (await virsh('list', '--all', '--name')).split('\n').map((s) => s.trim()).filter(Boolean);
    t.notOk(domains.includes(STUCK), 'no domain of the timed-out placement');
    const volumes = (await virsh('vol-list', E2E_POOL)).split('\n').map((l) => l.trim().split(/\s+/)[0]);
    t.notOk(volumes.includes(`${STUCK}-root.qcow2`), 'no root volume of the timed-out placement');
    const charged = rows("SELECT name, state FROM reservations WHERE state IN ('reserved', 'bound') AND name IS NOT NULL");
    t.same(charged, [{ name: PLACED, state: 'bound' }], 'only the placement that succeeded holds capacity (the plain reservation has no name)');
    // the timed-out confirm changed nothing: the reservation can still be released
    const released = await d.api('DELETE', `/v1/placements/${plain.body.reservationId}`);
    t.equal(released.status, 200, JSON.stringify(released.body));
  });
}
