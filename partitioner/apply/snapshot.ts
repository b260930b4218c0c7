// Reads the domains a plan touches, as they are right now, into DomainSnapshots.
import type { DomainStats, HostAdapter } from '../../core/host/types.js';
import type { DomainSnapshot } from './steps.js';

export function toNumbers(p: Record<string, number | bigint> | null | undefined): Record<string, number> | null {
  if (!p) return null;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(p)) out[k] = typeof v === 'bigint' ? Number(v) : v;
  return out;
}

/** Memory in use as the collector defines it: balloon.current − balloon.unused, else rss. */
function usedMemoryMiBOf(stats: DomainStats | undefined): number | null {
  const b = stats?.balloon;
  if (!b) return null;
  if (b.currentKiB !== undefined && b.unusedKiB !== undefined) return Math.max(0, b.currentKiB - b.unusedKiB) / 1024;
  if (b.rssKiB !== undefined) return b.rssKiB / 1024;
  return null;
}

async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch {
    return null;
  }
}

export async function readSnapshots(host: HostAdapter, names: readonly string[]): Promise<Map<string, DomainSnapshot>> {
  const wanted = new Set(names);
  const stats = new Map<string, DomainStats>();
  for (const s of (await orNull(host.allDomainStats())) ?? []) if (wanted.has(s.name)) stats.set(s.name, s);
  const out = new Map<string, DomainSnapshot>();
  for (const name of wanted) {
    const info = await orNull(host.lookup(name));
    if (!info) continue;
    const running = info.state === 'running' || info.state === 'blocked' || info.state === 'paused';
    out.set(name, {
      name,
      running,
      vcpus: info.vcpusCurrent,
      maxVcpus: info.vcpusMax,
      memoryMiB: Math.round(info.memoryKiB / 1024),
      maxMemoryMiB: Math.floor(info.maxMemoryKiB / 1024),
      usedMemoryMiB: usedMemoryMiBOf(stats.get(name)),
      sched: running ? toNumbers(await orNull(host.getSchedulerParams(name))) : null,
      memtune: running ? toNumbers(await orNull(host.getMemoryParams(name))) : null,
    });
  }
  return out;
}
