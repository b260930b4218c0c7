// The collector's public entry: what the composition root, the CLI and other components may use.
export { Collector } from './collector.js';
export { CollectorRoutine } from './routine.js';
