// Observe mode against the libvirt test driver: an hour of auto-scaler ticks over load
// replayed from the Bitbrains traces (each fixture VM follows a trace VM's busiest or
// quietest hour, scaled to its vCPUs and memory) changes no VM (read back from libvirt),
// no cgroup file (the whole temporary cgroup tree compared byte for byte) and writes no
// audit row, while the routine keeps what it would have done. The same hour with the
// same load in enforce mode does act: the comparison is what makes the first half mean
// something.
import t from 'tap';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openHost } from '../../core/host/libvirt-host.js';
import type { HostAdapter } from '../../core/host/types.js';
import { openDatabase } from '../../core/store/open.js';
import { AuditLog } from '../../core/store/audit.js';
import { cpuCoresInUse, listBitbrainsVms, memoryMiBInUse, readBitbrainsVm } from '../../core/trace/bitbrains.js';
import { partition } from '../../partitioner/plan/partition.js';
import { capacityOf } from '../../partitioner/plan/capacity.js';
import { ZoneAutoscaler, type TickReport } from '../../partitioner/autoscaler/routine.js';
import { detectCgroupSystem, ZonePartitions } from '../../partitioner/cgroups/partitions.js';
import { ensureZonePartitions } from '../../partitioner/cgroups/zone-limits.js';
import { Inventory } from '../../partitioner/vm-targets/inventory.js';
import { allocationsOf } from '../../partitioner/plan/zone-allocations.js';
import type { LatestUse } from '../../partitioner/zones/zone-states.js';
import { cgroupV1, config, prediction } from './helpers.js';

const URI = `test://${resolve('test/fixtures/host.xml')}`;
const TRACES = resolve('../shared/traces/bitbrains-rnd');
const TICK_SECONDS = 30;
const HOUR_TICKS = 3600 / TICK_SECONDS;
const DAYS_2 = 2 * 86_400;

/** Every file and directory under `root` with a hash of its content. */
function treeOf(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) {
        out[p.slice(root.length) + '/'] = 'dir';
        walk(p);
      } else out[p.slice(root.length)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(root);
  return out;
}

/** What libvirt says of every domain: state, vCPUs, balloon, max memory. */
async function domainsOf(host: HostAdapter): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const d of await host.listDomains()) {
    const i = await host.lookup(d.name);
    out[d.name] = `${i.state} vcpus=${i.vcpus} mem=${i.memoryKiB} max=${i.maxMemoryKiB}`;
  }
  return out;
}

/** Twelve 5-minute trace rows (an hour): the busiest or the quietest hour of a trace VM, as fractions of its provisioned CPU and memory. */
async function traceHour(index: number, busiest: boolean): Promise<Array<{ cpu: number; mem: number }>> {
  const vms = listBitbrainsVms(TRACES);
  const { rows } = await readBitbrainsVm(vms[index % vms.length]);
  const fractions = rows.map((r) => ({ cpu: r.cores > 0 ? Math.min(1, cpuCoresInUse(r) / r.cores) : 0, mem: r.memProvisionedKiB > 0 ? Math.min(1, memoryMiBInUse(r) / (r.memProvisionedKiB / 1024)) : 0 }));
  let best = 0;
  let bestMean = busiest ? -1 : Infinity;
  for (let i = 0; i + 12 <= fractions.length; i++) {
    const mean = fractions.slice(i, i + 12).reduce((a, f) => a + f.cpu, 0) / 12;
    if (busiest ? mean > bestMean : mean < bestMean) (bestMean = mean), (best = i);
  }
  return fractions.slice(best, best + 12);
}

interface Run {
  host: HostAdapter;
  audit: AuditLog;
  cgRoot: string;
  scaler: ZoneAutoscaler;
  /** advances the clock and the replayed load by one tick */
  tick: () => Promise<TickReport>;
}

