/**
 * GitDelivery.isAncestor, which tells the Argo CD follower whether the revision Argo CD synced contains a
 * promotion's commit: against a real git server, for commits the working copy has and for ones pushed
 * after it was last fetched.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GitError } from '../../services/promoter/src/adapters/git/index.js';
import { startGitServer, type GitServer } from '../fixtures/git-server.js';
import { makeDelivery, writeTokenFile, type DeliverySetup } from './support.js';

const TOKEN = 'is-ancestor-token-5b1f';
let server: GitServer;
let git: DeliverySetup;

beforeAll(async () => {
  server = await startGitServer({ token: TOKEN });
  await server.createRepository('deploy', { 'apps/a.yaml': 'a: 1\n' });
  git = await makeDelivery([{ name: 'deploy', url: server.httpUrl('deploy'), auth: { type: 'token', tokenFile: await writeTokenFile(TOKEN) } }]);
}, 60_000);

afterAll(async () => {
  await git?.delivery.close();
  await server?.close();
});

it('says whether a commit is a revision or one of its ancestors, fetching commits pushed since', async () => {
  const first = await server.commit('deploy', { 'apps/a.yaml': 'a: 2\n' }, 'second');
  expect(await git.delivery.isAncestor('deploy', first, first)).toBe(true);
  // Pushed after the working copy was made: found after a fetch.
  const later = await server.commit('deploy', { 'apps/a.yaml': 'a: 3\n' }, 'third');
  expect(await git.delivery.isAncestor('deploy', first, later)).toBe(true);
  expect(await git.delivery.isAncestor('deploy', later, first)).toBe(false);
  expect(await git.delivery.isAncestor('deploy', first, 'f'.repeat(40))).toBe(false);
  await expect(git.delivery.isAncestor('deploy', 'main', later)).rejects.toBeInstanceOf(GitError);
});
