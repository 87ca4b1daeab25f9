import { describe, expect, it } from 'vitest';
import { openPromotion, REPO, useFakeForge } from './test-harness.js';

const h = useFakeForge('gitlab');
const PROJECT = `/projects/${encodeURIComponent(REPO)}`;
const MRS = `${PROJECT}/merge_requests`;

describe('merge requests', () => {
  it('opens one with the real shape (by path or id), lists it, and answers 409 to a second', async () => {
    const { number: iid, head } = await openPromotion(h);
    const mr = (await h.call('GET', `${MRS}/${iid}`)).body;
    expect(mr).toMatchObject({
      iid: 1,
      state: 'opened',
      title: 'Promote web:2',
      description: 'Promotion p1',
      source_branch: 'promoter/p1',
      target_branch: 'main',
      sha: head,
      merge_commit_sha: null,
      detailed_merge_status: 'mergeable',
      merge_status: 'can_be_merged',
      has_conflicts: false,
      web_url: `${h.forge.baseUrl}/${REPO}/-/merge_requests/1`,
      author: { username: 'promoter' },
      merged_by: null,
      closed_by: null,
    });
    expect((await h.call('GET', `/projects/${mr.project_id}/merge_requests/1`)).body.iid).toBe(1);
    const listed = await h.call('GET', `${MRS}?source_branch=promoter/p1&target_branch=main&state=opened`);
    expect(listed.body.map((m: { iid: number }) => m.iid)).toEqual([1]);
    expect((await h.call('GET', `${MRS}?state=merged`)).body).toEqual([]);

    const again = await h.call('POST', MRS, { source_branch: 'promoter/p1', target_branch: 'main', title: 'again' });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ message: ['Another open merge request already exists for this source branch: !1'] });
    const missing = await h.call('POST', MRS, { source_branch: 'promoter/p1' });
    expect(missing).toMatchObject({ status: 400, body: { error: 'target_branch is missing, title is missing' } });
  });

  it('pipelines must succeed: ci_still_running, ci_must_pass, then a real merge commit', async () => {
    const put = await h.call('PUT', PROJECT, { only_allow_merge_if_pipeline_succeeds: true });
    expect(put.body.only_allow_merge_if_pipeline_succeeds).toBe(true);
    const { number: iid, head } = await openPromotion(h);
    const mainBefore = await h.forge.branchSha(REPO, 'main');
    expect((await h.call('GET', `${MRS}/${iid}`)).body.detailed_merge_status).toBe('ci_must_pass');

    const running = await h.call('POST', `${PROJECT}/statuses/${head}`, { state: 'running', name: 'ci' });
    expect(running.status).toBe(201);
    expect(running.body).toMatchObject({ status: 'running', name: 'ci', sha: head, author: { username: 'promoter' } });
    expect((await h.call('GET', `${MRS}/${iid}`)).body.detailed_merge_status).toBe('ci_still_running');
    expect((await h.call('PUT', `${MRS}/${iid}/merge`, { sha: head })).body).toEqual({ message: '405 Method Not Allowed' });

    h.forge.setStatus(REPO, head, 'ci', 'failed');
    expect((await h.call('GET', `${MRS}/${iid}`)).body.detailed_merge_status).toBe('ci_must_pass');
    h.forge.setStatus(REPO, head, 'ci', 'success');
    const statuses = await h.call('GET', `${PROJECT}/repository/commits/${head}/statuses`);
    expect(statuses.body.map((s: { status: string }) => s.status)).toEqual(['success']);
    expect((await h.call('GET', `${MRS}/${iid}`)).body.detailed_merge_status).toBe('mergeable');

    const merged = await h.call('PUT', `${MRS}/${iid}/merge`, { sha: head, merge_commit_message: 'Promote web:2 (p1)', should_remove_source_branch: true });
    expect(merged.status).toBe(200);
    expect(merged.body).toMatchObject({ state: 'merged', merged_by: { username: 'promoter' }, sha: head });
    const mergeCommit = merged.body.merge_commit_sha;
    expect(await h.forge.branchSha(REPO, 'main')).toBe(mergeCommit);
    const parents = (await h.forge.gitIn(REPO, ['rev-list', '--parents', '-n', '1', mergeCommit])).trim().split(' ');
    expect(parents).toEqual([mergeCommit, mainBefore, head]);
    expect(await h.forge.branchSha(REPO, 'promoter/p1')).toBeUndefined();
  });

  it('approvals required: not_approved until someone other than the author approves', async () => {
    const rule = await h.call('POST', `${PROJECT}/approval_rules`, { name: 'release', approvals_required: 1 });
    expect(rule).toMatchObject({ status: 201, body: { approvals_required: 1 } });
    const { number: iid, head } = await openPromotion(h);
    expect((await h.call('GET', `${MRS}/${iid}`)).body.detailed_merge_status).toBe('not_approved');
    expect((await h.call('PUT', `${MRS}/${iid}/merge`, { sha: head })).status).toBe(405);
    expect(await h.call('POST', `${MRS}/${iid}/approve`, {})).toMatchObject({ status: 401, body: { message: '401 Unauthorized' } });

    const approved = await h.call('POST', `${MRS}/${iid}/approve`, {}, 'alice');
    expect(approved.status).toBe(201);
    expect(approved.body).toMatchObject({ approved: true, approvals_left: 0, approved_by: [{ user: { username: 'alice' } }] });
    expect((await h.call('GET', `${MRS}/${iid}/approvals`)).body).toMatchObject({ approvals_required: 1, approvals_left: 0 });
    expect((await h.call('GET', `${MRS}/${iid}`)).body.detailed_merge_status).toBe('mergeable');

    // A push to the source branch drops the approval (reset_approvals_on_push, on by default).
    await h.forge.commit(REPO, { 'app.yaml': 'image: web:3\n' }, 'fixup', 'promoter/p1');
    expect((await h.call('GET', `${MRS}/${iid}`)).body.detailed_merge_status).toBe('not_approved');
  });

  it('answers 409 with the current head when the sha does not match, 406 on a conflict', async () => {
    const { number: iid, head } = await openPromotion(h);
    const newer = await h.forge.commit(REPO, { 'app.yaml': 'image: web:3\n' }, 'someone pushed', 'promoter/p1');
    const stale = await h.call('PUT', `${MRS}/${iid}/merge`, { sha: head });
    expect(stale).toMatchObject({ status: 409, body: { message: `SHA does not match HEAD of source branch: ${newer}` } });

    await h.forge.commit(REPO, { 'app.yaml': 'image: web:hotfix\n' }, 'hotfix', 'main');
    expect((await h.call('GET', `${MRS}/${iid}`)).body).toMatchObject({ detailed_merge_status: 'conflict', has_conflicts: true, merge_status: 'cannot_be_merged' });
    expect(await h.call('PUT', `${MRS}/${iid}/merge`, { sha: newer })).toMatchObject({ status: 406, body: { message: 'Branch cannot be merged' } });
  });

  it('need_rebase when fast-forward only and main moved; checking for the next N reads', async () => {
    h.forge.configureProject(REPO, { requireUpToDate: true });
    const { number: iid } = await openPromotion(h);
    await h.forge.commit(REPO, { 'other.yaml': 'a: 2\n' }, 'unrelated', 'main');
    h.forge.mergeabilityUnknownFor(REPO, iid, 1);
    expect((await h.call('GET', `${MRS}/${iid}`)).body).toMatchObject({ detailed_merge_status: 'checking', merge_status: 'checking' });
    expect((await h.call('GET', `${MRS}/${iid}`)).body.detailed_merge_status).toBe('need_rebase');
  });

  it('closes with closed_by (API and a named person), takes notes, and a human merge names the merger', async () => {
    const { number: iid } = await openPromotion(h);
    const note = await h.call('POST', `${MRS}/${iid}/notes`, { body: 'Rolled back' });
    expect(note).toMatchObject({ status: 201, body: { body: 'Rolled back', author: { username: 'promoter' }, noteable_iid: iid } });
    const closed = await h.call('PUT', `${MRS}/${iid}`, { state_event: 'close' });
    expect(closed.body).toMatchObject({ state: 'closed', closed_by: { username: 'promoter' } });
    expect((await h.call('PUT', `${MRS}/${iid}/merge`, {})).status).toBe(405);

    await h.forge.commit(REPO, { 'app.yaml': 'image: web:4\n' }, 'p2', 'promoter/p2');
    const second = (await h.call('POST', MRS, { source_branch: 'promoter/p2', target_branch: 'main', title: 'p2' })).body.iid;
    expect(second).toBe(2);
    h.forge.closeAs(REPO, second, 'bob');
    expect((await h.call('GET', `${MRS}/${second}`)).body.closed_by.username).toBe('bob');

    await h.forge.commit(REPO, { 'app.yaml': 'image: web:5\n' }, 'p3', 'promoter/p3');
    const third = (await h.call('POST', MRS, { source_branch: 'promoter/p3', target_branch: 'main', title: 'p3' })).body.iid;
    expect((await h.forge.mergeAs(REPO, third, 'alice')).merged).toBe(true);
    expect((await h.call('GET', `${MRS}/${third}`)).body).toMatchObject({ state: 'merged', merged_by: { username: 'alice' } });
  });
});

