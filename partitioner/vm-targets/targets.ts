// Per-VM targets inside each zone: how many vCPUs, how much balloon memory, which
// cpu_shares / vcpu_quota and memtune soft limit each managed, running VM should have,
// and the changes from what it has now. Pure.
//
// Rules (DESIGN.md step 4):
//   - memory is never below the VM's floor nor below observed use + margin
//     (max(use + marginMiB, use x (1 + marginFraction))); without a use sample the VM
//     is never shrunk, since nobody knows how low is safe;
//   - the members' memory targets fit the zone's memory allocation when their minimums
//     do (the part above the minimums is scaled down), else the minimums win and the
//     plan warns;
//   - CPU: vCPUs follow use x (1 + buffer'), bounded by [minVcpus, maxVcpus]; shares
//     split the zone's CPU by that demand; a shrink is enforced with vcpu_quota first
//     (hot-unplug is unreliable in QEMU), so the quota caps the VM at the target;
//   - no shrink without evidence: a VM with less than partitioner.minHistoryHours of its
//     own samples, or of a class that never shrinks, keeps at least its provisioned
//     vCPUs and memory (plan/evidence.ts); memory is never below the day's peak + margin.
import type { Config } from '../../core/config/schema.js';
import type { Resources, VmChange, VmTarget, VmView, ZonePlan } from '../plan/types.js';
import { effectiveBuffer } from '../plan/demand.js';
import { hoursOf, shrinkVerdict, type ShrinkVerdict } from '../plan/evidence.js';

export const CPU_PERIOD_US = 100_000;
const MIN_VCPU_QUOTA_US = 1_000;
const MIN_CPU_SHARES = 2;
const MAX_CPU_SHARES = 262_144;
/** Floor for a VM's CPU weight, so an idle VM is not starved when it wakes up. */
const MIN_DESIRED_CORES = 0.05;

export type TargetConfig = Pick<Config, 'classes' | 'partitioner' | 'apply'> & Partial<Pick<Config, 'zones'>>;

/** The lowest balloon size allowed for a VM (MiB). */
export function memoryMinimum(
  usedMiB: number | null,
  currentMiB: number,
  floorMiB: number,
  p: Pick<Config['partitioner'], 'memoryMarginMiB' | 'memoryMarginFraction'>,
): number {
  if (usedMiB === null || !Number.isFinite(usedMiB)) return Math.max(floorMiB, currentMiB);
  const used = Math.max(0, usedMiB);
  return Math.ceil(Math.max(floorMiB, used + p.memoryMarginMiB, used * (1 + p.memoryMarginFraction)));
}

export function sharesFor(cores: number): number {
  return Math.min(MAX_CPU_SHARES, Math.max(MIN_CPU_SHARES, Math.round(1024 * Math.max(MIN_DESIRED_CORES, cores))));
}

/** Per-vCPU quota that caps `current` vCPUs at `target` cores; -1 (unlimited) when not shrinking. */
export function quotaFor(targetVcpus: number, currentVcpus: number): number {
  if (targetVcpus >= currentVcpus || currentVcpus <= 0) return -1;
  return Math.max(MIN_VCPU_QUOTA_US, Math.round((CPU_PERIOD_US * targetVcpus) / currentVcpus));
}

export interface VmTargetsResult {
  targets: VmTarget[];
  changes: VmChange[];
  warnings: string[];
}

export function vmTargetsForPlan(zones: readonly ZonePlan[], vms: readonly VmView[], config: TargetConfig): VmTargetsResult {
  const byZone = new Map<string, VmView[]>();
  for (const vm of vms) {
    if (!vm.managed || !vm.running) continue;
    let list = byZone.get(vm.zone);
    if (!list) byZone.set(vm.zone, (list = []));
    list.push(vm);
  }
  const out: VmTargetsResult = { targets: [], changes: [], warnings: [] };
  const classes = new Map(config.classes.map((c) => [c.name, c]));
  for (const zone of zones) {
    const members = byZone.get(zone.name);
    if (!members || members.length === 0) continue;
    byZone.delete(zone.name);
    const cls = classes.get(zone.name);
    zoneTargets(zone.name, zone.allocation, members, cls?.buffer ?? 0.2, cls?.neverShrink === true, config, out);
  }
  for (const [zone, members] of byZone) {
    out.warnings.push(`zone ${zone} (of ${members.length} VM(s), e.g. ${members[0].name}) is not a configured class; its VMs keep their sizes`);
  }
  return out;
}

