#!/usr/bin/env node
/** The `promoter` binary: wires `run` to this process (argv, streams, environment, Ctrl-C). */
import { EXIT } from './exit-codes.js';
import { run } from './run.js';

// A reader that went away (`promoter status | head`) makes the next write fail with EPIPE. Node ignores
// SIGPIPE, so without this the error would surface as a stack trace. Exit at once and quietly with the
// status a shell gives a command SIGPIPE ended (128 + 13): not 0, since a `--wait` cut short must not read
// as a success, and `set -o pipefail` scripts see what happened.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.closedPipe);
    throw error;
  });
}

const controller = new AbortController();
let interrupted = false;
process.on('SIGINT', () => {
  // The first Ctrl-C stops waiting cleanly; a second one exits at once.
  if (interrupted) process.exit(130);
  interrupted = true;
  controller.abort(new Error('interrupted'));
});

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  isTTY: process.stdout.isTTY === true,
  signal: controller.signal,
  cwd: process.cwd(),
  // A pseudo-terminal without a size reports 0 columns.
  columns: process.stdout.columns || Number(process.env.COLUMNS) || 80,
});
process.exitCode = code;
