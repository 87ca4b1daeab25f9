import { afterEach, describe, expect, it } from 'vitest';
import { ForgeError } from './forge-client.js';
import { startForgeTestServer, type ForgeTestServer, type Reply, type Routes } from './forge-test-server.js';
import { GitHubClient } from './github-client.js';

// Bodies trimmed from the examples in docs.github.com/en/rest/pulls/pulls (api version 2022-11-28).
const TOKEN = 'ghp_16C7e42F292c6912E7710c838347Ae178B4a';
const REPO = '/repos/octocat/Hello-World';
const HEAD_SHA = '6dcb09b5b57875f334f61aebed695e2e4193db5e';

function pull(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    url: 'https://api.github.com/repos/octocat/Hello-World/pulls/1347',
    id: 1,
    number: 1347,
    state: 'open',
    html_url: 'https://github.com/octocat/Hello-World/pull/1347',
    title: 'chore: promote zai-proxy to v1.2.1',
    user: { login: 'promoter-bot', id: 2 },
    head: { label: 'octocat:promoter/p-1', ref: 'promoter/p-1', sha: HEAD_SHA },
    base: { label: 'octocat:main', ref: 'main', sha: '3a0f86fb8db8eea7ccbb9a95f325ddbedfb25e15' },
    merged: false,
    mergeable: true,
    rebaseable: true,
    mergeable_state: 'clean',
    merged_by: null,
    merge_commit_sha: 'e5bd3914e2e596debea16f433f57875b5b90bcd6',
    ...overrides,
  };
}

const REF = { number: 1347, url: 'https://github.com/octocat/Hello-World/pull/1347', sourceBranch: 'promoter/p-1', targetBranch: 'main' };
const servers: ForgeTestServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function github(routes: Routes, mergeMethod?: 'merge' | 'squash'): Promise<{ client: GitHubClient; server: ForgeTestServer }> {
  const server = await startForgeTestServer(routes);
  servers.push(server);
  return { server, client: new GitHubClient({ apiUrl: server.url, project: 'octocat/Hello-World', token: async () => TOKEN, ...(mergeMethod ? { mergeMethod } : {}) }) };
}

describe('GitHubClient.openPullRequest', () => {
  const request = { sourceBranch: 'promoter/p-1', targetBranch: 'main', title: 'chore: promote zai-proxy to v1.2.1', body: '## Gate evidence' };

  it('POSTs the pull request with the documented headers and returns its number and page', async () => {
    const { client, server } = await github({ [`POST ${REPO}/pulls`]: { status: 201, json: pull() } });
    expect(await client.openPullRequest(request)).toEqual(REF);
    const [sent] = server.requests;
    expect(sent?.body).toEqual({ title: request.title, head: 'promoter/p-1', base: 'main', body: '## Gate evidence' });
    expect(sent?.headers).toMatchObject({ accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', authorization: `Bearer ${TOKEN}` });
    expect(sent?.headers['user-agent']).toBeTruthy();
  });

  it('finds the open one when GitHub says a pull request already exists (a resumed step)', async () => {
    const { client, server } = await github({
      [`POST ${REPO}/pulls`]: {
        status: 422,
        json: { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for octocat:promoter/p-1.' }], documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request' },
      },
      [`GET ${REPO}/pulls`]: { status: 200, json: [pull()] },
    });
    expect(await client.openPullRequest(request)).toEqual({ ...REF, existing: true });
    const query = server.requests[1]?.query;
    expect(Object.fromEntries(query ?? [])).toEqual({ head: 'octocat:promoter/p-1', base: 'main', state: 'open' });
  });

  it('reports any other 422 in GitHub words, not retryable', async () => {
    const { client } = await github({
      [`POST ${REPO}/pulls`]: { status: 422, json: { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: 'No commits between main and promoter/p-1' }] } },
    });
    await expect(client.openPullRequest(request)).rejects.toMatchObject({
      name: 'ForgeError',
      retryable: false,
      message: 'GitHub refused to open a pull request from promoter/p-1 into main: Validation Failed; No commits between main and promoter/p-1',
    });
  });
});