describe('protected branches, auth and faults', () => {
  it('protects a branch through the API, 409 for a second time', async () => {
    const created = await h.call('POST', `${PROJECT}/protected_branches`, { name: 'main', push_access_level: 0, merge_access_level: 30 });
    expect(created).toMatchObject({ status: 201, body: { name: 'main', push_access_levels: [{ access_level: 0, access_level_description: 'No one' }] } });
    expect((await h.call('GET', `${PROJECT}/protected_branches`)).body).toHaveLength(1);
    expect(await h.call('POST', `${PROJECT}/protected_branches`, { name: 'main' })).toMatchObject({ status: 409, body: { message: "Protected branch 'main' already exists" } });
  });

  it('401 for a wrong token (PRIVATE-TOKEN or Bearer), 404 for an unknown project', async () => {
    for (const headers of [{ 'PRIVATE-TOKEN': 'nope' }, { Authorization: 'Bearer nope' }] as Record<string, string>[]) {
      const wrong = await fetch(`${h.forge.apiUrl}${MRS}`, { headers });
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toEqual({ message: '401 Unauthorized' });
    }
    const bearer = await fetch(`${h.forge.apiUrl}${MRS}`, { headers: { Authorization: `Bearer ${h.forge.tokenOf('alice')}` } });
    expect(bearer.status).toBe(200);
    expect(await h.call('GET', '/projects/acme%2Fnope/merge_requests')).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } });
  });

  it('injects a 429 with Retry-After (plain text, as GitLab) and a 500', async () => {
    h.forge.failNext({ path: /merge_requests$/, status: 429, retryAfter: 3 });
    h.forge.failNext({ path: /merge_requests$/, status: 500 });
    const limited = await h.call('GET', MRS);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(limited.body).toBe('Retry later\n');
    expect(await h.call('GET', MRS)).toMatchObject({ status: 500, body: { message: '500 Internal Server Error' } });
    expect((await h.call('GET', MRS)).status).toBe(200);
  });
});
