// Test-side cgroup helpers: making a libvirt resource partition exist (so that a domain
// can start in it) and reading where a process landed. Written from what libvirt 9
// actually demanded on this host (scripts/e2e/README.md, "cgroups"), independently of
// the partitioner's code, so the e2e tests can check that code against it.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Hierarchy {
  /** mount point, e.g. /sys/fs/cgroup/cpu or /sys/fs/cgroup/unified */
  mount: string;
  version: 1 | 2;
  /** v1: the controllers of this mount (cpu, cpuset, ...); v2: those in cgroup.controllers */
  controllers: string[];
}

/** The cgroup hierarchies mounted on this host, from /proc/self/mountinfo. */
export function cgroupHierarchies(): Hierarchy[] {
  const out: Hierarchy[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    // "... <mount point> <opts> ... - <fstype> <source> <super options>"
    const [pre, post] = line.split(' - ');
    if (!post) continue;
    const [fstype, , superOpts = ''] = post.split(' ');
    const mount = pre.split(' ')[4];
    if (fstype === 'cgroup2') {
      const controllers = (readText(join(mount, 'cgroup.controllers')) ?? '').split(/\s+/).filter(Boolean);
      out.push({ mount, version: 2, controllers });
    } else if (fstype === 'cgroup') {
      const controllers = superOpts.split(',').filter((o) => !['rw', 'ro'].includes(o) && !o.includes('='));
      // a named hierarchy without controllers (name=systemd) is systemd's, not libvirt's
      if (controllers.length > 0) out.push({ mount, version: 1, controllers });
    }
  }
  return out;
}

function readText(p: string): string | null {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return null;
  }
}

/** /machine/virtzone-x → machine/virtzone-x.partition (libvirt's cgroupfs naming, no systemd). */
export function partitionDir(partition: string): string {
  return partition
    .split('/')
    .filter(Boolean)
    .map((c, i) => (i === 0 && ['machine', 'system', 'user'].includes(c)) || c.includes('.') ? c : `${c}.partition`)
    .join('/');
}

/**
 * Creates a partition's directories in every hierarchy, as libvirt needs them before a
 * domain starts there: on a hybrid host the v2 mount too; in cpuset, with cpus and mems
 * copied from the parent (a new v1 cpuset is empty and takes no task); on pure v2, with
 * the controllers enabled down the path. Returns the directories made or found.
 */
export function createPartition(partition: string): string[] {
  const rel = partitionDir(partition).split('/');
  const made: string[] = [];
  for (const h of cgroupHierarchies()) {
    // v2: a controller works in a group only when its parent delegates it
    const delegate = (dir: string) => {
      if (h.version !== 2) return;
      const want = h.controllers.filter((c) => ['cpu', 'cpuset', 'memory', 'io', 'pids'].includes(c));
      const enabled = (readText(join(dir, 'cgroup.subtree_control')) ?? '').split(/\s+/);
      const missing = want.filter((c) => !enabled.includes(c));
      if (missing.length > 0) writeFileSync(join(dir, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '));
    };
    let dir = h.mount;
    for (const comp of rel) {
      delegate(dir);
      const parent = dir;
      dir = join(dir, comp);
      if (!existsSync(dir)) mkdirSync(dir);
      if (h.version === 1 && h.controllers.includes('cpuset')) {
        for (const f of ['cpuset.cpus', 'cpuset.mems']) {
          if ((readText(join(dir, f)) ?? '').trim() === '') writeFileSync(join(dir, f), readText(join(parent, f)) ?? '');
        }
      }
    }
    delegate(dir);
    made.push(dir);
  }
  return made;
}

/** Removes a partition's (empty) directories; the parents (/machine) stay. */
export function removePartition(partition: string): void {
  const rel = partitionDir(partition);
  for (const h of cgroupHierarchies()) {
    const dir = join(h.mount, rel);
    try {
      rmdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

/** /proc/PID/cgroup as "controllers" → path ("" is the v2 hierarchy). */
export function processCgroups(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}
