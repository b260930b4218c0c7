// The auto-scaler on the simulated host, run each tick with the routine's own pure glue:
// the zones and their members as decide() sees them (scalerZones), decide() itself (zone
// allocations, exhausted flags, VM resizes), and the steps its VM resizes take by the
// executor's rules, one bounded step per VM per tick (stepsForActions) — carried out
// here on the simulated VMs instead of through libvirt.
import type { Config } from '../core/config/schema.js';
import { decide, emptyMemory, scalerZones, stepsForActions, type ScaledVm, type ScaledZoneSpec, type ScalerMemory } from '../partitioner/index.js';
import { rankOf } from '../router/index.js';
import { ZERO, type SimulatedHost } from './host.js';

/** What one tick changed: zones resized, VM resize steps carried out. */
export interface AutoscaleTick {
  zoneResizes: number;
  vmResizeSteps: number;
}

export class SimulatedAutoscaler {
  private memory: ScalerMemory = emptyMemory();
  /** the zones as the plan names them: the host's zones in priority order, with their class floors */
  private readonly zoneSpecs: Omit<ScaledZoneSpec, 'allocation'>[];

  constructor(
    private readonly config: Config,
    classes: readonly string[],
    zones: readonly string[],
  ) {
    this.zoneSpecs = zones.map((name) => {
      const cls = config.classes.find((c) => c.name === name);
      return { name, rank: rankOf(name, classes), floor: cls ? { ...cls.floor } : ZERO() };
    });
  }

  /** One auto-scaler tick at unix time `now`. */
  tick(host: SimulatedHost, now: number): AutoscaleTick {
    const { config } = this;
    // built field by field, not by spreading sizeAndUse(): this runs for every VM every tick
    const vms: ScaledVm[] = host.vms.map((v) => ({
      name: v.spec.id,
      vcpus: v.vcpus,
      maxVcpus: v.maxVcpus,
      memoryMiB: v.memoryMiB,
      maxMemoryMiB: v.maxMemoryMiB,
      usedCpuCores: v.usedCpu,
      usedMemoryMiB: v.usedMemory,
      peakMemoryMiB: v.peakMemory,
      zone: host.zones[v.zone],
      poolMember: false,
    }));
    const zones = this.zoneSpecs.map((z, i) => ({ ...z, allocation: host.alloc[i] }));
    const d = decide(scalerZones(zones, vms), this.memory, config, now);
    this.memory = d.memory;
    host.exhausted = d.exhausted;
    const out: AutoscaleTick = { zoneResizes: host.setAllocations(d.allocations), vmResizeSteps: 0 };
    const { steps } = stepsForActions(d.actions, vms, config);
    if (steps.length === 0) return out;
    const byName = new Map(host.vms.map((v) => [v.spec.id, v]));
    for (const st of steps) {
      const v = byName.get(st.vm)!;
      if (st.kind === 'vcpus' && host.setVcpus(v, st.to.vcpus)) out.vmResizeSteps++;
      if (st.kind === 'memory' && host.setMemory(v, st.to.memoryMiB)) out.vmResizeSteps++;
    }
    return out;
  }
}
