/**
 * Child processes for the benchmarks: each server or engine under test runs in its own Node process
 * (started with `--import tsx`), talks to the runner over the IPC channel, and is tracked so that the
 * runner can stop every child it started, whatever happens (see `stopAllChildren`).
 *
 * Protocol: the child sends `{ kind: 'ready', info }` once, then answers `{ kind: 'call', id, cmd, args }`
 * with `{ kind: 'reply', id, ok, result | error }`. A child exits on its own when the runner goes away.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// esbuild comes with tsx (the bench's runner); used to run a child as plain JavaScript.
import { build } from 'esbuild';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface CallMessage {
  readonly kind: 'call';
  readonly id: number;
  readonly cmd: string;
  readonly args: unknown;
}
interface ReplyMessage {
  readonly kind: 'reply';
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}
interface ReadyMessage {
  readonly kind: 'ready';
  readonly info: unknown;
}

export type IpcHandler = (args: unknown) => unknown;

/** Child side: announces readiness and serves calls. */
export function serveIpc(handlers: Readonly<Record<string, IpcHandler>>, info: unknown): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('this module runs as a child of bench/run.ts (no IPC channel)');
  process.on('message', (message: CallMessage) => {
    if (message?.kind !== 'call') return;
    const handler = handlers[message.cmd];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown command ${message.cmd}`);
        return handler(message.args);
      })
      .then(
        (result) => send({ kind: 'reply', id: message.id, ok: true, result } satisfies ReplyMessage),
        (error: unknown) =>
          send({ kind: 'reply', id: message.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies ReplyMessage),
      );
  });
  // The runner died or closed the channel: nobody will stop us, so stop.
  process.on('disconnect', () => process.exit(0));
  send({ kind: 'ready', info } satisfies ReadyMessage);
}

export interface StartChildOptions {
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Extra node flags, e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
  /**
   * Run the child as plain JavaScript: bundled with esbuild (npm packages left external) and started with
   * `node` alone, as the service runs in production, so that tsx's loader thread (about 90 MB of RSS) is not
   * counted in the child's memory. Only for children that read no file relative to their own source.
   */
  readonly bundle?: boolean;
  /** The child's stdout (logs): discarded by default. */
  readonly stdout?: 'ignore' | 'inherit';
  readonly readyTimeoutMs?: number;
}

const children = new Set<BenchChild>();

export class BenchChild {
  readonly name: string;
  readonly process: ChildProcess;
  readonly info: unknown;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  readonly #exited: Promise<number | null>;
  #nextId = 1;
  readonly #stderr: () => string;

  private constructor(name: string, child: ChildProcess, info: unknown, exited: Promise<number | null>, stderr: () => string) {
    this.name = name;
    this.process = child;
    this.info = info;
    this.#exited = exited;
    this.#stderr = stderr;
    child.on('message', (message: ReplyMessage) => {
      if (message?.kind !== 'reply') return;
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.ok) pending.resolve(message.result);
      else pending.reject(new Error(`${name}: ${message.error ?? 'failed'}`));
    });
    void exited.then((code) => {
      for (const { reject } of this.#pending.values()) reject(new Error(`${name} exited (${code}) during a call: ${stderr().slice(-2000)}`));
      this.#pending.clear();
    });
  }

  /** Starts `bench/<script>` in a new Node process and waits for its ready message. */
  static async start(name: string, script: string, options: StartChildOptions = {}): Promise<BenchChild> {
    const source = fileURLToPath(new URL(`../${script}`, import.meta.url));
    let entry = source;
    if (options.bundle) {
      const dir = join(REPO_ROOT, 'bench', 'results', 'build');
      mkdirSync(dir, { recursive: true });
      entry = join(dir, `${script.replace(/[/.]/g, '-')}.mjs`);
      await build({ entryPoints: [source], outfile: entry, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'error' });
    }
    const child = fork(entry, [...(options.args ?? [])], {
      cwd: REPO_ROOT,
      execArgv: [...(options.bundle ? [] : ['--import', 'tsx']), ...(options.nodeArgs ?? [])],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env },
      stdio: ['ignore', options.stdout ?? 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-20_000);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const info = await new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} was not ready within ${options.readyTimeoutMs ?? 60_000} ms: ${stderr}`)), options.readyTimeoutMs ?? 60_000);
      child.on('message', (message: ReadyMessage) => {
        if (message?.kind === 'ready') {
          clearTimeout(timer);
          resolve(message.info);
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code}) before it was ready: ${stderr}`));
      });
    });
    const handle = new BenchChild(name, child, info, exited, () => stderr);
    children.add(handle);
    return handle;
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  call<T>(cmd: string, args: unknown = {}): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: (value) => resolve(value as T), reject });
      this.process.send({ kind: 'call', id, cmd, args } satisfies CallMessage);
    });
  }

  /** Asks the child to stop (`stop` command, so CPU profiles get written), then SIGTERM, then SIGKILL. */
  async stop(timeoutMs = 15_000): Promise<void> {
    children.delete(this);
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const deadline = (ms: number) => new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
    this.call('stop').catch(() => {});
    if ((await Promise.race([this.#exited, deadline(timeoutMs)])) !== 'timeout') return;
    this.process.kill('SIGTERM');
    if ((await Promise.race([this.#exited, deadline(3_000)])) !== 'timeout') return;
    this.process.kill('SIGKILL');
    await this.#exited;
  }

  stderr(): string {
    return this.#stderr();
  }
}

const plainProcesses = new Set<ChildProcess>();

/** Tracks a process started without IPC (e.g. the service itself), so that `stopAllChildren` stops it too. */
export function trackProcess(child: ChildProcess): () => void {
  plainProcesses.add(child);
  child.once('exit', () => plainProcesses.delete(child));
  return () => plainProcesses.delete(child);
}

/** Stops every child still running (normal end, error or Ctrl-C): only processes this runner started, by pid. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...children].map((child) => child.stop(5_000)));
  await Promise.all(
    [...plainProcesses].map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}
