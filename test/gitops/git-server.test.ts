/** The test git server itself: auth, the smart protocol both ways, gzip-compressed request bodies. */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '../fixtures/git-server.js';

const execFileAsync = promisify(execFile);
const TOKEN = 'server-test-token';

/** A plain git client with the token in an askpass helper (what any user's git would do). */
async function client(args: string[], cwd: string | undefined, token: string): Promise<{ code: number; stderr: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'client-'));
  const askpass = join(dir, 'askpass.sh');
  await writeFile(askpass, `#!/bin/sh\ncase "$1" in Username*) echo user ;; *) echo '${token}' ;; esac\n`, { mode: 0o700 });
  try {
    await execFileAsync('git', args, {
      cwd,
      env: { PATH: process.env.PATH, HOME: dir, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: askpass, LC_ALL: 'C', GIT_AUTHOR_NAME: 'c', GIT_AUTHOR_EMAIL: 'c@example.com', GIT_COMMITTER_NAME: 'c', GIT_COMMITTER_EMAIL: 'c@example.com' },
    });
    return { code: 0, stderr: '' };
  } catch (error) {
    return { code: (error as { code: number }).code, stderr: (error as { stderr: string }).stderr };
  }
}

describe('test git server (git http-backend behind basic auth)', () => {
  let server: GitServer;
  beforeAll(async () => {
    server = await startGitServer({ token: TOKEN });
    await server.createRepository('repo', { 'README.md': 'hello\n' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers 401 without or with a wrong token, and serves clone and push with the right one', async () => {
    const noAuth = await fetch(`${server.httpUrl('repo')}/info/refs?service=git-upload-pack`);
    expect(noAuth.status).toBe(401);
    expect(noAuth.headers.get('www-authenticate')).toBe('Basic realm="git"');
    const work = await mkdtemp(join(tmpdir(), 'work-'));
    const wrong = await client(['clone', server.httpUrl('repo'), join(work, 'wrong')], undefined, 'nope');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/Authentication failed/);

    expect(await client(['clone', '--quiet', server.httpUrl('repo'), join(work, 'ok')], undefined, TOKEN)).toEqual({ code: 0, stderr: '' });
    await writeFile(join(work, 'ok', 'file.txt'), 'pushed\n');
    await client(['add', 'file.txt'], join(work, 'ok'), TOKEN);
    await client(['commit', '-qm', 'over http'], join(work, 'ok'), TOKEN);
    expect(await client(['push', '--quiet', 'origin', 'HEAD:main'], join(work, 'ok'), TOKEN)).toEqual({ code: 0, stderr: '' });
    expect(await server.subjects('repo')).toEqual(['over http', 'initial commit']);
  });

  it('inflates gzip request bodies (a fetch that sends many "have" lines)', async () => {
    const work = await mkdtemp(join(tmpdir(), 'gzip-'));
    const dir = join(work, 'clone');
    await client(['clone', '--quiet', server.httpUrl('repo'), dir], undefined, TOKEN);
    // Local-only history: the negotiation then lists every one of these commits, > 1 KiB, which git gzips.
    for (let i = 0; i < 80; i++) await client(['commit', '--allow-empty', '-qm', `local ${i}`], dir, TOKEN);
    await server.commit('repo', { 'new.txt': 'new\n' }, 'server side');
    // Without the remote-tracking ref the client can offer the common commit only after its 80 local ones, so
    // the negotiation needs a second round of 32 haves (> 1 KiB). With it, the common tip was sometimes among
    // the first 16 haves and one small, uncompressed round sufficed (seen under load).
    expect(await client(['update-ref', '-d', 'refs/remotes/origin/main'], dir, TOKEN)).toEqual({ code: 0, stderr: '' });
    server.requests.length = 0;
    expect(await client(['fetch', '--quiet', 'origin'], dir, TOKEN)).toEqual({ code: 0, stderr: '' });
    expect(server.requests.some((r) => r.method === "POST" && r.gzip && r.status === 200), JSON.stringify(server.requests)).toBe(true);
  });
});
