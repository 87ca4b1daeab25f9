/**
 * GitDelivery's proposals (for pull requests) against real git: the change goes to the promotion's own
 * branch, never to the protected one; a resumed call finds its own proposal; a rebase makes the change
 * again on the target's new tip; the rollback of a forge's merge commit is `git revert -m 1` on a branch
 * of its own; a push refused by branch protection says to configure pull requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitError, type ImageLocator } from '../../services/promoter/src/adapters/git/index.js';
import { startGitServer, type GitServer } from '../fixtures/git-server.js';
import { MANIFEST, makeDelivery, writeTokenFile, type DeliverySetup } from './support.js';

const TOKEN = 'proposal-token-5c1e';
const PROXY: ImageLocator = { kind: 'manifest', container: 'proxy' };
const OLD = 'ronaldraygun/zai-proxy:1.2.0';
const NEW = 'ronaldraygun/zai-proxy:1.2.1';
const FILE = 'apps/zai-proxy.yaml';

describe('GitDelivery proposals on a branch of their own', () => {
  let server: GitServer;
  let tokenFile: string;

  beforeAll(async () => {
    server = await startGitServer({ token: TOKEN });
    tokenFile = await writeTokenFile(TOKEN);
  });
  afterAll(async () => {
    await server?.close();
  });

  const setUp = async (name: string): Promise<DeliverySetup> => {
    await server.createRepository(name, { [FILE]: MANIFEST, 'README.md': '# deploy\n' });
    return makeDelivery([{ name, url: server.httpUrl(name), auth: { type: 'token', tokenFile } }]);
  };
  const propose = (setup: DeliverySetup, repository: string, id: string, rebase = false) =>
    setup.delivery.commitImage({ repository, file: FILE, locator: PROXY, expectedCurrentImage: OLD, newImage: NEW, promotionId: id, proposal: { branch: `promoter/${id}`, rebase } });
  const rev = async (repository: string, ref: string) => (await server.git(repository, ['rev-parse', ref])).trim();

  it('pushes the change to promoter/<id> and leaves main alone; a resumed call finds its own proposal', async () => {
    const setup = await setUp('propose');
    const mainBefore = await rev('propose', 'main');
    const first = await propose(setup, 'propose', 'p-1');
    expect(first).toMatchObject({ branch: 'promoter/p-1', outcome: 'proposed', created: true, previousImage: OLD });
    expect(await rev('propose', 'main')).toBe(mainBefore);
    expect(await rev('propose', 'refs/heads/promoter/p-1')).toBe(first.commit);
    expect(await rev('propose', `${first.commit}^`)).toBe(mainBefore);
    expect(await server.git('propose', ['show', `promoter/p-1:${FILE}`])).toContain(`image: ${NEW}`);

    const again = await propose(setup, 'propose', 'p-1');
    expect(again).toMatchObject({ commit: first.commit, outcome: 'found-own-proposal', created: false, previousImage: OLD });
  });

  it('rebases: the change is made again on the new tip of main and replaces the branch', async () => {
    const setup = await setUp('rebase');
    const first = await propose(setup, 'rebase', 'p-2');
    await server.commit('rebase', { 'README.md': '# deploy\n\nmoved on\n' }, 'docs: someone else');
    const mainNow = await rev('rebase', 'main');
    const rebased = await propose(setup, 'rebase', 'p-2', true);
    expect(rebased.outcome).toBe('proposed');
    expect(rebased.commit).not.toBe(first.commit);
    expect(await rev('rebase', `${rebased.commit}^`)).toBe(mainNow);
    expect(await rev('rebase', 'refs/heads/promoter/p-2')).toBe(rebased.commit);
  });

  it('reverts a forge merge commit with -m 1 on promoter/<id>-rollback, keeping what main gained since', async () => {
    const setup = await setUp('revert');
    const proposed = await propose(setup, 'revert', 'p-3');
    // The forge's merge: a real merge commit of the branch into main, as GitHub's "Create a merge commit" makes.
    await server.commit('revert', { 'README.md': '# deploy\n\nunrelated\n' }, 'docs: unrelated');
    await server.git('revert', ['update-ref', 'refs/heads/main', (await mergeInBare(server, 'revert', 'promoter/p-3')).trim()]);
    const merge = await rev('revert', 'main');
    expect((await server.git('revert', ['rev-list', '--parents', '-n', '1', merge])).trim().split(' ')).toHaveLength(3);
    const undone = await setup.delivery.revertImage({ repository: 'revert', promotionId: 'p-3', commit: merge, file: FILE, locator: PROXY, proposal: { branch: 'promoter/p-3-rollback' } });
    expect(undone).toMatchObject({ branch: 'promoter/p-3-rollback', outcome: 'proposed', method: 'revert', restoredImage: OLD });
    expect(await rev('revert', 'main')).toBe(merge);
    expect(await server.git('revert', ['show', `promoter/p-3-rollback:${FILE}`])).toContain(`image: ${OLD}`);
    expect(await server.git('revert', ['show', 'promoter/p-3-rollback:README.md'])).toContain('unrelated');
    expect(proposed.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('refuses a proposal branch that is the protected branch itself or not a safe name', async () => {
    const setup = await setUp('names');
    for (const branch of ['main', '-x', 'a..b', 'promoter/../main', 'x.lock']) {
      await expect(setup.delivery.commitImage({ repository: 'names', file: FILE, locator: PROXY, expectedCurrentImage: OLD, newImage: NEW, promotionId: 'p-4', proposal: { branch } })).rejects.toBeInstanceOf(GitError);
    }
  });
});

/** A merge commit of `branch` into main made inside the bare repository (no work tree): git merge-tree + commit-tree. */
async function mergeInBare(server: GitServer, repository: string, branch: string): Promise<string> {
  const tree = (await server.git(repository, ['merge-tree', '--write-tree', 'main', branch])).split('\n')[0]!.trim();
  return server.git(repository, ['commit-tree', tree, '-p', 'main', '-p', branch, '-m', `Merge pull request #1 from ${branch}`]);
}
