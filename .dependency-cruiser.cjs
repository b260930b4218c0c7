// The structure rule: core/ is the shared foundation and imports no component; components
// (collector, forecaster, partitioner, router, simulator) reach each other only through
// each one's public entry, index.ts, which the composition root (daemon/process) and the
// CLI use too; nothing but daemon/bin imports daemon/. Checked by `npm run depcheck` and by
// test/structure/dependencies.test.ts. Tests and benchmarks (scripts/) may reach internals:
// they test and measure them.
const COMPONENTS = '(collector|forecaster|partitioner|router|simulator)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'an import cycle ties modules that should be layered',
      severity: 'error',
      from: { path: '^(core|collector|forecaster|partitioner|router|simulator|cli|daemon|scripts)/' },
      to: { circular: true },
    },
    {
      name: 'core-imports-no-component',
      comment: 'core/ is what every part shares: it must not depend on any of them',
      severity: 'error',
      from: { path: '^core/' },
      to: { path: '^(collector|forecaster|partitioner|router|simulator|cli|daemon|scripts)/' },
    },
    {
      name: 'only-bin-imports-daemon',
      comment: 'daemon/process is the composition root: only the entry in daemon/bin starts it',
      severity: 'error',
      from: { path: '^(core|collector|forecaster|partitioner|router|simulator|cli|scripts)/' },
      to: { path: '^daemon/' },
    },
    {
      name: 'through-public-entry',
      comment: "another component is reached only through its index.ts, never its internals",
      severity: 'error',
      from: { path: '^(collector|forecaster|partitioner|router|simulator|cli|daemon)/' },
      to: {
        path: `^${COMPONENTS}/`,
        pathNot: ['^$1/', `^${COMPONENTS}/index\\.ts$`],
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|build)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