async function setUp(t: Tap.Test, enforcing: boolean): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'vz-observe-'));
  const templatePath = join(dir, 'gold-pool.xml');
  writeFileSync(templatePath, `<domain type='test'><name>{{name}}</name><memory unit='MiB'>1024</memory><currentMemory unit='MiB'>1024</currentMemory><vcpu placement='static'>2</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`);
  const cfg = config({
    classes: [{ name: 'gold', buffer: 0.2, pool: { template: templatePath, min: 0, max: 2, shutdownTimeoutSeconds: 5 } }, { name: 'silver' }, { name: 'bronze' }],
    autoscaler: { intervalSeconds: TICK_SECONDS, sustainTicks: 2, cooldownSeconds: 300, growCooldownSeconds: 60 },
    apply: { verifyTimeoutMs: 1000 },
    zones: { vmOverheadMiB: 100, cpuLimit: 'quota' },
  });
  const host = await openHost(URI, { events: false });
  t.teardown(() => host.close());
  const db = openDatabase(join(dir, 'virtzone.db'));
  t.teardown(() => db.close());
  const audit = new AuditLog(db);
  const cgRoot = cgroupV1();
  const partitions = new ZonePartitions(detectCgroupSystem(cgRoot, { layout: 'cgroupfs' }));
  const classes = new Set(cfg.classes.map((c) => c.name));
  const use = new Map<string, LatestUse>();
  const vms = await new Inventory(host, classes).read(use);
  const plan = partition(
    [prediction('gold', 'cpu', 3), prediction('gold', 'memory', 12000), prediction('silver', 'cpu', 2), prediction('silver', 'memory', 6000), prediction('bronze', 'cpu', 2), prediction('bronze', 'memory', 6000)],
    capacityOf(await host.nodeInfo(), cfg),
    cfg,
  );
  // the partitions as an earlier enforce left them: observe mode must leave them be
  await ensureZonePartitions(partitions, allocationsOf(plan), vms, cfg);

  // gold's VMs replay their trace VM's busiest hour, the others the quietest
  const running = vms.filter((v) => v.running);
  const loads = await Promise.all(running.map((v, i) => traceHour(i, v.zone === 'gold')));
  let now = 1_000_000;
  let step = 0;
  const scaler = new ZoneAutoscaler({ host, config: cfg, latestUse: () => use, audit, partitions, now: () => now, pollMs: 20, enforcing: () => enforcing }, plan);
  t.teardown(() => scaler.stop());
  const tick = async () => {
    const row = Math.min(11, Math.floor((step * TICK_SECONDS) / 300));
    running.forEach((v, i) => {
      const f = loads[i][row];
      use.set(v.name, { cpuCores: f.cpu * v.vcpus, memoryMiB: Math.max(64, f.mem * v.memoryMiB), historySeconds: DAYS_2 });
    });
    step++;
    now += TICK_SECONDS;
    return scaler.tick();
  };
  return { host, audit, cgRoot, scaler, tick };
}

t.test('observe: an hour of ticks over replayed load changes no VM, no cgroup file and writes no audit row', async (t) => {
  const run = await setUp(t, false);
  const domainsBefore = await domainsOf(run.host);
  const treeBefore = treeOf(run.cgRoot);
  const wouldDo = new Map<string, number>();
  let observed = 0;
  for (let i = 0; i < HOUR_TICKS; i++) {
    const r = await run.tick();
    if (r.observed) observed++;
    if (r.applied !== null || r.pool.length > 0 || r.errors.length > 0) t.fail(`tick ${i} acted: ${JSON.stringify({ applied: r.applied, pool: r.pool, errors: r.errors })}`);
    for (const a of r.decision.actions) wouldDo.set(a.kind, (wouldDo.get(a.kind) ?? 0) + 1);
  }
  await run.scaler.idle();
  t.equal(observed, HOUR_TICKS, `all ${HOUR_TICKS} ticks observed only`);
  t.same(await domainsOf(run.host), domainsBefore, 'every domain as it was: same domains, states, vCPUs and memory (read back from libvirt)');
  t.same(treeOf(run.cgRoot), treeBefore, 'every cgroup file and directory as it was');
  t.equal(run.audit.list({ limit: 10_000 }).length, 0, 'no audit row: nothing was done');
  t.ok((wouldDo.get('resize-vm') ?? 0) + (wouldDo.get('transfer') ?? 0) > 0, `it decided what enforce would do: ${JSON.stringify(Object.fromEntries(wouldDo))}`);
  t.ok(run.scaler.wouldDo(), 'the last tick\'s actions are kept for the mode report');
});

t.test('enforce: the same hour with the same load acts on VMs and cgroups', async (t) => {
  const run = await setUp(t, true);
  const domainsBefore = await domainsOf(run.host);
  const treeBefore = treeOf(run.cgRoot);
  let acted = 0;
  for (let i = 0; i < HOUR_TICKS; i++) {
    const r = await run.tick();
    if (!r.observed && (r.applied?.steps.length || r.pool.length)) acted++;
  }
  t.ok(acted > 0, `${acted} of ${HOUR_TICKS} ticks acted`);
  await run.scaler.idle();
  t.notSame(await domainsOf(run.host), domainsBefore, 'domains changed');
  t.notSame(treeOf(run.cgRoot), treeBefore, 'cgroup limits changed');
  t.ok(run.audit.list({ limit: 10_000 }).length > 0, 'every change audited');
  t.equal(run.scaler.wouldDo(), null);
});
