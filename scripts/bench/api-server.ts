// The server side of scripts/bench/api.ts, in its own process so that autocannon and
// the daemon do not share an event loop: the real buildServer + listenApi on a Unix
// socket, a real SQLite file (WAL), one zone large enough that every placement is
// reserved durably. Prints "ready <socket>" when listening; exits on SIGTERM.
// --as provision: also loopback TCP with a provisioning token bound to its tenant and
// class, a tenant quota and the per-credential rate limit, all checked on every request
// (limits set high enough never to refuse); prints "ready <socket> <host:port>".
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../core/config/load.js';
import { partitionOf, type ZoneState } from '../../core/model/types.js';
import { openDatabase } from '../../core/store/open.js';
import { buildServer, listenApi } from '../../router/server.js';
import { tokenSha256 } from '../../router/access/tokens-file.js';

/** The token the bench client sends with --as provision. */
const BENCH_TOKEN = 'bench-provision-token-0123456789';

const dir = mkdtempSync(join(tmpdir(), 'vz-bench-api-'));
const socket = join(dir, 'virtzoned.sock');
const asProvision = process.argv.includes('--as') && process.argv[process.argv.indexOf('--as') + 1] === 'provision';
if (asProvision) {
  writeFileSync(
    join(dir, 'tokens.yaml'),
    `tokens:\n  - name: bench\n    sha256: ${tokenSha256(BENCH_TOKEN)}\n    role: provision\n    tenants: [bench]\n    classes: [gold]\n`,
    { mode: 0o600 },
  );
}
const config = validateConfig(
  asProvision
    ? {
        api: { socket, listen: '127.0.0.1:0', tokenFile: join(dir, 'tokens.yaml'), rateLimit: { max: 10_000_000, windowSeconds: 60 } },
        quotas: { tenants: { bench: { vcpus: 100_000_000, memoryMiB: 100_000_000_000, reservations: 100_000_000 } } },
      }
    : { api: { socket } },
  'bench',
);
const db = openDatabase(join(dir, 'virtzone.db'));
const zone = (name: string, size: number): ZoneState => ({
  name,
  rank: 0,
  partition: partitionOf(name),
  allocation: { cpuCores: size, memoryMiB: size * 1024 },
  provisioned: { cpuCores: 0, memoryMiB: 0 },
  used: { cpuCores: 0, memoryMiB: 0 },
  vms: [],
  exhausted: true,
});
const zones = [zone('gold', 1e9), zone('silver', 1e9), zone('bronze', 1e9), zone('general', 1e9)];
const server = await buildServer({
  config,
  db,
  zones: async () => zones,
  forecasts: async () => [],
  vms: async () => [],
  actions: {
    plan: async () => ({}),
    repartition: async () => ({}),
    train: async () => ({}),
    modelAgeSeconds: async () => null,
  },
});
const listeners = await listenApi(server, config.api);
const cpuAtStart = process.cpuUsage();
process.stdout.write(`ready ${socket}${listeners.tcp ? ` ${listeners.tcp.host}:${listeners.tcp.port} ${BENCH_TOKEN}` : ''}\n`);

process.on('SIGTERM', async () => {
  const n = (db.prepare(`SELECT count(*) AS n FROM reservations WHERE state = 'reserved'`).get() as { n: number }).n;
  const cpu = process.cpuUsage(cpuAtStart);
  // server CPU time (user + system) spent per stored reservation: the load-independent cost
  process.stdout.write(`reservations ${n} ${((cpu.user + cpu.system) / Math.max(1, n)).toFixed(1)}\n`);
  await listeners.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
});
