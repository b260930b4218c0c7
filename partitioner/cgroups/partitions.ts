// Makes the zones' resource partitions exist on the host and keeps their limits.
// The cgroup root is a parameter, so tests run against a temporary directory laid out
// like a v1 or v2 tree, and read back exactly what would have been written.
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { partitionOf } from '../../core/model/types.js';
import {
  LIBVIRT_V1_CONTROLLERS,
  V2_ZONE_CONTROLLERS,
  cgroupfsPartitionPath,
  limitWrites,
  sliceProperties,
  systemdSliceName,
  systemdSlicePath,
  type ZoneLimits,
} from './layout.js';

export interface V1Hierarchy {
  /** absolute directory where the hierarchy is mounted, e.g. /sys/fs/cgroup/cpu,cpuacct */
  dir: string;
  controllers: string[];
}

export interface CgroupSystem {
  version: 'v1' | 'v2';
  root: string;
  /** libvirt talks to machined: partitions are systemd slices */
  systemd: boolean;
  /** v1 only: the hierarchies libvirt uses */
  hierarchies: V1Hierarchy[];
  /**
   * v1 only: the cgroup2 mount of a "hybrid" host (usually <root>/unified), null on a pure
   * v1 host. libvirt (9.x) detects it, asks it first, and creates every domain's group in
   * it as well as in the v1 hierarchies (it runs the devices controller there, via BPF),
   * so a partition must exist in it too: without it a domain start fails with "Failed to
   * create v2 cgroup '<root>/unified/machine/<p>.partition/'".
   */
  unified: V2Mount | null;
  /** v2 only: controllers available at the root */
  v2Controllers: string[];
}

export interface V2Mount {
  /** absolute directory of the cgroup2 mount */
  dir: string;
  /** its cgroup.controllers (on a hybrid host only those not bound to a v1 hierarchy) */
  controllers: string[];
}

export interface DetectOptions {
  /** 'auto' decides by the presence of systemdRunDir (sd_booted) */
  layout?: 'auto' | 'cgroupfs' | 'systemd';
  /** default /run/systemd/system */
  systemdRunDir?: string;
}

const readText = (p: string): string | null => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return null;
  }
};

const words = (s: string | null): string[] =>
  (s ?? '')
    .split(/\s+/)
    .map((w) => w.replace(/^\+/, ''))
    .filter(Boolean);

/** Finds out how cgroups are mounted under `root` (v2 unified, or v1 per-controller). */
export function detectCgroupSystem(root: string, opts: DetectOptions = {}): CgroupSystem {
  if (!existsSync(root)) throw new Error(`cgroup root ${root} does not exist`);
  const layout = opts.layout ?? 'auto';
  const systemd = layout === 'systemd' || (layout === 'auto' && existsSync(opts.systemdRunDir ?? '/run/systemd/system'));
  if (existsSync(join(root, 'cgroup.controllers'))) {
    return { version: 'v2', root, systemd, hierarchies: [], unified: null, v2Controllers: words(readText(join(root, 'cgroup.controllers'))) };
  }
  const hierarchies: V1Hierarchy[] = [];
  let unified: V2Mount | null = null;
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name);
    // Co-mounted controllers appear once as "cpu,cpuacct" plus symlinks "cpu" and "cpuacct".
    if (lstatSync(dir).isSymbolicLink() || !lstatSync(dir).isDirectory()) continue;
    if (!existsSync(join(dir, 'cgroup.procs')) && !existsSync(join(dir, 'tasks'))) continue;
    // A cgroup2 mount among the v1 hierarchies ("unified"): the hybrid layout.
    if (existsSync(join(dir, 'cgroup.controllers'))) {
      unified ??= { dir, controllers: words(readText(join(dir, 'cgroup.controllers'))) };
      continue;
    }
    // name=systemd has no controller: it is systemd's, libvirt never mkdirs there.
    const controllers = name.split(',').filter((c) => (LIBVIRT_V1_CONTROLLERS as readonly string[]).includes(c));
    if (controllers.length > 0) hierarchies.push({ dir, controllers });
  }
  if (hierarchies.length === 0) throw new Error(`no cgroup v1 controller hierarchy and no cgroup v2 mount found under ${root}`);
  return { version: 'v1', root, systemd, hierarchies, unified, v2Controllers: [] };
}

