// The simulator's placements go through the router's decidePlacement(); the quota
// policy counts the overflow grants whose reservations the zone monitor has not yet
// fulfilled, as the daemon does.
import t from 'tap';
import { defaultConfig } from '../../core/config/load.js';
import { GENERAL_ZONE_NAME } from '../../core/model/types.js';
import { partition, type Resources } from '../../partitioner/index.js';
import { overflowPolicy, placementConfigOf } from '../../router/index.js';
import { SimulatedHost } from '../../simulator/host.js';
import { placeInZones, type ZonedPlacement } from '../../simulator/placement.js';
import type { VmSpec, Workload } from '../../simulator/stream.js';
import type { TracePool } from '../../simulator/trace-pool.js';

const flat = (n: number) => new Float64Array(n);
const pool: TracePool = { dir: '', start: 0, step: 300, length: 10, vms: [{ id: '1', name: 'one', cpu: flat(10), memory: flat(10), cores: flat(10), memoryProvisionedMiB: flat(10) }] };
const workload: Workload = { startIndex: 0, ticks: 10, initial: [], requests: [], sharedSources: 0 };
const spec = (id: string, zone: string, size: Resources): VmSpec => ({ id, zone, source: { vm: 0, shift: 0 }, sourceName: 'one', vcpus: size.cpuCores, memoryMiB: size.memoryMiB, at: 0, endTick: 10 });

/** A host whose every zone is full by provisioned size: whatever comes next is for the overflow policy. */
function fullHost() {
  const config = defaultConfig();
  config.overflow.policy = 'quota';
  config.router.admission = 'provisioned';
  const classes = config.classes.map((c) => c.name);
  const zones = [...classes, GENERAL_ZONE_NAME];
  const capacity = { cpuCores: 40, memoryMiB: 40960 };
  const host = new SimulatedHost({ zones, classZones: zones, capacity, pool, workload, minChangeMemoryMiB: 64 });
  host.plan = partition([], capacity, config, { fallback: Object.fromEntries(classes.map((c) => [c, { cpuCores: 0, memoryMiB: 0 }])) });
  const each = { cpuCores: 10, memoryMiB: 10240 };
  host.setAllocations(Object.fromEntries(zones.map((z) => [z, each])));
  for (const z of zones) host.addVm(spec(`vm-${z}`, z, each), 0);
  const how: ZonedPlacement = {
    config: placementConfigOf(config),
    useRatioQuantile: config.router.useRatioQuantile,
    overflow: overflowPolicy('quota', config.overflow, () => 0.5),
    appProfiles: new Map(),
    predictions: [],
  };
  return { host, how, gold: classes[0] };
}

t.test('quota: overflow grants not yet fulfilled count against the zone quota', async (t) => {
  const { host, how, gold } = fullHost();
  // quota of the top class over the whole host: 40 cores x 0.2 threshold x weight 1 = 8 cores
  const size = { cpuCores: 5, memoryMiB: 1024 };
  t.same(placeInZones(host, spec('req-1', gold, size), how), { admitted: true, overflow: true }, 'the first grant fits the quota');
  host.addVm(spec('req-1', gold, size), 0);
  t.same(placeInZones(host, spec('req-2', gold, size), how), { admitted: false, overflow: false }, 'a second one before the zone monitor saw the first would exceed it');
  host.reservations.fulfilAll();
  t.same(placeInZones(host, spec('req-3', gold, size), how), { admitted: true, overflow: true }, 'once the first is fulfilled its grant no longer holds quota');
});

t.test('no overflow policy: what has no room is rejected', async (t) => {
  const { host, how, gold } = fullHost();
  t.same(placeInZones(host, spec('req-1', gold, { cpuCores: 1, memoryMiB: 512 }), { ...how, overflow: null }), { admitted: false, overflow: false });
  t.same(host.reservations.totals().size, 0, 'nothing is held');
});

t.test('room by provisioned size admits without the overflow policy', async (t) => {
  const { host, how, gold } = fullHost();
  host.setAllocations(Object.fromEntries(host.zones.map((z) => [z, { cpuCores: 12, memoryMiB: 12288 }])));
  t.same(placeInZones(host, spec('req-1', gold, { cpuCores: 2, memoryMiB: 1024 }), how), { admitted: true, overflow: false });
  t.same(host.reservations.totals().size, 0, 'an admission in room holds no overflow');
});
