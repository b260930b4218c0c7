// The placement decision, pure: placed, borrowed, overflow granted, rejected (with the
// retry hint), the quota policy, app-profile charges and the forecast's growth term — and,
// over random states, a placed or borrowed request never takes the zone it is charged
// to past its allocation.
import fc from 'fast-check';
import t from 'tap';
import type { ZoneState } from '../../core/model/types.js';
import {
  admissionZones,
  decidePlacement,
  freeRoom,
  type AppReservations,
  type ChargedTotals,
  type PlacementAsk,
  type PlacementConfig,
  type PlacementState,
} from '../../router/index.js';
import { grantProbability, probabilisticPolicy, quotaPolicy, type OverflowPolicy, type Resources } from '../../router/overflow/policy.js';
import { appKey } from '../../router/placement/app-profile.js';
import { zone } from './helpers.js';

const ZERO: Resources = { cpuCores: 0, memoryMiB: 0 };
const NOW = Date.parse('2025-01-06T12:00:00Z');
const settings = { threshold: 0.2, exponent: 2 };

const config = (over: Partial<PlacementConfig> = {}): PlacementConfig => ({
  classes: ['gold', 'silver', 'bronze'],
  admission: 'provisioned',
  overflowScope: 'host',
  retryAfterSeconds: 60,
  ...over,
});

const state = (zones: ZoneState[], over: Partial<PlacementState> = {}): PlacementState => ({
  zones,
  totals: new Map(),
  byApp: [],
  appProfiles: new Map(),
  forecast: [],
  now: NOW,
  earliestExpiry: null,
  ...over,
});

const ask = (zoneName: string, cpuCores: number, memoryMiB = 1024, app = 'web'): PlacementAsk => ({ zone: zoneName, tenant: 'acme', app, resources: { cpuCores, memoryMiB } });

/** A policy that must not be asked (the request fits somewhere). */
const unused: OverflowPolicy = {
  name: 'probabilistic',
  decide() {
    throw new Error('the overflow policy was asked although the request fits');
  },
};

const reserved = (cpuCores: number, memoryMiB: number, overflow: Resources = ZERO): ChargedTotals => ({ reserved: { cpuCores, memoryMiB }, overflow });

t.test('placed: fits in its own zone, charged there', async (t) => {
  const d = decidePlacement(state([zone('gold', 0, 8, 16384), zone('general', 3, 8, 16384)]), ask('gold', 4), config(), unused);
  t.same(d, { kind: 'placed', zone: 'gold', chargeZone: 'gold' });
});

t.test('placed: active reservations take room', async (t) => {
  const zones = [zone('gold', 0, 8, 16384), zone('general', 3, 0, 0)];
  const totals = new Map([['gold', reserved(6, 2048)]]);
  t.equal(decidePlacement(state(zones, { totals }), ask('gold', 2), config(), unused).kind, 'placed', 'exactly the room left');
  const full = decidePlacement(state(zones, { totals }), ask('gold', 3), config(), probabilisticPolicy(settings, () => 0.5));
  t.equal(full.kind, 'rejected', 'one core more than is left');
});

t.test('borrowed: general first, then lower classes lowest first, never a higher one', async (t) => {
  const zones = [
    zone('gold', 0, 8, 16384),
    zone('silver', 1, 2, 16384, { exhausted: false }),
    zone('bronze', 2, 8, 16384),
    zone('general', 3, 8, 16384),
  ];
  t.same(decidePlacement(state(zones), ask('silver', 4), config(), unused), { kind: 'borrowed', zone: 'silver', chargeZone: 'general' });
  const generalFull = new Map([['general', reserved(8, 0)]]);
  t.same(decidePlacement(state(zones, { totals: generalFull }), ask('silver', 4), config(), unused), { kind: 'borrowed', zone: 'silver', chargeZone: 'bronze' });
  // gold has room, but it ranks above silver: overflow is asked instead
  const lowerFull = new Map([['general', reserved(8, 0)], ['bronze', reserved(8, 0)]]);
  const d = decidePlacement(state(zones, { totals: lowerFull }), ask('silver', 4), config(), probabilisticPolicy(settings, () => 0.5));
  t.equal(d.kind, 'overflow', 'host-wide there is plenty unused (gold), so overflow grants it');
  t.equal(d.kind === 'overflow' && d.chargeZone, 'silver', 'an overflow grant is charged to its own zone');
});

