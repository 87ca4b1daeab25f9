/**
 * Runs the real `git` binary: never through a shell (arguments are an array, so no quoting bugs and no
 * injection), with a deadline on every call (the whole process group is killed, so git's own children such
 * as git-remote-https or ssh die too), and in a clean environment: HOME and XDG_CONFIG_HOME point at an
 * empty folder and system/global config are off, so nothing in the operator's ~/.gitconfig (credential
 * helpers, hooks, signing, url rewrites) can change what the service does. Output is redacted before it
 * leaves this module.
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GitError, type GitErrorCode } from './git-error.js';
import { redact } from './redact.js';

export interface GitRunnerOptions {
  /** The git executable; `git` on PATH by default. */
  readonly gitBinary?: string;
  /** An empty folder used as HOME for git (created if missing). */
  readonly homeDir: string;
  /** Deadline of one git call unless the call says otherwise. */
  readonly timeoutMs: number;
  /** Receives one redacted line per finished command (for debug logs). */
  readonly trace?: (line: string) => void;
}

export interface RunOptions {
  readonly cwd?: string;
  /** Extra environment (credentials, identity); merged over the clean base. */
  readonly env?: Readonly<Record<string, string>>;
  /** Values to redact from everything this call returns or throws. */
  readonly secrets?: readonly string[];
  readonly timeoutMs?: number;
  /** Written to stdin (e.g. a commit message for `commit -F -`). */
  readonly input?: string;
  /** Resolve with the exit code instead of throwing when git exits non-zero. */
  readonly allowFailure?: boolean;
  /** The configured repository, for error messages. */
  readonly repository?: string;
  /**
   * Return stdout as bytes (`RunResult.bytes`), neither decoded nor redacted: for data such as a blob,
   * which never leaves the service as it is, and which would cost the event loop to decode and scan.
   */
  readonly bytes?: boolean;
}

export interface RunResult {
  readonly code: number;
  /** Empty when the call asked for `bytes`. */
  readonly stdout: string;
  readonly stderr: string;
  /** stdout as it came, when the call asked for `bytes`. */
  readonly bytes?: Buffer;
}

/** Options on every call: no hooks, no signing prompts, no pager. */
const FIXED_CONFIG = ['-c', 'core.hooksPath=/dev/null', '-c', 'commit.gpgSign=false', '-c', 'tag.gpgSign=false', '-c', 'core.pager=cat', '-c', 'credential.helper='];
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

export class GitRunner {
  readonly #options: GitRunnerOptions;
  #homeReady: Promise<unknown> | undefined;

  constructor(options: GitRunnerOptions) {
    this.#options = options;
  }

  async run(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    this.#homeReady ??= mkdir(join(this.#options.homeDir, '.config'), { recursive: true, mode: 0o700 });
    await this.#homeReady;
    const secrets = options.secrets ?? [];
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs;
    const started = Date.now();
    const outcome = await this.#spawn(args, options, timeoutMs);
    const stdout = options.bytes ? '' : redact(outcome.stdout.toString('utf8'), secrets);
    const stderr = redact(outcome.stderr, secrets);
    const what = `git ${args[0] ?? ''}`;
    this.#options.trace?.(
      redact(`${what}${options.repository ? ` (${options.repository})` : ''}: ${outcome.timedOut ? 'timed out' : `exit ${outcome.code}`} in ${Date.now() - started} ms${stderr.trim() ? `: ${lastLines(stderr)}` : ''}`, secrets),
    );
    if (outcome.timedOut) {
      throw new GitError({ code: 'timeout', repository: options.repository, message: `${what} did not finish within ${timeoutMs} ms and was stopped.`, detail: lastLines(stderr) });
    }
    if (outcome.spawnError) {
      throw new GitError({ code: 'command-failed', repository: options.repository, message: `could not run git: ${redact(outcome.spawnError, secrets)}`, retryable: false });
    }
    if (outcome.code !== 0 && !options.allowFailure) throw classify(what, stdout, stderr, options.repository);
    return { code: outcome.code, stdout, stderr, ...(options.bytes ? { bytes: outcome.stdout } : {}) };
  }

  #env(extra: Readonly<Record<string, string>> | undefined): NodeJS.ProcessEnv {
    const home = this.#options.homeDir;
    return {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
      // Stable, parseable messages whatever the host's locale.
      LC_ALL: 'C',
      LANG: 'C',
      ...extra,
    };
  }

  #spawn(args: readonly string[], options: RunOptions, timeoutMs: number) {
    return new Promise<{ code: number; stdout: Buffer; stderr: string; timedOut: boolean; spawnError?: string }>((resolve) => {
      const child = spawn(this.#options.gitBinary ?? 'git', [...FIXED_CONFIG, ...args], {
        cwd: options.cwd,
        env: this.#env(options.env),
        // Its own process group, so a timeout can stop git and the helpers it started.
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let size = 0;
      const collect = (into: Buffer[]) => (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_OUTPUT_BYTES) into.push(chunk);
      };
      child.stdout.on('data', collect(out));
      child.stderr.on('data', collect(err));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid);
      }, timeoutMs);
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input ?? '');
      let spawnError: string | undefined;
      child.once('error', (error) => (spawnError = error.message));
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), timedOut, ...(spawnError ? { spawnError } : {}) });
      });
    });
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Turns a failed command's (redacted) output into a GitError with a code the caller can act on. */
export function classify(what: string, stdout: string, stderr: string, repository: string | undefined): GitError {
  const text = `${stderr}\n${stdout}`;
  const rule = RULES.find(([pattern]) => pattern.test(text));
  const [, code, explanation] = rule ?? [undefined, 'command-failed' as GitErrorCode, 'failed'];
  const detail = lastLines(stderr || stdout);
  return new GitError({ code, repository, message: `${what} ${explanation}${detail ? `: ${detail}` : ''}`, detail });
}

const RULES: ReadonlyArray<readonly [RegExp, GitErrorCode, string]> = [
  [/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No \S+ host key is known/i, 'host-key-rejected', 'was refused: the host key of the server is not in the configured known_hosts, or does not match the key there'],
  [/Authentication failed|could not read (Username|Password)|terminal prompts disabled|Permission denied \(publickey|returned error: 40[13]|HTTP Basic: Access denied|invalid credentials/i, 'auth-failed', 'was refused: the credentials were not accepted'],
  [/Repository not found|does not appear to be a git repository|returned error: 404|repository '[^']*' not found/i, 'repository-not-found', 'failed: the repository was not found'],
  [/Remote branch \S+ not found|couldn't find remote ref/i, 'branch-not-found', 'failed: the branch does not exist on the remote'],
  [/command-line line \d+:|Bad configuration option|invalid quotes|unsupported option/i, 'command-failed', 'failed: ssh rejected its options'],
  [/Could not resolve host|Connection refused|Failed to connect|Connection timed out|Network is unreachable|Could not read from remote repository|unable to access|SSL|Connection reset|Empty reply/i, 'unreachable', 'could not reach the remote'],
];

function lastLines(text: string, count = 4): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('hint:'))
    .slice(-count)
    .join(' | ')
    .slice(0, 600);
}
