// The glue between the auto-scaler's decisions and the VMs, shared by the daemon's
// routine and the simulator: the scaler's zone view, the resize targets and the steps.
import t from 'tap';
import { actionDirections, resizeTargets, stepsForActions, RESIZE_STEPS_PER_TICK } from '../../partitioner/autoscaler/actions.js';
import type { ScalerAction } from '../../partitioner/autoscaler/decide.js';
import { scalerZones, type ScaledVm } from '../../partitioner/autoscaler/scaler-zones.js';
import { replay } from './replay-world.js';
import { config } from './helpers.js';

const cfg = config({
  autoscaler: { intervalSeconds: 30, highWater: 0.85, lowWater: 0.5, sustainTicks: 2, cooldownSeconds: 300, growCooldownSeconds: 60 },
  apply: { maxStepFraction: 0.25, minChangeMemoryMiB: 64 },
  partitioner: { vmMemoryFloorMiB: 512 },
  zones: { vmOverheadMiB: 100 },
});

const vmOf = (name: string, zone: string, o: Partial<ScaledVm> = {}): ScaledVm => ({
  name,
  zone,
  vcpus: 4,
  maxVcpus: 8,
  memoryMiB: 3200,
  maxMemoryMiB: 8192,
  usedCpuCores: 1,
  usedMemoryMiB: 500,
  ...o,
});
const shrink = (vm: string, zone: string, memoryMiB: number, vcpus = 4): ScalerAction => ({ kind: 'resize-vm', zone, vm, direction: 'shrink', vcpus, memoryMiB, reason: 'idle' });
const zone = (name: string, rank: number, cpu: number) => ({ name, rank, allocation: { cpuCores: cpu, memoryMiB: cpu * 1024 }, floor: { cpuCores: 1, memoryMiB: 1024 } });

t.test('scalerZones: each VM in its zone, the allocations in force, pools only where configured', async (t) => {
  const plan = [zone('gold', 0, 4), zone('general', 1, 8)];
  const vms = [vmOf('a', 'gold', { memoryFloorMiB: 2048, peakMemoryMiB: 900, poolMember: true }), vmOf('b', 'general'), vmOf('c', 'general', { peakMemoryMiB: null }), vmOf('x', 'nowhere')];
  const pool = { min: 0, max: 2, memberSize: { cpuCores: 2, memoryMiB: 1024 } };
  const zones = scalerZones(plan, vms, { allocations: { gold: { cpuCores: 6, memoryMiB: 5000 } }, pools: { gold: pool } });
  t.same(zones.map((z) => z.name), ['gold', 'general'], 'the plan\'s order (priority)');
  t.same(zones[0].allocation, { cpuCores: 6, memoryMiB: 5000 }, 'a moved allocation replaces the plan\'s');
  t.same(zones[1].allocation, { cpuCores: 8, memoryMiB: 8192 }, 'an unmoved zone keeps its own');
  t.not(zones[1].allocation, plan[1].allocation, 'copied: decide() never writes into the plan');
  t.same(zones[0].pool, pool);
  t.notOk('pool' in zones[1], 'no pool where none is configured');
  t.same(zones[0].vms, [{ name: 'a', vcpus: 4, maxVcpus: 8, memoryMiB: 3200, maxMemoryMiB: 8192, usedCpuCores: 1, usedMemoryMiB: 500, peakMemoryMiB: 900, poolMember: true, memoryFloorMiB: 2048 }], 'the VM\'s floor, day peak and pool membership go along');
  t.same(zones[1].vms.map((v) => [v.name, v.poolMember, v.peakMemoryMiB]), [['b', false, undefined], ['c', false, null]], 'not a pool member unless said; a null day peak stays null');
  t.notOk(zones.some((z) => z.vms.some((v) => v.name === 'x')), 'a VM of no planned zone is not scaled');
});

t.test('resizeTargets: each VM keeps its own memory floor and minimum vCPUs', async (t) => {
  const vms = [vmOf('a', 'gold', { memoryFloorMiB: 3000, minVcpus: 4 }), vmOf('b', 'gold')];
  const actions: ScalerAction[] = [
    shrink('a', 'gold', 2400, 2),
    shrink('b', 'gold', 2400),
    shrink('gone', 'gold', 2400),
    { kind: 'transfer', from: 'general', to: 'gold', cpuCores: 1, memoryMiB: 0, reason: 'busy' },
  ];
  const targets = resizeTargets(actions, vms, cfg);
  t.same(targets.map((x) => x.vm), ['a', 'b'], 'resizes only, of VMs still there');
  const [a, b] = targets;
  t.equal(a.memoryFloorMiB, 3000, 'the VM\'s own floor');
  t.equal(a.minMemoryMiB, 3000, 'its minimum is at least that floor');
  t.equal(a.vcpus, 4, 'never below its minimum vCPUs');
  t.equal(a.memorySoftLimitMiB, 2400 + 100, 'soft limit follows the balloon plus the overhead');
  t.equal(b.memoryFloorMiB, 512, 'the configured floor without one of its own');
  t.equal(b.minMemoryMiB, Math.ceil(Math.max(512, 500 + 256, 500 * 1.1)), 'use + margin above the floor');
  const { zones: _z, ...noZones } = cfg;
  t.notOk('memorySoftLimitMiB' in resizeTargets(actions, vms, noZones)[0], 'no soft limit without zones in the config');
});

