// App profiles: the pure profile, the cache over a store, admission charging a request at
// its app's ratio (and its reservation at the same), the overflow scope — and the whole
// path over HTTP: a request of a light app placed where its class's ratio would not fit.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addSample, appKey, appProfileOf, appProfiles, emptyHistogram, histogramQuantile, ratioBucket, RATIO_BUCKETS, type UseHistogram } from '../../router/placement/app-profile.js';
import { AppProfileCache, histogramsOf } from '../../router/placement/app-profile-cache.js';
import { admit, expectedRoom, overflowView, unusedOf, type ZoneCapacity } from '../../router/placement/admission.js';
import { validateConfig } from '../../core/config/load.js';
import { Store } from '../../core/store/store.js';
import { readAppUseBuckets } from '../../core/store/app-use-reader.js';
import { call, removeDir, startHarness, zone } from './helpers.js';

const histogram = (cpu: number[], memory = cpu): UseHistogram => {
  const h = emptyHistogram();
  cpu.forEach((c, i) => addSample(h, c, memory[i]));
  return h;
};

t.test('histogram: 1% buckets, ratio 1 in the last, unmeasured left out', async (t) => {
  t.equal(ratioBucket(0), 0);
  t.equal(ratioBucket(0.0999), 9);
  t.equal(ratioBucket(0.1), 10, 'not lost to floating point');
  t.equal(ratioBucket(0.29), 29);
  t.equal(ratioBucket(1), RATIO_BUCKETS);
  t.equal(ratioBucket(3), RATIO_BUCKETS, 'above the size counts as the size');
  t.equal(ratioBucket(-1), 0);
  t.equal(ratioBucket(NaN), -1);
  const h = histogram([0.2, NaN], [0.2, 0.3]);
  t.equal(h.cpu.reduce((a, x) => a + x, 0), 1);
  t.equal(h.memory.reduce((a, x) => a + x, 0), 2);
});

t.test('appProfileOf: the quantile (bucket upper edge), bounded to [0.1, 1]; none with too few samples', async (t) => {
  const ten = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.9];
  t.same(appProfileOf(histogram(ten), 0.9, 10), { cpu: 0.46, memory: 0.46, samples: 10 }, 'nearest rank: the 9th of 10, 0.45, read as its bucket 0.45-0.46');
  t.same(appProfileOf(histogram(ten), 1, 10), { cpu: 0.91, memory: 0.91, samples: 10 });
  t.same(appProfileOf(histogram(ten), 0.5, 10), { cpu: 0.26, memory: 0.26, samples: 10 });
  t.equal(appProfileOf(histogram(ten), 0.9, 11), undefined, 'fewer samples than asked for: no profile');
  t.same(appProfileOf(histogram([0.01, 0.02, 0.03]), 0.9, 3), { cpu: 0.1, memory: 0.1, samples: 3 }, 'never below a tenth');
  t.same(appProfileOf(histogram([1, 1, 1]), 0.9, 3), { cpu: 1, memory: 1, samples: 3 }, 'never above the size');
  t.equal(appProfileOf(histogram([0.2, 0.2, NaN], [0.2, 0.2, 0.2]), 0.9, 3), undefined, 'a resource with too few measurements');
  t.ok(Number.isNaN(histogramQuantile(new Float64Array(RATIO_BUCKETS + 1), 0.9)), 'empty: NaN');
  const all = appProfiles(new Map([['a', histogram([0.2, 0.2])], ['b', histogram([0.5])]]), 0.9, 2);
  t.same([...all.keys()], ['a'], 'apps without enough samples are left out');
  t.equal(appKey('acme', 'web'), 'acme\u0000web');
});

