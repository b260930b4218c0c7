// A real libvirtd for end-to-end tests: a thin wrapper over scripts/e2e/libvirtd.sh
// (which holds the how and the why), plus virsh for checks. virsh is for tests only;
// product code reaches libvirt through the HostAdapter.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const E2E_SCRIPTS = join(REPO_ROOT, 'scripts', 'e2e');
export const SYSTEM_URI = 'qemu:///system';

/** e2e tests run only when asked: they need root, start a system daemon and take minutes. */
export function e2eSkipReason(): string | false {
  if (process.env.VZ_E2E !== '1') return 'end-to-end tests run with VZ_E2E=1 (see scripts/e2e/README.md)';
  if (process.getuid?.() !== 0) return 'end-to-end tests need root (they start a system libvirtd)';
  return false;
}

async function script(cmd: 'start' | 'stop' | 'status' | 'kill' | 'restart'): Promise<string> {
  const { stdout, stderr } = await run('bash', [join(E2E_SCRIPTS, 'libvirtd.sh'), cmd], {
    timeout: 300_000,
    maxBuffer: 16 << 20,
  });
  return `${stdout}${stderr}`.trim();
}

export const startLibvirtd = () => script('start');
export const stopLibvirtd = () => script('stop');
export const killLibvirtd = () => script('kill');
export const restartLibvirtd = () => script('restart');

export class VirshError extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
  ) {
    super(`virsh ${args.join(' ')}: ${stderr.trim()}`);
  }
}

/** Runs `virsh -c qemu:///system ARGS` and returns its stdout. */
export async function virsh(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('virsh', ['-q', '-c', SYSTEM_URI, ...args], { timeout: 60_000 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new VirshError(args, err.stderr || err.message);
  }
}

/** `virsh domstats` of one domain as key → value (numbers where they parse). */
export async function domstats(name: string, ...groups: string[]): Promise<Record<string, string | number>> {
  const out = await virsh('domstats', ...groups, name);
  const stats: Record<string, string | number> = {};
  for (const line of out.split('\n')) {
    const m = /^\s+([^=\s]+)=(.*)$/.exec(line);
    if (!m) continue;
    const n = Number(m[2]);
    stats[m[1]] = m[2] !== '' && Number.isFinite(n) ? n : m[2];
  }
  return stats;
}

/** "key : value" tables as virsh schedinfo / memtune print them. */
export function parseVirshTable(out: string): Record<string, string> {
  const rows: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^\s*([^:]+?)\s*:\s*(.*?)\s*$/.exec(line);
    if (m) rows[m[1]] = m[2];
  }
  return rows;
}

/** Destroys (if running) and undefines (if persistent) a domain; never throws. */
export async function removeDomain(name: string): Promise<void> {
  await virsh('destroy', name).catch(() => undefined);
  await virsh('undefine', name).catch(() => undefined);
}

/** The pid of a running domain's QEMU, from libvirt's own record. */
export async function qemuPid(name: string): Promise<number> {
  return Number((await readFile(`/run/libvirt/qemu/${name}.pid`, 'utf8')).trim());
}
