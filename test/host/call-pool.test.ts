// The addon runs libvirt calls on threads of its own, never on libuv's threadpool: with
// every libuv thread blocked (UV_THREADPOOL_SIZE=1 and an fs open of a FIFO nobody
// writes, which holds its thread until a writer comes), libvirt calls still complete.
// Were the calls queued on libuv they would wait behind the blocked open and the child
// would report a timeout. The child runs in its own process so the threadpool size and
// the block are its own.
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURE_URI } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const CHILD = `
import { open } from 'node:fs';
import { stat } from 'node:fs/promises';
import { openHost } from ${JSON.stringify(join(ROOT, 'core/host/libvirt-host.ts'))};
import { loadNative } from ${JSON.stringify(join(ROOT, 'core/host/native.ts'))};
const [fifo, uri] = process.argv.slice(2);
const within = (p, ms, what) => Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(what + ' did not finish within ' + ms + ' ms')), ms))]);
// the only libuv thread waits in open(2) for a writer: the parent, once it has the results
// (libuv joins its threads at exit, so the block must end before the child can)
open(fifo, 'r', () => process.exit(0));
const out = {};
// proof that libuv's pool is really taken: an fs call queued behind the open does not finish
out.fsBlocked = await within(stat(fifo), 500, 'stat').then(() => false, () => true);
const host = await within(openHost(uri, { callThreads: 3 }), 5000, 'openHost');
out.domains = (await within(host.listDomains(), 5000, 'listDomains')).length;
out.info = (await within(host.nodeInfo(), 5000, 'nodeInfo')).cpus > 0;
out.pool = loadNative().callPool();
await within(host.close(), 5000, 'close');
process.stdout.write(JSON.stringify(out) + '\\n');
`;

t.test('libvirt calls complete while every libuv thread is blocked', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-pool-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const script = join(dir, 'child.mts');
  writeFileSync(script, CHILD);
  const child = spawn(process.execPath, ['--import', 'tsx', script, fifo, FIXTURE_URI], {
    cwd: ROOT,
    env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
    // the results are in: open the FIFO's writing end, which lets the child's open return
    if (stdout.endsWith('\n')) closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  });
  child.stderr.on('data', (d) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(killer);
  t.equal(code, 0, `child exited cleanly (stderr: ${stderr.slice(-2000)})`);
  const out = JSON.parse(stdout || '{}');
  t.equal(out.fsBlocked, true, 'the libuv threadpool was really saturated');
  t.equal(out.domains, 7, 'listDomains completed');
  t.equal(out.info, true, 'nodeInfo completed');
  t.ok(out.pool.threads >= 3, 'the addon pool has the asked threads');
  t.equal(out.pool.busy, 0);
});