t.test('histogramsOf: the store rows summed per app', async (t) => {
  const hs = histogramsOf([
    { key: 'a', cpuBucket: 10, memoryBucket: 20, count: 3 },
    { key: 'a', cpuBucket: null, memoryBucket: 20, count: 2 },
    { key: 'b', cpuBucket: 100, memoryBucket: null, count: 1 },
  ]);
  t.equal(hs.get('a')!.cpu[10], 3);
  t.equal(hs.get('a')!.memory[20], 5);
  t.equal(hs.get('b')!.cpu[100], 1);
  t.equal(hs.get('b')!.memory.reduce((x, y) => x + y, 0), 0);
});

t.test('AppProfileCache: reads the store once per interval, nothing when app history is off', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-app-'));
  t.teardown(() => removeDir(dir));
  const store = Store.open(join(dir, 'v.db'));
  t.teardown(() => store.close());
  const T0 = 1_700_000_100;
  for (let i = 0; i < 4; i++) {
    const ts = T0 + i * 300;
    store.recordTick(ts, [
      {
        sample: { vm: 'batch-1', uuid: 'u1', ts, cpuCores: 1, memoryMiB: 1024, vcpus: 8, memoryCurrentMiB: 8192, netRxBps: null, netTxBps: null, blockRdBps: null, blockWrBps: null },
        class: 'silver',
        tenant: 'acme',
        app: 'batch',
        vcpus: 8,
        memoryMiB: 8192,
      },
    ]);
  }
  store.closeBuckets(T0 + 4 * 300);
  let reads = 0;
  const source = (since: number, buckets: number) => (reads++, store.appUseBuckets(since, buckets));
  const clock = { now: (T0 + 4 * 300) * 1000 };
  let config = validateConfig({ router: { appMinSamples: 4 } }, 'test');
  const cache = new AppProfileCache(source, () => config, () => clock.now, 60_000);
  t.equal(cache.current().size, 0, 'nothing read yet: the first call answers at once and starts a read');
  await cache.refresh();
  t.equal(reads, 1, 'the call above started one read; refresh() shared it');
  t.same(cache.current().get(appKey('acme', 'batch')), { cpu: 0.13, memory: 0.13, samples: 4 }, '1 of 8 cores: 0.125, read as its bucket 0.12-0.13');
  t.equal(reads, 1, 'cached within the interval');
  clock.now += 60_000;
  t.ok(cache.current().has(appKey('acme', 'batch')), 'stale: the old profiles still answer');
  await cache.refresh();
  t.equal(reads, 2, 'and one read was started');
  config = validateConfig({ router: { appMinSamples: 4, appHistoryDays: 0 } }, 'test');
  clock.now += 60_000;
  t.equal(cache.current().size, 0, 'appHistoryDays 0: no profiles (a reloaded config applies at once)');
  t.equal(reads, 2, 'and no read');
  // a source that fails: reported, the profiles stay, retried at the next interval only
  config = validateConfig({ router: { appMinSamples: 4 } }, 'test');
  const errors: string[] = [];
  const failing = new AppProfileCache(() => Promise.reject(new Error('disk I/O error')), () => config, () => clock.now, 60_000, (e) => errors.push(e.message));
  failing.current();
  await t.rejects(failing.refresh(), /disk I\/O error/);
  t.same(errors, ['disk I/O error']);
  failing.current();
  t.equal(errors.length, 1, 'not retried within the interval');
});

t.test('readAppUseBuckets: the same rows from a worker thread over the database file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-app-w-'));
  t.teardown(() => removeDir(dir));
  const path = join(dir, 'v.db');
  const store = Store.open(path);
  t.teardown(() => store.close());
  const T0 = 1_700_000_100;
  store.recordTick(T0, [
    {
      sample: { vm: 'w-1', uuid: 'u1', ts: T0, cpuCores: 2, memoryMiB: 1024, vcpus: 4, memoryCurrentMiB: 4096, netRxBps: null, netTxBps: null, blockRdBps: null, blockWrBps: null },
      class: 'gold',
      tenant: 'acme',
      app: 'web',
      vcpus: 4,
      memoryMiB: 4096,
    },
  ]);
  store.closeBuckets(T0 + 300);
  const rows = await readAppUseBuckets(path, 0, 100);
  t.same(new Set(rows.map((r) => JSON.stringify(r))), new Set(store.appUseBuckets(0, 100).map((r) => JSON.stringify(r))), 'the same rows as the store gives directly');
  t.same(
    rows.sort((a, b) => (a.cpuBucket ?? 999) - (b.cpuBucket ?? 999)),
    [
      { key: appKey('acme', 'web'), cpuBucket: 50, memoryBucket: null, count: 1 },
      { key: appKey('acme', 'web'), cpuBucket: null, memoryBucket: 25, count: 1 },
    ],
  );
  await t.rejects(readAppUseBuckets(join(dir, 'missing.db'), 0, 100), /reading app history: database file not found/);
});

