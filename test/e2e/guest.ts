// The tiny e2e guest: building it (scripts/e2e/build-guest.sh), rendering its domain
// XML (scripts/e2e/guest.xml.tmpl) and reading what it reports about itself on its
// console log (scripts/e2e/guest-init.sh writes "VZ ..." lines).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { E2E_SCRIPTS } from './libvirtd.js';

const run = promisify(execFile);

export const E2E_DIR = process.env.VZ_E2E_DIR ?? '/var/tmp/virtzone-e2e';

export interface GuestImage {
  kernel: string;
  initrd: string;
  kver: string;
}

/** Builds the guest once (cached by the script) and returns where it is. */
export async function buildGuest(outDir = join(E2E_DIR, 'guest')): Promise<GuestImage> {
  await run('bash', [join(E2E_SCRIPTS, 'build-guest.sh'), outDir], { timeout: 600_000, maxBuffer: 16 << 20 });
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(outDir, 'guest.env'), 'utf8').split('\n')) {
    const m = /^(\w+)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2].replace(/^"|"$/g, '');
  }
  return { kernel: env.VZ_GUEST_KERNEL, initrd: env.VZ_GUEST_INITRD, kver: env.VZ_GUEST_KVER };
}

export interface GuestOptions {
  name: string;
  image: GuestImage;
  /** guest-init.sh's vz.burn: busy loops ("2"), or a schedule ("2:30,0:30") */
  burn?: string | number;
  /** seconds between the guest's report lines */
  reportSeconds?: number;
  /** guest-init.sh's vz.hog: MiB the guest keeps in use ("64"), or a schedule ("0:60,64:3600") */
  hog?: string | number;
  /** libvirt resource partition, e.g. /machine/virtzone-gold */
  partition?: string;
  /** inner XML of <metadata> */
  metadata?: string;
  /** console log file; default E2E_DIR/console/NAME.log */
  consoleLog?: string;
}

const xmlAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');

export function consoleLogPath(name: string): string {
  return join(E2E_DIR, 'console', `${name}.log`);
}

/** The guest's domain XML: guest.xml.tmpl with its placeholders filled in. */
export function renderGuestXml(o: GuestOptions): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(o.name)) throw new Error(`guest name ${JSON.stringify(o.name)}: letters, digits, _ . - only`);
  const log = o.consoleLog ?? consoleLogPath(o.name);
  mkdirSync(dirname(log), { recursive: true });
  const cmdline = [
    'console=ttyS0',
    'panic=-1',
    `vz.burn=${o.burn ?? 0}`,
    `vz.report=${o.reportSeconds ?? 2}`,
    ...(o.hog ? [`vz.hog=${o.hog}`] : []),
  ].join(' ');
  const values: Record<string, string> = {
    NAME: o.name,
    KERNEL: xmlAttr(o.image.kernel),
    INITRD: xmlAttr(o.image.initrd),
    CMDLINE: xmlAttr(cmdline),
    CONSOLE_LOG: xmlAttr(log),
    METADATA: o.metadata ?? '',
    RESOURCE: o.partition ? `<resource><partition>${xmlAttr(o.partition)}</partition></resource>` : '',
  };
  const tmpl = readFileSync(join(E2E_SCRIPTS, 'guest.xml.tmpl'), 'utf8');
  // the leading comment documents the placeholders; it is not part of the domain
  const body = tmpl.slice(tmpl.indexOf('-->') + 3).trimStart();
  return body.replace(/\{\{([A-Z_]+)\}\}/g, (_, key: string) => {
    if (!(key in values)) throw new Error(`guest.xml.tmpl: unknown placeholder {{${key}}}`);
    return values[key];
  });
}

/** One "VZ report" line: the guest's own view of its CPUs and memory. */
export interface GuestReport {
  up: number;
  online: number;
  present: number;
  possible: number;
  memtotalKiB: number;
  memfreeKiB: number;
  burn: number;
  /** MiB the guest's memory hog holds now */
  hog: number;
}

/** Everything the guest said so far on its console. */
export interface GuestConsole {
  text: string;
  ready: boolean;
  reports: GuestReport[];
  onlined: string[];
}

export function readGuestConsole(path: string): GuestConsole {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const reports: GuestReport[] = [];
  const onlined: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    let m = /^VZ report up=(\d+) online=(\d+) present=(\d+) possible=(\d+) memtotal_kib=(\d+) memfree_kib=(\d+) burn=(\d+)(?: hog=(\d+))?/.exec(line);
    if (m) {
      const [up, online, present, possible, memtotalKiB, memfreeKiB, burn, hog] = m.slice(1).map((v) => Number(v ?? 0));
      reports.push({ up, online, present, possible, memtotalKiB, memfreeKiB, burn, hog });
      continue;
    }
    m = /^VZ onlined (cpu\d+)/.exec(line);
    if (m) onlined.push(m[1]);
  }
  return { text, ready: /^VZ ready /m.test(text), reports, onlined };
}

/** Polls `probe` until it returns a value other than undefined/false, or throws after timeoutMs. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
