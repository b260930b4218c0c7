// The server side of scripts/bench/api.ts, in its own process so that autocannon and
// the daemon do not share an event loop: the real buildServer + listenApi on a Unix
// socket, a real SQLite file (WAL), one zone large enough that every placement is
// reserved durably. Prints "ready <socket>" when listening; exits on SIGTERM.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../core/config/load.js';
import { partitionOf, type ZoneState } from '../../core/model/types.js';
import { openDatabase } from '../../core/store/open.js';
import { buildServer, listenApi } from '../../router/server.js';

const dir = mkdtempSync(join(tmpdir(), 'vz-bench-api-'));
const socket = join(dir, 'virtzoned.sock');
const config = validateConfig({ api: { socket } }, 'bench');
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
process.stdout.write(`ready ${socket}\n`);

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
