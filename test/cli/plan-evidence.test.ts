// No shrink without evidence, end to end: a real virtzoned on the libvirt test driver
// (test/fixtures/host.xml: 7 domains in gold/silver/bronze). With no history, GET /v1/plan
// and `virtzone apply --dry-run` lower no VM's vCPUs or memory and size no zone that holds
// VMs to 0; `virtzone plan` says why each shrink was withheld and prints unlimited memtune
// values as virsh does. After two days of idle history written through the store, the
// idle VMs are planned down; a class marked neverShrink never is.
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../../core/store/store.js';
import { writeSteadyHistory } from '../fixtures/history.js';
import { ADDON, HOST_XML, json, probe, startDaemon, virtzone } from './harness.js';

const work = mkdtempSync(join(tmpdir(), 'vz-plan-evidence-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const CLASSES = { classes: [{ name: 'gold' }, { name: 'silver' }, { name: 'bronze' }] };

interface Domain {
  name: string;
  uuid: string;
  cls: string;
  running: boolean;
  vcpus: number;
  /** the current balloon size: what the VM is provisioned now */
  memoryMiB: number;
}

/** The fixture's domains with their class, run state and provisioned size. */
function fixtureDomains(): Domain[] {
  const xml = readFileSync(HOST_XML, 'utf8');
  return [...xml.matchAll(/<domain\b[^>]*>([\s\S]*?)<\/domain>/g)].map((m) => {
    const d = m[1];
    return {
      name: /<name>([^<]+)<\/name>/.exec(d)![1],
      uuid: /<uuid>([^<]+)<\/uuid>/.exec(d)?.[1] ?? '',
      cls: /class="([^"]+)"/.exec(d)![1],
      running: /<test:runstate>1<\/test:runstate>/.test(d),
      vcpus: Number(/current='(\d+)'/.exec(d)![1]),
      memoryMiB: Number(/<currentMemory unit='KiB'>(\d+)<\/currentMemory>/.exec(d)![1]) / 1024,
    };
  });
}

/** `hours` of idle samples every 5 minutes, ending a minute ago, written through the store's own API. */
function writeIdleHistory(db: string, domains: readonly Domain[], hours: number): void {
  writeSteadyHistory(db, domains.map((d) => ({ name: d.name, uuid: d.uuid, cls: d.cls, vcpus: d.vcpus, memoryMiB: d.memoryMiB, cpuCores: 0.05, usedMemoryMiB: 400 })), hours);
}

interface PlanChange {
  vm: string;
  field: string;
  from: number | null;
  to: number;
  reason: string;
}
interface StepOut {
  vm: string;
  kind: string;
  from?: Record<string, number>;
  to?: Record<string, number>;
}

/** The changes and steps that take a VM below its provisioned vCPUs or memory. */
const lowering = (c: PlanChange) => (c.field === 'vcpus' || c.field === 'memoryMiB') && c.from !== null && c.to < c.from;
const loweringStep = (s: StepOut) =>
  (s.kind === 'vcpus' && s.to!.vcpus < s.from!.vcpus) ||
  (s.kind === 'memory' && s.to!.memoryMiB < s.from!.memoryMiB) ||
  (s.kind === 'sched' && s.to!.vcpu_quota !== undefined && s.to!.vcpu_quota !== -1);

