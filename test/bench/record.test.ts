// BENCHMARKS.md keeps the latest run of each benchmark: a new run replaces the section of
// the same benchmark (its heading without the date) and leaves the others as they were.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchmarkKey, recordBenchmark, withSection } from '../../scripts/bench/record.js';

t.test('the key is the heading without its date', async (t) => {
  t.equal(benchmarkKey('## API placements — 2026-11-28'), '## API placements');
  t.equal(benchmarkKey('## Partitioner: plan for 5000 VMs in 8 classes (2026-11-28)'), '## Partitioner: plan for 5000 VMs in 8 classes');
  t.equal(benchmarkKey('## Forecaster backtest, 64 series — 2026-12-04'), '## Forecaster backtest, 64 series');
});

t.test('a new run replaces the earlier one of the same benchmark only', async (t) => {
  const before = '# Benchmarks\n\nintro\n\n## API placements — 2026-11-28\n\nold api\n\n## Store — 2026-11-28\n\nstore\n\n## API placements — 2026-11-29\n\nolder duplicate\n';
  const after = withSection(before, '\n## API placements — 2026-12-04\n\nnew api\n');
  t.notMatch(after, /old api|older duplicate/);
  t.match(after, /## API placements — 2026-12-04\n\nnew api\n$/);
  t.match(after, /# Benchmarks\n\nintro\n/);
  t.match(after, /## Store — 2026-11-28\n\nstore\n/);
  t.equal(after.match(/^## API placements/gm)?.length, 1);
  // a benchmark seen for the first time is added after the others
  const added = withSection(after, '## Collector tick — 2026-12-04\n\nc');
  t.match(added, /## Store[\s\S]*## API placements[\s\S]*## Collector tick — 2026-12-04\n\nc\n$/);
  t.throws(() => withSection(before, 'no heading'), /starts with a "## " heading/);
});

t.test('recordBenchmark writes the file in place', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-bench-record-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'BENCHMARKS.md');
  writeFileSync(file, '# Benchmarks\n\n## Plan (2026-11-28)\n\nold\n');
  recordBenchmark('## Plan (2026-12-04)\n\nnew', file);
  t.equal(readFileSync(file, 'utf8'), '# Benchmarks\n\n## Plan (2026-12-04)\n\nnew\n');
});
