import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store, type VmObservation } from '../../core/store/store.js';
import type { Rollup } from '../../core/model/types.js';

const dir = mkdtempSync(join(tmpdir(), 'virtzone-store-test-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = (opts = {}) => Store.open(join(dir, `s${n++}.db`), opts);

const T0 = 1_700_000_100; // a bucket start (multiple of 300)

function obs(vm: string, ts: number, cpu: number | null, mem: number | null, extra: Partial<VmObservation> = {}): VmObservation {
  return {
    sample: { vm, uuid: `uuid-${vm}`, ts, cpuCores: cpu, memoryMiB: mem, vcpus: 2, memoryCurrentMiB: 4096, netRxBps: 100, netTxBps: 50, blockRdBps: null, blockWrBps: 10 },
    class: 'gold',
    tenant: null,
    app: null,
    vcpus: 2,
    memoryMiB: 4096,
    ...extra,
  };
}

t.test('migrations create the schema once; reopening keeps data', async (t) => {
  const path = join(dir, 'reopen.db');
  const s1 = Store.open(path);
  s1.recordTick(T0, [obs('a', T0, 1, 100)]);
  s1.close();
  const s2 = Store.open(path);
  t.equal(s2.counts().samples, 1);
  const v = (s2.db.prepare(`SELECT version FROM schema_version WHERE component = 'store'`).get() as { version: number }).version;
  t.equal(v, 1);
  t.equal(s2.db.pragma('journal_mode', { simple: true }), 'wal');
  s2.close();
});

t.test('recordTick writes samples, VM identity, latest usage and size history', async (t) => {
  const s = fresh();
  s.recordTick(T0, [obs('a', T0, 1, 100), obs('b', T0, 2, 200, { class: null })]);
  s.recordTick(T0 + 10, [obs('a', T0 + 10, 1.5, 150, { vcpus: 4, memoryMiB: 8192 })]);
  t.same(s.counts(), { vms: 2, samples: 3, rollups: 0, importedRollups: 0 });
  const a = s.getVm('a')!;
  t.same(
    [a.class, a.uuid, a.source, a.firstSeen, a.lastSeen, a.vcpus, a.memoryMiB, a.latest],
    ['gold', 'uuid-a', 'collector', T0, T0 + 10, 4, 8192, { ts: T0 + 10, cpuCores: 1.5, memoryMiB: 150 }],
  );
  t.same(s.vmSizes('a'), [
    { ts: T0, vcpus: 2, memoryMiB: 4096 },
    { ts: T0 + 10, vcpus: 4, memoryMiB: 8192 },
  ]);
  // an unknown size (null) keeps the last one and adds no history row
  s.recordTick(T0 + 20, [obs('a', T0 + 20, 1, 100, { vcpus: null, memoryMiB: null })]);
  t.equal(s.getVm('a')!.vcpus, 4);
  t.equal(s.vmSizes('a').length, 2);
  t.same(s.samplesOf('a').map((x) => x.cpuCores), [1, 1.5, 1]);
  t.equal(s.samplesOf('a')[0].blockRdBps, null);
  s.close();
});

t.test('closing a bucket rolls up per VM and per class (max of per-tick sums)', async (t) => {
  const s = fresh();
  // bucket T0: three ticks; a peaks at the first, b at the last
  const a = [4, 1, 1];
  const b = [1, 1, 4];
  for (let i = 0; i < 3; i++) {
    const ts = T0 + i * 10;
    const w = s.recordTick(ts, [obs('a', ts, a[i], 1000 + i * 100), obs('b', ts, b[i], 500), obs('c', ts, 0.5, 50, { class: null, tenant: 'acme', app: 'web' })]);
    t.equal(w.rollups, 0, 'bucket still open');
  }
  t.equal(s.listSeries().length, 0);
  // the next bucket's first tick closes T0
  const w = s.recordTick(T0 + 300, [obs('a', T0 + 300, 2, 1000)]);
  t.equal(w.rollups, 3 + 4, 'three VMs; class gold, class general (unclassified c), tenant acme, app web');
  const ra = s.readRollups('vm:a')[0];
  t.same(
    [ra.ts, ra.cpuMean, ra.cpuMax, ra.cpuP95, ra.memMean, ra.memMax, ra.memP95, ra.netBps, ra.diskBps, ra.samples],
    [T0, 2, 4, 4, 1100, 1200, 1200, 150, 10, 3],
  );
  const gold = s.readRollups('class:gold')[0];
  t.equal(gold.cpuMax, 5, 'max over ticks of a+b (5, 2, 5), not 4+4');
  t.equal(gold.cpuMean, 4);
  t.equal(gold.memMax, 1700);
  t.equal(gold.netBps, 300, 'two VMs at 150 B/s each');
  t.equal(s.readRollups('class:general')[0].cpuMax, 0.5);
  t.equal(s.readRollups('tenant:acme')[0].memMean, 50);
  t.equal(s.readRollups('app:web').length, 1);
  t.same(s.listClasses(), ['general', 'gold']);
  // closing is idempotent: the same or an earlier time closes nothing more
  t.equal(s.closeBuckets(T0 + 300), 0);
  t.equal(s.closeBuckets(T0 + 599), 0);
  // an idle gap of several buckets: only buckets with samples get rollups
  t.equal(s.closeBuckets(T0 + 3000), 2, 'bucket T0+300: vm:a and class:gold only');
  t.same(s.readRollups('vm:a').map((r) => r.ts), [T0, T0 + 300]);
  s.close();
});

t.test('rollups of the same tick data written twice replace, not duplicate', async (t) => {
  const s = fresh();
  const r: Rollup = { series: 'vm:x', ts: T0, cpuMean: 1, cpuMax: 2, cpuP95: 2, memMean: 3, memMax: 4, memP95: 4, netBps: NaN, diskBps: 0, samples: 5 };
  s.writeRollups([r], 'import');
  s.writeRollups([{ ...r, cpuMean: 9 }], 'import');
  const back = s.readRollups('vm:x');
  t.equal(back.length, 1);
  t.equal(back[0].cpuMean, 9);
  t.ok(Number.isNaN(back[0].netBps), 'NaN stored as NULL, read back as NaN');
  s.close();
});

t.test('bulk writes (more than one chunk) and typed-array reads agree', async (t) => {
  const s = fresh();
  const rows: Rollup[] = Array.from({ length: 1000 }, (_, i) => ({
    series: 'class:gold', ts: T0 + i * 300, cpuMean: i, cpuMax: i + 1, cpuP95: i + 0.5, memMean: 2 * i, memMax: 2 * i + 1, memP95: 2 * i, netBps: i, diskBps: i, samples: 30,
  }));
  t.equal(s.writeRollups(rows, 'collector'), 1000);
  const arr = s.readRollupArrays('class:gold', T0 + 300 * 10, T0 + 300 * 20);
  t.equal(arr.ts.length, 10);
  t.same(Array.from(arr.cpuMean), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  t.same(Array.from(arr.memMax), [21, 23, 25, 27, 29, 31, 33, 35, 37, 39]);
  t.equal(arr.ts[0], T0 + 3000);
  const objs = s.readRollups('class:gold', T0 + 300 * 10, T0 + 300 * 20);
  t.same(objs.map((r) => r.cpuMean), Array.from(arr.cpuMean));
  t.equal(s.readRollupArrays('class:none').ts.length, 0);
  t.same(s.readRollups('class:none'), []);
  t.same(s.listSeries('class:'), [{ series: 'class:gold', rollups: 1000, from: T0, until: T0 + 999 * 300 }]);
  s.close();
});

t.test('retention deletes old raw samples and collector rollups, never imported history unless asked', async (t) => {
  const s = fresh({ rawRetentionHours: 48, rollupRetentionDays: 90 });
  const now = T0 + 200 * 86_400;
  const H = 3600;
  // raw samples: 50 h old, 47 h old
  s.recordTick(now - 50 * H, [obs('a', now - 50 * H, 1, 1)]);
  s.recordTick(now - 47 * H, [obs('a', now - 47 * H, 1, 1)]);
  const day = 86_400;
  const mk = (series: string, ts: number): Rollup => ({ series, ts, cpuMean: 1, cpuMax: 1, cpuP95: 1, memMean: 1, memMax: 1, memP95: 1, netBps: 0, diskBps: 0, samples: 1 });
  const before = s.counts().rollups; // the 50 h bucket was closed by the 47 h tick
  s.writeRollups([mk('vm:live', now - 100 * day), mk('vm:live', now - 91 * day), mk('vm:live', now - 89 * day)], 'collector');
  s.writeRollups([mk('vm:old-import', now - 180 * day), mk('vm:old-import', now - 95 * day)], 'import');
  const r = s.runRetention(now);
  t.same(r, { samplesDeleted: 1, rollupsDeleted: 2, complete: true });
  t.same(s.samplesOf('a').map((x) => x.ts), [now - 47 * H]);
  t.same(s.readRollups('vm:live').map((x) => x.ts), [now - 89 * day]);
  t.equal(s.readRollups('vm:old-import').length, 2, 'imported history kept');
  t.equal(s.counts().rollups, before + 1 + 2, 'the closed bucket of a (50 h old) is within 90 days');
  t.same(s.runRetention(now), { samplesDeleted: 0, rollupsDeleted: 0, complete: true });
  const all = s.runRetention(now, { includeImported: true });
  t.equal(all.rollupsDeleted, 2);
  t.equal(s.readRollups('vm:old-import').length, 0);
  s.close();
});

t.test('retention works in bounded batches', async (t) => {
  const s = fresh({ rawRetentionHours: 1 });
  const now = T0 + 100_000;
  for (let i = 0; i < 25; i++) s.recordTick(T0 + i, [obs('a', T0 + i, 1, 1), obs('b', T0 + i, 1, 1)]);
  const r1 = s.runRetention(now, { batchSize: 10, maxBatches: 2 });
  t.same(r1, { samplesDeleted: 20, rollupsDeleted: 0, complete: false });
  const r2 = s.runRetention(now, { batchSize: 10, maxBatches: 100 });
  t.equal(r2.samplesDeleted, 30);
  t.ok(r2.complete);
  t.equal(s.counts().samples, 0);
  s.close();
});

t.test('openReadOnly: missing file, foreign database, and reading a live store', async (t) => {
  t.throws(() => Store.openReadOnly(join(dir, 'nope.db')), { name: 'StoreError', kind: 'missing-file', message: /not found: .*nope\.db/ });
  const foreign = join(dir, 'foreign.db');
  const db = new Database(foreign);
  db.exec('CREATE TABLE x (a)');
  db.close();
  t.throws(() => Store.openReadOnly(foreign), { name: 'StoreError', kind: 'not-a-store', message: /not a virtzone database/ });
  const junk = join(dir, 'junk.db');
  writeFileSync(junk, 'this is not sqlite at all, just text that is long enough to have a header.......');
  t.throws(() => Store.openReadOnly(junk), { name: 'StoreError' });
  const path = join(dir, 'live.db');
  const w = Store.open(path);
  w.recordTick(T0, [obs('a', T0, 1, 1)]);
  const r = Store.openReadOnly(path);
  t.same(r.listVms().map((v) => v.name), ['a']);
  w.recordTick(T0 + 10, [obs('b', T0 + 10, 1, 1)]);
  t.same(r.listVms().map((v) => v.name), ['a', 'b'], 'sees the writer’s commits (WAL)');
  r.close();
  w.close();
});

t.test('VMs list in natural name order', async (t) => {
  const s = fresh();
  s.recordTick(T0, ['vm-10', 'vm-9', 'vm-100', 'alpha'].map((v) => obs(v, T0, 1, 1)));
  t.same(s.listVms().map((v) => v.name), ['alpha', 'vm-9', 'vm-10', 'vm-100']);
  s.close();
});

t.test('rollups from memory (the open bucket) equal rollups from the samples table', async (t) => {
  const path = join(dir, 'memory-vs-sql.db');
  const live = Store.open(path);
  const rnd = mulberry32(7);
  const vms = ['a', 'b', 'c', 'd', 'e'];
  const classes = ['gold', 'gold', 'silver', null, 'silver'];
  const tick = (s: Store, ts: number) =>
    s.recordTick(ts, vms.map((v, i) => obs(v, ts, rnd() < 0.1 ? null : rnd() * 4, rnd() * 4096, { class: classes[i], tenant: i % 2 ? 'acme' : null, app: 'web' })));
  for (let i = 0; i < 30; i++) tick(live, T0 + i * 10);
  live.recordTick(T0 + 300, []); // nothing observed, but time moves on: closes T0 from memory
  const fromMemory = live.readRollups('class:gold').concat(live.readRollups('vm:c'), live.readRollups('tenant:acme'), live.readRollups('class:general'));
  t.equal(fromMemory.length, 4);
  // the same samples rolled up again from the table
  live.db.prepare(`DELETE FROM rollups`).run();
  live.db.prepare(`DELETE FROM store_state`).run();
  live.close();
  const again = Store.open(path);
  t.equal(again.closeBuckets(T0 + 300), 5 + 5 - 1 + 1, 'five VMs; gold, silver, general, acme, web');
  const fromTable = again.readRollups('class:gold').concat(again.readRollups('vm:c'), again.readRollups('tenant:acme'), again.readRollups('class:general'));
  t.same(fromTable, fromMemory);
  again.close();
});

t.test('a restart in the middle of a bucket still rolls up all of its ticks', async (t) => {
  const path = join(dir, 'restart.db');
  const before = Store.open(path);
  before.recordTick(T0, [obs('a', T0, 1, 100)]);
  before.recordTick(T0 + 10, [obs('a', T0 + 10, 2, 100)]);
  before.close();
  const after = Store.open(path);
  after.recordTick(T0 + 20, [obs('a', T0 + 20, 6, 100)]);
  after.recordTick(T0 + 300, [obs('a', T0 + 300, 1, 100)]);
  const r = after.readRollups('vm:a');
  t.equal(r.length, 1);
  t.same([r[0].samples, r[0].cpuMean, r[0].cpuMax], [3, 3, 6]);
  after.close();
});

t.test('two ticks in the same second: the sample is replaced and counted once', async (t) => {
  const s = fresh();
  s.recordTick(T0, [obs('a', T0, 1, 100)]);
  s.recordTick(T0 + 5, [obs('a', T0 + 5, 2, 100)]);
  s.recordTick(T0 + 5, [obs('a', T0 + 5, 4, 100)]);
  s.recordTick(T0 + 300, [obs('a', T0 + 300, 1, 100)]);
  const r = s.readRollups('vm:a')[0];
  t.same([r.samples, r.cpuMean, r.cpuMax], [2, 2.5, 4]);
  t.equal(s.readRollups('class:gold')[0].cpuMax, 4);
  s.close();
});

function mulberry32(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

t.test('appUseBuckets: per tenant and app, use over the largest size each VM has had, counted per ratio bucket', async (t) => {
  const s = fresh();
  t.teardown(() => s.close());
  const ts = (i: number) => T0 + i * 300;
  // web-1 (acme/web): 2 vCPUs, 4096 MiB, shrunk to 1 vCPU by the auto-scaler in the last tick; web-2 the same app
  for (let i = 0; i < 3; i++) {
    s.recordTick(ts(i), [
      obs('web-1', ts(i), 0.5, 1024, { tenant: 'acme', app: 'web', vcpus: i === 2 ? 1 : 2 }),
      obs('web-2', ts(i), 1, 2048, { tenant: 'acme', app: 'web' }),
      obs('db-1', ts(i), 3, 4096, { tenant: 'acme', app: 'db' }), // 3 cores busy on 2 vCPUs (steal): counted as the size
      obs('quiet', ts(i), null, 512, { tenant: 'acme', app: 'quiet' }), // CPU not measured
      obs('loose', ts(i), 2, 4096), // no tenant or app: nobody's app
      obs('other-web', ts(i), 2, 4096, { tenant: 'other', app: 'web' }),
    ]);
  }
  s.closeBuckets(ts(3));
  const rows = s.appUseBuckets(0, 100).sort((a, b) => a.key.localeCompare(b.key) || (a.cpuBucket ?? 999) - (b.cpuBucket ?? 999) || (a.memoryBucket ?? 999) - (b.memoryBucket ?? 999));
  t.same(rows, [
    { key: 'acme\u0000db', cpuBucket: 100, memoryBucket: null, count: 3 },
    { key: 'acme\u0000db', cpuBucket: null, memoryBucket: 100, count: 3 },
    { key: 'acme\u0000quiet', cpuBucket: null, memoryBucket: 12, count: 3 }, // CPU not measured: no CPU row
    // web-1 uses 0.5 of its largest size 2 (not of the 1 it was shrunk to); web-2 1 of 2
    { key: 'acme\u0000web', cpuBucket: 25, memoryBucket: null, count: 3 },
    { key: 'acme\u0000web', cpuBucket: 50, memoryBucket: null, count: 3 },
    { key: 'acme\u0000web', cpuBucket: null, memoryBucket: 25, count: 3 },
    { key: 'acme\u0000web', cpuBucket: null, memoryBucket: 50, count: 3 },
    { key: 'other\u0000web', cpuBucket: 100, memoryBucket: null, count: 3 },
    { key: 'other\u0000web', cpuBucket: null, memoryBucket: 100, count: 3 },
  ]);
  t.equal(
    s.appUseBuckets(ts(2), 100).filter((r) => r.key === 'acme\u0000web' && r.cpuBucket !== null).reduce((a, r) => a + r.count, 0),
    2,
    'only rollups since the given time',
  );
  t.same(s.appUseBuckets(0, 10).find((r) => r.key === 'acme\u0000web' && r.cpuBucket === 2), { key: 'acme\u0000web', cpuBucket: 2, memoryBucket: null, count: 3 }, 'coarser buckets: 0.25 in bucket 2 of 10');
});

t.test('memoryPeaks: each VM\'s highest 5-minute memory maximum since a time; null when first seen after it', async (t) => {
  const s = fresh();
  t.teardown(() => s.close());
  const ts = (i: number) => T0 + i * 300;
  for (let i = 0; i < 4; i++) {
    const obsNow = [obs('old', ts(i), 1, [1000, 3000, 2000, 1500][i])];
    if (i >= 2) obsNow.push(obs('new', ts(i), 1, 500));
    s.recordTick(ts(i), obsNow);
  }
  s.closeBuckets(ts(4));
  t.same(Object.fromEntries(s.memoryPeaks(T0)), { old: 3000, new: null }, 'new was first seen after the window began');
  t.same(Object.fromEntries(s.memoryPeaks(ts(2))), { old: 2000, new: 500 }, 'a later window: its own peaks, and new is old enough');
  t.same(Object.fromEntries(s.memoryPeaks(ts(9))), {}, 'no rollups in the window: left out');
});