describe('GitHubClient.findPullRequest', () => {
  it('prefers the open pull request, else the newest of any state, else none', async () => {
    const answers: Reply[] = [{ status: 200, json: [] }, { status: 200, json: [pull({ state: 'closed', number: 9 })] }, { status: 200, json: [] }, { status: 200, json: [] }];
    const { client, server } = await github({ [`GET ${REPO}/pulls`]: () => answers.shift() ?? { status: 500 } });
    expect(await client.findPullRequest('promoter/p-1', 'main')).toMatchObject({ number: 9 });
    expect(Object.fromEntries(server.requests[1]?.query ?? [])).toMatchObject({ state: 'all', sort: 'created', direction: 'desc' });
    expect(await client.findPullRequest('promoter/p-1', 'main')).toBeUndefined();
  });
});

describe('GitHubClient.status', () => {
  const cases: ReadonlyArray<[string, { given: Record<string, unknown>; want: unknown }]> = [
    ['clean', { given: {}, want: { state: 'open', mergeable: 'clean', headSha: HEAD_SHA } }],
    ['has_hooks is clean', { given: { mergeable_state: 'has_hooks' }, want: { state: 'open', mergeable: 'clean', headSha: HEAD_SHA } }],
    ['unstable (only non-required checks failing) is still clean', { given: { mergeable_state: 'unstable' }, want: { state: 'open', mergeable: 'clean', headSha: HEAD_SHA } }],
    ['dirty is a conflict', { given: { mergeable: false, mergeable_state: 'dirty' }, want: { state: 'open', mergeable: 'conflict', headSha: HEAD_SHA } }],
    ['behind', { given: { mergeable_state: 'behind' }, want: { state: 'open', mergeable: 'behind', headSha: HEAD_SHA } }],
    ['mergeable null is unknown', { given: { mergeable: null, mergeable_state: 'clean' }, want: { state: 'open', mergeable: 'unknown', headSha: HEAD_SHA } }],
    ['unknown', { given: { mergeable_state: 'unknown' }, want: { state: 'open', mergeable: 'unknown', headSha: HEAD_SHA } }],
    ['draft is blocked', { given: { mergeable_state: 'draft' }, want: { state: 'open', mergeable: 'blocked', headSha: HEAD_SHA, blockedBy: 'the pull request is a draft' } }],
    ['merged, with the merge commit and who merged', { given: { state: 'closed', merged: true, merged_by: { login: 'alice' } }, want: { state: 'merged', mergeCommit: 'e5bd3914e2e596debea16f433f57875b5b90bcd6', mergedBy: 'alice' } }],
  ];
  it.each(cases)('%s', async (_name, { given, want }) => {
    const { client } = await github({ [`GET ${REPO}/pulls/1347`]: { status: 200, json: pull(given) } });
    expect(await client.status(1347)).toEqual(want);
  });

  it('closed without merging says who closed it, from the issue', async () => {
    const { client } = await github({
      [`GET ${REPO}/pulls/1347`]: { status: 200, json: pull({ state: 'closed', merged: false, merge_commit_sha: null }) },
      [`GET ${REPO}/issues/1347`]: { status: 200, json: { number: 1347, state: 'closed', closed_by: { login: 'bob\u001b[31m' } } },
    });
    expect(await client.status(1347)).toEqual({ state: 'closed', closedBy: 'bob' });
  });

  it('blocked names the checks that are not green and the reviews, from the head commit', async () => {
    const { client, server } = await github({
      [`GET ${REPO}/pulls/1347`]: { status: 200, json: pull({ mergeable_state: 'blocked' }) },
      [`GET ${REPO}/commits/${HEAD_SHA}/status`]: {
        status: 200,
        json: { state: 'failure', sha: HEAD_SHA, total_count: 2, statuses: [{ context: 'continuous-integration/jenkins', state: 'failure', description: 'Build has failed' }, { context: 'security/brakeman', state: 'success' }] },
      },
      [`GET ${REPO}/commits/${HEAD_SHA}/check-runs`]: {
        status: 200,
        json: { total_count: 3, check_runs: [{ name: 'lint', status: 'completed', conclusion: 'success' }, { name: 'e2e', status: 'in_progress', conclusion: null }, { name: 'unit', status: 'completed', conclusion: 'timed_out' }] },
      },
      [`GET ${REPO}/pulls/1347/reviews`]: { status: 200, json: [{ user: { login: 'carol' }, state: 'APPROVED' }, { user: { login: 'dave' }, state: 'CHANGES_REQUESTED' }, { user: { login: 'carol' }, state: 'COMMENTED' }] },
    });
    expect(await client.status(1347)).toEqual({
      state: 'open',
      mergeable: 'blocked',
      headSha: HEAD_SHA,
      blockedBy: 'check continuous-integration/jenkins failure; check e2e in progress; check unit timed_out; changes requested by dave',
    });
    // The pull request, the status, the check runs, the reviews, and the branch's protection (404 here: no admin rights).
    expect(server.requests).toHaveLength(5);
  });

  it('blocked with every check green and no approval says a review is missing', async () => {
    const { client } = await github({
      [`GET ${REPO}/pulls/1347`]: { status: 200, json: pull({ mergeable_state: 'blocked' }) },
      [`GET ${REPO}/commits/${HEAD_SHA}/status`]: { status: 200, json: { state: 'success', statuses: [] } },
      [`GET ${REPO}/commits/${HEAD_SHA}/check-runs`]: { status: 200, json: { total_count: 0, check_runs: [] } },
      [`GET ${REPO}/pulls/1347/reviews`]: { status: 200, json: [] },
    });
    expect(await client.status(1347)).toMatchObject({ mergeable: 'blocked', blockedBy: 'no check has reported on the head yet; no approving review' });
  });

  it('blocked, with the branch protection readable, names the required check that has not reported and not a review it does not require', async () => {
    const { client } = await github({
      [`GET ${REPO}/pulls/1347`]: { status: 200, json: pull({ mergeable_state: 'blocked' }) },
      [`GET ${REPO}/commits/${HEAD_SHA}/status`]: { status: 200, json: { state: 'pending', statuses: [] } },
      [`GET ${REPO}/commits/${HEAD_SHA}/check-runs`]: { status: 200, json: { total_count: 1, check_runs: [{ name: 'lint', status: 'completed', conclusion: 'success' }] } },
      [`GET ${REPO}/pulls/1347/reviews`]: { status: 200, json: [] },
      [`GET ${REPO}/branches/main/protection`]: { status: 200, json: { required_status_checks: { strict: false, contexts: ['ci/build', 'lint'], checks: [{ context: 'ci/build', app_id: null }] } } },
    });
    expect(await client.status(1347)).toMatchObject({ mergeable: 'blocked', blockedBy: 'required check ci/build has not reported' });
  });

  it('blocked stays blocked, with a generic reason, when the checks cannot be read', async () => {
    const { client } = await github({ [`GET ${REPO}/pulls/1347`]: { status: 200, json: pull({ mergeable_state: 'blocked' }) } });
    expect(await client.status(1347)).toMatchObject({ mergeable: 'blocked', blockedBy: 'a branch protection rule is not met (a required check or review)' });
  });

  it.each([
    ['a page that is not http(s)', { html_url: 'javascript:alert(1)' }, 'html_url'],
    ['a page of 5,000 characters', { html_url: `https://github.com/${'a'.repeat(5_000)}` }, 'html_url'],
    ['a page with a newline', { html_url: 'https://github.com/x\nInjected: line' }, 'html_url'],
    ['a number that is not positive', { number: 0 }, 'number'],
    ['a head that is not a commit id', { head: { ref: 'promoter/p-1', sha: 'main; rm -rf /' } }, 'head.sha'],
  ])('refuses an answer with %s: nothing of it is stored or shown', async (_name, overrides, field) => {
    const { client } = await github({ [`POST ${REPO}/pulls`]: { status: 201, json: pull(overrides) }, [`GET ${REPO}/pulls/1347`]: { status: 200, json: pull(overrides) } });
    const call = field === 'head.sha' ? client.status(1347) : client.openPullRequest({ sourceBranch: 'promoter/p-1', targetBranch: 'main', title: 't', body: 'b' });
    await expect(call).rejects.toThrow(new ForgeError(`GitHub answered without a valid '${field}'; check apiUrl points at the GitHub API`, { retryable: false }));
  });

  it('a body that is not a pull request is a ForgeError naming apiUrl', async () => {
    const { client } = await github({ [`GET ${REPO}/pulls/1347`]: { status: 200, json: { number: 1347, head: {} } } });
    await expect(client.status(1347)).rejects.toThrow(new ForgeError("GitHub answered without a valid 'head.sha'; check apiUrl points at the GitHub API", { retryable: false }));
  });
});