t.test('an exhausted zone borrows nothing', async (t) => {
  const zones = [zone('silver', 1, 2, 16384, { exhausted: true }), zone('general', 3, 8, 16384)];
  const d = decidePlacement(state(zones), ask('silver', 4), config(), null);
  t.equal(d.kind, 'rejected');
  t.equal(d.kind === 'rejected' && d.reason, 'no-room-no-overflow', 'no policy: nothing over-commits');
  t.equal(d.kind === 'rejected' && d.probability, 0);
});

t.test('a zone the monitor does not report has no capacity', async (t) => {
  const d = decidePlacement(state([zone('general', 3, 8, 16384)]), ask('gold', 1), config({ overflowScope: 'zones' }), probabilisticPolicy(settings, () => 0));
  t.equal(d.kind, 'rejected', 'nothing free in its zones, so p = 0 even with a draw of 0');
  t.equal(d.kind === 'rejected' && d.overflow?.probability, 0);
});

t.test('overflow: the grant probability and the draw', async (t) => {
  // gold full by provisioned size but its members use 2 of 10 cores: host-wide unused
  // 8 cores, after a 1-core request 7 of 100 (+ general's 90) ... a free share below the threshold
  const zones = [
    zone('gold', 0, 10, 102400, { provisioned: { cpuCores: 10, memoryMiB: 10240 }, used: { cpuCores: 2, memoryMiB: 1024 } }),
    zone('general', 3, 90, 0, { used: { cpuCores: 85, memoryMiB: 0 } }),
  ];
  const total = 100;
  const f = (8 + 5 - 1) / total; // unused after the grant, over the host's allocation
  const expected = grantProbability(f, 0, 3, 0, settings).probability;
  t.ok(expected > 0 && expected < 1, `p strictly between 0 and 1 (${expected})`);
  const granted = decidePlacement(state(zones), ask('gold', 1, 0), config(), probabilisticPolicy(settings, () => expected - 1e-9));
  t.equal(granted.kind, 'overflow');
  if (granted.kind === 'overflow') {
    t.equal(granted.probability, expected);
    t.equal(granted.overflow.freeShare, f);
  }
  const denied = decidePlacement(state(zones), ask('gold', 1, 0), config(), probabilisticPolicy(settings, () => expected));
  t.equal(denied.kind, 'rejected');
  if (denied.kind === 'rejected') {
    t.equal(denied.reason, 'overflow-denied');
    t.equal(denied.probability, expected);
    t.equal(denied.retryAfterSeconds, 60, 'no reservation runs out: the configured hint');
  }
});

t.test('overflow scope: zones sees only the zones the request may draw on', async (t) => {
  const zones = [zone('gold', 0, 10, 16384, { provisioned: { cpuCores: 10, memoryMiB: 0 } }), zone('general', 3, 10, 16384)];
  const always: () => number = () => 0.999999;
  t.equal(decidePlacement(state(zones), ask('gold', 2), config({ overflowScope: 'host' }), probabilisticPolicy(settings, always)).kind, 'overflow', 'host: gold and general are unused');
  // exhausted gold draws on itself only: its 10 cores are provisioned but unused... until used
  const busy = [zone('gold', 0, 10, 16384, { provisioned: { cpuCores: 10, memoryMiB: 0 }, used: { cpuCores: 10, memoryMiB: 0 } }), zone('general', 3, 10, 16384)];
  t.equal(decidePlacement(state(busy), ask('gold', 2), config({ overflowScope: 'zones' }), probabilisticPolicy(settings, () => 0)).kind, 'rejected', 'zones: gold alone, all in use');
  t.equal(decidePlacement(state(busy), ask('gold', 2), config({ overflowScope: 'host' }), probabilisticPolicy(settings, always)).kind, 'overflow', 'host: general is unused');
});

t.test('the forecast growth term lowers the grant probability', async (t) => {
  const zones = [
    zone('gold', 0, 10, 102400, { provisioned: { cpuCores: 10, memoryMiB: 0 }, used: { cpuCores: 2, memoryMiB: 0 } }),
    zone('general', 3, 90, 0, { used: { cpuCores: 85, memoryMiB: 0 } }),
  ];
  const p = (forecast: PlacementState['forecast']) => {
    const d = decidePlacement(state(zones, { forecast }), ask('gold', 1, 0), config(), probabilisticPolicy(settings, () => 1));
    return d.kind === 'rejected' || d.kind === 'overflow' ? d.probability : NaN;
  };
  const flat = p([]);
  const rising = p([{ horizon: '30m', resource: 'cpu', averageLoad: 7 }]); // +5 cores in 30 min
  const otherHorizon = p([{ horizon: '24h', resource: 'cpu', averageLoad: 50 }]);
  t.ok(rising < flat, `rising load: ${rising} < ${flat}`);
  t.equal(otherHorizon, flat, 'only the 30-minute forecast counts');
  t.equal(rising, grantProbability(0.12, 0, 3, 0.05, settings).probability, 'growth = forecast - current use, over the total');
});

