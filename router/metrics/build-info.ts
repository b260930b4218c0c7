// virtzone_build_info: the running version, the usual way to see (and join on) what a
// host runs.
import { existsSync, readFileSync } from 'node:fs';
import { Gauge, type Registry } from 'prom-client';

/** The package version, read from package.json next to the sources or the build (dist/). */
export function packageVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    const url = new URL(rel, import.meta.url);
    if (!existsSync(url)) continue;
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'virtzone' && typeof pkg.version === 'string') return pkg.version;
  }
  return 'unknown';
}

export function registerBuildInfo(registry: Registry, version = packageVersion()): void {
  const info = new Gauge({
    name: 'virtzone_build_info',
    help: 'the virtzone version and the Node.js version it runs on (value 1)',
    labelNames: ['version', 'node'] as const,
    registers: [registry],
  });
  info.set({ version, node: process.versions.node }, 1);
}