describe('GitHubClient.merge', () => {
  it('merges with the head pinned and returns the merge commit', async () => {
    const { client, server } = await github({
      [`PUT ${REPO}/pulls/1347/merge`]: { status: 200, json: { sha: '6dcb09b5b57875f334f61aebed695e2e4193db5e', merged: true, message: 'Pull Request successfully merged' } },
    });
    expect(await client.merge(1347, HEAD_SHA, 'chore: promote zai-proxy to v1.2.1 (#1347)')).toEqual({ merged: true, mergeCommit: HEAD_SHA });
    expect(server.requests[0]?.body).toEqual({ sha: HEAD_SHA, commit_title: 'chore: promote zai-proxy to v1.2.1 (#1347)', merge_method: 'merge' });
  });

  it('squashes where the repository says mergeMethod: squash', async () => {
    const { client, server } = await github({ [`PUT ${REPO}/pulls/1347/merge`]: { status: 200, json: { sha: HEAD_SHA, merged: true, message: 'Pull Request successfully merged' } } }, 'squash');
    expect(await client.merge(1347, HEAD_SHA, 'chore: promote zai-proxy to v1.2.1 (#1347)')).toEqual({ merged: true, mergeCommit: HEAD_SHA });
    expect(server.requests[0]?.body).toMatchObject({ merge_method: 'squash', commit_title: 'chore: promote zai-proxy to v1.2.1 (#1347)' });
  });

  const refusals: ReadonlyArray<[string, { reply: Reply; want: unknown }]> = [
    ['405 not mergeable', { reply: { status: 405, json: { message: 'Pull Request is not mergeable', documentation_url: 'https://docs.github.com/rest/pulls/pulls#merge-a-pull-request' } }, want: { merged: false, reason: 'Pull Request is not mergeable', conflict: false, headChanged: false } }],
    ['405 with a merge conflict', { reply: { status: 405, json: { message: 'Merge conflict' } }, want: { merged: false, reason: 'Merge conflict', conflict: true, headChanged: false } }],
    ['409 head changed', { reply: { status: 409, json: { message: 'Head branch was modified. Review and try the merge again.' } }, want: { merged: false, reason: 'Head branch was modified. Review and try the merge again.', conflict: false, headChanged: true } }],
  ];
  it.each(refusals)('%s is merged: false with the reason', async (_name, { reply, want }) => {
    const { client } = await github({ [`PUT ${REPO}/pulls/1347/merge`]: reply });
    expect(await client.merge(1347, HEAD_SHA, 't')).toEqual(want);
  });

  it('a 403 on merge is a ForgeError, not a refusal', async () => {
    const { client } = await github({ [`PUT ${REPO}/pulls/1347/merge`]: { status: 403, json: { message: 'Resource not accessible by integration' } } });
    await expect(client.merge(1347, HEAD_SHA, 't')).rejects.toMatchObject({ name: 'ForgeError', status: 403, retryable: false });
  });
});

describe('GitHubClient.close', () => {
  it('comments first, then closes', async () => {
    const { client, server } = await github({
      [`POST ${REPO}/issues/1347/comments`]: { status: 201, json: { id: 1, body: 'superseded' } },
      [`PATCH ${REPO}/pulls/1347`]: { status: 200, json: pull({ state: 'closed' }) },
    });
    await client.close(1347, 'superseded');
    expect(server.requests.map((r) => [r.method, r.path, r.body])).toEqual([
      ['POST', `${REPO}/issues/1347/comments`, { body: 'superseded' }],
      ['PATCH', `${REPO}/pulls/1347`, { state: 'closed' }],
    ]);
  });

  it('closes without a comment when none is given', async () => {
    const { client, server } = await github({ [`PATCH ${REPO}/pulls/1347`]: { status: 200, json: pull({ state: 'closed' }) } });
    await client.close(1347);
    expect(server.requests).toHaveLength(1);
  });
});

describe('GitHubClient construction', () => {
  it('refuses a project that is not owner/repo', () => {
    expect(() => new GitHubClient({ apiUrl: 'https://api.github.com', project: 'a/b/c', token: async () => TOKEN })).toThrow("a GitHub project is owner/repo, got 'a/b/c'");
  });
});
