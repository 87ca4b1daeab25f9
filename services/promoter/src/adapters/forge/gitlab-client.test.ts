import { afterEach, describe, expect, it } from 'vitest';
import { startForgeTestServer, type ForgeTestServer, type Reply, type Routes } from './forge-test-server.js';
import { GitLabClient } from './gitlab-client.js';

// Bodies trimmed from the examples in docs.gitlab.com/api/merge_requests.
const TOKEN = 'glpat-Xq3vT9pLk2Zm8RwN5bYc';
const MRS = '/projects/my-group%2Fsub%2Fmy-project/merge_requests';
const SHA = '8888888888888888888888888888888888888888';

function mergeRequest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 1,
    iid: 7,
    project_id: 3,
    title: 'chore: promote zai-proxy to v1.2.1',
    description: '## Gate evidence',
    state: 'opened',
    merged_by: null,
    merge_user: null,
    merged_at: null,
    closed_by: null,
    closed_at: null,
    target_branch: 'main',
    source_branch: 'promoter/p-1',
    draft: false,
    merge_status: 'can_be_merged',
    detailed_merge_status: 'mergeable',
    sha: SHA,
    merge_commit_sha: null,
    squash_commit_sha: null,
    has_conflicts: false,
    web_url: 'http://gitlab.example.com/my-group/sub/my-project/-/merge_requests/7',
    ...overrides,
  };
}

const REF = { number: 7, url: 'http://gitlab.example.com/my-group/sub/my-project/-/merge_requests/7', sourceBranch: 'promoter/p-1', targetBranch: 'main' };
const servers: ForgeTestServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function gitlab(routes: Routes, project = 'my-group/sub/my-project', mergeMethod?: 'merge' | 'squash'): Promise<{ client: GitLabClient; server: ForgeTestServer }> {
  const server = await startForgeTestServer(routes);
  servers.push(server);
  return { server, client: new GitLabClient({ apiUrl: `${server.url}/api/v4`, project, token: async () => TOKEN, ...(mergeMethod ? { mergeMethod } : {}) }) };
}

const at = (path: string) => path.replace('/projects', '/api/v4/projects');

describe('GitLabClient.openPullRequest', () => {
  const request = { sourceBranch: 'promoter/p-1', targetBranch: 'main', title: 'chore: promote zai-proxy to v1.2.1', body: '## Gate evidence' };

  it('POSTs the merge request to the URL-encoded project path with PRIVATE-TOKEN', async () => {
    const { client, server } = await gitlab({ [`POST ${at(MRS)}`]: { status: 201, json: mergeRequest() } });
    expect(await client.openPullRequest(request)).toEqual(REF);
    expect(server.requests[0]?.headers['private-token']).toBe(TOKEN);
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
    expect(server.requests[0]?.body).toEqual({ source_branch: 'promoter/p-1', target_branch: 'main', title: request.title, description: '## Gate evidence' });
  });

  it('addresses a project by numeric id too', async () => {
    const { client, server } = await gitlab({ 'POST /api/v4/projects/42/merge_requests': { status: 201, json: mergeRequest() } }, '42');
    await client.openPullRequest(request);
    expect(server.requests[0]?.path).toBe('/api/v4/projects/42/merge_requests');
  });

  it('finds the open one on 409 "Another open merge request already exists" (a resumed step)', async () => {
    const { client, server } = await gitlab({
      [`POST ${at(MRS)}`]: { status: 409, json: { message: ['Another open merge request already exists for this source branch: !7'] } },
      [`GET ${at(MRS)}`]: { status: 200, json: [mergeRequest()] },
    });
    expect(await client.openPullRequest(request)).toEqual({ ...REF, existing: true });
    expect(Object.fromEntries(server.requests[1]?.query ?? [])).toMatchObject({ source_branch: 'promoter/p-1', target_branch: 'main', state: 'opened' });
  });

  it('a 409 with no open merge request to find is a ForgeError in GitLab words', async () => {
    const { client } = await gitlab({
      [`POST ${at(MRS)}`]: { status: 409, json: { message: ['Another open merge request already exists for this source branch: !7'] } },
      [`GET ${at(MRS)}`]: { status: 200, json: [] },
    });
    await expect(client.openPullRequest(request)).rejects.toMatchObject({
      name: 'ForgeError',
      retryable: false,
      message: 'GitLab refused to open a merge request from promoter/p-1 into main: Another open merge request already exists for this source branch: !7',
    });
  });

  it('a 404 names the project path to check, never the token', async () => {
    const { client } = await gitlab({ [`POST ${at(MRS)}`]: { status: 404, json: { message: '404 Project Not Found' } } });
    const error = (await client.openPullRequest(request).then(() => undefined, (e: unknown) => e)) as Error;
    expect(error.message).toContain("(404 Project Not Found): check the project 'my-group/sub/my-project'");
    expect(error.message).not.toContain(TOKEN);
  });
});

