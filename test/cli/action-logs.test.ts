// Every action the daemon takes on a VM is one pino line
// saying what, why, and before -> after. Here: the apply executor's steps (also the
// auto-scaler's resizes, which go through it) and the partition rewrites of a plan, run
// through the real libvirt binding on the test driver with a real pino logger.
import t from 'tap';
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import pino from 'pino';
import { validateConfig } from '../../core/config/load.js';
import { applyTargets } from '../../partitioner/apply/executor.js';
import { syncPartitions } from '../../partitioner/vm-targets/partition-sync.js';
import type { VmTarget } from '../../partitioner/plan/types.js';
import { ADDON, TEST_URI } from './harness.js';

function capture() {
  const lines: Array<Record<string, any>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

const cfg = validateConfig({ apply: { maxStepFraction: 0.25, maxStepsPerVm: 20, verifyTimeoutMs: 1000, unplugTimeoutMs: 2000 } }, 'test');

const target = (vm: string, zone: string, vcpus: number, memoryMiB: number): VmTarget => ({
  vm,
  zone,
  vcpus,
  memoryMiB,
  memorySoftLimitMiB: memoryMiB + 256,
  minMemoryMiB: 512,
  usedMemoryMiB: 400,
  memoryFloorMiB: 512,
  reason: `test: ${vcpus} vCPUs, ${memoryMiB} MiB`,
});

t.test('the executor logs one line per step: what, why, before -> after, result', { skip: !existsSync(ADDON) && 'libvirt addon not built' }, async (t) => {
  const { openHost } = await import('../../core/host/libvirt-host.js');
  const host = await openHost(TEST_URI, { events: false });
  t.teardown(() => host.close());
  const { log, lines } = capture();
  // gold-web-01 grows to 10 vCPUs: the 9th is above its maximum of 8 and is rolled back
  const report = await applyTargets(host, [target('gold-web-01', 'gold', 10, 3072), target('silver-db-02', 'silver', 2, 2048)], cfg, { actor: 'test', log });
  const executed = report.steps.filter((s) => s.result !== 'planned');
  t.ok(executed.length >= 5, `${executed.length} steps`);
  t.equal(lines.length, executed.length, 'exactly one line per step');
  lines.forEach((l, i) => {
    const s = executed[i];
    t.equal(l.vm, s.vm);
    t.equal(l.actor, 'test');
    t.equal(l.why, s.reason, 'why');
    t.same(l.before, s.from, 'before');
    t.ok(l.after && typeof l.after === 'object', 'after');
    t.equal(l.result, s.result);
    t.equal(l.level, s.result === 'ok' ? 30 : 40, 'info when it took effect, warn otherwise');
    t.match(l.msg, new RegExp(`^${s.vm} ${l.action} \\S+ -> \\S+: ${s.result}`));
  });
  const rolled = lines.find((l) => l.result === 'rolled_back')!;
  t.match(rolled, { vm: 'gold-web-01', action: 'setVcpus', before: { vcpus: 8 }, after: { vcpus: 8 }, err: /exceeds maximum.*rolled back to vcpus=8/ });

  // a dry run acts on nothing and logs nothing
  const dry = capture();
  const plan = await applyTargets(host, [target('silver-db-02', 'silver', 1, 1024)], cfg, { dryRun: true, log: dry.log });
  t.ok(plan.steps.length > 0);
  t.equal(dry.lines.length, 0);
});

t.test('a partition rewrite is one line too', { skip: !existsSync(ADDON) && 'libvirt addon not built' }, async (t) => {
  const { openHost } = await import('../../core/host/libvirt-host.js');
  const host = await openHost(TEST_URI, { events: false });
  t.teardown(() => host.close());
  const { log, lines } = capture();
  const report = await syncPartitions(host, new Set(['gold', 'silver', 'bronze']), { actor: 'test', log });
  t.ok(report.redefined.length > 0, `${report.redefined.length} domains rewritten`);
  t.same(lines.map((l) => l.vm).sort(), [...report.redefined].sort(), 'one line per rewritten domain');
  for (const l of lines) {
    t.match(l, { action: 'set-partition', why: /class changed/, before: { partition: null }, after: { partition: `/machine/virtzone-${l.zone}` } });
  }
});