function zoneTargets(zone: string, allocation: Resources, members: VmView[], buffer: number, neverShrink: boolean, config: TargetConfig, out: VmTargetsResult): void {
  const p = config.partitioner;
  const overhead = config.zones?.vmOverheadMiB ?? 0;
  // Per-VM demand has the confidence of one sample: the widest buffer.
  const vmBuffer = effectiveBuffer(buffer, 0, p.lowConfidenceBufferMultiplier);
  const n = members.length;
  const minMem = new Float64Array(n);
  const wantMem = new Float64Array(n);
  const verdicts: ShrinkVerdict[] = members.map((vm) => shrinkVerdict(vm, neverShrink, p.minHistoryHours));
  const memoryWithheld = new Array<boolean>(n).fill(false);
  let sumMin = 0;
  let sumWant = 0;
  for (let i = 0; i < n; i++) {
    const vm = members[i];
    const floor = vm.memoryFloorMiB ?? p.vmMemoryFloorMiB;
    // sized for the day's peak when it is known: a balloon cut to a quiet moment's use is
    // short when the guest's daily cycle comes back, so neither the minimum nor the
    // wanted size goes below it
    const basis = vm.usedMemoryMiB === null ? null : Math.max(vm.usedMemoryMiB, vm.peakMemoryMiB ?? 0);
    let min = Math.min(memoryMinimum(basis, vm.memoryMiB, floor, p), vm.maxMemoryMiB);
    const want = basis === null ? vm.memoryMiB : Math.ceil(basis * (1 + vmBuffer));
    if (!verdicts[i].allowed && min < vm.memoryMiB) {
      memoryWithheld[i] = want < vm.memoryMiB;
      min = Math.min(vm.memoryMiB, vm.maxMemoryMiB);
    }
    minMem[i] = min;
    wantMem[i] = Math.min(vm.maxMemoryMiB, Math.max(min, want));
    sumMin += minMem[i];
    sumWant += wantMem[i];
    if (vm.usedMemoryMiB !== null && memoryMinimum(vm.usedMemoryMiB, vm.memoryMiB, floor, p) > vm.maxMemoryMiB) {
      out.warnings.push(`vm ${vm.name}: use + margin exceeds its maximum memory (${vm.maxMemoryMiB} MiB)`);
    }
  }
  // Fit the zone: scale the part above the minimums; never go below a minimum.
  let theta = 1;
  if (sumWant > allocation.memoryMiB) {
    if (sumMin > allocation.memoryMiB) {
      theta = 0;
      out.warnings.push(
        `zone ${zone}: its VMs need ${Math.round(sumMin)} MiB (use + margin) but the zone has ${Math.round(allocation.memoryMiB)} MiB; memory kept at the minimums`,
      );
    } else {
      theta = (allocation.memoryMiB - sumMin) / (sumWant - sumMin);
    }
  }
  const zoneCpuCap = Math.max(1, Math.ceil(allocation.cpuCores - 1e-9));
  for (let i = 0; i < n; i++) {
    const vm = members[i];
    const memoryMiB = Math.max(minMem[i], Math.floor(minMem[i] + theta * (wantMem[i] - minMem[i])));
    const minVcpus = Math.max(p.vmMinVcpus, vm.minVcpus ?? 0);
    const desiredCores = vm.usedCpuCores === null ? null : Math.max(0, vm.usedCpuCores) * (1 + vmBuffer);
    let vcpus = desiredCores === null ? vm.vcpus : Math.ceil(desiredCores - 1e-9);
    vcpus = Math.min(vcpus, zoneCpuCap);
    vcpus = Math.max(minVcpus, Math.min(vm.maxVcpus, vcpus));
    const cpuWithheld = !verdicts[i].allowed && vcpus < vm.vcpus;
    if (cpuWithheld) vcpus = vm.vcpus;
    const cpuShares = sharesFor(desiredCores ?? vm.vcpus);
    const vcpuQuota = quotaFor(vcpus, vm.vcpus);
    const target: Required<VmTarget> = {
      vm: vm.name,
      zone,
      vcpus,
      memoryMiB,
      cpuShares,
      vcpuQuota,
      memorySoftLimitMiB: memoryMiB + overhead,
      minMemoryMiB: minMem[i],
      usedMemoryMiB: vm.usedMemoryMiB,
      memoryFloorMiB: vm.memoryFloorMiB ?? p.vmMemoryFloorMiB,
      reason: evidenceOf(vm, vcpus, memoryMiB, cpuWithheld || memoryWithheld[i] ? verdicts[i] : null) + reasonFor(vm, vcpus, memoryMiB, theta < 1),
    };
    out.targets.push(target);
    pushChanges(vm, target, config.apply, out.changes);
  }
}

