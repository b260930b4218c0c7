// BENCHMARKS.md keeps the latest run of each benchmark (git keeps the earlier ones): a
// recorded section replaces the section of the same benchmark, found by its heading
// without the date, instead of being appended after it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BENCHMARKS_FILE = fileURLToPath(new URL('../../BENCHMARKS.md', import.meta.url));

/** "## API placements — 2026-11-28" and "## Plan (2026-11-28)" → "## API placements", "## Plan" */
export function benchmarkKey(heading: string): string {
  return heading
    .replace(/\s*(—|-)\s*\d{4}-\d{2}-\d{2}\s*$/, '')
    .replace(/\s*\(\d{4}-\d{2}-\d{2}\)\s*$/, '')
    .trim();
}

/** The file's text with `section` (markdown starting with a "## " heading) in place of its earlier run. */
export function withSection(current: string, section: string): string {
  const body = section.replace(/^\s+/, '').replace(/\s+$/, '') + '\n';
  const heading = body.split('\n', 1)[0];
  if (!heading.startsWith('## ')) throw new Error(`a benchmark section starts with a "## " heading, not ${JSON.stringify(heading)}`);
  const key = benchmarkKey(heading);
  const [preamble, ...sections] = current.split(/^(?=## )/m);
  const kept = sections.filter((s) => benchmarkKey(s.split('\n', 1)[0]) !== key).map((s) => s.replace(/\s+$/, '') + '\n');
  return [preamble.replace(/\s+$/, '') + '\n', ...kept, body].join('\n');
}

/** Writes `section` into BENCHMARKS.md, replacing the earlier run of the same benchmark. */
export function recordBenchmark(section: string, file: string = BENCHMARKS_FILE): void {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  writeFileSync(file, withSection(current, section));
}