const cap = (name: string, rank: number, cpu: number, extra: Partial<ZoneCapacity> = {}): ZoneCapacity => ({
  name,
  rank,
  capacity: { cpuCores: cpu, memoryMiB: 8192 },
  provisioned: { cpuCores: 0, memoryMiB: 0 },
  used: { cpuCores: 0, memoryMiB: 0 },
  reserved: { cpuCores: 0, memoryMiB: 0 },
  exhausted: false,
  ...extra,
});

t.test('admission: the app ratio replaces the class ratio; reservations count at what they were charged', async (t) => {
  // 4 cores, class ratio 0.9: an 8-vCPU request is 7.2 cores by class, 1 core as an app at 0.125
  const silver = cap('silver', 1, 4, { useRatio: { cpu: 0.9, memory: 0.5 } });
  const req = { cpuCores: 8, memoryMiB: 1024 };
  t.equal(admit(req, [silver], 'expected').kind, 'full');
  t.same(admit(req, [silver], 'expected', { cpu: 0.125, memory: 0.125 }), { kind: 'fits', chargeZone: 'silver' });
  t.equal(admit(req, [silver], 'provisioned', { cpu: 0.125, memory: 0.125 }).kind, 'full', 'provisioned admission ignores use ratios');
  // two such reservations at 1 core each leave 2 cores; counted at the class ratio they would leave none
  const reserved = { cpuCores: 16, memoryMiB: 2048 };
  t.same(expectedRoom({ ...silver, reserved, reservedCharge: { cpuCores: 2, memoryMiB: 256 } }), { cpuCores: 2, memoryMiB: 8192 - 256 });
  t.same(expectedRoom({ ...silver, reserved }), { cpuCores: 4 - 16 * 0.9, memoryMiB: 8192 - 1024 });
});

t.test('overflow scope: the candidates, or every zone of the host', async (t) => {
  const gold = cap('gold', 0, 10, { used: { cpuCores: 2, memoryMiB: 1024 } });
  const bronze = cap('bronze', 2, 4, { used: { cpuCores: 4, memoryMiB: 4096 } });
  const general = cap('general', 3, 0);
  const full = admit({ cpuCores: 2, memoryMiB: 512 }, [bronze, general], 'expected');
  if (full.kind !== 'full') throw new Error('expected full');
  t.same(overflowView(full, [gold, bronze, general], 'zones'), { free: { cpuCores: 0, memoryMiB: 4096 + 8192 }, total: { cpuCores: 4, memoryMiB: 16384 } });
  t.same(overflowView(full, [gold, bronze, general], 'host'), { free: { cpuCores: 8, memoryMiB: 7168 + 4096 + 8192 }, total: { cpuCores: 14, memoryMiB: 24576 } });
  t.same(unusedOf([]), { free: { cpuCores: 0, memoryMiB: 0 }, total: { cpuCores: 0, memoryMiB: 0 } });
});

