/** Runs the CLI in-process (the same `run` the bin calls) and collects what it writes. */
import { run, type RunOptions } from '@promoter/cli';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as the one JSON document of a --json run. */
  json<T = unknown>(): T;
}

export async function cli(
  argv: readonly string[],
  options: Partial<Omit<RunOptions, 'stdout' | 'stderr'>> & { url?: string } = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const { url, env, ...rest } = options;
  const code = await run(argv, {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    env: { ...(url ? { PROMOTER_URL: url } : {}), ...env },
    ...rest,
  });
  return {
    code,
    stdout,
    stderr,
    json: <T>() => JSON.parse(stdout) as T,
  };
}