if (!existsSync(ADDON)) {
  t.pass('skipped: the libvirt addon is not built (npm run build:native)', { skip: true });
} else {
  const domains = fixtureDomains().filter((d) => d.running);

  t.test('no history: nothing is planned below its provisioned size, and no zone that holds VMs is 0', async (t) => {
    const dir = mkdtempSync(join(work, 'cold-'));
    const daemon = await startDaemon({ dir, config: CLASSES });
    t.teardown(() => daemon.stop());
    const s = ['--socket', daemon.socket];

    const r = await probe(daemon.socket, '/v1/plan');
    t.equal(r.status, 200);
    const changes: PlanChange[] = r.body.diff.vms;
    t.same(changes.filter(lowering), [], 'no change lowers vCPUs or memory');
    for (const cls of ['gold', 'silver', 'bronze']) {
      const zone = r.body.plan.zones.find((z: { name: string }) => z.name === cls);
      const members = domains.filter((d) => d.cls === cls);
      const vcpus = members.reduce((a, d) => a + d.vcpus, 0);
      t.ok(zone.allocation.cpuCores > 0 && zone.allocation.memoryMiB > 0, `zone ${cls} is not sized 0`);
      const memory = members.reduce((a, d) => a + d.memoryMiB, 0);
      t.equal(zone.demand.cpuCores, vcpus, `zone ${cls} asks for its running members' ${vcpus} provisioned vCPUs`);
      t.equal(zone.demand.memoryMiB, memory, `zone ${cls} asks for its running members' ${memory} MiB`);
      t.same(zone.source, { cpuCores: 'provisioned', memoryMiB: 'provisioned' });
    }
    for (const c of changes) t.match(c.reason, /^kept: 0 h of samples, 24 h needed; /, `${c.vm} ${c.field}: the reason says why it is kept`);

    const dry = await virtzone(['apply', '--dry-run', ...s, '--json']);
    t.equal(dry.code, 0, dry.stderr);
    const steps: StepOut[] = json(dry).report.vms.steps;
    t.same(steps.filter(loweringStep), [], 'no step lowers vCPUs, caps them with a quota, or lowers memory');

    const text = await virtzone(['apply', '--dry-run', ...s]);
    t.equal(text.code, 0, text.stderr);
    t.notMatch(text.stdout, /9007199254740991/, 'unlimited is never printed as 2^53 - 1');
    if (steps.some((x) => x.kind === 'memtune')) t.match(text.stdout, /soft_limit=unlimited/, 'as virsh memtune prints it');
    const plan = await virtzone(['plan', ...s]);
    t.equal(plan.code, 0, plan.stderr);
    t.notMatch(plan.stdout, /9007199254740991/);
    if (changes.length) t.match(plan.stdout, /kept: 0 h of samples, 24 h needed/);

    // a fresh install observes, and says what each class lacks before enforce makes sense
    const status = await virtzone(['status', ...s]);
    t.equal(status.code, 0, status.stderr);
    t.match(status.stdout, /^Mode: observe \(from the config since /m);
    for (const cls of ['gold', 'silver', 'bronze']) t.match(status.stdout, new RegExp(`^  ${cls}: missing history: 0 of 7 days; model: no trained model covers it yet`, 'm'));
    const statusJson = json(await virtzone(['status', ...s, '--json']));
    t.equal(statusJson.mode.mode, 'observe');
    t.match(statusJson.health.checks.zones, { ok: true }, 'observe: the zones check is not a failure');

    // observe: an apply is refused, naming the way out; nothing changed on the host
    const before = await probe(daemon.socket, '/v1/vms');
    const refused = await virtzone(['apply', ...s]);
    t.not(refused.code, 0, 'apply in observe mode exits non-zero');
    t.match(refused.stderr, /observe mode/);
    t.match(refused.stderr, /virtzone mode enforce/);
    const r409 = await probe(daemon.socket, '/v1/repartition', { method: 'POST', body: { apply: true } });
    t.equal(r409.status, 409);
    t.match(r409.body, { type: /observe-mode$/, field: 'apply' });
    t.same((await probe(daemon.socket, '/v1/vms')).body.map((v: { name: string; vcpus: number; memoryMiB: number }) => [v.name, v.vcpus, v.memoryMiB]), before.body.map((v: { name: string; vcpus: number; memoryMiB: number }) => [v.name, v.vcpus, v.memoryMiB]));

    // the switch is explicit and audited
    const bad = await virtzone(['mode', 'enforcing', ...s]);
    t.equal(bad.code, 2, 'a mode that is not one: usage error');
    t.match(bad.stderr, /expected observe or enforce/);
    const sw = await virtzone(['mode', 'enforce', '--reason', 'plan reviewed', ...s]);
    t.equal(sw.code, 0, sw.stderr);
    t.match(sw.stdout, /^Switched to enforce\.\nMode: enforce \(set by root at /);
    const again = await virtzone(['mode', 'enforce', ...s, '--json']);
    t.match(json(again), { mode: 'enforce', source: 'api', changed: false });
    const db = new Database(daemon.db, { readonly: true });
    const rows = db.prepare("SELECT actor, reason, after FROM audit WHERE action = 'set-mode' ORDER BY id").all() as Array<{ actor: string; reason: string; after: string }>;
    db.close();
    t.same(
      rows.map((r) => [r.actor, JSON.parse(r.after).mode, r.reason]),
      [
        ['config', 'observe', 'first start: mode observe from the configuration'],
        ['root', 'enforce', 'set by root: plan reviewed'],
      ],
      'the first start and the switch are in the audit trail',
    );
  });

  t.test('two days of idle history: the idle VMs are planned down; a neverShrink class is not', async (t) => {
    const dir = mkdtempSync(join(work, 'warm-'));
    const db = join(dir, 'virtzone.db');
    writeIdleHistory(db, domains, 48);
    const store = Store.open(db);
    const spans = store.historySpans();
    store.close();
    for (const d of domains) t.equal(spans.get(d.name), 48 * 3600, `the store holds 48 h of ${d.name}'s samples`);
    const daemon = await startDaemon({
      dir,
      db,
      config: { classes: [{ name: 'gold' }, { name: 'silver', neverShrink: true }, { name: 'bronze' }] },
    });
    t.teardown(() => daemon.stop());

    const r = await probe(daemon.socket, '/v1/plan');
    t.equal(r.status, 200);
    const changes: PlanChange[] = r.body.diff.vms;
    const lowered = new Set(changes.filter(lowering).map((c) => c.vm));
    for (const d of domains.filter((x) => x.cls !== 'silver')) {
      t.ok(lowered.has(d.name), `idle ${d.name} (${d.cls}) is planned down`);
    }
    for (const c of changes.filter(lowering)) t.match(c.reason, /^\d+(\.\d)? h of samples; /, `${c.vm}: the shrink names its evidence`);
    for (const d of domains.filter((x) => x.cls === 'silver')) {
      t.notOk(lowered.has(d.name), `${d.name} of the neverShrink class is not planned down`);
      const withheld = changes.filter((c) => c.vm === d.name);
      for (const c of withheld) t.match(c.reason, /^kept: its class never shrinks; /);
    }
    const silver = r.body.plan.zones.find((z: { name: string }) => z.name === 'silver');
    const members = domains.filter((d) => d.cls === 'silver');
    t.ok(silver.demand.memoryMiB >= members.reduce((a, d) => a + d.memoryMiB, 0), 'the neverShrink zone asks for at least its members\' memory', { demand: silver.demand });
    t.ok(silver.demand.cpuCores >= members.reduce((a, d) => a + d.vcpus, 0), '... and vCPUs', { demand: silver.demand });

    const dry = await virtzone(['apply', '--dry-run', '--socket', daemon.socket, '--json']);
    t.equal(dry.code, 0, dry.stderr);
    const steps: StepOut[] = json(dry).report.vms.steps;
    const down = steps.filter(loweringStep);
    t.ok(down.length > 0, 'the dry run lowers the idle VMs');
    t.notOk(down.some((x) => members.some((m) => m.name === x.vm)), 'and never a neverShrink VM');

    const status = await virtzone(['status', '--socket', daemon.socket]);
    t.match(status.stdout, /^  gold: missing history: [12](\.\d)? of 7 days; model: /m, 'two days of history counted for the class');
  });
}
