// The zone families: each zone's size and what fills it, one family per unit (CPU in
// cores, memory in bytes) with the quantity as the `kind` label, read from the zone
// provider and the reservations in force.
import { Gauge, type Registry } from 'prom-client';
import type { ZoneState } from '../../core/model/types.js';
import type { ZoneTotals } from '../reservations/store.js';
import type { Resources } from '../overflow/policy.js';
import { BYTES_PER_MIB } from './forecast-samples.js';

/** allocation: the zone's size; provisioned/used: its members'; reserved: reservations in force; forecast_peak: the forecast peak it was sized for */
export const ZONE_KINDS = ['allocation', 'provisioned', 'used', 'reserved', 'forecast_peak'] as const;
export type ZoneKind = (typeof ZONE_KINDS)[number];

export interface ZoneSample {
  zone: string;
  kind: ZoneKind;
  cpuCores: number;
  memoryBytes: number;
}

/** One sample per zone and kind; forecast_peak only for zones with a forecast. */
export function zoneSamples(zones: readonly ZoneState[], reserved: ReadonlyMap<string, Pick<ZoneTotals, 'reserved'>>): ZoneSample[] {
  const out: ZoneSample[] = [];
  for (const z of zones) {
    const of: Record<ZoneKind, Resources | undefined> = {
      allocation: z.allocation,
      provisioned: z.provisioned,
      used: z.used,
      reserved: reserved.get(z.name)?.reserved ?? { cpuCores: 0, memoryMiB: 0 },
      forecast_peak: z.forecastPeak,
    };
    for (const kind of ZONE_KINDS) {
      const r = of[kind];
      if (r) out.push({ zone: z.name, kind, cpuCores: r.cpuCores, memoryBytes: r.memoryMiB * BYTES_PER_MIB });
    }
  }
  return out;
}

/** Registers the zone families; the returned function fills them (call it right before serializing). */
export function registerZoneMetrics(registry: Registry): (zones: readonly ZoneState[], reserved: ReadonlyMap<string, ZoneTotals>) => void {
  const registers = [registry];
  const cpu = new Gauge({ name: 'virtzone_zone_cpu_cores', help: 'zone CPU in cores, by kind: allocation (its size), provisioned and used (by its members), reserved (reservations in force), forecast_peak', labelNames: ['zone', 'kind'] as const, registers });
  const memory = new Gauge({ name: 'virtzone_zone_memory_bytes', help: 'zone memory in bytes, by kind: allocation (its size), provisioned and used (by its members), reserved (reservations in force), forecast_peak', labelNames: ['zone', 'kind'] as const, registers });
  const vms = new Gauge({ name: 'virtzone_zone_vms', help: 'member VMs per zone', labelNames: ['zone'] as const, registers });
  const exhausted = new Gauge({ name: 'virtzone_zone_exhausted', help: '1 when the auto-scaler has no option left to grow the zone', labelNames: ['zone'] as const, registers });
  const reservations = new Gauge({ name: 'virtzone_reservations_active', help: 'placement reservations in force (reserved or bound, not yet expired) per zone', labelNames: ['zone'] as const, registers });
  const zoneCount = new Gauge({ name: 'virtzone_zones', help: 'zones reported by the zone monitor', registers });
  return (zones, reserved) => {
    // reset first, so a zone that left the config stops being exported
    for (const g of [cpu, memory, vms, exhausted, reservations]) g.reset();
    for (const s of zoneSamples(zones, reserved)) {
      cpu.set({ zone: s.zone, kind: s.kind }, s.cpuCores);
      memory.set({ zone: s.zone, kind: s.kind }, s.memoryBytes);
    }
    for (const z of zones) {
      vms.set({ zone: z.name }, z.vms.length);
      exhausted.set({ zone: z.name }, z.exhausted ? 1 : 0);
      reservations.set({ zone: z.name }, reserved.get(z.name)?.count ?? 0);
    }
    zoneCount.set(zones.length);
  };
}
