// GET /v1/zones reports as `free` the room the next admission check sees: with app
// profiles on, reservations count at their app's charge, so a request charged at the
// reported free is placed and one charged a little more is rejected.
import t from 'tap';
import { appKey } from '../../router/placement/app-profile.js';
import { call, closeAgents, removeDir, startHarness, zone } from './helpers.js';

t.teardown(closeAgents);

t.test('with app profiles on, the reported free is what admission sees next', async (t) => {
  // silver: 4 cores, its member uses 1.8 at ratio 0.9: 2.2 cores of room by expected use
  const silver = zone('silver', 1, 4, 65536, {
    used: { cpuCores: 1.8, memoryMiB: 1024 },
    provisioned: { cpuCores: 2, memoryMiB: 2048 },
    useRatio: { cpu: 0.9, memory: 0.5 },
    exhausted: true,
    vms: ['silver-1'],
  });
  // batch VMs use an eighth of their size
  const profiles = new Map([[appKey('acme', 'batch'), { cpu: 0.125, memory: 0.125, samples: 2016 }]]);
  const h = await startHarness({
    zones: [zone('gold', 0, 0, 0), silver, zone('bronze', 2, 0, 0), zone('general', 3, 0, 0)],
    // no overflow: what does not fit by admission is rejected
    config: { overflow: { policy: 'quota', threshold: 0 } },
    appProfiles: async () => profiles,
  });
  t.teardown(async () => {
    await h.close();
    removeDir(h.dir);
  });
  const place = (vcpus: number, key: string) => call(h, 'POST', '/v1/placements', { body: { tenant: 'acme', app: 'batch', priority: 'silver', vcpus, memoryMiB: 1024 }, key });
  const freeOf = async () => {
    const r = await call(h, 'GET', '/v1/zones/silver');
    t.equal(r.status, 200, r.text);
    return r.json.free as { cpuCores: number; memoryMiB: number };
  };

  t.ok(Math.abs((await freeOf()).cpuCores - 2.2) < 1e-9, 'before: 4 - 1.8');
  // 8 vCPUs of batch: charged 1 core, and its reservation counts at 1 core
  t.equal((await place(8, 'key-zf-1')).status, 201);
  const free = await freeOf();
  t.ok(Math.abs(free.cpuCores - 1.2) < 1e-9, `after one batch reservation: 2.2 - 8 x 0.125 = 1.2 (reported ${free.cpuCores}; by the class ratio it would be ${2.2 - 8 * 0.9})`);
  t.equal(free.memoryMiB, 65536 - 1024 - 1024 * 0.125, 'memory at the same charge');

  // the largest batch request within the reported free (9 x 0.125 = 1.125 <= 1.2) is placed,
  // and then the next one of 1 vCPU more than what is left (0.075) is not
  const fitting = Math.floor(free.cpuCores / 0.125);
  t.equal(fitting, 9);
  const tooBig = await place(fitting + 1, 'key-zf-2');
  t.equal(tooBig.status, 429, `${fitting + 1} x 0.125 is more than the reported free: ${tooBig.text}`);
  t.equal((await place(fitting, 'key-zf-3')).status, 201, `${fitting} x 0.125 fits in the reported free`);
  const left = await freeOf();
  t.ok(Math.abs(left.cpuCores - 0.075) < 1e-9, `left: ${left.cpuCores}`);
  t.equal((await place(1, 'key-zf-4')).status, 429, 'one batch vCPU (0.125) is more than the 0.075 reported');
});

t.test('provisioned admission: free is allocation - provisioned - reserved', async (t) => {
  const h = await startHarness({
    zones: [zone('gold', 0, 8, 16384, { provisioned: { cpuCores: 2, memoryMiB: 2048 } }), zone('general', 3, 0, 0)],
    config: { router: { admission: 'provisioned' }, overflow: { policy: 'quota', threshold: 0 } },
    appProfiles: async () => new Map([[appKey('acme', 'web'), { cpu: 0.1, memory: 0.1, samples: 2016 }]]),
  });
  t.teardown(async () => {
    await h.close();
    removeDir(h.dir);
  });
  t.equal((await call(h, 'POST', '/v1/placements', { body: { tenant: 'acme', app: 'web', priority: 'gold', vcpus: 4, memoryMiB: 4096 }, key: 'key-zp-1' })).status, 201);
  const r = await call(h, 'GET', '/v1/zones');
  const gold = r.json.find((z: { name: string }) => z.name === 'gold');
  t.same(gold.free, { cpuCores: 2, memoryMiB: 16384 - 2048 - 4096 }, 'profiles do not change provisioned room');
  t.equal((await call(h, 'POST', '/v1/placements', { body: { tenant: 'acme', app: 'web', priority: 'gold', vcpus: 3, memoryMiB: 1024 }, key: 'key-zp-2' })).status, 429, 'three vCPUs do not fit in the two reported');
  t.equal((await call(h, 'POST', '/v1/placements', { body: { tenant: 'acme', app: 'web', priority: 'gold', vcpus: 2, memoryMiB: 1024 }, key: 'key-zp-3' })).status, 201, 'two do');
});
