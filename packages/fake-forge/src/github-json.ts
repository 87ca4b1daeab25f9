/**
 * GitHub REST v3 JSON shapes, from the REST reference (docs.github.com/rest): users, pull requests (full
 * and list forms), issues, statuses, check runs, reviews, branch protection, and the error bodies with
 * their `documentation_url` and `status` (GitHub has sent the status as a string in error bodies since 2024).
 */
import type { Assessment } from './mergeability.js';
import type { BranchRule, CheckRunRecord, CommentRecord, CommitStatusRecord, ForgeState, ForgeUser, PullRecord, RepositoryRecord, ReviewRecord } from './forge-state.js';
import type { ApiResponse } from './http.js';

export const DOCS = 'https://docs.github.com/rest';

export function githubError(status: number, message: string, extra: Readonly<Record<string, unknown>> = {}, documentation = DOCS): ApiResponse {
  return { status, body: { message, ...extra, documentation_url: documentation, status: String(status) } };
}

export const NOT_FOUND = (): ApiResponse => githubError(404, 'Not Found');

/** 422 "Validation Failed" with GitHub's `errors` array. */
export function validationFailed(errors: readonly Readonly<Record<string, unknown>>[], documentation = DOCS): ApiResponse {
  return githubError(422, 'Validation Failed', { errors }, documentation);
}

export function userJson(base: string, user: ForgeUser | undefined): Record<string, unknown> | null {
  if (!user) return null;
  return { login: user.login, id: user.id, type: 'User', site_admin: false, url: `${base}/users/${user.login}`, html_url: `${base}/${user.login}` };
}

export function repoJson(base: string, state: ForgeState, repository: RepositoryRecord): Record<string, unknown> {
  const [owner = ''] = repository.fullName.split('/');
  return {
    id: repository.id,
    name: repository.fullName.split('/')[1] ?? '',
    full_name: repository.fullName,
    owner: userJson(base, state.users.get(owner)) ?? { login: owner, type: 'Organization' },
    private: true,
    default_branch: repository.defaultBranch,
    url: `${base}/repos/${repository.fullName}`,
    html_url: `${base}/${repository.fullName}`,
  };
}

export interface PullContext {
  readonly base: string;
  readonly state: ForgeState;
  readonly repository: RepositoryRecord;
  readonly headSha: string;
  readonly baseSha: string | undefined;
}

/** A pull request as the list endpoint returns it (no mergeability, no `merged`). */
export function pullListJson(ctx: PullContext, pull: PullRecord): Record<string, unknown> {
  const { base, state, repository } = ctx;
  const [owner = ''] = repository.fullName.split('/');
  const url = `${base}/repos/${repository.fullName}/pulls/${pull.number}`;
  return {
    url,
    id: pull.id,
    html_url: `${base}/${repository.fullName}/pull/${pull.number}`,
    issue_url: `${base}/repos/${repository.fullName}/issues/${pull.number}`,
    number: pull.number,
    state: pull.state === 'open' ? 'open' : 'closed',
    locked: false,
    title: pull.title,
    body: pull.body === '' ? null : pull.body,
    user: userJson(base, state.users.get(pull.author)),
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    closed_at: pull.closedAt,
    merged_at: pull.mergedAt,
    merge_commit_sha: pull.mergeCommitSha,
    draft: false,
    head: { label: `${owner}:${pull.source}`, ref: pull.source, sha: ctx.headSha, repo: repoJson(base, state, repository) },
    base: { label: `${owner}:${pull.target}`, ref: pull.target, sha: ctx.baseSha ?? null, repo: repoJson(base, state, repository) },
    auto_merge: null,
  };
}

/** GitHub's `mergeable_state` from the facts: dirty, behind, blocked, unstable, clean (unknown while computing). */
export function mergeableState(assessment: Assessment): 'dirty' | 'behind' | 'blocked' | 'unstable' | 'clean' {
  if (assessment.conflict) return 'dirty';
  if (assessment.behind) return 'behind';
  const checksOk = assessment.missingChecks.length + assessment.pendingChecks.length + assessment.failingChecks.length === 0;
  if (!checksOk || assessment.approvals.length < assessment.approvalsRequired) return 'blocked';
  return assessment.otherChecksNotPassing ? 'unstable' : 'clean';
}

/** The full pull request; `assessment` undefined while mergeability is "still computing" (or the request is not open). */
export function pullJson(ctx: PullContext, pull: PullRecord, assessment: Assessment | undefined, comments: number): Record<string, unknown> {
  const open = pull.state === 'open';
  return {
    ...pullListJson(ctx, pull),
    merged: pull.state === 'merged',
    mergeable: open ? (assessment === undefined ? null : !assessment.conflict) : null,
    rebaseable: open && assessment !== undefined ? !assessment.conflict : null,
    mergeable_state: open ? (assessment === undefined ? 'unknown' : mergeableState(assessment)) : 'unknown',
    merged_by: userJson(ctx.base, pull.mergedBy === null ? undefined : ctx.state.users.get(pull.mergedBy)),
    comments,
    review_comments: 0,
    maintainer_can_modify: false,
  };
}

