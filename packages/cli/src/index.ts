/**
 * @promoter/cli as a library: the `promoter` command as a function, for embedding it in other tools.
 *
 * @example
 * ```ts
 * import { run } from '@promoter/cli';
 * const code = await run(['list', '--state', 'verifying', '--json'], { stdout: process.stdout, stderr: process.stderr, env: process.env });
 * ```
 */
export { run, DEFAULT_URL } from './run.js';
export type { RunOptions } from './run.js';
export type { TextSink } from './output.js';
export { EXIT } from './exit-codes.js';
export type { ExitCode } from './exit-codes.js';
