/**
 * The promoter service as `npm start` runs it (`node --import tsx services/promoter/src/main.ts`), as a
 * child of the demo: one process, so a signal sent to it reaches the service itself, and tied to the demo
 * (`setpriv --pdeathsig`) so that it dies with the demo even when the demo is killed outright. Its log goes
 * to a file; the demo waits for `/readyz`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tiedToParent } from '@promoter/local-stack';

const MAIN = fileURLToPath(new URL('../../services/promoter/src/main.ts', import.meta.url));
const TSX_LOADER = pathToFileURL(fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url))).href;

export interface DemoService {
  readonly url: string;
  readonly pid: number | undefined;
  /** SIGTERM (the service shuts down gracefully), SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts the service with `env` (on top of PATH and HOME only: nothing of the demo's environment leaks in,
 * DATABASE_URL included, so it always runs on the embedded database) and waits until it is ready.
 */
export async function startDemoService(port: number, env: Readonly<Record<string, string>>, logFile: string, timeoutMs = 90_000): Promise<DemoService> {
  const command = tiedToParent(process.execPath, ['--import', TSX_LOADER, MAIN]);
  const log = createWriteStream(logFile);
  const child = spawn(command.command, command.args, {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const service: DemoService = { url, pid: child.pid, stop: (graceMs = 15_000) => stopChild(child, exited, graceMs).finally(() => log.end()) };
  try {
    await waitReady(url, child, timeoutMs, logFile);
    return service;
  } catch (error) {
    await service.stop(2_000);
    throw error;
  }
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the service exited (${child.exitCode ?? child.signalCode}) before it was ready; the end of its log:\n${tailOf(logFile)}`);
    }
    const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
      async (response) => {
        await response.body?.cancel();
        return response.ok;
      },
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the service was not ready within ${timeoutMs} ms; the end of its log:\n${tailOf(logFile)}`);
}

async function stopChild(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(killer);
}

/** The last lines of a log, for a failure message: the log itself goes with the throwaway folder. */
export function tailOf(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}
