// A private, unprivileged libvirtd (session mode, as user nobody, in a temp folder) that
// serves only libvirt's test driver over its own Unix socket. It lets the tests lose a
// real remote connection (kill it, freeze it) without touching the host's libvirtd.
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NOBODY_UID = 65534;
const NOGROUP_GID = 65534;

export class PrivateLibvirtd {
  readonly dir: string;
  readonly socket: string;
  private proc: ChildProcess | null = null;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'vz-libvirtd-'));
    chmodSync(this.dir, 0o755);
    for (const sub of ['run', 'config', 'cache']) mkdirSync(join(this.dir, sub));
    for (const p of [this.dir, join(this.dir, 'run'), join(this.dir, 'config'), join(this.dir, 'cache')]) {
      chownSync(p, NOBODY_UID, NOGROUP_GID);
    }
    this.socket = join(this.dir, 'run', 'libvirt', 'libvirt-sock');
  }

  /** URI of the daemon's own test driver (its built-in "default" host). */
  get uri(): string {
    return `test+unix:///default?socket=${this.socket}`;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Starts libvirtd and waits for its socket. */
  async start(): Promise<void> {
    if (this.proc) throw new Error('already running');
    rmSync(this.socket, { force: true });
    const env = {
      PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: this.dir,
      XDG_RUNTIME_DIR: join(this.dir, 'run'),
      XDG_CONFIG_HOME: join(this.dir, 'config'),
      XDG_CACHE_HOME: join(this.dir, 'cache'),
    };
    // libvirtd refuses nothing as root, but a root daemon would share /run/libvirt with
    // the host's own; as nobody it runs in session mode under this.dir only.
    const proc = spawn('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'libvirtd'], {
      env,
      stdio: 'ignore',
    });
    this.proc = proc;
    const exited = new Promise<never>((_, reject) => {
      proc.once('error', (err) => reject(new Error(`cannot start libvirtd (is libvirt-daemon installed?): ${err.message}`)));
      proc.once('exit', (code) => reject(new Error(`libvirtd exited at start (code ${code})`)));
    });
    const deadline = Date.now() + 10_000;
    const ready = (async () => {
      while (!existsSync(this.socket)) {
        if (Date.now() > deadline) throw new Error('libvirtd did not create its socket within 10 s');
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await Promise.race([ready, exited]);
    exited.catch(() => undefined);
  }

  signal(sig: NodeJS.Signals): void {
    this.proc?.kill(sig);
  }

  /** Kills the daemon (SIGKILL; SIGCONT first in case it was frozen) and waits for it. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = null;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGCONT');
    proc.kill('SIGKILL');
    await gone;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