export function issueJson(ctx: PullContext, pull: PullRecord, comments: number): Record<string, unknown> {
  const { base, state, repository } = ctx;
  const closer = pull.state === 'merged' ? pull.mergedBy : pull.closedBy;
  return {
    id: pull.id,
    url: `${base}/repos/${repository.fullName}/issues/${pull.number}`,
    html_url: `${base}/${repository.fullName}/pull/${pull.number}`,
    number: pull.number,
    state: pull.state === 'open' ? 'open' : 'closed',
    state_reason: pull.state === 'open' ? null : 'completed',
    title: pull.title,
    body: pull.body === '' ? null : pull.body,
    user: userJson(base, state.users.get(pull.author)),
    labels: [],
    comments,
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    closed_at: pull.closedAt,
    closed_by: closer === null ? null : userJson(base, state.users.get(closer)),
    pull_request: { url: `${base}/repos/${repository.fullName}/pulls/${pull.number}`, html_url: `${base}/${repository.fullName}/pull/${pull.number}`, merged_at: pull.mergedAt },
  };
}

export function commentJson(base: string, state: ForgeState, repository: RepositoryRecord, comment: CommentRecord): Record<string, unknown> {
  return {
    id: comment.id,
    body: comment.body,
    user: userJson(base, state.users.get(comment.user)),
    created_at: comment.createdAt,
    updated_at: comment.createdAt,
    url: `${base}/repos/${repository.fullName}/issues/comments/${comment.id}`,
    html_url: `${base}/${repository.fullName}/pull/${comment.pull}#issuecomment-${comment.id}`,
    issue_url: `${base}/repos/${repository.fullName}/issues/${comment.pull}`,
  };
}

export function statusJson(base: string, state: ForgeState, repository: RepositoryRecord, status: CommitStatusRecord): Record<string, unknown> {
  return {
    id: status.id,
    url: `${base}/repos/${repository.fullName}/statuses/${status.sha}`,
    state: status.state,
    description: status.description,
    target_url: status.targetUrl,
    context: status.context,
    created_at: status.createdAt,
    updated_at: status.createdAt,
    creator: userJson(base, state.users.get(status.creator)),
  };
}

export function checkRunJson(base: string, repository: RepositoryRecord, run: CheckRunRecord): Record<string, unknown> {
  return {
    id: run.id,
    head_sha: run.sha,
    name: run.name,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    url: `${base}/repos/${repository.fullName}/check-runs/${run.id}`,
    html_url: `${base}/${repository.fullName}/runs/${run.id}`,
    details_url: null,
    external_id: '',
    output: { title: null, summary: null, text: null, annotations_count: 0 },
    app: null,
    pull_requests: [],
  };
}

export function reviewJson(base: string, state: ForgeState, repository: RepositoryRecord, review: ReviewRecord): Record<string, unknown> {
  return {
    id: review.id,
    user: userJson(base, state.users.get(review.user)),
    body: review.body,
    state: review.state,
    commit_id: review.commitId,
    submitted_at: review.submittedAt,
    html_url: `${base}/${repository.fullName}/pull/${review.pull}#pullrequestreview-${review.id}`,
    pull_request_url: `${base}/repos/${repository.fullName}/pulls/${review.pull}`,
    author_association: 'MEMBER',
  };
}

export function protectionJson(base: string, repository: RepositoryRecord, rule: BranchRule): Record<string, unknown> {
  const url = `${base}/repos/${repository.fullName}/branches/${rule.branch}/protection`;
  return {
    url,
    required_status_checks:
      rule.requiredChecks.length === 0 && !rule.strict
        ? null
        : {
            url: `${url}/required_status_checks`,
            strict: rule.strict,
            contexts: [...rule.requiredChecks],
            checks: rule.requiredChecks.map((context) => ({ context, app_id: null })),
          },
    required_pull_request_reviews:
      rule.requiredApprovals === 0
        ? null
        : {
            url: `${url}/required_pull_request_reviews`,
            dismiss_stale_reviews: rule.dismissStaleReviews,
            require_code_owner_reviews: false,
            require_last_push_approval: false,
            required_approving_review_count: rule.requiredApprovals,
          },
    enforce_admins: { url: `${url}/enforce_admins`, enabled: false },
    required_linear_history: { enabled: false },
    allow_force_pushes: { enabled: false },
    allow_deletions: { enabled: false },
  };
}

/**
 * What GitHub says when its rules refuse a merge or a push: the review line, else the checks line
 * (`Required status check "ci" is expected.` for one, `2 of 3 required status checks are expected.` for more).
 */
export function ruleViolation(assessment: Pick<Assessment, 'approvals' | 'approvalsRequired' | 'missingChecks' | 'pendingChecks' | 'failingChecks'>): string | undefined {
  const short = assessment.approvalsRequired - assessment.approvals.length;
  if (short > 0) return `At least ${assessment.approvalsRequired} approving review${assessment.approvalsRequired === 1 ? ' is' : 's are'} required by reviewers with write access.`;
  const failing = assessment.failingChecks;
  const expected = [...assessment.missingChecks, ...assessment.pendingChecks];
  if (failing.length === 1 && expected.length === 0) return `Required status check "${failing[0]}" is failing.`;
  if (failing.length > 0) return `${failing.length} of ${failing.length + expected.length} required status checks are failing.`;
  if (expected.length === 1) return `Required status check "${expected[0]}" is expected.`;
  if (expected.length > 1) return `${expected.length} of ${expected.length} required status checks are expected.`;
  return undefined;
}
