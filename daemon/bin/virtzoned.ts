#!/usr/bin/env node
// virtzoned: the virtzone daemon. Flags override the matching config keys; with no
// config file at all the built-in defaults give a working daemon (gold, silver, bronze).
//
// Exit codes: 0 clean stop, 1 runtime failure, 2 bad command line, 65 damaged database
// (EX_DATAERR: restore a backup; restarting cannot help), 78 invalid configuration
// (EX_CONFIG: systemd's unit does not restart on it).
import { Command, CommanderError } from 'commander';
import { applyOverrides, ConfigError, loadConfigFile, type ConfigOverrides } from '../../core/config/load.js';
import type { Config } from '../../core/config/schema.js';
import { createLogger, writeErrorLine } from '../../core/log.js';
import type { LevelWithSilent, Logger } from 'pino';
import type { OpenHostOptions } from '../../core/host/libvirt-host.js';
import { Daemon } from '../process/daemon.js';
import { DatabaseCorruptError } from '../../core/store/integrity.js';
import { runOnce } from '../process/once.js';
import { createNotifier } from '../process/notify.js';
import { installSignalHandlers } from '../process/signals.js';
import { createConfigReloader } from '../process/config-reload.js';
import { FloorsExceedCapacityError } from '../../partitioner/index.js';
import { loadCredentials, loadTemplates, PeerRuleError, TokenFileError } from '../../router/index.js';

const EX_CONFIG = 78;
const EX_DATAERR = 65;

interface Flags extends ConfigOverrides {
  config?: string;
  /** true: the --config file (or the default path); a string: that file */
  checkConfig?: string | boolean;
  once?: boolean;
  demoReplay?: string;
  demoSpeed?: string;
}

function parseFlags(argv: string[]): Flags {
  const program = new Command('virtzoned')
    .description('virtzone daemon: per-priority availability zones for a KVM/libvirt host')
    .option('--config <file>', 'YAML configuration (default /etc/virtzone/virtzoned.yaml; absent = built-in defaults)')
    .option('--connect <uri>', 'libvirt URI (libvirt.uri), e.g. qemu:///system or test:///abs/host.xml')
    .option('--db <file>', 'SQLite database (store.path)')
    .option('--socket <path>', 'API Unix socket (api.socket)')
    .option('--listen <host:port>', 'also serve the API on loopback TCP (api.listen); needs --token-file')
    .option('--token-file <file>', 'tokens file for --listen: each token with its role, tenants and classes (api.tokenFile)')
    .option('--check-config [file]', 'validate the configuration (FILE, else --config, else the default path) with the files it names, then exit: 0 valid, 78 invalid (like nginx -t; systemctl reload runs it first)')
    .option('--once', 'collect one tick, print it as JSON and exit (debugging)')
    .option('--demo-replay <dir>', 'demo: give domains named bitbrains-<id> the CPU/memory use of that VM in a Bitbrains trace folder')
    .option('--demo-speed <n>', 'demo: replay clock speed (trace seconds per real second)', '60')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.parse(argv);
  return program.opts<Flags>();
}

/**
 * The config with what it names checked: templates' base XML files, the tokens file and
 * the api.peers users and groups. A bad one is a config error (exit 78, or a refused reload).
 */
function loadConfig(flags: Flags): Config {
  const config = applyOverrides(loadConfigFile(flags.config), flags);
  const source = flags.config ?? 'config';
  loadTemplates(config, source);
  try {
    loadCredentials(config);
  } catch (err) {
    if (err instanceof TokenFileError) throw new ConfigError(`${source}: key api.tokenFile: ${err.message}`, 'api.tokenFile');
    if (err instanceof PeerRuleError) throw new ConfigError(`${source}: key ${err.message}`, err.key);
    throw err;
  }
  return config;
}

async function demoOpenHost(dir: string, speed: number, log: Logger) {
  if (!(speed > 0)) throw new ConfigError(`--demo-speed: value ${speed} is invalid: expected a positive number`, 'demo-speed');
  const { loadReplaySeries, replayClock, replayHost } = await import('../../simulator/index.js');
  const { openHost } = await import('../../core/host/libvirt-host.js');
  const series = await loadReplaySeries(dir);
  const clock = replayClock(series, speed, Date.now());
  log.info({ dir, speed, vms: series.size }, 'demo: replaying trace utilization onto bitbrains-* domains');
  return async (uri: string, opts: OpenHostOptions) => replayHost(await openHost(uri, opts), series, clock);
}

async function main(): Promise<number> {
  let flags: Flags;
  try {
    flags = parseFlags(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  if (typeof flags.checkConfig === 'string') flags.config = flags.checkConfig;
  let config: Config;
  try {
    config = loadConfig(flags);
  } catch (err) {
    if (err instanceof ConfigError) {
      writeErrorLine(`virtzoned: invalid configuration: ${err.message}`);
      return EX_CONFIG;
    }
    throw err;
  }
  if (flags.checkConfig !== undefined) {
    process.stdout.write(`virtzoned: configuration ${flags.config ?? '/etc/virtzone/virtzoned.yaml (or the built-in defaults when it is absent)'} is valid\n`);
    return 0;
  }
  const log = createLogger(config.log.level as LevelWithSilent);

  if (flags.once) return runOnce(config, log);

  const notifier = createNotifier({ log });
  let daemon: Daemon;
  try {
    const openHost = flags.demoReplay ? await demoOpenHost(flags.demoReplay, Number(flags.demoSpeed), log) : undefined;
    daemon = new Daemon({ config, log, openHost });
    await daemon.start();
  } catch (err) {
    if (err instanceof DatabaseCorruptError) {
      const restore = `stop here and restore the latest \`virtzone backup\` copy to ${err.path} (move the damaged file and its -wal/-shm aside first)`;
      log.fatal({ db: err.path, [err.check]: err.problems }, `the database is damaged: refusing to start; ${restore}`);
      writeErrorLine(`virtzoned: ${err.message}: refusing to start; ${restore}`);
      return EX_DATAERR;
    }
    const code = err instanceof FloorsExceedCapacityError || err instanceof ConfigError ? EX_CONFIG : 1;
    log.fatal({ err: (err as Error).message }, 'virtzoned could not start');
    writeErrorLine(`virtzoned: ${(err as Error).message}`);
    return code;
  }
  const reloader = createConfigReloader({
    load: () => loadConfig(flags),
    current: () => config,
    apply: (next) => {
      // the daemon first: a config it refuses (floors above the host) is not taken
      daemon.reconfigure(next);
      config = next;
      log.level = next.log.level;
    },
    refresh: () => daemon.refreshCredentials(),
    log,
  });
  installSignalHandlers({
    reload: async () => {
      await reloader.reload();
    },
    shutdown: () => daemon.stop(),
    log,
    notifier,
  });
  notifier.startWatchdog();
  notifier.ready(`serving on ${config.api.socket}`);
  return -1; // keep running: the signal handlers end the process
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    writeErrorLine(`virtzoned: ${(err as Error)?.stack ?? err}`);
    process.exit(1);
  },
);