export interface PartitionReport {
  zone: string;
  partition: string;
  /** directories created (absolute) */
  created: string[];
  /** files written: absolute path -> value */
  written: Record<string, string>;
  /** problems that did not stop the rest (e.g. a controller that could not be enabled) */
  warnings: string[];
  /** systemd hosts: the slice and the commands run */
  unit?: { name: string };
  commands?: string[][];
}

export type CommandRunner = (cmd: string, args: string[]) => Promise<void>;

export const runSystemctl: CommandRunner = async (cmd, args) => {
  await promisify(execFile)(cmd, args, { timeout: 30_000 });
};

export interface ZonePartitionsOptions {
  /** systemd hosts: runs systemctl; omitted = only report the commands (nothing is run) */
  run?: CommandRunner;
}

export class ZonePartitions {
  constructor(
    readonly sys: CgroupSystem,
    private readonly opts: ZonePartitionsOptions = {},
  ) {}

  /** Absolute directories of a zone's partition, one per hierarchy (a hybrid host's v2 mount included). */
  dirsOf(zone: string): string[] {
    const partition = partitionOf(zone);
    const rel = this.sys.systemd ? systemdSlicePath(partition) : cgroupfsPartitionPath(partition);
    if (this.sys.version === 'v2') return [join(this.sys.root, rel)];
    const mounts = this.sys.hierarchies.map((h) => h.dir);
    if (this.sys.unified) mounts.push(this.sys.unified.dir);
    return mounts.map((m) => join(m, rel));
  }

  /** The directories of dirsOf(zone) that do not exist (a failed domain start makes libvirt remove them). */
  missingDirsOf(zone: string): string[] {
    return this.dirsOf(zone).filter((d) => !existsSync(d));
  }

  /** Creates the zone's partition if missing (every controller) and sets its limits. */
  async ensure(zone: string, limits: ZoneLimits): Promise<PartitionReport> {
    const report: PartitionReport = { zone, partition: partitionOf(zone), created: [], written: {}, warnings: [] };
    if (this.sys.systemd) {
      await this.ensureSlice(zone, limits, report, true);
      return report;
    }
    if (this.sys.version === 'v2') {
      this.ensureV2(zone, this.sys.root, this.sys.v2Controllers, report);
    } else {
      this.ensureV1(zone, report);
      if (this.sys.unified) this.ensureV2(zone, this.sys.unified.dir, this.sys.unified.controllers, report);
    }
    this.writeLimits(zone, limits, report);
    return report;
  }

  /** Updates the limits of an existing partition. */
  async setLimits(zone: string, limits: ZoneLimits): Promise<PartitionReport> {
    const report: PartitionReport = { zone, partition: partitionOf(zone), created: [], written: {}, warnings: [] };
    if (this.sys.systemd) await this.ensureSlice(zone, limits, report, false);
    else this.writeLimits(zone, limits, report);
    return report;
  }

  private write(path: string, value: string, report: PartitionReport): void {
    writeFileSync(path, value);
    report.written[path] = value;
  }

  private mkdir(path: string, report: PartitionReport): boolean {
    if (existsSync(path)) return false;
    mkdirSync(path);
    report.created.push(path);
    return true;
  }

  private ensureV1(zone: string, report: PartitionReport): void {
    const rel = cgroupfsPartitionPath(partitionOf(zone)).split('/').filter(Boolean);
    for (const h of this.sys.hierarchies) {
      let parent = h.dir;
      for (const comp of rel) {
        const dir = join(parent, comp);
        const made = this.mkdir(dir, report);
        // A new cpuset cgroup starts with no CPUs and no memory nodes; nothing can run
        // in it until they are copied from the parent (what libvirt's
        // virCgroupV1CpuSetInherit does for the groups it creates).
        if (h.controllers.includes('cpuset')) {
          for (const f of ['cpuset.cpus', 'cpuset.mems']) {
            const mine = readText(join(dir, f));
            if (made || mine === null || mine.trim() === '') {
              const from = readText(join(parent, f));
              if (from === null || from.trim() === '') report.warnings.push(`${join(parent, f)} is empty or missing; ${join(dir, f)} left as is`);
              else this.write(join(dir, f), from.trim(), report);
            }
          }
        }
        parent = dir;
      }
    }
  }

