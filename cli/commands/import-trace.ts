// virtzone import-trace --format bitbrains DIR --db FILE: loads a trace folder into a
// database as 5-minute history (see core/trace/import.ts for what is stored).
//
// Classes: by default the VMs, in numeric id order, take the configured classes in turn
// (gold, silver, bronze, gold, ... with the built-in config; the list comes from
// --config FILE, else /etc/virtzone/virtzoned.yaml when present). --class NAME puts every VM in one class; --class-of ID=CLASS (repeatable, or
// comma-separated) pins single VMs and wins over both.
import type { Command } from 'commander';
import { loadConfigFile, ConfigError, GENERAL_ZONE } from '../../core/config/load.js';
import { Store } from '../../core/store/store.js';
import { importBitbrains, ImportError, type ImportReport } from '../../core/trace/import.js';
import { CliError, ExitCode, fmtTime, printJson, usageError } from '../output.js';

interface ImportTraceOptions {
  format: string;
  db: string;
  shiftToNow?: boolean;
  class?: string;
  classOf: string[];
  config?: string;
  json?: boolean;
}

const FORMATS = ['bitbrains'];

function collect(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

export function registerImportTrace(program: Command): void {
  program
    .command('import-trace')
    .description('import a utilization trace folder into a database as 5-minute history')
    .argument('<dir>', 'trace folder (searched recursively; .csv and .csv.gz)')
    .requiredOption('--format <format>', `trace format: ${FORMATS.join(', ')}`)
    .requiredOption('--db <file>', 'database file to write (created if missing)')
    .option('--shift-to-now', 'move the trace by whole weeks so that it ends within the last 7 days')
    .option('--class <name>', 'put every VM in this class (default: the configured classes in turn, by VM id)')
    .option('--class-of <id=class>', 'put VM <id> in <class>; repeatable or comma-separated', collect, [])
    .option('--config <file>', 'take the class list from this virtzoned config (default: /etc/virtzone/virtzoned.yaml if present, else gold, silver, bronze)')
    .option('--json', 'print the import report as JSON')
    .action(async (dir: string, opts: ImportTraceOptions) => {
      if (!FORMATS.includes(opts.format)) {
        throw usageError(`--format: ${JSON.stringify(opts.format)} is not a known trace format: expected one of ${FORMATS.join(', ')}`);
      }
      let classes: string[];
      try {
        // an explicit --config must exist; without it /etc/virtzone/virtzoned.yaml is
        // used when present, else the built-in defaults
        classes = loadConfigFile(opts.config).classes.map((c) => c.name);
      } catch (err) {
        if (err instanceof ConfigError) throw usageError(`--config: ${err.message}`);
        throw err;
      }
      const known = new Set([...classes, GENERAL_ZONE]);
      const checkClass = (option: string, name: string): string => {
        if (!known.has(name)) throw usageError(`${option}: ${JSON.stringify(name)} is not a configured class: expected one of ${[...known].join(', ')}`);
        return name;
      };
      if (opts.class !== undefined) checkClass('--class', opts.class);
      const classOf = new Map<string, string>();
      for (const pair of opts.classOf) {
        const m = /^(\d+)=(.+)$/.exec(pair);
        if (!m) throw usageError(`--class-of: ${JSON.stringify(pair)} is invalid: expected ID=CLASS, e.g. 407=gold`);
        classOf.set(m[1], checkClass('--class-of', m[2]));
      }

      let store: Store;
      try {
        store = Store.open(opts.db);
      } catch (err) {
        throw new CliError(`--db: cannot open ${opts.db}: ${(err as Error).message}`, ExitCode.RUNTIME);
      }
      let report: ImportReport;
      try {
        report = await importBitbrains(store, {
          dir,
          classes,
          classForAll: opts.class,
          classOf,
          shiftToNow: opts.shiftToNow ?? false,
        });
      } catch (err) {
        if (err instanceof ImportError) throw usageError(err.message);
        throw err;
      } finally {
        store.close();
      }
      if (opts.json) {
        printJson({ ...report, db: opts.db });
        return;
      }
      process.stdout.write(renderReport(report, opts.db));
    });
}

function renderReport(r: ImportReport, db: string): string {
  const rows: Array<[string, string]> = [
    ['Format', r.format],
    ['Folder', r.dir],
    ['Database', db],
    ['VMs', `${r.vms} (${r.files} files)`],
    ['Rows read', String(r.rowsRead)],
    ['Rows stored', `${r.rowsStored} (one 5-minute rollup per VM and bucket)`],
    ['Rows merged', `${r.rowsMerged} (same 5-minute bucket as another row: averaged)`],
    ['Rows rejected', String(r.rowsRejected)],
    ...r.rejected.map((x): [string, string] => ['', `${x.count} × ${x.reason} (first at ${x.example})`]),
    ['Class rollups', String(r.classRollupsStored)],
    ['Classes', Object.entries(r.classes).map(([c, vms]) => `${c}: ${vms.length}`).join(', ')],
    ['From', `${fmtTime(r.from)} UTC`],
    ['Until', `${fmtTime(r.until)} UTC`],
    ['Shift', r.shiftSeconds === 0 ? 'none' : `${r.shiftSeconds / 604_800} weeks (${r.shiftSeconds} s)`],
    ['Time', `${r.seconds.toFixed(2)} s (${Math.round(r.rowsRead / r.seconds)} rows/s)`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length)) + 1;
  return rows.map(([k, v]) => `${k ? (k + ':').padEnd(w + 1) : ' '.repeat(w + 1)}${v}`).join('\n') + '\n';
}
