// How `virtzone plan` and `virtzone apply` show a re-partition: a zone diff table (now →
// new, change, shortfall), the per-VM changes, and for apply what each step did. The
// daemon's answers are free-form objects (GET /v1/plan, POST /v1/repartition), so every
// field is read defensively: a part the daemon did not send is left out.
import { fmtNum, renderTable } from './output.js';
import type { ZoneDiffRow } from '../partitioner/index.js';


interface VmChange {
  vm: string;
  zone: string;
  field: string;
  from: number | null;
  to: number;
  reason: string;
}

export interface PlanDiffReply {
  zones?: ZoneDiffRow[];
  vms?: VmChange[];
  summary?: Record<string, number>;
  warnings?: string[];
}

interface StepOutcome {
  vm: string;
  kind: string;
  direction?: string;
  from?: Record<string, number>;
  to?: Record<string, number>;
  result: string;
  error?: string;
  reason?: string;
  bestEffort?: boolean;
}

export interface ApplyReply {
  dryRun?: boolean;
  plan?: { zones?: Array<{ name: string; allocation: { cpuCores: number; memoryMiB: number } }>; warnings?: string[] };
  diff?: PlanDiffReply;
  report?: {
    partitions?: Array<{ zone: string; created?: string[]; warnings?: string[] }>;
    partitionSync?: { redefined?: string[]; errors?: Array<{ vm: string; error: string }> };
    vms?: { steps?: StepOutcome[]; skipped?: Array<{ vm: string; kind: string; reason: string }>; aborted?: boolean; counts?: Record<string, number> };
  };
}

const signed = (v: number | null | undefined, digits: number) => {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  const s = fmtNum(v, digits);
  return v > 0 ? `+${s}` : s;
};

function renderZoneDiff(rows: readonly ZoneDiffRow[]): string {
  return renderTable(
    [
      { header: 'Zone' },
      { header: 'CPU cores\nnow', align: 'right' },
      { header: '\nnew', align: 'right' },
      { header: '\nchange', align: 'right' },
      { header: 'Memory MiB\nnow', align: 'right' },
      { header: '\nnew', align: 'right' },
      { header: '\nchange', align: 'right' },
      { header: 'Shortfall\ncores', align: 'right' },
      { header: '\nMiB', align: 'right' },
    ],
    rows.map((z) => [
      z.zone,
      fmtNum(z.cpuFrom, 2),
      fmtNum(z.cpuTo, 2),
      signed(z.cpuFrom === null ? null : z.cpuDelta, 2),
      fmtNum(z.memoryFrom, 0),
      fmtNum(z.memoryTo, 0),
      signed(z.memoryFrom === null ? null : z.memoryDelta, 0),
      z.shortfallCpuCores ? fmtNum(z.shortfallCpuCores, 2) : '-',
      z.shortfallMemoryMiB ? fmtNum(z.shortfallMemoryMiB, 0) : '-',
    ]),
  );
}

const FIELD_UNITS: Record<string, string> = {
  vcpus: 'vCPUs',
  memoryMiB: 'memory MiB',
  cpuShares: 'cpu_shares',
  vcpuQuota: 'vcpu_quota µs',
  memorySoftLimitMiB: 'soft limit MiB',
};

/** libvirt's "unlimited" memtune value (VIR_DOMAIN_MEMORY_PARAM_UNLIMITED, KiB). */
const MEMTUNE_UNLIMITED_KIB = 9_007_199_254_740_991;
const MEMTUNE_KEYS = new Set(['soft_limit', 'hard_limit', 'swap_hard_limit', 'min_guarantee']);

/** A memtune value as virsh memtune prints it: "unlimited" rather than 2^53 - 1 KiB. */
function memtuneValue(key: string, v: number): string | null {
  return MEMTUNE_KEYS.has(key) && v >= MEMTUNE_UNLIMITED_KIB ? 'unlimited' : null;
}

function changeValue(c: VmChange, v: number | null): string {
  // no soft limit in force is libvirt's unlimited; a MiB value at its ceiling is too
  if (c.field === 'memorySoftLimitMiB' && (v === null || v >= MEMTUNE_UNLIMITED_KIB / 1024)) return 'unlimited';
  return fmtNum(v, 0);
}

