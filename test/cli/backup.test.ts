// `virtzone backup FILE`: an online copy while another process keeps writing (WAL), that
// passes integrity_check and holds a consistent prefix of the writes; an existing FILE is
// refused without --force; bad paths are one clear line and a non-zero exit.
import t from 'tap';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { json, ROOT, virtzone } from './harness.js';

const work = mkdtempSync(join(tmpdir(), 'vz-backup-'));
chmodSync(work, 0o755);
t.teardown(() => rmSync(work, { recursive: true, force: true }));

/**
 * A process that creates a virtzone store at `db` with `rows` rows in a side table, says
 * "ready", then commits one more row per transaction until killed, printing "seq N"
 * after each hundred commits.
 */
function startWriter(db: string, rows: number) {
  const script = join(work, `writer-${process.hrtime.bigint()}.ts`);
  writeFileSync(
    script,
    `import { Store } from ${JSON.stringify(join(ROOT, 'core/store/store.ts'))};
const store = Store.open(${JSON.stringify(db)});
store.db.exec('CREATE TABLE IF NOT EXISTS writes (seq INTEGER PRIMARY KEY, pad TEXT NOT NULL)');
const insert = store.db.prepare('INSERT INTO writes (seq, pad) VALUES (?, ?)');
const pad = 'p'.repeat(300);
let seq = 0;
store.transaction(() => { while (seq < ${rows}) insert.run(++seq, pad); });
process.stdout.write('ready ' + seq + '\\n');
const more = () => {
  for (let i = 0; i < 20; i++) {
    insert.run(++seq, pad);
    if (seq % 100 === 0) process.stdout.write('seq ' + seq + '\\n');
  }
  setImmediate(more);
};
more();
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const lastSeq = () => Number([...out.matchAll(/(?:ready|seq) (\d+)\n/g)].at(-1)?.[1] ?? 0);
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (out.includes('ready ')) {
        clearInterval(timer);
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`writer exited ${child.exitCode}: ${err}`));
      }
    }, 50);
  });
  return { child, ready, lastSeq, stderr: () => err };
}

function partials(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.includes('.partial-'));
}

t.test('a backup taken while another process writes is whole and consistent', async (t) => {
  const dir = join(work, 'online');
  mkdirSync(dir);
  const db = join(dir, 'virtzone.db');
  const writer = startWriter(db, 30_000); // ~10 MB: thousands of pages
  t.teardown(() => writer.child.kill('SIGKILL'));
  await writer.ready;
  // let it write for a moment first, so the WAL has frames not yet checkpointed
  await new Promise((r) => setTimeout(r, 300));
  const before = writer.lastSeq();
  const target = join(dir, 'copy.db');
  const r = await virtzone(['backup', target, '--db', db, '--json']);
  const after = writer.lastSeq();
  t.equal(r.code, 0, r.stderr);
  t.equal(writer.child.exitCode, null, 'the writer kept running');
  t.ok(after > before, `the writer committed during the backup (seq ${before} -> ${after})`);
  const report = json(r);
  t.equal(report.file, target);
  t.equal(report.source, db);
  t.equal(report.integrity, 'ok');
  t.ok(report.pages > 2000, `many pages copied (${report.pages})`);
  t.equal(report.bytes, report.pages * report.pageSize, 'the file is exactly the pages copied');
  t.same(partials(dir), [], 'no temporary file is left');

  const copy = new Database(target, { readonly: true, fileMustExist: true });
  t.teardown(() => copy.close());
  t.equal(copy.pragma('integrity_check', { simple: true }), 'ok', 'the copy passes integrity_check');
  t.equal(copy.pragma('journal_mode', { simple: true }), 'delete', 'one self-contained file (no WAL to carry along)');
  const { n, max } = copy.prepare('SELECT count(*) AS n, max(seq) AS max FROM writes').get() as { n: number; max: number };
  t.ok(max >= before, `every row committed before the backup started is in it (${max} >= ${before})`);
  t.equal(n, max, 'the rows are a gapless prefix: the copy is the database as of one commit');
  t.ok(copy.prepare(`SELECT version FROM schema_version WHERE component = 'store'`).get(), "the store's own tables came along");

  // the copy is usable by the CLI's offline commands as it is
  const vms = await virtzone(['vms', '--db', target, '--json']);
  t.equal(vms.code, 0, vms.stderr);
});

t.test('an existing FILE is refused without --force and replaced with it', async (t) => {
  const dir = join(work, 'overwrite');
  mkdirSync(dir);
  const db = join(dir, 'virtzone.db');
  const writer = startWriter(db, 2_000);
  t.teardown(() => writer.child.kill('SIGKILL'));
  await writer.ready;
  const target = join(dir, 'existing.db');
  writeFileSync(target, 'an older backup\n');

  let r = await virtzone(['backup', target, '--db', db]);
  t.equal(r.code, 2, 'refused: a usage error');
  t.match(r.stderr, `virtzone backup: ${target} exists: pass --force to replace it`);
  t.equal(readFileSync(target, 'utf8'), 'an older backup\n', 'the existing file is untouched');

  r = await virtzone(['backup', target, '--db', db, '--force']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, new RegExp(`^backed up ${db} to ${target}: \\d+ pages of 4096 bytes, \\d+ bytes \\([\\d.]+ MiB\\), integrity ok, [\\d.]+ s\\n$`));
  const copy = new Database(target, { readonly: true });
  t.teardown(() => copy.close());
  t.ok((copy.prepare('SELECT count(*) AS n FROM writes').get() as { n: number }).n >= 2_000);

  r = await virtzone(['backup', db, '--db', db, '--force']);
  t.equal(r.code, 2, 'the database itself is never a target, even with --force');
  t.match(r.stderr, `${db} is the database being backed up`);
  t.same(partials(dir), []);
});

t.test('bad paths: one line naming the file, a non-zero exit, nothing left behind', async (t) => {
  const dir = join(work, 'bad');
  mkdirSync(dir);
  chmodSync(dir, 0o755);
  const db = join(dir, 'virtzone.db');
  const writer = startWriter(db, 500);
  await writer.ready;
  writer.child.kill('SIGKILL');

  let r = await virtzone(['backup', join(dir, 'no-such-dir/b.db'), '--db', db]);
  t.equal(r.code, 1);
  t.match(r.stderr, `virtzone backup: cannot write ${join(dir, 'no-such-dir/b.db')}: directory ${join(dir, 'no-such-dir')} does not exist`);

  r = await virtzone(['backup', join(db, 'b.db'), '--db', db]);
  t.equal(r.code, 1, 'a target under a regular file');
  t.match(r.stderr, `is not a directory`);

  mkdirSync(join(dir, 'a-dir'));
  r = await virtzone(['backup', join(dir, 'a-dir'), '--db', db, '--force']);
  t.equal(r.code, 1, 'a directory as target');
  t.match(r.stderr, `cannot write ${join(dir, 'a-dir')}: it is a directory`);

  r = await virtzone(['backup', join(dir, 'b.db'), '--db', join(dir, 'missing.db')]);
  t.equal(r.code, 2, 'a database that does not exist');
  t.match(r.stderr, `virtzone backup: --db: database file not found: ${join(dir, 'missing.db')}`);

  const junk = join(dir, 'junk.db');
  writeFileSync(junk, 'x'.repeat(8192));
  r = await virtzone(['backup', join(dir, 'b.db'), '--db', junk]);
  t.equal(r.code, 2, 'a file that is not a database');
  t.match(r.stderr, `${junk} is not a virtzone database`);

  const cfg = join(dir, 'virtzoned.yaml');
  writeFileSync(cfg, JSON.stringify({ store: { path: join(dir, 'elsewhere.db') } }));
  r = await virtzone(['backup', join(dir, 'b.db'), '--config', cfg]);
  t.equal(r.code, 2, "the config's store.path is used without --db");
  t.match(r.stderr, `virtzone backup: store.path: database file not found: ${join(dir, 'elsewhere.db')} (pass --db FILE to name the database)`);

  // a directory nobody may create files in, not even root (sysfs): EACCES. (Running the
  // CLI as another user instead would need the checkout readable by that user.)
  const locked = '/sys';
  r = await virtzone(['backup', join(locked, 'vz-backup-test.db'), '--db', db]);
  t.equal(r.code, 1, 'an unwritable target directory');
  t.match(r.stderr, `virtzone backup: cannot write ${join(locked, 'vz-backup-test.db')}: `);
  t.notOk(readdirSync(locked).some((f) => f.startsWith('vz-backup-test')), 'no partial file in it');
  t.same(readdirSync(dir).filter((f) => f.endsWith('b.db') || f.includes('.partial-')), [], 'no backup and no temporary file written');
});
