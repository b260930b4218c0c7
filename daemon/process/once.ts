// `virtzoned --once`: one collector tick against the configured host, written to the
// database and printed as JSON, then exit. For debugging a host or a config: an
// unreachable libvirt URI fails at once with libvirt's own message.
import type { Logger } from '../../core/log.js';
import type { Config } from '../../core/config/schema.js';
import { openHost } from '../../core/host/libvirt-host.js';
import { Store } from '../../core/store/store.js';
import { Collector } from '../../collector/index.js';

export async function runOnce(config: Config, log: Logger): Promise<number> {
  let host;
  try {
    host = await openHost(config.libvirt.uri, { events: false });
  } catch (err) {
    process.stderr.write(`virtzoned --once: ${(err as Error).message}\n`);
    return 1;
  }
  const store = Store.open(config.store.path, {
    rawRetentionHours: config.store.rawRetentionHours,
    rollupRetentionDays: config.store.rollupRetentionDays,
  });
  try {
    const collector = new Collector({ host: () => host, store, log: log.child({ component: 'collector' }) });
    const report = await collector.tick();
    collector.close();
    process.stdout.write(JSON.stringify({ uri: config.libvirt.uri, db: config.store.path, ...report }) + '\n');
    return 0;
  } catch (err) {
    process.stderr.write(`virtzoned --once: ${(err as Error).message}\n`);
    return 1;
  } finally {
    store.close();
    await host.close();
  }
}