t.test('rejected: the retry hint is shortened when the zone\'s first reservation runs out sooner', async (t) => {
  const zones = [zone('gold', 0, 2, 16384), zone('general', 3, 0, 0)];
  const totals = new Map([['gold', reserved(2, 0)]]);
  const deny = probabilisticPolicy(settings, () => 1);
  const hint = (earliestExpiry: number | null) => {
    const d = decidePlacement(state(zones, { totals, earliestExpiry }), ask('gold', 1), config({ overflowScope: 'zones' }), deny);
    return d.kind === 'rejected' ? d.retryAfterSeconds : NaN;
  };
  t.equal(hint(null), 60);
  t.equal(hint(NOW + 12_300), 13, 'rounded up to whole seconds');
  t.equal(hint(NOW + 10 * 60_000), 60, 'never more than configured');
  t.equal(hint(NOW + 10), 1, 'at least one second');
});

t.test('quota policy: overflow grants up to the zone\'s quota, then rejected', async (t) => {
  // gold: 10 cores, provisioned full; quota = 10 x 0.2 x weight(gold = 1) = 2 cores
  const zones = [zone('gold', 0, 10, 16384, { provisioned: { cpuCores: 10, memoryMiB: 0 } }), zone('general', 3, 0, 0)];
  const quota = quotaPolicy(settings);
  const inUse = (cpu: number) => new Map([['gold', reserved(cpu, 0, { cpuCores: cpu, memoryMiB: 0 })]]);
  const first = decidePlacement(state(zones, { totals: inUse(0) }), ask('gold', 2, 0), config({ overflowScope: 'zones' }), quota);
  t.equal(first.kind, 'overflow');
  t.equal(first.kind === 'overflow' && first.probability, 1);
  const second = decidePlacement(state(zones, { totals: inUse(2) }), ask('gold', 1, 0), config({ overflowScope: 'zones' }), quota);
  t.equal(second.kind, 'rejected', 'the quota is taken by the first grant');
  t.equal(second.kind === 'rejected' && second.overflow?.policy, 'quota');
  t.equal(second.kind === 'rejected' && second.probability, 0);
});

t.test('expected admission: requests and reservations at their app profile\'s charge', async (t) => {
  // silver: 4 cores, members use 1.8 at ratio 0.9: 2.2 cores of room by expected use
  const silver = zone('silver', 1, 4, 65536, { used: { cpuCores: 1.8, memoryMiB: 1024 }, provisioned: { cpuCores: 2, memoryMiB: 2048 }, useRatio: { cpu: 0.9, memory: 0.5 } });
  const zones = [silver, zone('general', 3, 0, 0)];
  const appProfiles = new Map([[appKey('acme', 'batch'), { cpu: 0.125, memory: 0.125, samples: 2016 }]]);
  const expected = config({ admission: 'expected', overflowScope: 'zones' });
  const deny = probabilisticPolicy(settings, () => 1);
  t.equal(decidePlacement(state(zones, { appProfiles }), ask('silver', 8, 1024, 'web'), expected, deny).kind, 'rejected', 'no profile: 8 x 0.9 = 7.2 cores');
  t.equal(decidePlacement(state(zones, { appProfiles }), ask('silver', 8, 1024, 'batch'), expected, unused).kind, 'placed', 'batch: 8 x 0.125 = 1 core');
  t.equal(decidePlacement(state(zones, { appProfiles }), ask('silver', 8, 1024, 'batch'), config({ admission: 'provisioned' }), deny).kind, 'rejected', 'provisioned admission ignores profiles');
  // two batch reservations (16 vCPUs) count at 2 cores, leaving 0.2
  const byApp: AppReservations[] = [{ zone: 'silver', tenant: 'acme', app: 'batch', reserved: { cpuCores: 16, memoryMiB: 2048 } }];
  const totals = new Map([['silver', reserved(16, 2048)]]);
  const s = state(zones, { appProfiles, byApp, totals });
  const free = freeRoom(admissionZones(s, expected.classes).find((z) => z.name === 'silver')!, 'expected');
  t.ok(Math.abs(free.cpuCores - 0.2) < 1e-9, `room left ${free.cpuCores}`);
  t.equal(decidePlacement(s, ask('silver', 1, 128, 'batch'), expected, unused).kind, 'placed', '0.125 of 0.2');
  t.equal(decidePlacement(s, ask('silver', 2, 128, 'batch'), expected, deny).kind, 'rejected', '0.25 of 0.2');
});

