import { describe, expect, it } from 'vitest';
import { cloneEditPush, REPO, useFakeForge } from './test-harness.js';

describe('GitHub: a protected branch refuses a direct push inside git', () => {
  const h = useFakeForge('github');

  it('prints GH006 and "protected branch hook declined", and leaves main alone', async () => {
    await h.forge.protectBranch(REPO, 'main', { requiredChecks: ['ci'] });
    const before = await h.forge.branchSha(REPO, 'main');
    const push = await cloneEditPush(h.forge, 'HEAD:main');
    expect(push.code).not.toBe(0);
    expect(push.output).toMatch(/^remote: error: GH006: Protected branch update failed for refs\/heads\/main\.\s*$/m);
    expect(push.output).toMatch(/^remote: error: Required status check "ci" is expected\.\s*$/m);
    expect(push.output).toContain(' ! [remote rejected] HEAD -> main (protected branch hook declined)');
    expect(await h.forge.branchSha(REPO, 'main')).toBe(before);
  });

  it('names the review rule when reviews are required', async () => {
    await h.forge.protectBranch(REPO, 'main', { requiredApprovals: 1 });
    const push = await cloneEditPush(h.forge, 'HEAD:main');
    expect(push.output).toMatch(/^remote: error: At least 1 approving review is required by reviewers with write access\.\s*$/m);
  });

  it('accepts a push to another branch (and to a protected name\'s prefix), with any user\'s token', async () => {
    await h.forge.protectBranch(REPO, 'main', { requiredChecks: ['ci'] });
    const push = await cloneEditPush(h.forge, 'HEAD:refs/heads/promoter/p1', 'alice');
    expect(push.code, push.output).toBe(0);
    expect(await h.forge.branchSha(REPO, 'promoter/p1')).toMatch(/^[0-9a-f]{40}$/);
    expect((await cloneEditPush(h.forge, 'HEAD:refs/heads/main-next')).code).toBe(0);
  });

  it('refuses git over HTTP with a wrong token', async () => {
    const url = new URL(h.forge.gitUrl(REPO));
    url.username = 'x';
    url.password = 'wrong';
    const { gitClient } = await import('./test-harness.js');
    const clone = await gitClient(['ls-remote', url.toString()]);
    expect(clone.code).not.toBe(0);
    expect(clone.output).toMatch(/Authentication failed|401/);
  });
});

describe('GitLab: a protected branch refuses a direct push inside git', () => {
  const h = useFakeForge('gitlab');

  it('prints GitLab\'s message and "pre-receive hook declined"', async () => {
    await h.forge.protectBranch(REPO, 'main');
    const push = await cloneEditPush(h.forge, 'HEAD:main');
    expect(push.code).not.toBe(0);
    expect(push.output).toMatch(/^remote: GitLab: You are not allowed to push code to protected branches on this project\.\s*$/m);
    expect(push.output).toContain(' ! [remote rejected] HEAD -> main (pre-receive hook declined)');
  });

  it('lets a developer push when the protection allows developers', async () => {
    await h.forge.protectBranch(REPO, 'main', { pushAccessLevel: 30 });
    expect((await cloneEditPush(h.forge, 'HEAD:main')).code).toBe(0);
  });
});
