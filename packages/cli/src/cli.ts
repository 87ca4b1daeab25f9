#!/usr/bin/env node
/** The `promoter` binary: wires `run` to this process (argv, streams, environment, Ctrl-C). */
import { run } from './run.js';

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