const r2 = (x: number) => Math.round(x * 100) / 100;

// Built by plain concatenation: this runs for every VM of every plan.
function reasonFor(vm: VmView, vcpus: number, memoryMiB: number, squeezed: boolean): string {
  let s = vm.usedCpuCores !== null ? 'cpu use ' + r2(vm.usedCpuCores) + ' cores -> ' + vcpus + ' vCPU; ' : '';
  s += vm.usedMemoryMiB !== null ? 'memory use ' + Math.round(vm.usedMemoryMiB) + ' MiB' : 'no memory sample: size kept';
  if (vm.usedMemoryMiB !== null && vm.peakMemoryMiB != null && vm.peakMemoryMiB > vm.usedMemoryMiB) s += ' (day peak ' + Math.round(vm.peakMemoryMiB) + ' MiB)';
  if (vm.usedMemoryMiB !== null) s += ' -> ' + memoryMiB + ' MiB';
  return squeezed ? s + '; zone memory is tight' : s;
}

/** The evidence behind a size: why a shrink was withheld, or how much history a shrink rests on. */
function evidenceOf(vm: VmView, vcpus: number, memoryMiB: number, withheld: ShrinkVerdict | null): string {
  if (withheld && !withheld.allowed) return withheld.reason + '; ';
  const shrinks = vcpus < vm.vcpus || memoryMiB < vm.memoryMiB;
  return shrinks && vm.historySeconds != null ? hoursOf(vm.historySeconds) + ' of samples; ' : '';
}

function pushChange(changes: VmChange[], vm: VmView, t: Required<VmTarget>, field: VmChange['field'], from: number | null | undefined, to: number, minDelta: number): void {
  const f = from ?? null;
  if (f !== null && Math.abs(to - f) < Math.max(minDelta, 1e-9)) return;
  changes.push({ vm: vm.name, zone: t.zone, field, from: f, to, reason: t.reason });
}

function pushChanges(vm: VmView, t: Required<VmTarget>, apply: Config['apply'], changes: VmChange[]): void {
  pushChange(changes, vm, t, 'vcpus', vm.vcpus, t.vcpus, 1);
  pushChange(changes, vm, t, 'memoryMiB', vm.memoryMiB, t.memoryMiB, apply.minChangeMemoryMiB);
  if (vm.cpuShares !== undefined) pushChange(changes, vm, t, 'cpuShares', vm.cpuShares, t.cpuShares, apply.minChangeCpuShares);
  if (vm.vcpuQuota !== undefined) pushChange(changes, vm, t, 'vcpuQuota', normalizeQuota(vm.vcpuQuota), t.vcpuQuota, 1);
  if (vm.memorySoftLimitMiB !== undefined) pushChange(changes, vm, t, 'memorySoftLimitMiB', vm.memorySoftLimitMiB, t.memorySoftLimitMiB, apply.minChangeMemoryMiB);
}

/** libvirt reports an unlimited quota as -1 (cgroup v1) or 17592186044415 (v2 "max"). */
export function normalizeQuota(q: number | null | undefined): number | null {
  if (q === null || q === undefined) return null;
  if (q <= 0 || q >= 17_592_186_044_415) return -1;
  return q;
}
