/**
 * The service as it runs in production: `node services/promoter/dist/main.js` (built by `npm run build -w
 * @promoter/service`), or `node --import tsx services/promoter/src/main.ts` as `npm start` runs it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT, trackProcess } from './ipc.js';

export const DIST_MAIN = join(REPO_ROOT, 'services/promoter/dist/main.js');
export const SRC_MAIN = join(REPO_ROOT, 'services/promoter/src/main.ts');

export type Entry = 'dist' | 'tsx';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo; // TCP: an AddressInfo
      server.close(() => resolve(port));
    });
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds dist/ when it is missing or older than the sources. tsc emits even when the working tree has type
 * errors (other work in progress); then the build is used anyway and the note says so. Returns a note, or
 * undefined when dist/main.js cannot be had.
 */
export function ensureDist(log: (line: string) => void): string | undefined {
  const src = join(REPO_ROOT, 'services/promoter/src');
  if (existsSync(DIST_MAIN) && statSync(DIST_MAIN).mtimeMs >= newestMtime(src)) return 'dist/ was up to date';
  log('  building services/promoter/dist (npm run build -w @promoter/service)');
  const build = spawnSync('npm', ['run', 'build', '-w', '@promoter/service'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (!existsSync(DIST_MAIN)) {
    log(`  build failed: ${build.stdout.slice(-2000)}${build.stderr.slice(-2000)}`);
    return undefined;
  }
  if (build.status !== 0) {
    const errors = (build.stdout.match(/error TS/g) ?? []).length;
    log(`  tsc reported ${errors} type errors (work in progress elsewhere); using the emitted dist/ anyway`);
    return `dist/ built just before the run; tsc reported ${errors} type errors in the working tree, dist/ emitted anyway`;
  }
  return 'dist/ built just before the run';
}

export interface RunningService {
  readonly child: ChildProcess;
  readonly url: string;
  /** ms from spawn to the first 200 of /readyz. */
  readonly readyMs: number;
  /** Peak RSS (VmHWM) when it became ready, MB. */
  readonly peakRssMb: number;
  output(): string;
  stop(): Promise<number | null>;
}

export async function startService(entry: Entry, env: Record<string, string>, options: { logFile?: string; timeoutMs?: number } = {}): Promise<RunningService> {
  const port = await freePort();
  const args = entry === 'dist' ? [DIST_MAIN] : ['--import', 'tsx', SRC_MAIN];
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: env.HOME ?? '/tmp', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const untrack = trackProcess(child);
  let output = '';
  const file = options.logFile ? createWriteStream(options.logFile) : undefined;
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
    file?.write(chunk);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = t0 + (options.timeoutMs ?? 60_000);
  let readyMs: number | undefined;
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  while (readyMs === undefined) {
    if (gone) throw new Error(`the service exited before it was ready:\n${output}`);
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the service was not ready within ${options.timeoutMs ?? 60_000} ms:\n${output}`);
    }
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
      if (response.status === 200) readyMs = performance.now() - t0;
      await response.body?.cancel();
    } catch {
      // not listening yet
    }
    if (readyMs === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  let peakRssMb = Number.NaN;
  try {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    peakRssMb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
  } catch {
    // not Linux
  }
  return {
    child,
    url,
    readyMs,
    peakRssMb,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      untrack();
      file?.end();
      return code;
    },
  };
}
