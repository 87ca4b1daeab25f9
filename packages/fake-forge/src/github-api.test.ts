import { describe, expect, it } from 'vitest';
import { openPromotion, REPO, useFakeForge } from './test-harness.js';

const h = useFakeForge('github');
const PULLS = `/repos/${REPO}/pulls`;

describe('pull requests', () => {
  it('opens one with the real shape, lists it by head and base, and refuses a duplicate with 422', async () => {
    const { number, head } = await openPromotion(h);
    const pr = (await h.call('GET', `${PULLS}/${number}`)).body;
    expect(pr).toMatchObject({
      number: 1,
      state: 'open',
      merged: false,
      title: 'Promote web:2',
      body: 'Promotion p1',
      html_url: `${h.forge.baseUrl}/${REPO}/pull/1`,
      user: { login: 'promoter', type: 'User' },
      head: { ref: 'promoter/p1', sha: head, label: 'acme:promoter/p1' },
      base: { ref: 'main', sha: await h.forge.branchSha(REPO, 'main') },
      mergeable: true,
      mergeable_state: 'clean',
      merged_by: null,
      merge_commit_sha: null,
    });
    const listed = await h.call('GET', `${PULLS}?head=acme:promoter/p1&base=main&state=open`);
    expect(listed.body.map((p: { number: number }) => p.number)).toEqual([1]);
    expect((await h.call('GET', `${PULLS}?head=acme:other&state=all`)).body).toEqual([]);

    const again = await h.call('POST', PULLS, { title: 'again', head: 'promoter/p1', base: 'main' });
    expect(again.status).toBe(422);
    expect(again.body).toMatchObject({
      message: 'Validation Failed',
      errors: [{ resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for acme:promoter/p1.' }],
      documentation_url: expect.stringContaining('docs.github.com/rest/pulls'),
    });
  });

  it('refuses a head that does not exist or has nothing new', async () => {
    const missing = await h.call('POST', PULLS, { title: 't', head: 'nope', base: 'main' });
    expect(missing.status).toBe(422);
    expect(missing.body.errors).toEqual([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
    await h.forge.commit(REPO, {}, 'nothing', 'empty-branch');
    await h.forge.gitIn(REPO, ['update-ref', 'refs/heads/same', 'main']);
    const empty = await h.call('POST', PULLS, { title: 't', head: 'same', base: 'main' });
    expect(empty.body.errors[0].message).toBe('No commits between main and same');
  });

  it('reports a push to the head branch on the next read (head is not cached)', async () => {
    const { number } = await openPromotion(h);
    const newer = await h.forge.commit(REPO, { 'app.yaml': 'image: web:3\n' }, 'again', 'promoter/p1');
    expect((await h.call('GET', `${PULLS}/${number}`)).body.head.sha).toBe(newer);
  });
});

describe('merging through required checks and reviews', () => {
  it('blocked while the required check fails, clean when it passes, then a real merge commit on main', async () => {
    await h.forge.protectBranch(REPO, 'main', { requiredChecks: ['ci'] });
    const { number, head } = await openPromotion(h);
    const mainBefore = await h.forge.branchSha(REPO, 'main');

    expect((await h.call('GET', `${PULLS}/${number}`)).body.mergeable_state).toBe('blocked');
    const status = await h.call('POST', `/repos/${REPO}/statuses/${head}`, { state: 'failure', context: 'ci', description: 'tests failed' });
    expect(status.status).toBe(201);
    expect(status.body).toMatchObject({ state: 'failure', context: 'ci', creator: { login: 'promoter' } });
    expect((await h.call('GET', `${PULLS}/${number}`)).body).toMatchObject({ mergeable: true, mergeable_state: 'blocked' });
    const refused = await h.call('PUT', `${PULLS}/${number}/merge`, { sha: head });
    expect(refused.status).toBe(405);
    expect(refused.body.message).toBe('Required status check "ci" is failing.');

    h.forge.setStatus(REPO, head, 'ci', 'success');
    h.forge.setStatus(REPO, head, 'lint', 'pending');
    expect((await h.call('GET', `${PULLS}/${number}`)).body.mergeable_state).toBe('unstable');
    const combined = await h.call('GET', `/repos/${REPO}/commits/promoter/p1/status`);
    expect(combined.body).toMatchObject({ state: 'pending', sha: head, total_count: 2 });
    h.forge.setStatus(REPO, head, 'lint', 'success');
    expect((await h.call('GET', `${PULLS}/${number}`)).body.mergeable_state).toBe('clean');

    const merged = await h.call('PUT', `${PULLS}/${number}/merge`, { sha: head, merge_method: 'merge', commit_title: 'Promote web:2 (p1)' });
    expect(merged.status).toBe(200);
    expect(merged.body).toEqual({ sha: merged.body.sha, merged: true, message: 'Pull Request successfully merged' });
    expect(await h.forge.branchSha(REPO, 'main')).toBe(merged.body.sha);
    const parents = (await h.forge.gitIn(REPO, ['rev-list', '--parents', '-n', '1', merged.body.sha])).trim().split(' ');
    expect(parents).toEqual([merged.body.sha, mainBefore, head]);
    expect(await h.forge.readFile(REPO, 'app.yaml', 'main')).toBe('image: web:2\n');
    expect((await h.forge.gitIn(REPO, ['log', '-1', '--format=%s|%an', 'main'])).trim()).toBe('Promote web:2 (p1)|Promoter');

    const pr = (await h.call('GET', `${PULLS}/${number}`)).body;
    expect(pr).toMatchObject({ state: 'closed', merged: true, merge_commit_sha: merged.body.sha, merged_by: { login: 'promoter' }, mergeable: null });
    expect(pr.merged_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect((await h.call('PUT', `${PULLS}/${number}/merge`, {})).status).toBe(405);
  });

  it('counts a passing check run for a required context', async () => {
    await h.forge.protectBranch(REPO, 'main', { requiredChecks: ['build'] });
    const { number, head } = await openPromotion(h);
    h.forge.setCheckRun(REPO, head, 'build', 'in_progress');
    expect((await h.call('GET', `${PULLS}/${number}`)).body.mergeable_state).toBe('blocked');
    h.forge.setCheckRun(REPO, head, 'build', 'completed', 'success');
    expect((await h.call('GET', `${PULLS}/${number}`)).body.mergeable_state).toBe('clean');
    const runs = await h.call('GET', `/repos/${REPO}/commits/${head}/check-runs`);
    expect(runs.body.total_count).toBe(2);
    expect(runs.body.check_runs[1]).toMatchObject({ name: 'build', status: 'completed', conclusion: 'success', head_sha: head });
  });

  it('requires an approving review from someone other than the author', async () => {
    const put = await h.call('PUT', `/repos/${REPO}/branches/main/protection`, {
      required_status_checks: null,
      enforce_admins: null,
      required_pull_request_reviews: { required_approving_review_count: 1, dismiss_stale_reviews: true },
      restrictions: null,
    });
    expect(put.status).toBe(200);
    expect(put.body.required_pull_request_reviews.required_approving_review_count).toBe(1);
    expect((await h.call('GET', `/repos/${REPO}/branches/main/protection`)).body.required_status_checks).toBeNull();
    const { number, head } = await openPromotion(h);

    const refused = await h.call('PUT', `${PULLS}/${number}/merge`, { sha: head });
    expect(refused.body.message).toBe('At least 1 approving review is required by reviewers with write access.');
    const self = await h.call('POST', `${PULLS}/${number}/reviews`, { event: 'APPROVE' });
    expect(self.status).toBe(422);
    expect(self.body.errors).toEqual(['Can not approve your own pull request']);

    const review = await h.call('POST', `${PULLS}/${number}/reviews`, { event: 'APPROVE', body: 'lgtm' }, 'alice');
    expect(review.status).toBe(200);
    expect(review.body).toMatchObject({ state: 'APPROVED', user: { login: 'alice' }, commit_id: head });
    expect((await h.call('GET', `${PULLS}/${number}/reviews`)).body).toHaveLength(1);
    expect((await h.call('GET', `${PULLS}/${number}`)).body.mergeable_state).toBe('clean');

    // dismiss_stale_reviews: a push drops the approval.
    const newer = await h.forge.commit(REPO, { 'app.yaml': 'image: web:3\n' }, 'fixup', 'promoter/p1');
    expect((await h.call('GET', `${PULLS}/${number}`)).body.mergeable_state).toBe('blocked');
    await h.forge.approve(REPO, number, 'bob');
    expect((await h.call('PUT', `${PULLS}/${number}/merge`, { sha: newer })).status).toBe(200);
  });

  it('answers 409 when the head moved past the sha the client checked', async () => {
    const { number, head } = await openPromotion(h);
    await h.forge.commit(REPO, { 'app.yaml': 'image: web:3\n' }, 'someone pushed', 'promoter/p1');
    const merge = await h.call('PUT', `${PULLS}/${number}/merge`, { sha: head });
    expect(merge.status).toBe(409);
    expect(merge.body.message).toBe('Head branch was modified. Review and try the merge again.');
  });

  it('reports a conflict as dirty / not mergeable, and behind when strict and main moved', async () => {
    await h.forge.protectBranch(REPO, 'main', { strict: true, requiredChecks: ['ci'] });
    const { number, head } = await openPromotion(h);
    h.forge.setStatus(REPO, head, 'ci', 'success');
    await h.forge.commit(REPO, { 'other.yaml': 'a: 2\n' }, 'unrelated change on main', 'main');
    expect((await h.call('GET', `${PULLS}/${number}`)).body.mergeable_state).toBe('behind');
    expect((await h.call('PUT', `${PULLS}/${number}/merge`, { sha: head })).body.message).toBe('Required status check "ci" is expected.');

    // "Update branch" merges main into the head; the new head needs its check again.
    const update = await h.call('PUT', `${PULLS}/${number}/update-branch`, { expected_head_sha: head });
    expect(update).toMatchObject({ status: 202, body: { message: 'Updating pull request branch.' } });
    const updated = (await h.call('GET', `${PULLS}/${number}`)).body;
    expect(updated.head.sha).not.toBe(head);
    expect(updated.mergeable_state).toBe('blocked');
    expect((await h.call('PUT', `${PULLS}/${number}/update-branch`, { expected_head_sha: head })).status).toBe(422);
    await h.forge.commit(REPO, { 'app.yaml': 'image: web:hotfix\n' }, 'hotfix on main', 'main');
    const pr = (await h.call('GET', `${PULLS}/${number}`)).body;
    expect(pr).toMatchObject({ mergeable: false, mergeable_state: 'dirty' });
    const merge = await h.call('PUT', `${PULLS}/${number}/merge`, {});
    expect(merge.status).toBe(405);
    expect(merge.body.message).toBe('Pull Request is not mergeable');
  });

  it('reports mergeable null / unknown for the next N reads when asked', async () => {
    const { number } = await openPromotion(h);
    h.forge.mergeabilityUnknownFor(REPO, number, 2);
    for (let read = 0; read < 2; read += 1) expect((await h.call('GET', `${PULLS}/${number}`)).body).toMatchObject({ mergeable: null, mergeable_state: 'unknown' });
    expect((await h.call('GET', `${PULLS}/${number}`)).body.mergeable).toBe(true);
  });
});

describe('humans and closing', () => {
  it('a human merge shows merged_by and closed_by that person', async () => {
    await h.forge.protectBranch(REPO, 'main', { requiredApprovals: 1 });
    const { number } = await openPromotion(h);
    expect(await h.forge.mergeAs(REPO, number, 'bob')).toMatchObject({ merged: false, why: 'rules' });
    const mainBefore = await h.forge.branchSha(REPO, 'main');
    const merged = await h.forge.mergeAs(REPO, number, 'bob', { bypassRules: true, method: 'squash' });
    if (!merged.merged) throw new Error(`not merged: ${merged.why}`);
    // A squash: one parent, the previous main, authored by the person who merged.
    expect((await h.forge.gitIn(REPO, ['log', '-1', '--format=%P|%an|%s', merged.sha])).trim()).toBe(`${mainBefore}|Bob|Promote web:2 (#1)`);
    expect((await h.call('GET', `${PULLS}/${number}`)).body.merged_by.login).toBe('bob');
    expect((await h.call('GET', `/repos/${REPO}/issues/${number}`)).body).toMatchObject({ state: 'closed', closed_by: { login: 'bob' } });
  });

  it('closes through PATCH (closed_by the caller) and by a named person, and takes comments', async () => {
    const { number } = await openPromotion(h);
    const comment = await h.call('POST', `/repos/${REPO}/issues/${number}/comments`, { body: 'Rolled back: error ratio 4%' });
    expect(comment.status).toBe(201);
    expect(comment.body).toMatchObject({ body: 'Rolled back: error ratio 4%', user: { login: 'promoter' } });
    const closed = await h.call('PATCH', `${PULLS}/${number}`, { state: 'closed' });
    expect(closed.body).toMatchObject({ state: 'closed', merged: false });
    expect((await h.call('GET', `/repos/${REPO}/issues/${number}`)).body).toMatchObject({ closed_by: { login: 'promoter' }, comments: 1 });

    await h.forge.commit(REPO, { 'app.yaml': 'image: web:4\n' }, 'p2', 'promoter/p2');
    const second = (await h.call('POST', PULLS, { title: 'p2', head: 'acme:promoter/p2', base: 'main' })).body.number;
    h.forge.closeAs(REPO, second, 'alice');
    expect((await h.call('GET', `/repos/${REPO}/issues/${second}`)).body.closed_by.login).toBe('alice');
  });
});

describe('auth, errors and faults', () => {
  it('401 Bad credentials for a wrong token, 404 Not Found for an unknown pull request', async () => {
    const wrong = await fetch(`${h.forge.apiUrl}${PULLS}`, { headers: { Authorization: 'token nope' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    const missing = await h.call('GET', `${PULLS}/99`);
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('Not Found');
    expect((await h.call('GET', '/repos/acme/%E0%A4%A')).status).toBe(404);
    expect((await h.call('GET', `/repos/${REPO}`)).body).toMatchObject({ full_name: REPO, default_branch: 'main' });
  });

  it('injects a 429 with Retry-After and a 502, once each, and logs requests without tokens', async () => {
    h.forge.failNext({ method: 'GET', path: /\/pulls$/, status: 429, retryAfter: 7 });
    h.forge.failNext({ method: 'GET', path: /\/pulls$/, status: 502 });
    const limited = await h.call('GET', PULLS);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.body.message).toMatch(/^API rate limit exceeded/);
    expect((await h.call('GET', PULLS)).status).toBe(502);
    expect((await h.call('GET', PULLS)).status).toBe(200);
    expect(h.forge.requests.map((r) => `${r.method} ${r.status} ${r.user ?? '-'}`)).toEqual(['GET 429 promoter', 'GET 502 promoter', 'GET 200 promoter']);
    expect(JSON.stringify(h.forge.requests)).not.toContain('promoter-token');
  });

  it('answers 413 to a body over the limit', async () => {
    const huge = await h.call('POST', PULLS, { title: 'x'.repeat(1024 * 1024 + 10), head: 'a', base: 'main' });
    expect(huge.status).toBe(413);
  });
});
