import t from 'tap';
import { collectSamples, computeSample, memoryInUseMiB, type StatsSnapshot } from '../../collector/sample.js';
import type { DomainStats } from '../../core/host/types.js';

const GiB = 1024 * 1024; // KiB

function stats(over: Partial<DomainStats> = {}): DomainStats {
  return {
    name: 'web1',
    uuid: '11111111-1111-1111-1111-111111111111',
    state: 'running',
    cpuTimeNs: 0n,
    vcpuCurrent: 2,
    vcpuMaximum: 4,
    balloon: { currentKiB: 4 * GiB, maximumKiB: 8 * GiB, unusedKiB: 1 * GiB, rssKiB: 5 * GiB },
    netRxBytes: 0n,
    netTxBytes: 0n,
    blockRdBytes: 0n,
    blockWrBytes: 0n,
    raw: {},
    ...over,
  };
}
const snap = (t: number, s: DomainStats): StatsSnapshot => ({ t, stats: s });

t.test('rates from deltas, hand-computed', async (t) => {
  const a = snap(1_700_000_000_000, stats({ cpuTimeNs: 100_000_000_000n, netRxBytes: 1_000n, netTxBytes: 5_000n, blockRdBytes: 0n, blockWrBytes: 10_000n }));
  // 10 s later: 15 s of CPU time more -> 1.5 cores
  const b = snap(1_700_000_010_000, stats({ cpuTimeNs: 115_000_000_000n, netRxBytes: 11_000n, netTxBytes: 5_500n, blockRdBytes: 40_960n, blockWrBytes: 10_000n }));
  const s = computeSample(a, b);
  t.equal(s.cpuCores, 1.5);
  t.equal(s.netRxBps, 1000);
  t.equal(s.netTxBps, 50);
  t.equal(s.blockRdBps, 4096);
  t.equal(s.blockWrBps, 0);
  t.equal(s.memoryMiB, 3072, 'balloon.current 4 GiB − unused 1 GiB');
  t.equal(s.memoryCurrentMiB, 4096);
  t.equal(s.vcpus, 2);
  t.equal(s.ts, 1_700_000_010);
  t.equal(s.vm, 'web1');
});

t.test('64-bit counters beyond 2^53 keep their precision', async (t) => {
  const base = 2n ** 60n;
  const s = computeSample(snap(0, stats({ cpuTimeNs: base })), snap(2000, stats({ cpuTimeNs: base + 1_000_000_001n })));
  t.equal(s.cpuCores, 1_000_000_001 / 1e9 / 2);
});

t.test('the first snapshot is a baseline: no rates, memory still measured', async (t) => {
  const s = computeSample(undefined, snap(1000, stats({ cpuTimeNs: 5n })));
  t.equal(s.cpuCores, null);
  t.equal(s.netRxBps, null);
  t.equal(s.blockWrBps, null);
  t.equal(s.memoryMiB, 3072);
});

t.test('a CPU counter going backwards (restart) starts a new baseline, never negative', async (t) => {
  const a = snap(0, stats({ cpuTimeNs: 900_000_000_000n, netRxBytes: 10n ** 12n }));
  const b = snap(10_000, stats({ cpuTimeNs: 2_000_000_000n, netRxBytes: 10n ** 12n + 5_000n }));
  const s = computeSample(a, b);
  t.equal(s.cpuCores, null);
  t.equal(s.netRxBps, null, 'every rate restarts with the VM');
  // and the tick after compares with the new baseline
  const c = snap(20_000, stats({ cpuTimeNs: 7_000_000_000n, netRxBytes: 10n ** 12n + 15_000n }));
  const s2 = computeSample(b, c);
  t.equal(s2.cpuCores, 0.5);
  t.equal(s2.netRxBps, 1000);
});

t.test('a uuid change (same name, another domain) starts a new baseline', async (t) => {
  const a = snap(0, stats({ cpuTimeNs: 1_000_000_000n }));
  const b = snap(10_000, stats({ uuid: '22222222-2222-2222-2222-222222222222', cpuTimeNs: 50_000_000_000n }));
  t.equal(computeSample(a, b).cpuCores, null);
});

t.test('time not advancing gives no rate', async (t) => {
  const a = snap(10_000, stats({ cpuTimeNs: 1n }));
  const b = snap(10_000, stats({ cpuTimeNs: 5_000_000_000n }));
  t.equal(computeSample(a, b).cpuCores, null);
});

t.test('a single I/O counter going back nulls only that rate', async (t) => {
  const a = snap(0, stats({ cpuTimeNs: 0n, netRxBytes: 50_000n, blockRdBytes: 0n }));
  const b = snap(10_000, stats({ cpuTimeNs: 10_000_000_000n, netRxBytes: 10_000n, blockRdBytes: 1_000n }));
  const s = computeSample(a, b);
  t.equal(s.cpuCores, 1);
  t.equal(s.netRxBps, null);
  t.equal(s.blockRdBps, 100);
});

