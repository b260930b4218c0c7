// virtzoned checks its database (PRAGMA quick_check) before it uses it: a damaged file
// stops it with exit 65 (EX_DATAERR) and one fatal line naming the file, what SQLite
// found and how to restore; the same database intact starts and serves.
import t from 'tap';
import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../core/store/store.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const FIXTURE = join(ROOT, 'test/fixtures/host.xml');

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs virtzoned until it exits, or until it logs that it serves (then stops it with SIGTERM). */
function runDaemon(dir: string, db: string): Promise<Exit & { served: boolean }> {
  const config = join(dir, 'virtzoned.yaml');
  writeFileSync(config, 'zones: { manageCgroups: false }\nforecast: { schedule: "0 3 1 1 *" }\n');
  const args = ['--import', 'tsx', join(ROOT, 'daemon/bin/virtzoned.ts'), '--config', config, '--connect', `test://${FIXTURE}`, '--db', db, '--socket', join(dir, 's.sock')];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let served = false;
  child.stdout.on('data', (d) => {
    stdout += d;
    if (!served && stdout.includes('"virtzoned serving"')) {
      served = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, served });
    }),
  );
}

t.test('a damaged database is refused with exit 65; the intact one starts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-integrity-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // a real store with enough rows for a few thousand pages
  const intact = join(dir, 'intact.db');
  const store = Store.open(intact);
  store.db.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, note TEXT NOT NULL); CREATE INDEX filler_note ON filler (note)');
  const insert = store.db.prepare('INSERT INTO filler (note) VALUES (?)');
  store.transaction(() => {
    for (let i = 0; i < 20_000; i++) insert.run(`row ${i} `.padEnd(200, String.fromCharCode(97 + (i % 26))));
  });
  store.close(); // checkpointed: every page is in the main file
  const pageSize = 4096;
  const pages = statSync(intact).size / pageSize;
  t.ok(pages > 1000, `${pages} pages`);

  const damaged = join(dir, 'damaged.db');
  copyFileSync(intact, damaged);
  // overwrite ten pages in the middle of the file, as a bad disk or a stray write would
  const fd = openSync(damaged, 'r+');
  const junk = Buffer.alloc(pageSize * 10, 0);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) % 251;
  writeSync(fd, junk, 0, junk.length, Math.floor(pages / 2) * pageSize);
  closeSync(fd);

  const bad = await runDaemon(dir, damaged);
  t.equal(bad.code, 65, `exit 65 (EX_DATAERR); stderr: ${bad.stderr}`);
  t.notOk(bad.served, 'it never served');
  t.match(bad.stderr, `virtzoned: the database ${damaged} is damaged (quick_check: `);
  t.match(bad.stderr, `refusing to start; stop here and restore the latest \`virtzone backup\` copy to ${damaged}`);
  t.notMatch(bad.stderr, /\n\s+at /, 'no stack trace');
  const fatal = bad.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l))
    .find((l) => l.level === 60 || l.level === 'fatal');
  t.ok(fatal, 'a fatal log line');
  t.equal(fatal.db, damaged, 'naming the file');
  t.ok(Array.isArray(fatal.quick_check) && fatal.quick_check.length > 0, 'with what quick_check found');
  t.match(fatal.msg, /the database is damaged: refusing to start; .*virtzone backup/);
  t.equal(statSync(damaged).size, pages * pageSize, 'the damaged file was not written to');

  const good = await runDaemon(dir, intact);
  t.ok(good.served, `the intact database starts and serves; stderr: ${good.stderr}`);
  t.equal(good.code, 0, 'and stops cleanly');
});