// --- property: a placed or borrowed request never over-commits the zone it is charged to

const NAMES = ['gold', 'silver', 'bronze', 'general'] as const;
const APPS = ['web', 'db', 'batch'] as const;
const res = (maxCpu: number, maxMem: number) => fc.record({ cpuCores: fc.integer({ min: 0, max: maxCpu }), memoryMiB: fc.integer({ min: 0, max: maxMem }) });
const ratio = fc.record({ cpu: fc.double({ min: 0.1, max: 1, noNaN: true }), memory: fc.double({ min: 0.1, max: 1, noNaN: true }) });

const zoneArb = (name: string, rank: number) =>
  fc
    .record({
      allocation: res(128, 131072),
      provisioned: res(64, 65536),
      used: res(64, 65536),
      exhausted: fc.boolean(),
      useRatio: fc.option(ratio, { nil: undefined }),
      forecastPeak: fc.option(res(64, 65536), { nil: undefined }),
      unmeasured: fc.option(res(16, 16384), { nil: undefined }),
    })
    .map((z): ZoneState => {
      const { useRatio, forecastPeak, unmeasured, ...rest } = z;
      return { ...zone(name, rank, 0, 0), ...rest, ...(useRatio ? { useRatio } : {}), ...(forecastPeak ? { forecastPeak } : {}), ...(unmeasured ? { unmeasured } : {}) };
    });

const reservationArb = fc.record({
  zone: fc.constantFrom(...NAMES),
  app: fc.constantFrom(...APPS),
  reserved: fc.record({ cpuCores: fc.integer({ min: 1, max: 16 }), memoryMiB: fc.integer({ min: 1, max: 16384 }) }),
});

const scenarioArb = fc.record({
  zones: fc.tuple(...NAMES.map((n, i) => zoneArb(n, i))),
  reservations: fc.array(reservationArb, { maxLength: 8 }),
  profiles: fc.dictionary(fc.constantFrom(...APPS), ratio, { maxKeys: 3 }),
  target: fc.constantFrom(...NAMES),
  app: fc.constantFrom(...APPS),
  request: fc.record({ cpuCores: fc.integer({ min: 1, max: 32 }), memoryMiB: fc.integer({ min: 1, max: 32768 }) }),
  admission: fc.constantFrom('provisioned' as const, 'expected' as const),
});

/** State with every active reservation in both views the store keeps of them (totals, by app). */
function stateOf(zones: ZoneState[], reservations: { zone: string; app: string; reserved: Resources }[], profiles: Record<string, { cpu: number; memory: number }>): PlacementState {
  const totals = new Map<string, ChargedTotals>();
  const byApp: AppReservations[] = [];
  for (const r of reservations) {
    const t = totals.get(r.zone) ?? reserved(0, 0);
    totals.set(r.zone, reserved(t.reserved.cpuCores + r.reserved.cpuCores, t.reserved.memoryMiB + r.reserved.memoryMiB));
    byApp.push({ zone: r.zone, tenant: 'acme', app: r.app, reserved: r.reserved });
  }
  const appProfiles = new Map(Object.entries(profiles).map(([app, p]) => [appKey('acme', app), { ...p, samples: 288 }]));
  return state(zones, { totals, byApp, appProfiles });
}

t.test('property: a placed or borrowed request never takes its charged zone past its allocation', async (t) => {
  let admitted = 0;
  fc.assert(
    fc.property(scenarioArb, (s) => {
      const cfg = config({ admission: s.admission });
      const before = stateOf(s.zones, s.reservations, s.profiles);
      const d = decidePlacement(before, { zone: s.target, tenant: 'acme', app: s.app, resources: s.request }, cfg, null);
      if (d.kind !== 'placed' && d.kind !== 'borrowed') return d.kind === 'rejected';
      admitted++;
      if (d.kind === 'placed' && d.chargeZone !== s.target) return false;
      if (d.kind === 'borrowed' && d.chargeZone === s.target) return false;
      // the zone's charged total with the new reservation in it, as the next decision counts it
      const after = stateOf(s.zones, [...s.reservations, { zone: d.chargeZone, app: s.app, reserved: s.request }], s.profiles);
      const charged = admissionZones(after, cfg.classes).find((z) => z.name === d.chargeZone)!;
      const left = freeRoom(charged, s.admission);
      return left.cpuCores >= -1e-9 && left.memoryMiB >= -1e-9;
    }),
    { numRuns: 2000 },
  );
  t.ok(admitted > 100, `enough admitted cases were checked (${admitted})`);
});