t.test('implausibly huge rates become null', async (t) => {
  // 4 vCPUs max: 100 cores worth of CPU time in 1 s is a bad baseline, not load
  const a = snap(0, stats({ cpuTimeNs: 0n, netTxBytes: 0n }));
  const b = snap(1000, stats({ cpuTimeNs: 100_000_000_000n, netTxBytes: 10n ** 13n }));
  const s = computeSample(a, b);
  t.equal(s.cpuCores, null);
  t.equal(s.netTxBps, null);
  // at the limit (vcpus max + 1 for emulator threads) it is kept
  const c = snap(1000, stats({ cpuTimeNs: 5_000_000_000n }));
  t.equal(computeSample(a, c).cpuCores, 5);
});

t.test('stats without counters (test driver: state only) give nulls, no crash', async (t) => {
  const bare: DomainStats = { name: 'vm', uuid: 'u', state: 'running', raw: { 'state.state': 1 } };
  const s1 = computeSample(undefined, snap(0, bare));
  const s2 = computeSample(snap(0, bare), snap(10_000, bare));
  for (const s of [s1, s2]) {
    t.same([s.cpuCores, s.memoryMiB, s.vcpus, s.memoryCurrentMiB, s.netRxBps, s.blockWrBps], [null, null, null, null, null, null]);
  }
});

t.test('a shut-off domain uses nothing', async (t) => {
  const a = snap(0, stats({ cpuTimeNs: 10n }));
  const off: DomainStats = { name: 'web1', uuid: stats().uuid, state: 'shutoff', raw: {} };
  const s = computeSample(a, snap(10_000, off));
  t.equal(s.cpuCores, 0);
  t.equal(s.memoryMiB, 0);
  t.equal(s.netRxBps, 0);
  // when it starts again, it starts over
  const on = snap(20_000, stats({ cpuTimeNs: 3_000_000_000n }));
  t.equal(computeSample(snap(10_000, off), on).cpuCores, null);
});

t.test('memory in use falls back to rss without balloon.unused', async (t) => {
  t.equal(memoryInUseMiB(stats({ balloon: { currentKiB: 4 * GiB, rssKiB: 2 * GiB } })), 2048);
  t.equal(memoryInUseMiB(stats({ balloon: { currentKiB: 4 * GiB, unusedKiB: 5 * GiB, rssKiB: 1024 } })), 1, 'unused > current is bogus: rss');
  t.equal(memoryInUseMiB(stats({ balloon: {} })), null);
  t.equal(memoryInUseMiB(stats({ balloon: undefined })), null);
});

t.test('collectSamples: new, vanished and returning domains', async (t) => {
  const a = stats({ name: 'a', uuid: 'ua', cpuTimeNs: 0n });
  const b = stats({ name: 'b', uuid: 'ub', cpuTimeNs: 0n });
  const c = stats({ name: 'c', uuid: 'uc', cpuTimeNs: 0n });
  const member = (uuid: string) => (uuid === 'ua' ? { class: 'gold', tenant: 't1', app: null } : undefined);

  const t1 = collectSamples(new Map(), [a, b], 10_000, 10_050, member);
  t.equal(t1.newBaselines, 2);
  t.same(t1.vanished, []);
  t.same(t1.observations.map((o) => [o.sample.vm, o.class, o.tenant, o.sample.ts]), [['a', 'gold', 't1', 10], ['b', null, null, 10]]);

  // b vanishes, c appears, a goes on
  const t2 = collectSamples(t1.next, [{ ...a, cpuTimeNs: 10_000_000_000n }, c], 20_000, 20_050, member);
  t.equal(t2.newBaselines, 1, 'only c');
  t.same(t2.vanished, ['b']);
  t.same([...t2.next.keys()], ['a', 'c']);
  t.equal(t2.observations[0].sample.cpuCores, 1);
  t.equal(t2.observations[1].sample.cpuCores, null);

  // b returns: a fresh baseline even though its counters grew
  const t3 = collectSamples(t2.next, [{ ...b, cpuTimeNs: 99_000_000_000n }], 30_000, 30_050, member);
  t.equal(t3.observations[0].sample.cpuCores, null);
  t.equal(t3.newBaselines, 1);
  t.same(t3.vanished, ['a', 'c']);
});

t.test('collectSamples: sizes from stats, else from listDomains info', async (t) => {
  const bare: DomainStats = { name: 'vm', uuid: 'u', state: 'running', raw: {} };
  const info = new Map([['vm', { name: 'vm', uuid: 'u', id: 1, state: 'running' as const, persistent: true, vcpusCurrent: 3, vcpusMax: 4, memoryKiB: 2 * GiB, maxMemoryKiB: 4 * GiB }]]);
  const r = collectSamples(new Map(), [bare, stats()], 0, 0, () => undefined, info);
  t.same([r.observations[0].vcpus, r.observations[0].memoryMiB], [3, 2048]);
  t.same([r.observations[1].vcpus, r.observations[1].memoryMiB], [2, 4096]);
});
