import t from 'tap';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../core/store/store.js';
import { importBitbrains, shiftToNowSeconds, assignClasses, WEEK_SECONDS, ImportError } from '../../core/trace/import.js';
import { readBitbrainsFile, parseBitbrainsLine } from '../../core/trace/bitbrains.js';
import { makeQuirkyTrace, B0, HEADER, row, B } from './quirky-trace.js';

const work = mkdtempSync(join(tmpdir(), 'virtzone-import-test-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const fresh = () => Store.open(join(work, `i${n++}.db`));
const CLASSES = ['gold', 'silver', 'bronze'];
// the real traces, next to the work tree (../shared/traces, see DESIGN.md)
const REAL = new URL('../../../shared/traces/bitbrains-rnd', import.meta.url).pathname;

t.test('import of a folder with every quirk: exact counts and values', async (t) => {
  const dir = makeQuirkyTrace(work);
  const store = fresh();
  const r = await importBitbrains(store, { dir, classes: CLASSES });
  t.equal(r.vms, 2);
  t.equal(r.files, 3, 'two months of VM 1 (.csv.gz) and VM 2 (.csv); README.txt ignored');
  t.equal(r.rowsRead, 14);
  t.equal(r.rowsRejected, 4);
  t.equal(r.rowsMerged, 2, 'a repeated timestamp and two rows in one bucket');
  t.equal(r.rowsStored, 8);
  t.equal(r.rowsRead - r.rowsRejected - r.rowsMerged, r.rowsStored);
  t.equal(r.classRollupsStored, 8, 'gold: 5 buckets of VM 1, silver: 3 of VM 2');
  t.same(
    r.rejected.map((x) => [x.reason, x.count, x.example]),
    [
      ['expected 11 fields, found 3', 1, '2013-7/1.csv.gz:5'],
      ['field 4 (CPU usage [MHZ]) is not a number', 1, '2013-7/1.csv.gz:6'],
      ['no CPU provisioned (0 cores or 0 MHz capacity)', 1, '2013-7/1.csv.gz:8'],
      ['VM not provisioned (0 cores, 0 MHz, 0 KB memory)', 1, '2013-7/1.csv.gz:7'],
    ],
    'one line per reason, most frequent first, then by name; file:line of the first',
  );
  t.same(r.classes, { gold: ['bitbrains-1'], silver: ['bitbrains-2'] });
  t.equal(r.shiftSeconds, 0);
  t.equal(r.from, B0);
  t.equal(r.until, B0 + 8 * 300);

  const h1 = store.history('bitbrains-1');
  t.same(h1.map((x) => (x.ts - B0) / 300), [0, 1, 6, 7, 8], 'floored onto the grid; the gap stays a gap');
  t.same(h1.map((x) => x.cpuMean), [0.5, 2.0, 0, 1.0, 1.0], '125 % kept; duplicates averaged');
  t.same(h1.map((x) => x.memMean), [1024, 1536, 0, 2048, 1024]);
  for (const x of h1) {
    t.equal(x.cpuMax, x.cpuMean);
    t.equal(x.cpuP95, x.cpuMean);
    t.equal(x.samples, 1);
  }
  t.equal(h1[0].netBps, 7 * 1024, '(rx 3 + tx 4) KB/s');
  t.equal(h1[0].diskBps, 3 * 1024, '(read 1 + write 2) KB/s');

  const vm1 = store.getVm('bitbrains-1')!;
  t.same([vm1.class, vm1.source, vm1.vcpus, vm1.memoryMiB, vm1.firstSeen, vm1.lastSeen], ['gold', 'import', 4, 8192, B0, B0 + 2400]);
  t.same(vm1.latest, { ts: B0 + 2400, cpuCores: 1, memoryMiB: 1024 });
  t.same(store.vmSizes('bitbrains-1'), [
    { ts: B0, vcpus: 2, memoryMiB: 4096 },
    { ts: B0 + 7 * 300, vcpus: 4, memoryMiB: 8192 },
  ]);

  const gold = store.readRollups('class:gold');
  const silver = store.readRollups('class:silver');
  t.equal(gold.length, 5);
  t.same(silver.map((x) => x.cpuMean), [0.5, 1, 1]);
  t.same(silver.map((x) => x.memMax), [512, 512, 512]);

  // imported history survives retention however old it is
  const res = store.runRetention(B0 + 10 * 365 * 86_400);
  t.equal(res.rollupsDeleted, 0);
  t.equal(store.counts().importedRollups, 16);

  // importing again replaces, it does not add
  const again = await importBitbrains(store, { dir, classes: CLASSES });
  t.equal(again.rowsStored, 8);
  t.equal(store.counts().rollups, 16);
  store.close();
});

t.test('one class for all: class rollups are sums over the buckets where VMs have data', async (t) => {
  const dir = makeQuirkyTrace(work);
  const store = fresh();
  const r = await importBitbrains(store, { dir, classes: CLASSES, classForAll: 'gold' });
  t.same(r.classes, { gold: ['bitbrains-1', 'bitbrains-2'] });
  const gold = store.readRollups('class:gold');
  t.same(gold.map((x) => (x.ts - B0) / 300), [0, 1, 2, 6, 7, 8]);
  t.same(gold.map((x) => x.cpuMean), [1.0, 3.0, 1.0, 0, 1.0, 1.0]);
  t.same(gold.map((x) => x.memMean), [1536, 2048, 512, 0, 2048, 1024]);
  t.equal(r.classRollupsStored, 6);
  store.close();
});

t.test('class assignment: round-robin by numeric id, --class-of wins', async (t) => {
  const m = assignClasses(['10', '2', '1', '33', '4'], { classes: CLASSES });
  t.same([...m.entries()], [['1', 'gold'], ['2', 'silver'], ['4', 'bronze'], ['10', 'gold'], ['33', 'silver']]);
  const o = assignClasses(['1', '2', '3'], { classes: CLASSES, classForAll: 'bronze', classOf: new Map([['2', 'gold']]) });
  t.same([...o.values()], ['bronze', 'gold', 'bronze']);
  const dir = makeQuirkyTrace(work);
  await t.rejects(importBitbrains(fresh(), { dir, classes: CLASSES, classOf: new Map([['999', 'gold']]) }), { name: 'ImportError', message: /--class-of: no VM with id 999/ });
});

t.test('--shift-to-now moves by whole weeks so the trace ends in the last 7 days', async (t) => {
  const now = Date.UTC(2026, 10, 28, 12, 34, 56) / 1000;
  for (const last of [B0, B0 + 300, now - 7 * 86_400, now - 300, now - 299]) {
    const s = shiftToNowSeconds(last, now);
    t.equal(s % WEEK_SECONDS, 0, 'whole weeks');
    t.ok(last + s + 300 <= now, 'the last bucket is complete by now');
    t.ok(last + s + 300 > now - WEEK_SECONDS, 'and within the last 7 days');
  }
  const dir = makeQuirkyTrace(work);
  const store = fresh();
  const r = await importBitbrains(store, { dir, classes: CLASSES, shiftToNow: true, now });
  t.equal(r.shiftSeconds % WEEK_SECONDS, 0);
  t.ok(r.shiftSeconds > 0);
  t.equal(r.until, B0 + 8 * 300 + r.shiftSeconds);
  t.ok(r.until! + 300 <= now && r.until! > now - WEEK_SECONDS);
  const h = store.history('bitbrains-1');
  t.same(h.map((x) => (x.ts - B0 - r.shiftSeconds) / 300), [0, 1, 6, 7, 8], 'every bucket moved by the same shift');
  t.equal(new Date(h[0].ts * 1000).getUTCDay(), new Date(B0 * 1000).getUTCDay(), 'weekday kept');
  t.equal(h[0].ts % 86_400, B0 % 86_400, 'time of day kept');
  t.equal(store.getVm('bitbrains-1')!.lastSeen, r.until);
  t.same(store.vmSizes('bitbrains-1').map((x) => x.ts - r.shiftSeconds), [B0, B0 + 7 * 300]);
  store.close();
});

t.test('missing folder and folder without traces are ImportErrors', async (t) => {
  await t.rejects(importBitbrains(fresh(), { dir: join(work, 'nope'), classes: CLASSES }), { name: 'ImportError', message: /trace folder not found/ });
  const empty = join(work, 'empty');
  mkdirSync(empty);
  writeFileSync(join(empty, 'x.txt'), 'x');
  await t.rejects(importBitbrains(fresh(), { dir: empty, classes: CLASSES }), ImportError);
});

t.test('a truncated gzip keeps the rows before the damage and reports it', async (t) => {
  const dir = mkdtempSync(join(work, 'virtzone-trunc-'));
  const lines = [HEADER];
  for (let i = 0; i < 2000; i++) lines.push(row(B + i * 300, 2, 4000, 1000 + (i % 7) * 100, 4194304, 1048576 + i));
  const gz = gzipSync(lines.join('\n') + '\n');
  writeFileSync(join(dir, '5.csv.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
  const f = await readBitbrainsFile(join(dir, '5.csv.gz'));
  t.ok(f.rows.length > 100 && f.rows.length < 2000, `kept ${f.rows.length} rows`);
  t.equal(f.rejected.length, 1);
  t.match(f.rejected[0].reason, /^unreadable: /);
  // the rows kept are the file's first rows, intact
  t.same(f.rows.map((r) => r.ts), Array.from({ length: f.rows.length }, (_, i) => B + i * 300));
  t.equal(f.rows.at(-1)!.memUsageKiB, 1048576 + f.rows.length - 1);
  const store = fresh();
  const r = await importBitbrains(store, { dir, classes: CLASSES });
  t.equal(r.rowsStored, f.rows.length);
  t.equal(r.rejected[0].count, 1);
  t.match(r.rejected[0].reason, /^unreadable/);
  store.close();
});

t.test('reader: header names in reasons, exponents, negative values', async (t) => {
  const r = parseBitbrainsLine('1372629804;\t1;\t2399.9;\t2126.3;\t88.6;\t2.097152E7;\t548054.1;\t7.0;\t308.1;\t273.4;\t21.3');
  t.equal(typeof r === 'object' && r.memProvisionedKiB, 20971520);
  t.equal(parseBitbrainsLine('1372629804;\t1;\t2399.9;\t-5;\t88.6;\t1;\t1;\t0;\t0;\t0;\t0'), 'field 4 (CPU usage [MHZ]) is negative: -5');
  t.equal(parseBitbrainsLine('1372629804;\t1;\t;\t5;\t88.6;\t1;\t1;\t0;\t0;\t0;\t0'), 'field 3 (CPU capacity provisioned [MHZ]) is empty');
  t.equal(parseBitbrainsLine('12;\t1;\t1;\t5;\t88.6;\t1;\t1;\t0;\t0;\t0;\t0'), 'timestamp out of range: 12');
  t.equal(parseBitbrainsLine('1372629804;\t1;\t1;\t5;\t88.6;\t1;\t1;\t0;\t0;\t0;\t0;\t9'), 'expected 11 fields, found 12');
  t.equal(parseBitbrainsLine('1372629804;\t1;\t1;\t5;\t88.6;\t1;\t1;\t0;\t0;\t0'), 'expected 11 fields, found 10');
  t.equal(parseBitbrainsLine('1372629804;\t1;\t1;\t5;\t88.6;\t1;\t1;\t0;\t0;\t0;\t \t'), 'field 11 (Network transmitted throughput [KB/s]) is empty');
  t.match(parseBitbrainsLine('1372629804;\t1;\t1;\t5x;\t88.6;\t1;\t1;\t0;\t0;\t0;\t0'), /field 4 \(CPU usage \[MHZ\]\) is not a number: "5x"/);
});

t.test('reader: the fast number parser is bit-identical to Number()', async (t) => {
  const cases = ['0', '0.0', '7.0', '2399.999679', '548054.1333333333', '21.333333333333332', '2.097152E7', '1e-7', '123456789012345', '1234567890123456', '0.000000000000001', '99999999999.99999', '3143680.0'];
  for (const c of cases) {
    const r = parseBitbrainsLine(`1372629804;\t1;\t1;\t${c};\t1;\t1;\t1;\t0;\t0;\t0;\t0`);
    t.equal(typeof r === 'object' && r.usageMhz, Number(c), c);
  }
  if (!existsSync(REAL)) return;
  const { gunzipSync } = await import('node:zlib');
  const { readFileSync } = await import('node:fs');
  const lines = gunzipSync(readFileSync(join(REAL, '2013-7', '407.csv.gz'))).toString('utf8').split('\n').slice(1).filter(Boolean);
  let mismatches = 0;
  for (const line of lines) {
    const r = parseBitbrainsLine(line);
    if (typeof r === 'string') continue;
    const ref = line.split(';').map(Number);
    const got = [r.ts, r.cores, r.capacityMhz, r.usageMhz, r.usagePct, r.memProvisionedKiB, r.memUsageKiB, r.diskReadKBps, r.diskWriteKBps, r.netRxKBps, r.netTxKBps];
    if (got.some((v, i) => !Object.is(v, ref[i]))) mismatches++;
  }
  t.equal(mismatches, 0, `${lines.length} real rows parsed exactly`);
});

t.test('the real Bitbrains folder imports (when present) and bitbrains-407 has its series', { skip: !existsSync(REAL) && `no ${REAL} here` }, async (t) => {
  const store = fresh();
  const r = await importBitbrains(store, { dir: REAL, classes: CLASSES });
  t.equal(r.vms, 32);
  t.equal(r.rowsRead, 835_784);
  t.equal(r.rowsRead - r.rowsRejected - r.rowsMerged, r.rowsStored);
  t.ok(r.rowsStored > 780_000, `stored ${r.rowsStored}`);
  const h = store.history('bitbrains-407');
  t.ok(h.length > 25_000, `${h.length} rollups`);
  t.ok(h.every((x, i) => i === 0 || x.ts > h[i - 1].ts));
  t.ok(h.every((x) => x.ts % 300 === 0 && Number.isFinite(x.cpuMean) && x.cpuMean >= 0));
  store.close();
});

