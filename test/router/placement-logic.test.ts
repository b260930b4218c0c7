// Mapping rules and admission arithmetic, pure.
import t from 'tap';
import { admit, candidateZones, expectedCharge, expectedRoom, room, type ZoneCapacity } from '../../router/placement/admission.js';
import { useRatioOf } from '../../partitioner/zones/zone-states.js';
import { mapToZone } from '../../router/placement/mapping.js';

const classes = ['gold', 'silver', 'bronze'];
const rules = [
  { tenant: 'bank', app: 'ledger', class: 'gold' },
  { tenant: 'bank', class: 'silver' },
  { app: 'batch', class: 'bronze' },
];

t.test('mapping: explicit priority, then first matching rule, else general', async (t) => {
  t.same(mapToZone({ tenant: 'bank', app: 'ledger', priority: 'bronze' }, classes, rules), { ok: true, zone: 'bronze', via: 'priority' });
  t.same(mapToZone({ tenant: 'x', app: 'y', priority: 'general' }, classes, rules), { ok: true, zone: 'general', via: 'priority' });
  t.same(mapToZone({ tenant: 'bank', app: 'ledger' }, classes, rules), { ok: true, zone: 'gold', via: 'rule', rule: 0 });
  t.same(mapToZone({ tenant: 'bank', app: 'batch' }, classes, rules), { ok: true, zone: 'silver', via: 'rule', rule: 1 }, 'first match wins');
  t.same(mapToZone({ tenant: 'shop', app: 'batch' }, classes, rules), { ok: true, zone: 'bronze', via: 'rule', rule: 2 });
  t.same(mapToZone({ tenant: 'shop', app: 'web' }, classes, rules), { ok: true, zone: 'general', via: 'default' });
  const bad = mapToZone({ tenant: 'shop', app: 'web', priority: 'platinum' }, classes, rules);
  t.equal(bad.ok, false);
  t.match(bad, { field: 'priority', detail: /platinum.*gold, silver, bronze, general/ });
});

const cap = (name: string, rank: number, cpu: number, mem: number, reservedCpu = 0, exhausted = false): ZoneCapacity => ({
  name,
  rank,
  capacity: { cpuCores: cpu, memoryMiB: mem },
  provisioned: { cpuCores: 0, memoryMiB: 0 },
  used: { cpuCores: 0, memoryMiB: 0 },
  reserved: { cpuCores: reservedCpu, memoryMiB: 0 },
  exhausted,
});

t.test('admission: own zone first, then general, then lower classes lowest first; never higher ones', async (t) => {
  const zones = [cap('gold', 0, 4, 8192, 4), cap('silver', 1, 4, 8192), cap('bronze', 2, 4, 8192), cap('general', 3, 4, 8192)];
  t.same(candidateZones(zones[0], zones).map((z) => z.name), ['gold', 'general', 'bronze', 'silver']);
  t.same(candidateZones(zones[2], zones).map((z) => z.name), ['bronze', 'general']);
  t.same(candidateZones({ ...zones[0], exhausted: true }, zones).map((z) => z.name), ['gold'], 'exhausted: nothing to borrow');
  t.same(admit({ cpuCores: 2, memoryMiB: 1024 }, candidateZones(zones[0], zones)), { kind: 'fits', chargeZone: 'general' });
  t.same(admit({ cpuCores: 2, memoryMiB: 1024 }, candidateZones(zones[1], zones)), { kind: 'fits', chargeZone: 'silver' });
  t.same(room(zones[0]), { cpuCores: 0, memoryMiB: 8192 });
  const full = admit({ cpuCores: 5, memoryMiB: 1024 }, candidateZones(zones[2], zones));
  t.same(full, { kind: 'full', free: { cpuCores: 8, memoryMiB: 16384 }, total: { cpuCores: 8, memoryMiB: 16384 } }, 'never split across zones');
});

t.test('admission by expected use: members at max(use, forecast peak), requests and reservations at the use ratio', async (t) => {
  // 10 cores, members provisioned 9 but using 2 (peak forecast 3); class ratio 0.25
  const z: ZoneCapacity = {
    ...cap('silver', 1, 10, 8192),
    provisioned: { cpuCores: 9, memoryMiB: 4096 },
    used: { cpuCores: 2, memoryMiB: 1024 },
    forecastPeak: { cpuCores: 3, memoryMiB: 2048 },
    useRatio: { cpu: 0.25, memory: 0.5 },
    reserved: { cpuCores: 4, memoryMiB: 0 },
  };
  t.same(expectedRoom(z), { cpuCores: 10 - 3 - 1, memoryMiB: 8192 - 2048 });
  t.same(admit({ cpuCores: 4, memoryMiB: 1024 }, [z]), { kind: 'full', free: { cpuCores: 4, memoryMiB: 7168 }, total: { cpuCores: 10, memoryMiB: 8192 } }, 'by size: no room');
  t.same(admit({ cpuCores: 4, memoryMiB: 1024 }, [z], 'expected'), { kind: 'fits', chargeZone: 'silver' }, '4 cores x 0.25 = 1 fits in 6');
  t.notOk(admit({ cpuCores: 25, memoryMiB: 1024 }, [z], 'expected').kind === 'fits', '25 x 0.25 = 6.25 does not');
  // a donor with a higher ratio charges at its own ratio (never less than its reservations count)
  const donor: ZoneCapacity = { ...cap('general', 3, 4, 8192), useRatio: { cpu: 1, memory: 1 } };
  t.same(expectedCharge({ cpuCores: 4, memoryMiB: 100 }, z, donor), { cpuCores: 4, memoryMiB: 100 });
  // no ratio (fresh class): full size, the same as provisioned admission against use
  t.same(expectedCharge({ cpuCores: 4, memoryMiB: 100 }, cap('bronze', 2, 1, 1), cap('bronze', 2, 1, 1)), { cpuCores: 4, memoryMiB: 100 });
});

t.test('useRatioOf: nearest-rank quantile, bounded to [0.1, 1], 1 without samples', async (t) => {
  t.equal(useRatioOf([], 0.9), 1);
  t.equal(useRatioOf([0.01, 0.02], 0.9), 0.1);
  t.equal(useRatioOf([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 2], 0.9), 0.9);
  t.equal(useRatioOf([0.3], 0.9), 0.3);
});