  /** The partition in a cgroup2 tree mounted at `root` (the whole tree on v2, the "unified" mount on a hybrid host). */
  private ensureV2(zone: string, root: string, rootControllers: readonly string[], report: PartitionReport): void {
    const rel = cgroupfsPartitionPath(partitionOf(zone)).split('/').filter(Boolean);
    let parent = root;
    // Each level must enable the controllers for its children in cgroup.subtree_control,
    // from the root down to the partition itself (libvirt then enables them for the
    // domain's own group below it). On a hybrid host the controllers libvirt uses are
    // bound to v1 and none of them is available here: then only the directories are made.
    let available = rootControllers;
    for (const comp of rel) {
      this.enableControllers(parent, available, report);
      const dir = join(parent, comp);
      this.mkdir(dir, report);
      const own = readText(join(dir, 'cgroup.controllers'));
      available = own !== null ? words(own) : words(readText(join(parent, 'cgroup.subtree_control')));
      parent = dir;
    }
    this.enableControllers(parent, available, report);
  }

  private enableControllers(dir: string, available: readonly string[], report: PartitionReport): void {
    const file = join(dir, 'cgroup.subtree_control');
    const enabled = new Set(words(readText(file)));
    const wanted = V2_ZONE_CONTROLLERS.filter((c) => available.includes(c));
    const missing = wanted.filter((c) => !enabled.has(c));
    if (missing.length === 0) return;
    // Writing the whole set at once is atomic in the kernel (and keeps a plain file
    // in a test tree equal to what the kernel would show); when the kernel refuses one
    // controller, enable them one by one and report the ones that failed.
    const all = [...new Set([...enabled, ...missing])];
    try {
      this.write(file, all.map((c) => `+${c}`).join(' '), report);
    } catch {
      for (const c of missing) {
        try {
          this.write(file, `+${c}`, report);
        } catch (e) {
          report.warnings.push(`cannot enable controller ${c} in ${file}: ${(e as Error).message}`);
        }
      }
    }
  }

  private writeLimits(zone: string, limits: ZoneLimits, report: PartitionReport): void {
    const rel = cgroupfsPartitionPath(partitionOf(zone));
    for (const w of limitWrites(this.sys.version, limits)) {
      let base: string | undefined;
      if (this.sys.version === 'v2') base = this.sys.root;
      else base = this.sys.hierarchies.find((h) => h.controllers.includes(w.controller))?.dir;
      if (!base) {
        report.warnings.push(`controller ${w.controller} is not mounted; ${w.file} not set`);
        continue;
      }
      const path = join(base, rel, w.file);
      try {
        this.write(path, w.value, report);
      } catch (e) {
        // e.g. EBUSY: a memory limit below what the zone already uses.
        report.warnings.push(`cannot write ${w.value} to ${path}: ${(e as Error).message}`);
      }
    }
  }

  /**
   * A zone on a systemd host is a slice the daemon asks systemd for: `systemctl start`
   * when it is created, then `systemctl set-property --runtime` for its limits (systemd
   * writes the drop-in under /run/systemd/system.control itself and changes a live slice
   * without restarting it: restarting would stop every VM scope in it).
   * No unit file and no daemon-reload: a slice unit may exist without a fragment. In
   * systemd's src/core/slice.c, slice_load() calls unit_load_fragment_and_dropin(u, false),
   * and with fragment_required false a unit with no file found is set UNIT_LOADED instead
   * of failing with ENOENT (src/core/unit.c); its parent slice (machine.slice) is derived
   * from the name (slice_add_parent_slice). So the unprivileged daemon needs only polkit's
   * leave for org.freedesktop.systemd1.manage-units on machine-virtzone\x2d*.slice with
   * the verbs systemd passes for these calls, "start" (StartUnit) and "set-property"
   * (SetUnitProperties): systemd/50-virtzone.rules.
   */
  private async ensureSlice(zone: string, limits: ZoneLimits, report: PartitionReport, create: boolean): Promise<void> {
    const name = systemdSliceName(partitionOf(zone));
    report.unit = { name };
    report.commands = [];
    if (create) report.commands.push(['systemctl', 'start', name]);
    const props = Object.entries(sliceProperties(limits)).map(([k, v]) => `${k}=${v}`);
    report.commands.push(['systemctl', 'set-property', '--runtime', name, ...props]);
    if (this.opts.run) {
      for (const [cmd, ...args] of report.commands) {
        try {
          await this.opts.run(cmd, args);
        } catch (e) {
          report.warnings.push(`${[cmd, ...args].join(' ')} failed: ${(e as Error).message}`);
        }
      }
    }
  }

}