describe('GitLabClient.findPullRequest', () => {
  it('prefers the opened merge request, else the newest of any state', async () => {
    const answers: Reply[] = [{ status: 200, json: [] }, { status: 200, json: [mergeRequest({ state: 'merged', iid: 5 })] }];
    const { client, server } = await gitlab({ [`GET ${at(MRS)}`]: () => answers.shift() ?? { status: 200, json: [] } });
    expect(await client.findPullRequest('promoter/p-1', 'main')).toMatchObject({ number: 5 });
    expect(server.requests[1]?.query.get('state')).toBeNull();
    expect(server.requests[1]?.query.get('order_by')).toBe('created_at');
    expect(await client.findPullRequest('promoter/p-1', 'main')).toBeUndefined();
  });
});

describe('GitLabClient.status', () => {
  const open = (mergeable: string, blockedBy?: string) => ({ state: 'open', mergeable, headSha: SHA, ...(blockedBy === undefined ? {} : { blockedBy }) });
  const cases: ReadonlyArray<[string, { given: Record<string, unknown>; want: unknown }]> = [
    ['mergeable is clean', { given: {}, want: open('clean') }],
    ['ci_must_pass', { given: { detailed_merge_status: 'ci_must_pass' }, want: open('blocked', 'the pipeline must succeed') }],
    ['ci_still_running', { given: { detailed_merge_status: 'ci_still_running' }, want: open('blocked', 'the pipeline is still running') }],
    ['not_approved', { given: { detailed_merge_status: 'not_approved' }, want: open('blocked', 'approval is required') }],
    ['discussions_not_resolved', { given: { detailed_merge_status: 'discussions_not_resolved' }, want: open('blocked', 'discussions must be resolved') }],
    ['draft_status', { given: { detailed_merge_status: 'draft_status' }, want: open('blocked', 'the merge request is a draft') }],
    ['blocked_status', { given: { detailed_merge_status: 'blocked_status' }, want: open('blocked', 'blocked by another merge request') }],
    ['a status this client does not know, in words', { given: { detailed_merge_status: 'some_new_rule\n' }, want: open('blocked', 'some new rule') }],
    ['conflict', { given: { detailed_merge_status: 'conflict', has_conflicts: true }, want: open('conflict') }],
    ['has_conflicts behind another blocking status', { given: { detailed_merge_status: 'not_approved', has_conflicts: true }, want: open('conflict') }],
    ['need_rebase is behind', { given: { detailed_merge_status: 'need_rebase' }, want: open('behind') }],
    ['checking', { given: { detailed_merge_status: 'checking' }, want: open('unknown') }],
    ['checking with a stale has_conflicts', { given: { detailed_merge_status: 'checking', has_conflicts: true }, want: open('unknown') }],
    ['unchecked', { given: { detailed_merge_status: 'unchecked' }, want: open('unknown') }],
    ['preparing', { given: { detailed_merge_status: 'preparing' }, want: open('unknown') }],
    ['locked (a merge in progress)', { given: { state: 'locked' }, want: open('unknown') }],
    ['before 15.6: can_be_merged', { given: { detailed_merge_status: undefined, merge_status: 'can_be_merged' }, want: open('clean') }],
    ['before 15.6: cannot_be_merged', { given: { detailed_merge_status: undefined, merge_status: 'cannot_be_merged' }, want: open('conflict') }],
    ['before 15.6: unchecked', { given: { detailed_merge_status: undefined, merge_status: 'unchecked' }, want: open('unknown') }],
    [
      'merged: merge commit and merge_user',
      { given: { state: 'merged', merge_commit_sha: 'a'.repeat(40), merge_user: { username: 'alice' }, merged_by: { username: 'old' } }, want: { state: 'merged', mergeCommit: 'a'.repeat(40), mergedBy: 'alice' } },
    ],
    ['merged by squash: squash_commit_sha, merged_by', { given: { state: 'merged', squash_commit_sha: 'b'.repeat(40), merged_by: { username: 'bob' } }, want: { state: 'merged', mergeCommit: 'b'.repeat(40), mergedBy: 'bob' } }],
    ['closed: who closed it', { given: { state: 'closed', closed_by: { username: 'carol' } }, want: { state: 'closed', closedBy: 'carol' } }],
    ['closed by nobody known', { given: { state: 'closed' }, want: { state: 'closed' } }],
  ];
  it.each(cases)('%s', async (_name, { given, want }) => {
    const { client } = await gitlab({ [`GET ${at(MRS)}/7`]: { status: 200, json: mergeRequest(given) } });
    expect(await client.status(7)).toEqual(want);
  });
});

