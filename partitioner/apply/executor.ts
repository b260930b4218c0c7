// Executes steps through the HostAdapter: one step at a time, each read back to prove
// it took effect, each recorded in the audit table, each undone if it failed.
//
// Why read back: a balloon request to a guest without a balloon driver "succeeds" and
// changes nothing; a vCPU unplug may be accepted and never completed. Only the value
// the host reports afterwards counts.
//
// What happens after a failure (the rest goes on only while it stays safe):
//   - the failed step is rolled back to the value read just before it;
//   - the VM's remaining steps are skipped (its state is no longer what was planned);
//   - if it was a shrink, the grows in the same zone are skipped (they counted on the
//     room that shrink would have freed);
//   - if the rollback failed too, or the connection is gone, everything left is skipped.
// A best-effort step (vCPU unplug) that fails is rolled back and reported, and nothing
// else is skipped: the vcpu_quota cap before it already enforces the shrink.
import type { Config } from '../../core/config/schema.js';
import type { HostAdapter } from '../../core/host/types.js';
import { isLibvirtError } from '../../core/host/errors.js';
import type { AuditLog, AuditResult } from '../../core/store/audit.js';
import type { VmTarget } from '../plan/types.js';
import { normalizeQuota } from '../vm-targets/targets.js';
import { readSnapshots, toNumbers } from './snapshot.js';
import { MEMTUNE_UNLIMITED_KIB, planSteps, type SkippedChange, type Step, type StepKind } from './steps.js';
import type { Log } from '../../core/log.js';

export type StepResult = AuditResult | 'planned';

export interface StepOutcome extends Step {
  result: StepResult;
  /** the values read back after the step (or after its rollback) */
  observed?: Record<string, number>;
  error?: string;
}

export interface ApplyReport {
  dryRun: boolean;
  steps: StepOutcome[];
  /** changes not turned into steps (too small, VM not running, unsupported) */
  skipped: SkippedChange[];
  /** true when a failure made the rest of the plan unsafe */
  aborted: boolean;
  counts: Record<StepResult, number>;
}

export interface ApplyOptions {
  dryRun?: boolean;
  /** who acts, for the audit: 'apply', 'autoscaler', 'cli', ... */
  actor?: string;
  audit?: AuditLog;
  maxStepsPerVm?: number;
  /** unix seconds */
  now?: () => number;
  /** poll interval while verifying (ms) */
  pollMs?: number;
  /** one line per executed step (none in a dry run): what, why, before -> after, result */
  log?: Log;
}

type ExecConfig = Pick<Config, 'apply' | 'partitioner'>;

const ACTION: Record<StepKind, string> = {
  memory: 'setMemory',
  vcpus: 'setVcpus',
  sched: 'setSchedulerParams',
  memtune: 'setMemoryParams',
};