function renderVmChanges(changes: readonly VmChange[]): string {
  return renderTable(
    [{ header: 'VM' }, { header: 'Zone' }, { header: 'Field' }, { header: 'From', align: 'right' }, { header: 'To', align: 'right' }, { header: 'Why' }],
    changes.map((c) => [c.vm, c.zone, FIELD_UNITS[c.field] ?? c.field, changeValue(c, c.from), changeValue(c, c.to), c.reason]),
  );
}

const vals = (o: Record<string, number> | undefined) =>
  o ? Object.entries(o).map(([k, v]) => `${k}=${memtuneValue(k, v) ?? (Number.isInteger(v) ? v : v.toFixed(1))}`).join(',') : '-';

function renderSteps(steps: readonly StepOutcome[]): string {
  return renderTable(
    [{ header: 'VM' }, { header: 'Step' }, { header: 'From' }, { header: 'To' }, { header: 'Result' }],
    steps.map((s) => [s.vm, `${s.kind}${s.direction ? ` ${s.direction}` : ''}`, vals(s.from), vals(s.to), s.error ? `${s.result}: ${s.error}` : s.result]),
  );
}

/** The text of a plan (GET /v1/plan) or of an apply (POST /v1/repartition). */
export function renderPlan(reply: ApplyReply, opts: { applied: boolean }): string {
  const out: string[] = [];
  const diff = reply.diff;
  if (diff?.zones?.length) out.push(renderZoneDiff(diff.zones));
  else if (reply.plan?.zones?.length) {
    out.push(
      renderTable(
        [{ header: 'Zone' }, { header: 'CPU cores', align: 'right' }, { header: 'Memory MiB', align: 'right' }],
        reply.plan.zones.map((z) => [z.name, fmtNum(z.allocation.cpuCores, 2), fmtNum(z.allocation.memoryMiB, 0)]),
      ),
    );
  }
  const changes = diff?.vms ?? [];
  if (changes.length) out.push(`\n${changes.length} VM change${changes.length === 1 ? '' : 's'}:\n` + renderVmChanges(changes));
  else if (diff) out.push('\nNo VM changes.\n');
  const warnings = diff?.warnings ?? reply.plan?.warnings ?? [];
  for (const w of warnings) out.push(`warning: ${w}\n`);
  const report = reply.report;
  if (report) {
    const steps = report.vms?.steps ?? [];
    const verb = opts.applied ? 'done' : 'would be done (dry run)';
    if (steps.length) out.push(`\n${steps.length} step${steps.length === 1 ? '' : 's'} ${verb}:\n` + renderSteps(steps));
    else out.push(`\nNo steps ${opts.applied ? 'were needed' : 'would be needed'}.\n`);
    const counts = report.vms?.counts;
    if (counts) {
      const parts = Object.entries(counts)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${n} ${k.replace('_', ' ')}`);
      if (parts.length) out.push(`Steps: ${parts.join(', ')}\n`);
    }
    const skipped = report.vms?.skipped ?? [];
    // one line per kind and reason: the same reason usually holds for many VMs
    const byReason = new Map<string, string[]>();
    for (const s of skipped) byReason.set(`${s.kind}: ${s.reason}`, [...(byReason.get(`${s.kind}: ${s.reason}`) ?? []), s.vm]);
    for (const [why, vms] of byReason) out.push(`Skipped ${why} (${vms.length === 1 ? vms[0] : `${vms.length} VMs: ${vms.join(', ')}`})\n`);
    if (report.vms?.aborted) out.push('Aborted: a failure made the rest of the plan unsafe; what was done was rolled back step by step\n');
    const redefined = report.partitionSync?.redefined ?? [];
    if (redefined.length) out.push(`Partition moved at next start: ${redefined.join(', ')}\n`);
    for (const e of report.partitionSync?.errors ?? []) out.push(`partition error: ${e.vm}: ${e.error}\n`);
    for (const p of report.partitions ?? []) for (const w of p.warnings ?? []) out.push(`partition ${p.zone}: ${w}\n`);
  }
  return out.join('');
}

/**
 * true when an apply did not do what the plan asked (exit 1): it aborted, a step failed or
 * was rolled back (a best-effort vCPU unplug excepted: its quota cap already holds), or a
 * domain could not be moved to its zone's partition.
 */
export function applyFailed(reply: ApplyReply): boolean {
  const r = reply.report;
  if (!r) return false;
  if (r.vms?.aborted) return true;
  if ((r.vms?.steps ?? []).some((s) => (s.result === 'failed' || s.result === 'rolled_back') && !s.bestEffort)) return true;
  return (r.partitionSync?.errors?.length ?? 0) > 0;
}
