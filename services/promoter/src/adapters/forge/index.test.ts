import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseGitConfig, type GitRepositoryConfig } from '../git/repositories-config.js';
import { startForgeTestServer, type ForgeTestServer } from './forge-test-server.js';
import { ForgeError, forgeClientFor, GitHubClient, GitLabClient } from './index.js';

let dir: string;
let server: ForgeTestServer;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forge-token-'));
  server = await startForgeTestServer({
    'GET /repos/team/deploy/pulls/1': { status: 200, json: { number: 1, state: 'open', merged: false, mergeable: true, mergeable_state: 'clean', head: { sha: 'abc1234', ref: 'b' } } },
    'GET /api/v4/projects/team%2Fdeploy/merge_requests/1': { status: 200, json: { iid: 1, state: 'opened', detailed_merge_status: 'mergeable', sha: 'abc1234' } },
  });
});

afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function repository(forge: Record<string, unknown>, auth: Record<string, unknown> = { type: 'none' }): GitRepositoryConfig {
  const config = parseGitConfig(
    JSON.stringify({ repositories: [{ name: 'deploy', url: 'https://git.example.com/team/deploy.git', auth, author: { name: 'p', email: 'p@example.com' }, changes: 'pull-request', forge }] }),
    'repos.json',
    { cacheDir: '/var/cache/promoter' },
  );
  return config.repositories[0] as GitRepositoryConfig;
}

describe('forgeClientFor', () => {
  it('builds a GitHub client that reads its token file at each call', async () => {
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'first\n');
    const client = forgeClientFor(repository({ type: 'github', apiUrl: server.url, project: 'team/deploy', tokenFile }), {});
    expect(client).toBeInstanceOf(GitHubClient);
    await client.status(1);
    await writeFile(tokenFile, 'rotated\n');
    await client.status(1);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer first', 'Bearer rotated']);
  });

  it("builds a GitLab client that uses the repository's own token variable by default", async () => {
    const client = forgeClientFor(repository({ type: 'gitlab', apiUrl: `${server.url}/api/v4`, project: 'team/deploy' }, { type: 'token', tokenEnv: 'GIT_TOKEN', username: 'oauth2' }), { GIT_TOKEN: ' glpat-1 ' });
    expect(client).toBeInstanceOf(GitLabClient);
    expect(await client.status(1)).toEqual({ state: 'open', mergeable: 'clean', headSha: 'abc1234' });
    expect(server.requests[0]?.headers['private-token']).toBe('glpat-1');
  });

  it('a missing token file or an empty variable is a ForgeError naming where to look, before any request', async () => {
    const missing = forgeClientFor(repository({ type: 'github', apiUrl: server.url, project: 'team/deploy', tokenFile: join(dir, 'nope') }), {});
    await expect(missing.status(1)).rejects.toThrow(new ForgeError(`cannot read the forge token file ${join(dir, 'nope')} of repository 'deploy' (ENOENT)`, { retryable: false }));
    const empty = forgeClientFor(repository({ type: 'github', apiUrl: server.url, project: 'team/deploy', tokenEnv: 'FORGE_TOKEN' }), { FORGE_TOKEN: '' });
    await expect(empty.status(1)).rejects.toThrow("the forge token variable FORGE_TOKEN of repository 'deploy' is empty or not set");
    expect(server.requests).toEqual([]);
  });

  it('refuses a repository that takes changes by push', () => {
    const config = parseGitConfig(JSON.stringify({ repositories: [{ name: 'deploy', url: 'https://h/d.git', author: { name: 'p', email: 'p@example.com' } }] }), 'r', { cacheDir: '/c' });
    expect(() => forgeClientFor(config.repositories[0] as GitRepositoryConfig, {})).toThrow("repository 'deploy' takes changes by push, not through pull requests");
  });
});
