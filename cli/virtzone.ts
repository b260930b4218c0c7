#!/usr/bin/env node
// virtzone: the operator CLI's entry. The program is cli/main.ts.
import { main } from './main.js';
import { ExitCode } from './output.js';

// `virtzone history X | head`: a closed pipe ends the output quietly, as with virsh
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? ExitCode.OK);
  throw err;
});

process.exitCode = await main();
