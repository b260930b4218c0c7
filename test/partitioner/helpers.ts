// Shared builders for the partitioner tests.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../core/config/load.js';
import type { Config } from '../../core/config/schema.js';
import type { LoadPrediction } from '../../core/model/types.js';
import type { VmView } from '../../partitioner/plan/types.js';

export function config(raw: Record<string, unknown> = {}): Config {
  return validateConfig(raw, 'test');
}

export function prediction(cls: string, resource: 'cpu' | 'memory', peak: number, confidence = 1, horizon: LoadPrediction['horizon'] = '30m'): LoadPrediction {
  return {
    series: `class:${cls}`,
    resource,
    horizon,
    origin: 1_700_000_000,
    peakLoad: peak,
    averageLoad: peak / 2,
    trend: 0,
    distribution: { '0.5': peak / 2, '0.9': peak * 0.9, '0.95': peak, '0.99': peak * 1.1 },
    model: 'test',
    confidence,
  };
}

export function vm(name: string, zone: string, over: Partial<VmView> = {}): VmView {
  return {
    name,
    zone,
    managed: true,
    running: true,
    vcpus: 2,
    maxVcpus: 8,
    memoryMiB: 4096,
    maxMemoryMiB: 16384,
    usedCpuCores: 1,
    usedMemoryMiB: 2048,
    ...over,
  };
}

/** A temporary cgroup v1 tree (cpu,cpuacct, cpuset with CPUs 0-15, memory) for partitions to be written into. */
export function cgroupV1(): string {
  const root = mkdtempSync(join(tmpdir(), 'vz-cg-v1-'));
  for (const h of ['cpu,cpuacct', 'cpuset', 'memory']) {
    mkdirSync(join(root, h));
    writeFileSync(join(root, h, 'cgroup.procs'), '');
  }
  writeFileSync(join(root, 'cpuset', 'cpuset.cpus'), '0-15');
  writeFileSync(join(root, 'cpuset', 'cpuset.mems'), '0');
  return root;
}