t.test('over HTTP: a light app is placed at its own ratio, and its reservations count at it', async (t) => {
  // silver: 4 cores, members measured at ratio 0.9 (one VM of 2 vCPUs using 1.8, so 2.2 cores of room)
  const silver = zone('silver', 1, 4, 65536, {
    used: { cpuCores: 1.8, memoryMiB: 1024 },
    provisioned: { cpuCores: 2, memoryMiB: 2048 },
    useRatio: { cpu: 0.9, memory: 0.5 },
    exhausted: true,
    vms: ['silver-1'],
  });
  const profiles = new Map([[appKey('acme', 'batch'), { cpu: 0.125, memory: 0.125, samples: 2016 }]]);
  let profileCalls = 0;
  const h = await startHarness({
    zones: [zone('gold', 0, 0, 0), silver, zone('bronze', 2, 0, 0), zone('general', 3, 0, 0)],
    config: { overflow: { policy: 'quota', threshold: 0 } },
    appProfiles: async () => (profileCalls++, profiles),
  });
  t.teardown(async () => {
    await h.close();
    removeDir(h.dir);
  });
  const place = (app: string, key: string) =>
    call(h, 'POST', '/v1/placements', { body: { tenant: 'acme', app, priority: 'silver', vcpus: 8, memoryMiB: 1024 }, key });
  // 8 vCPUs of an unknown app: 7.2 cores by the class ratio, no room, and no overflow quota
  const unknown = await place('web', 'key-web-1');
  t.equal(unknown.status, 429, unknown.text);
  // the same size of batch: 1 core each; two fit in 2.2 cores, the third does not
  const first = await place('batch', 'key-batch-1');
  t.equal(first.status, 201, first.text);
  t.equal(first.json.zone, 'silver');
  t.equal(first.json.overflow, false);
  t.equal((await place('batch', 'key-batch-2')).status, 201);
  const third = await place('batch', 'key-batch-3');
  t.equal(third.status, 429, 'the two reservations hold 2 of the 2.2 cores: charged at 1 core each, not 7.2');
  t.ok(profileCalls >= 4, 'the provider is asked per placement');
});

t.test('over HTTP: a provider that fails does not fail the placement (class ratio instead)', async (t) => {
  const h = await startHarness({
    zones: [zone('gold', 0, 8, 16384, { exhausted: false }), zone('general', 3, 8, 16384, { exhausted: false })],
    appProfiles: async () => {
      throw new Error('database is locked');
    },
  });
  t.teardown(async () => {
    await h.close();
    removeDir(h.dir);
  });
  const r = await call(h, 'POST', '/v1/placements', { body: { tenant: 'acme', app: 'batch', priority: 'gold', vcpus: 2, memoryMiB: 1024 }, key: 'key-fail-1' });
  t.equal(r.status, 201, r.text);
});

t.test('over HTTP: overflow.scope decides what free capacity the overflow manager sees', async (t) => {
  // silver is full and exhausted; gold has 10 idle cores. Host-wide the free share after
  // a 2-core grant is (10 - 2) / 14 > threshold 0.2 (p = 1); within silver it is 0 (p = 0).
  const zones = () => [
    zone('gold', 0, 10, 65536, { exhausted: false }),
    zone('silver', 1, 4, 65536, { used: { cpuCores: 4, memoryMiB: 1024 }, provisioned: { cpuCores: 4, memoryMiB: 2048 }, useRatio: { cpu: 1, memory: 0.5 }, vms: ['s-1'] }),
    zone('bronze', 2, 0, 0),
    zone('general', 3, 0, 0),
  ];
  for (const [scope, status] of [['host', 201], ['zones', 429]] as const) {
    const h = await startHarness({ zones: zones(), config: { overflow: { scope } } });
    const r = await call(h, 'POST', '/v1/placements', { body: { tenant: 'acme', app: 'web', priority: 'silver', vcpus: 2, memoryMiB: 1024 }, key: `scope-${scope}` });
    t.equal(r.status, status, `${scope}: ${r.text}`);
    if (status === 201) t.match(r.json, { overflow: true, probability: 1 });
    else t.match(r.json, { decision: 'rejected', probability: 0 });
    await h.close();
    removeDir(h.dir);
  }
});