describe('GitLabClient.merge', () => {
  it('merges with the head pinned and returns the merge commit', async () => {
    const { client, server } = await gitlab({ [`PUT ${at(MRS)}/7/merge`]: { status: 200, json: mergeRequest({ state: 'merged', merge_commit_sha: 'c'.repeat(40) }) } });
    expect(await client.merge(7, SHA, 'chore: promote zai-proxy to v1.2.1')).toEqual({ merged: true, mergeCommit: 'c'.repeat(40) });
    expect(server.requests[0]?.body).toEqual({ sha: SHA, merge_commit_message: 'chore: promote zai-proxy to v1.2.1' });
  });

  it('squashes where the repository says mergeMethod: squash, and takes the squashed commit when there is no merge commit', async () => {
    const { client, server } = await gitlab(
      { [`PUT ${at(MRS)}/7/merge`]: { status: 200, json: mergeRequest({ state: 'merged', merge_commit_sha: null, squash_commit_sha: 'd'.repeat(40) }) } },
      undefined,
      'squash',
    );
    expect(await client.merge(7, SHA, 'chore: promote zai-proxy to v1.2.1')).toEqual({ merged: true, mergeCommit: 'd'.repeat(40) });
    expect(server.requests[0]?.body).toMatchObject({ sha: SHA, squash: true, squash_commit_message: 'chore: promote zai-proxy to v1.2.1' });
  });

  it('accepted but not merged yet is merged: false, neither conflict nor head change', async () => {
    const { client } = await gitlab({ [`PUT ${at(MRS)}/7/merge`]: { status: 200, json: mergeRequest({ merge_when_pipeline_succeeds: true }) } });
    expect(await client.merge(7, SHA, 't')).toEqual({ merged: false, reason: 'GitLab accepted the merge but has not merged yet', conflict: false, headChanged: false });
  });

  const refusals: ReadonlyArray<[string, { reply: Reply; want: unknown }]> = [
    ['405 not mergeable', { reply: { status: 405, json: { message: '405 Method Not Allowed' } }, want: { merged: false, reason: '405 Method Not Allowed', conflict: false, headChanged: false } }],
    ['406 conflict', { reply: { status: 406, json: { message: 'Branch cannot be merged' } }, want: { merged: false, reason: 'Branch cannot be merged', conflict: true, headChanged: false } }],
    ['409 head changed', { reply: { status: 409, json: { message: 'SHA does not match HEAD of source branch: 9999999999999999999999999999999999999999' } }, want: { merged: false, reason: 'SHA does not match HEAD of source branch: 9999999999999999999999999999999999999999', conflict: false, headChanged: true } }],
    ['422 cannot be merged', { reply: { status: 422, json: { message: 'Branch cannot be merged' } }, want: { merged: false, reason: 'Branch cannot be merged', conflict: false, headChanged: false } }],
  ];
  it.each(refusals)('%s is merged: false with the reason', async (_name, { reply, want }) => {
    const { client } = await gitlab({ [`PUT ${at(MRS)}/7/merge`]: reply });
    expect(await client.merge(7, SHA, 't')).toEqual(want);
  });

  it('a 401 on merge is a ForgeError saying to check the token', async () => {
    const { client } = await gitlab({ [`PUT ${at(MRS)}/7/merge`]: { status: 401, json: { message: '401 Unauthorized' } } });
    await expect(client.merge(7, SHA, 't')).rejects.toMatchObject({ name: 'ForgeError', status: 401, retryable: false, message: expect.stringContaining('check that the forge token') });
  });
});

describe('GitLabClient.close', () => {
  it('leaves a note first, then closes with state_event', async () => {
    const { client, server } = await gitlab({
      [`POST ${at(MRS)}/7/notes`]: { status: 201, json: { id: 302, body: 'superseded' } },
      [`PUT ${at(MRS)}/7`]: { status: 200, json: mergeRequest({ state: 'closed' }) },
    });
    await client.close(7, 'superseded');
    expect(server.requests.map((r) => [r.method, r.path, r.body])).toEqual([
      ['POST', `${at(MRS)}/7/notes`, { body: 'superseded' }],
      ['PUT', `${at(MRS)}/7`, { state_event: 'close' }],
    ]);
  });
});
