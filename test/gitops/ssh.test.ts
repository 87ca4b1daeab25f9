/**
 * The SSH path as far as it can be exercised without an SSH server (this machine has no sshd and the
 * tests must not need a daemon): git really runs ssh through GIT_SSH_COMMAND with our options (ssh
 * rejects an unknown or malformed option before connecting, which would be `command-failed`, not
 * `unreachable`), with the key copied to a private 0600 file, strict host key checking and batch mode.
 * Authentication and host key verification against a real server are NOT exercised here.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GitCredentials } from '../../services/promoter/src/adapters/git/credentials.js';
import { makeDelivery } from './support.js';

const run = promisify(execFile);

async function keyPair(): Promise<{ dir: string; key: string; knownHosts: string }> {
  const dir = await mkdtemp(join(tmpdir(), "ssh key's dir-"));
  const key = join(dir, 'id_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'promoter-test', '-f', key]);
  const knownHosts = join(dir, 'known_hosts');
  await writeFile(knownHosts, '');
  return { dir, key, knownHosts };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('SSH transport (no server available: options and failure path only)', () => {
  it('builds GIT_SSH_COMMAND with the key copy, the known_hosts file and strict checking, quoted for sh', async () => {
    const { key, knownHosts } = await keyPair();
    const credentialsDir = await mkdtemp(join(tmpdir(), 'creds-'));
    const credentials = new GitCredentials(credentialsDir, {});
    const { env, secrets } = await credentials.forRepository({
      name: 'source',
      url: 'ssh://git@git.example.com/app.git',
      branch: 'main',
      auth: { type: 'ssh', privateKeyFile: key, knownHostsFile: knownHosts },
      author: { name: 'p', email: 'p@example.com' },
    });
    expect(secrets).toEqual([]);
    // What sh makes of it (git runs GIT_SSH_COMMAND through the shell).
    const { stdout } = await run('sh', ['-c', 'eval "set -- $GIT_SSH_COMMAND"; printf "%s\\n" "$@"'], { env: { GIT_SSH_COMMAND: env.GIT_SSH_COMMAND ?? '' } });
    const copy = join(credentialsDir, 'source.key');
    expect(stdout.split('\n').filter(Boolean)).toEqual([
      'ssh', '-F', '/dev/null', '-i', copy,
      '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none',
      '-o', `UserKnownHostsFile="${knownHosts}"`, '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=15',
    ]);
    expect((await stat(copy)).mode & 0o777).toBe(0o600);
    expect(await readFile(copy, 'utf8')).toBe(await readFile(key, 'utf8'));
  });

  it('runs real ssh with those options and reports an unreachable server as a typed error', async () => {
    const { key, knownHosts } = await keyPair();
    const port = await closedPort();
    const setup = await makeDelivery([{ name: 'source', url: `ssh://git@127.0.0.1:${port}/app.git`, auth: { type: 'ssh', privateKeyFile: key, knownHostsFile: knownHosts } }]);
    const error = await setup.delivery.readImage({ repository: 'source', file: 'VERSION', locator: { kind: 'helm-values', imagePath: 'x' } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'GitError', code: 'unreachable', repository: 'source', retryable: true });
    expect((error as Error).message).toMatch(/Connection refused/);
    const privateKey = await readFile(key, 'utf8');
    expect(JSON.stringify({ message: (error as Error).message, log: setup.logger.lines })).not.toContain(privateKey.split('\n')[1]);
  });

  it('says which key file is missing', async () => {
    const { knownHosts } = await keyPair();
    const setup = await makeDelivery([{ name: 'source', url: 'git@127.0.0.1:app.git', auth: { type: 'ssh', privateKeyFile: '/nonexistent/id_ed25519', knownHostsFile: knownHosts } }]);
    await expect(setup.delivery.readImage({ repository: 'source', file: 'VERSION', locator: { kind: 'helm-values', imagePath: 'x' } })).rejects.toMatchObject({
      code: 'credentials-missing',
      message: "repository 'source': cannot read the SSH private key /nonexistent/id_ed25519 (ENOENT)",
    });
  });
});
