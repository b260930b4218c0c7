// Mapping rules and admission arithmetic, pure.
import t from 'tap';
import { admit, candidateZones, room, type ZoneCapacity } from '../../router/placement/admission.js';
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