class StepError extends Error {}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  if (ms <= 0) return p;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<T>((_, reject) => {
        timer = setTimeout(() => reject(new StepError(`${what} did not finish within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads the values a step of this kind is about. */
async function readValues(host: HostAdapter, step: Step): Promise<Record<string, number>> {
  switch (step.kind) {
    case 'memory':
      return { memoryMiB: (await host.lookup(step.vm)).memoryKiB / 1024 };
    case 'vcpus':
      return { vcpus: (await host.lookup(step.vm)).vcpusCurrent };
    case 'sched': {
      const p = toNumbers(await host.getSchedulerParams(step.vm)) ?? {};
      const out: Record<string, number> = {};
      for (const k of Object.keys(step.to)) if (k in p) out[k] = k === 'vcpu_quota' ? normalizeQuota(p[k])! : p[k];
      return out;
    }
    case 'memtune': {
      const p = toNumbers(await host.getMemoryParams(step.vm)) ?? {};
      return { soft_limit: p.soft_limit ?? MEMTUNE_UNLIMITED_KIB };
    }
  }
}

async function write(host: HostAdapter, kind: StepKind, vm: string, v: Record<string, number>): Promise<void> {
  switch (kind) {
    case 'memory':
      return host.setMemory(vm, Math.round(v.memoryMiB * 1024), { live: true });
    case 'vcpus':
      return host.setVcpus(vm, v.vcpus, { live: true });
    // Live only: a domain that stopped meanwhile fails the step instead of having its
    // persistent config changed behind the operator's back.
    case 'sched':
      return host.setSchedulerParams(vm, { ...v }, { live: true });
    case 'memtune':
      return host.setMemoryParams(vm, { ...v }, { live: true });
  }
}

function matches(kind: StepKind, want: Record<string, number>, got: Record<string, number>): boolean {
  for (const [k, w] of Object.entries(want)) {
    const g = got[k];
    if (g === undefined) return false;
    // The balloon lands on page granularity, the kernel rounds memtune to pages, and on
    // cgroup v2 libvirt maps cpu_shares to cpu.weight and back, which is lossy.
    const tol = kind === 'memory' ? 2 : kind === 'memtune' ? 64 : k === 'cpu_shares' ? Math.max(2, 0.02 * Math.abs(w)) : 0;
    if (Math.abs(g - w) > tol) return false;
  }
  return true;
}

async function verify(host: HostAdapter, step: Step, want: Record<string, number>, timeoutMs: number, pollMs: number): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  let got = await readValues(host, step);
  while (!matches(step.kind, want, got)) {
    if (Date.now() >= deadline) {
      const hint = step.kind === 'memory' ? ' (no balloon driver in the guest?)' : step.kind === 'vcpus' && step.direction === 'shrink' ? ' (guest did not release the vCPU)' : '';
      throw new StepError(`not effective: asked ${fmtVals(want)}, host reports ${fmtVals(got)} after ${timeoutMs} ms${hint}`);
    }
    await sleep(pollMs);
    got = await readValues(host, step);
  }
  return got;
}

const fmtVals = (o: Record<string, number>) =>
  Object.entries(o)
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(1)}`)
    .join(',') || '{}';

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Decides the steps for `targets` from the domains' current state and executes them. */
export async function applyTargets(host: HostAdapter, targets: readonly VmTarget[], config: ExecConfig, opts: ApplyOptions = {}): Promise<ApplyReport> {
  const snapshots = await readSnapshots(host, targets.map((t) => t.vm));
  const { steps, skipped } = planSteps(targets, snapshots, config, { maxStepsPerVm: opts.maxStepsPerVm });
  return executeSteps(host, steps, skipped, config, opts);
}

export async function executeSteps(
  host: HostAdapter,
  steps: readonly Step[],
  skipped: readonly SkippedChange[],
  config: ExecConfig,
  opts: ApplyOptions = {},
): Promise<ApplyReport> {
  const dryRun = opts.dryRun ?? false;
  const now = opts.now ?? (() => Date.now() / 1000);
  const actor = opts.actor ?? 'apply';
  const pollMs = opts.pollMs ?? 100;
  const report: ApplyReport = {
    dryRun,
    steps: [],
    skipped: [...skipped],
    aborted: false,
    counts: { ok: 0, failed: 0, rolled_back: 0, skipped: 0, planned: 0 },
  };
  const finish = (o: StepOutcome) => {
    report.steps.push(o);
    report.counts[o.result]++;
    if (!dryRun && opts.audit) {
      opts.audit.append({
        ts: now(),
        actor,
        vm: o.vm,
        action: ACTION[o.kind],
        reason: o.reason,
        before: o.from,
        after: o.observed ?? o.to,
        result: o.result as AuditResult,
        error: o.error ?? null,
      });
    }
    if (!dryRun) {
      const line = { vm: o.vm, zone: o.zone, action: ACTION[o.kind], why: o.reason, before: o.from, after: o.observed ?? o.to, result: o.result, ...(o.error ? { err: o.error } : {}), actor };
      opts.log?.[o.result === 'ok' ? 'info' : 'warn'](line, describeStep(o));
    }
  };

  if (dryRun) {
    for (const s of steps) finish({ ...s, result: 'planned' });
    return report;
  }

  const unsafeVms = new Map<string, string>();
  const unsafeZones = new Map<string, string>();
  let abortReason: string | null = null;

  for (const step of steps) {
    const why = abortReason ?? unsafeVms.get(step.vm) ?? (step.direction === 'grow' ? unsafeZones.get(step.zone) : undefined);
    if (why) {
      finish({ ...step, result: 'skipped', error: why });
      continue;
    }
    if (!host.isAlive()) {
      abortReason = 'the libvirt connection is gone';
      report.aborted = true;
      finish({ ...step, result: 'skipped', error: abortReason });
      continue;
    }
    // The truth before the step is what the host says now, not what the plan assumed.
    let before: Record<string, number>;
    try {
      before = await readValues(host, step);
    } catch (e) {
      unsafeVms.set(step.vm, `could not read ${step.vm}: ${errText(e)}`);
      finish({ ...step, result: 'failed', error: `cannot read the domain before the step: ${errText(e)}` });
      if (step.direction === 'shrink') unsafeZones.set(step.zone, `a shrink in zone ${step.zone} failed (${step.vm})`);
      continue;
    }
    const planned: Step = { ...step, from: before };
    const timeout = step.kind === 'vcpus' && step.direction === 'shrink' ? config.apply.unplugTimeoutMs : 0;
    try {
      await withTimeout(write(host, step.kind, step.vm, step.to), timeout, `vCPU unplug of ${step.vm}`);
      const observed = await verify(host, step, step.to, config.apply.verifyTimeoutMs, pollMs);
      finish({ ...planned, result: 'ok', observed });
    } catch (e) {
      const error = errText(e);
      // Roll back to the values read before the step.
      let rollbackError: string | null = null;
      let observed: Record<string, number> | undefined;
      try {
        const back = rollbackValues(step.kind, before);
        // Nothing readable before (e.g. a parameter this host does not have): nothing to restore.
        if (Object.keys(back).length > 0) await write(host, step.kind, step.vm, back);
        observed = await verify(host, step, before, config.apply.verifyTimeoutMs, pollMs);
      } catch (re) {
        rollbackError = errText(re);
      }
      if (rollbackError === null) {
        finish({ ...planned, result: 'rolled_back', observed, error: `${error}; rolled back to ${fmtVals(before)}` });
      } else {
        finish({ ...planned, result: 'failed', observed, error: `${error}; rollback failed: ${rollbackError}` });
        // A domain that stopped or vanished under us holds nothing any more: only its
        // own steps are off. Anything else leaves the host in an unknown state.
        if (!(await stoppedOrGone(host, step.vm))) {
          abortReason = `stopped after ${step.vm}: a failed step could not be rolled back, the host state is uncertain`;
          report.aborted = true;
          continue;
        }
      }
      if (step.bestEffort) continue;
      unsafeVms.set(step.vm, `an earlier step of ${step.vm} failed (${ACTION[step.kind]})`);
      if (step.direction === 'shrink') unsafeZones.set(step.zone, `a shrink in zone ${step.zone} failed (${step.vm}); growing could overrun the zone`);
      if (!host.isAlive()) {
        abortReason = 'the libvirt connection is gone';
        report.aborted = true;
      }
    }
  }
  return report;
}

async function stoppedOrGone(host: HostAdapter, vm: string): Promise<boolean> {
  if (!host.isAlive()) return false;
  try {
    const st = (await host.lookup(vm)).state;
    return st === 'shutoff' || st === 'shutdown' || st === 'crashed';
  } catch (e) {
    // lookup of a domain that no longer exists
    return host.isAlive() && isLibvirtError(e, 'VIR_ERR_NO_DOMAIN');
  }
}

/** Values to write back; integers where the host wants integers. */
function rollbackValues(kind: StepKind, before: Record<string, number>): Record<string, number> {
  if (kind === 'memory') return { memoryMiB: before.memoryMiB };
  if (kind === 'vcpus') return { vcpus: Math.round(before.vcpus) };
  return { ...before };
}

/** One line per step, for logs and the CLI. */
export function describeStep(o: StepOutcome): string {
  return `${o.vm} ${ACTION[o.kind]} ${fmtVals(o.from)} -> ${fmtVals(o.to)}: ${o.result}${o.error ? ` (${o.error})` : ''}`;
}
