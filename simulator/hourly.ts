// The hourly timeline (for --plot): per zone, the hour's mean demand, allocation, use
// and VM count, and its requests and rejections.
import type { Resources } from '../partitioner/index.js';
import { ZERO } from './host.js';
import { STEP_SECONDS } from './trace-pool.js';

export interface ZonePoint {
  /** mean over the hour: what members demanded, what the zone had, what they got */
  demand: Resources;
  allocation: Resources;
  used: Resources;
  vms: number;
  requests: number;
  rejected: number;
}

export interface TimelineHour {
  /** hours since the simulation start */
  hour: number;
  zones: Record<string, ZonePoint>;
}

/** A zone's step: its members' demand and use summed, and how many there were. */
export interface ZoneStep {
  demand: Resources;
  used: Resources;
  vms: number;
}

const HOUR_STEPS = 3600 / STEP_SECONDS;

export class HourlyTimeline {
  readonly hours: TimelineHour[] = [];
  private readonly acc = new Map<string, ZonePoint>();

  constructor(private readonly zones: readonly string[]) {
    this.reset();
  }

  private reset(): void {
    for (const z of this.zones) this.acc.set(z, { demand: ZERO(), allocation: ZERO(), used: ZERO(), vms: 0, requests: 0, rejected: 0 });
  }

  request(zone: string, admitted: boolean): void {
    const p = this.acc.get(zone)!;
    p.requests++;
    if (!admitted) p.rejected++;
  }

  /** Adds a zone's step (its mean allocation over the step) to the hour. */
  zoneStep(zone: string, step: ZoneStep, meanAlloc: Resources): void {
    const p = this.acc.get(zone)!;
    p.demand.cpuCores += step.demand.cpuCores / HOUR_STEPS;
    p.demand.memoryMiB += step.demand.memoryMiB / HOUR_STEPS;
    p.allocation.cpuCores += meanAlloc.cpuCores / HOUR_STEPS;
    p.allocation.memoryMiB += meanAlloc.memoryMiB / HOUR_STEPS;
    p.used.cpuCores += step.used.cpuCores / HOUR_STEPS;
    p.used.memoryMiB += step.used.memoryMiB / HOUR_STEPS;
    p.vms += step.vms / HOUR_STEPS;
  }

  /** Closes the hour at the end of step `tick` when it is the hour's last (or the run's last: `last`). */
  endStep(tick: number, last: boolean): void {
    if ((tick + 1) % HOUR_STEPS !== 0 && !last) return;
    this.hours.push({ hour: Math.floor(tick / HOUR_STEPS), zones: Object.fromEntries([...this.acc].map(([z, p]) => [z, round(p)])) });
    this.reset();
  }
}

function round(p: ZonePoint): ZonePoint {
  const r = (x: number) => Math.round(x * 1000) / 1000;
  const rr = (x: Resources) => ({ cpuCores: r(x.cpuCores), memoryMiB: Math.round(x.memoryMiB) });
  return { demand: rr(p.demand), allocation: rr(p.allocation), used: rr(p.used), vms: r(p.vms), requests: p.requests, rejected: p.rejected };
}