t.test('stepsForActions: the per-VM floor stops a shrink; one bounded step per VM', async (t) => {
  const vms = [vmOf('floored', 'gold', { memoryFloorMiB: 3000 }), vmOf('plain', 'gold'), vmOf('grown', 'gold', { memoryMiB: 2000, vcpus: 2 })];
  const { steps } = stepsForActions([shrink('floored', 'gold', 2400), shrink('plain', 'gold', 2400), { kind: 'resize-vm', zone: 'gold', vm: 'grown', direction: 'grow', vcpus: 4, memoryMiB: 4000, reason: 'busy' }], vms, cfg);
  const mem = (vm: string) => steps.filter((s) => s.vm === vm && s.kind === 'memory').map((s) => s.to.memoryMiB);
  t.same(mem('floored'), [3000], 'the balloon stops at the VM\'s floor, not the action\'s 2400');
  t.same(mem('plain'), [2400], 'without a floor of its own the action\'s size is reached');
  t.same(mem('grown'), [2500], `a grow moves by at most apply.maxStepFraction (${RESIZE_STEPS_PER_TICK} step per tick)`);
  t.same(steps.filter((s) => s.vm === 'grown' && s.kind === 'vcpus').map((s) => s.to.vcpus), [3], 'vCPUs by one bounded step too');
  t.ok(steps.findIndex((s) => s.direction === 'grow') > steps.findLastIndex((s) => s.direction === 'shrink'), 'shrinks before grows');
  t.same(stepsForActions([], vms, cfg), { steps: [], skipped: [] }, 'nothing to resize: no steps');
});

t.test('actionDirections: which way each action moves which zone', async (t) => {
  t.same(actionDirections({ kind: 'transfer', from: 'general', to: 'gold', cpuCores: 1, memoryMiB: 0, reason: '' }), [{ zone: 'gold', dir: 1 }, { zone: 'general', dir: -1 }]);
  t.same(actionDirections(shrink('a', 'gold', 1000)), [{ zone: 'gold', dir: -1 }]);
  t.same(actionDirections({ ...shrink('a', 'gold', 1000), direction: 'grow' }), [{ zone: 'gold', dir: 1 }]);
  t.same(actionDirections({ kind: 'add-pool-member', zone: 'gold', name: 'gold-pool-1', reason: '' }), [{ zone: 'gold', dir: 1 }]);
  t.same(actionDirections({ kind: 'remove-pool-member', zone: 'gold', vm: 'gold-pool-1', reason: '' }), [{ zone: 'gold', dir: -1 }]);
  t.same(actionDirections({ kind: 'set-exhausted', zone: 'gold', exhausted: true, reason: '' }), []);
});

t.test('replayed idle hours: the give-back keeps each VM\'s own memory floor', async (t) => {
  const idle = () => ({ cpuCores: 0.2, memoryMiB: 300 });
  const base = { zone: 'gold', vcpus: 2, maxVcpus: 4, memoryMiB: 8192, maxMemoryMiB: 8192, demand: idle };
  const r = replay({
    zones: [zone('gold', 0, 8), { ...zone('general', 1, 8), floor: { cpuCores: 0, memoryMiB: 0 } }],
    vms: [{ ...base, name: 'floored', memoryFloorMiB: 6000 }, { ...base, name: 'plain' }],
    ticks: 240,
    config: cfg,
  });
  t.ok(r.actions.some((x) => x.action.kind === 'resize-vm' && x.action.vm === 'floored'), 'the floored VM was given back to as well');
  t.ok(r.vms.floored.memoryMiB >= 6000 && r.vms.floored.memoryMiB < 8192, `floored: ${r.vms.floored.memoryMiB} MiB, down to its 6000 MiB floor and no further`);
  t.ok(r.vms.plain.memoryMiB < 6000, `plain: ${r.vms.plain.memoryMiB} MiB, below that (the configured floor is 512)`);
});
