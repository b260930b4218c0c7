// What `virtzone zones`, `virtzone plan` and /metrics show about zones. Pure row
// builders (the CLI renders them as tables or JSON) and a Prometheus gauge updater.
import { Gauge, type Registry } from 'prom-client';
import type { Config } from '../../core/config/schema.js';
import type { ZoneState } from '../../core/model/types.js';
import type { Plan, Resources, VmChange } from '../plan/types.js';

export type ZoneCondition = 'exhausted' | 'hot' | 'ok' | 'cold' | 'empty';

export interface ZoneRow {
  zone: string;
  rank: number;
  sizeCpuCores: number;
  sizeMemoryMiB: number;
  usedCpuCores: number;
  usedMemoryMiB: number;
  provisionedVcpus: number;
  provisionedMemoryMiB: number;
  forecastPeakCpuCores: number | null;
  forecastPeakMemoryMiB: number | null;
  /** size − max(use, forecast peak): what the zone can still take */
  headroomCpuCores: number;
  headroomMemoryMiB: number;
  vms: number;
  state: ZoneCondition;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

export function zoneCondition(z: ZoneState, autoscaler: Pick<Config['autoscaler'], 'highWater' | 'lowWater'>): ZoneCondition {
  if (z.exhausted) return 'exhausted';
  if (z.vms.length === 0 && z.used.cpuCores === 0) return 'empty';
  const u = (used: number, size: number) => (size > 0 ? used / size : used > 0 ? Infinity : 0);
  const cpu = u(z.used.cpuCores, z.allocation.cpuCores);
  const mem = u(z.used.memoryMiB, z.allocation.memoryMiB);
  if (cpu > autoscaler.highWater || mem > autoscaler.highWater) return 'hot';
  if (cpu < autoscaler.lowWater && mem < autoscaler.lowWater) return 'cold';
  return 'ok';
}

export function zoneRows(zones: readonly ZoneState[], autoscaler: Pick<Config['autoscaler'], 'highWater' | 'lowWater'>): ZoneRow[] {
  return zones.map((z) => {
    const peakCpu = z.forecastPeak?.cpuCores ?? null;
    const peakMem = z.forecastPeak?.memoryMiB ?? null;
    return {
      zone: z.name,
      rank: z.rank,
      sizeCpuCores: r2(z.allocation.cpuCores),
      sizeMemoryMiB: Math.round(z.allocation.memoryMiB),
      usedCpuCores: r2(z.used.cpuCores),
      usedMemoryMiB: Math.round(z.used.memoryMiB),
      provisionedVcpus: z.provisioned.cpuCores,
      provisionedMemoryMiB: Math.round(z.provisioned.memoryMiB),
      forecastPeakCpuCores: peakCpu === null ? null : r2(peakCpu),
      forecastPeakMemoryMiB: peakMem === null ? null : Math.round(peakMem),
      headroomCpuCores: r2(z.allocation.cpuCores - Math.max(z.used.cpuCores, peakCpu ?? 0)),
      headroomMemoryMiB: Math.round(z.allocation.memoryMiB - Math.max(z.used.memoryMiB, peakMem ?? 0)),
      vms: z.vms.length,
      state: zoneCondition(z, autoscaler),
    };
  });
}

export interface ZoneDiffRow {
  zone: string;
  cpuFrom: number | null;
  cpuTo: number;
  cpuDelta: number;
  memoryFrom: number | null;
  memoryTo: number;
  memoryDelta: number;
  /** demand left uncovered in the new plan */
  shortfallCpuCores: number;
  shortfallMemoryMiB: number;
}

export interface PlanDiff {
  zones: ZoneDiffRow[];
  vms: VmChange[];
  /** count of VM changes per field */
  summary: Record<string, number>;
  warnings: string[];
}

/** What applying `next` would change, against the allocations in force now. */
export function planDiff(current: Readonly<Record<string, Resources>>, next: Plan): PlanDiff {
  const zones = next.zones.map((z) => {
    const cur = current[z.name];
    return {
      zone: z.name,
      cpuFrom: cur ? r2(cur.cpuCores) : null,
      cpuTo: r2(z.allocation.cpuCores),
      cpuDelta: r2(z.allocation.cpuCores - (cur?.cpuCores ?? 0)),
      memoryFrom: cur ? Math.round(cur.memoryMiB) : null,
      memoryTo: Math.round(z.allocation.memoryMiB),
      memoryDelta: Math.round(z.allocation.memoryMiB - (cur?.memoryMiB ?? 0)),
      shortfallCpuCores: r2(z.shortfall.cpuCores),
      shortfallMemoryMiB: Math.round(z.shortfall.memoryMiB),
    };
  });
  const summary: Record<string, number> = {};
  for (const c of next.changes) summary[c.field] = (summary[c.field] ?? 0) + 1;
  return { zones, vms: next.changes, summary, warnings: next.warnings };
}

const MIB = 1024 * 1024;

/**
 * Registers the zone gauges on `registry` and returns the function that updates them
 * (call it whenever the zone states change, or from a collect() hook).
 */
export function registerZoneGauges(registry: Registry): (zones: readonly ZoneState[]) => void {
  const labelNames = ['zone'] as const;
  const mk = (name: string, help: string) => new Gauge({ name, help, labelNames, registers: [registry] });
  const sizeCpu = mk('virtzone_zone_size_cpu_cores', 'CPU allocated to the zone, in cores');
  const sizeMem = mk('virtzone_zone_size_memory_bytes', 'memory allocated to the zone, in bytes');
  const useCpu = mk('virtzone_zone_used_cpu_cores', 'CPU used by the zone\'s VMs (latest samples), in cores');
  const useMem = mk('virtzone_zone_used_memory_bytes', 'memory used by the zone\'s VMs (latest samples), in bytes');
  const vms = mk('virtzone_zone_vms', 'VMs in the zone');
  const exhausted = mk('virtzone_zone_exhausted', '1 when the auto-scaler has no option left for the zone');
  const all = [sizeCpu, sizeMem, useCpu, useMem, vms, exhausted];
  return (zones) => {
    // Reset first, so a zone that disappeared from the config stops being exported.
    for (const g of all) g.reset();
    for (const z of zones) {
      const l = { zone: z.name };
      sizeCpu.set(l, z.allocation.cpuCores);
      sizeMem.set(l, z.allocation.memoryMiB * MIB);
      useCpu.set(l, z.used.cpuCores);
      useMem.set(l, z.used.memoryMiB * MIB);
      vms.set(l, z.vms.length);
      exhausted.set(l, z.exhausted ? 1 : 0);
    }
  };
}
