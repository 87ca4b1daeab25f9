/**
 * A real OpenSSH server on loopback for the SSH transport tests: `/usr/sbin/sshd` in the foreground with
 * its own configuration, host key, authorized_keys and pid file in a temporary folder, listening on
 * 127.0.0.1 only. Git runs over it exactly as against a forge: the client's ssh logs in as the user the
 * tests run as (sshd can only log in its own user unless it runs as root) and sshd starts
 * `git-upload-pack` / `git-receive-pack` on an absolute repository path through that user's shell.
 *
 * @example
 * const reason = sshdUnavailable();          // undefined when sshd is installed
 * const sshd = await startSshServer({ authorizedKeys: [await readFile(`${key}.pub`, 'utf8')] });
 * await writeFile(knownHosts, sshd.knownHostsLine);
 * // clone sshd.url('/tmp/.../deploy.git') with GIT_SSH_COMMAND using `key` and `knownHosts`
 * await sshd.close();
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../fixtures/ports.js';

const run = promisify(execFile);

export interface SshServer {
  readonly port: number;
  /** The user git logs in as (the one running the tests). */
  readonly user: string;
  /** The server's host key as a known_hosts line for `[127.0.0.1]:port`. */
  readonly knownHostsLine: string;
  /** `ssh://user@127.0.0.1:port/abs/path`. */
  url(absolutePath: string): string;
  /** What sshd logged (-e: to stderr), for failure messages. */
  output(): string;
  close(): Promise<void>;
}

/** Where sshd is: Debian installs it outside a normal user's PATH. */
function sshdPath(): string | undefined {
  const candidates = ['/usr/sbin/sshd', ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'sshd'))];
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Why no SSH server can be run here (no sshd installed), or undefined when one can. */
export function sshdUnavailable(): string | undefined {
  return sshdPath() === undefined ? 'sshd is not installed (Debian package openssh-server; /usr/sbin/sshd)' : undefined;
}

export async function startSshServer(options: { authorizedKeys: readonly string[]; timeoutMs?: number }): Promise<SshServer> {
  const binary = sshdPath();
  if (binary === undefined) throw new Error(`cannot start an SSH server: ${sshdUnavailable() ?? ''}`);
  // Privilege separation chroots into /run/sshd: it must exist (no init system created it here).
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 }).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`cannot start an SSH server: /run/sshd is missing and cannot be created (${error.code ?? error.message})`);
  });
  const dir = await mkdtemp(join(tmpdir(), 'sshd-'));
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test-sshd', '-f', hostKey]);
  const authorizedKeys = join(dir, 'authorized_keys');
  await writeFile(authorizedKeys, options.authorizedKeys.map((key) => `${key.trim()}\n`).join(''), { mode: 0o600 });
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      // The temporary folder is under the world-writable /tmp, which StrictModes would refuse.
      'StrictModes no',
      // No PAM: nothing outside this folder (system accounts policy, motd, lastlog) takes part.
      'UsePAM no',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const child = spawn(binary, ['-D', '-e', '-f', config, '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await listening(child, () => log, port, options.timeoutMs ?? 10_000);
  } catch (error) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const [type, key] = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/);
  const user = userInfo().username;
  return {
    port,
    user,
    knownHostsLine: `[127.0.0.1]:${port} ${type} ${key}\n`,
    url: (absolutePath) => `ssh://${user}@127.0.0.1:${port}${absolutePath}`,
    output: () => log,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves when sshd says it listens on `port`; rejects with its output when it exits or takes too long. */
function listening(child: ChildProcess, output: () => string, port: number, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const fail = (why: string) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`sshd ${why}:\n${output()}`));
    };
    const timer = setTimeout(() => fail(`did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`), timeoutMs);
    const poll = setInterval(() => {
      if (output().includes(`Server listening on 127.0.0.1 port ${port}.`)) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      }
    }, 20);
    child.once('exit', (code, signal) => fail(`exited (${signal ?? `code ${code}`}) before listening`));
    child.once('error', (error) => fail(`could not be started: ${error.message}`));
  });
}

