/**
 * GitLab REST v4 JSON shapes, from docs.gitlab.com/ee/api: users, merge requests (with `merge_status`,
 * `detailed_merge_status`, `has_conflicts`), notes, commit statuses, approvals, protected branches,
 * projects, and the error bodies (`{"message":"404 Project Not Found"}`, `{"error":"title is missing"}`).
 */
import type { Assessment } from './mergeability.js';
import type { BranchRule, CommentRecord, CommitStatusRecord, ForgeState, ForgeUser, PullRecord, RepositoryRecord } from './forge-state.js';
import type { ApiResponse } from './http.js';

export function gitlabMessage(status: number, message: unknown): ApiResponse {
  return { status, body: { message } };
}

export const PROJECT_NOT_FOUND = (): ApiResponse => gitlabMessage(404, '404 Project Not Found');
export const NOT_FOUND = (what = 'Not found'): ApiResponse => gitlabMessage(404, `404 ${what}`);

export function userJson(base: string, user: ForgeUser | undefined): Record<string, unknown> | null {
  if (!user) return null;
  return { id: user.id, username: user.login, name: user.name, state: 'active', locked: false, avatar_url: null, web_url: `${base}/${user.login}` };
}

/**
 * GitLab's `detailed_merge_status`. Other checks before CI, and `not_approved` before `need_rebase`, as
 * GitLab's DetailedMergeStatusService orders them.
 */
export function detailedMergeStatus(pull: PullRecord, assessment: Assessment | undefined): string {
  if (pull.state !== 'open') return 'not_open';
  if (assessment === undefined) return 'checking';
  if (assessment.conflict) return 'conflict';
  if (assessment.approvals.length < assessment.approvalsRequired) return 'not_approved';
  if (assessment.behind) return 'need_rebase';
  if (assessment.failingChecks.length > 0 || assessment.missingChecks.length > 0) return 'ci_must_pass';
  if (assessment.pendingChecks.length > 0) return 'ci_still_running';
  return 'mergeable';
}

export interface MergeRequestContext {
  readonly base: string;
  readonly state: ForgeState;
  readonly repository: RepositoryRecord;
  readonly headSha: string;
  readonly baseSha: string | undefined;
}

export function mergeRequestJson(ctx: MergeRequestContext, pull: PullRecord, assessment: Assessment | undefined): Record<string, unknown> {
  const { base, state, repository } = ctx;
  const user = (login: string | null) => (login === null ? null : userJson(base, state.users.get(login)));
  const detailed = detailedMergeStatus(pull, assessment);
  const mergeStatus = detailed === 'checking' ? 'checking' : assessment?.conflict === true ? 'cannot_be_merged' : 'can_be_merged';
  return {
    id: pull.id,
    iid: pull.number,
    project_id: repository.id,
    title: pull.title,
    description: pull.body,
    state: pull.state === 'open' ? 'opened' : pull.state,
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    merged_by: user(pull.mergedBy),
    merge_user: user(pull.mergedBy),
    merged_at: pull.mergedAt,
    closed_by: user(pull.closedBy),
    closed_at: pull.closedAt,
    target_branch: pull.target,
    source_branch: pull.source,
    author: user(pull.author),
    source_project_id: repository.id,
    target_project_id: repository.id,
    draft: false,
    work_in_progress: false,
    merge_when_pipeline_succeeds: false,
    merge_status: mergeStatus,
    detailed_merge_status: detailed,
    sha: ctx.headSha,
    merge_commit_sha: pull.state === 'merged' ? pull.mergeCommitSha : null,
    squash_commit_sha: null,
    has_conflicts: assessment?.conflict === true,
    should_remove_source_branch: pull.state === 'merged' ? pull.removeSourceBranch : null,
    force_remove_source_branch: pull.removeSourceBranch,
    squash: false,
    web_url: `${base}/${repository.fullName}/-/merge_requests/${pull.number}`,
    references: { short: `!${pull.number}`, relative: `!${pull.number}`, full: `${repository.fullName}!${pull.number}` },
    diff_refs: { base_sha: ctx.baseSha ?? null, head_sha: ctx.headSha, start_sha: ctx.baseSha ?? null },
    user_notes_count: repository.comments.filter((c) => c.pull === pull.number).length,
  };
}

export function noteJson(base: string, state: ForgeState, repository: RepositoryRecord, pull: PullRecord, note: CommentRecord): Record<string, unknown> {
  return {
    id: note.id,
    type: null,
    body: note.body,
    author: userJson(base, state.users.get(note.user)),
    created_at: note.createdAt,
    updated_at: note.createdAt,
    system: false,
    noteable_id: pull.id,
    noteable_type: 'MergeRequest',
    noteable_iid: pull.number,
    project_id: repository.id,
    resolvable: false,
  };
}

export function commitStatusJson(base: string, state: ForgeState, status: CommitStatusRecord): Record<string, unknown> {
  const finished = status.state === 'success' || status.state === 'failed' || status.state === 'canceled';
  return {
    id: status.id,
    sha: status.sha,
    ref: null,
    status: status.state,
    name: status.context,
    target_url: status.targetUrl,
    description: status.description,
    created_at: status.createdAt,
    started_at: status.state === 'pending' ? null : status.createdAt,
    finished_at: finished ? status.createdAt : null,
    allow_failure: false,
    coverage: null,
    author: userJson(base, state.users.get(status.creator)),
  };
}

export function approvalsJson(ctx: MergeRequestContext, pull: PullRecord, assessment: Assessment, viewer: ForgeUser): Record<string, unknown> {
  const left = Math.max(assessment.approvalsRequired - assessment.approvals.length, 0);
  return {
    id: pull.id,
    iid: pull.number,
    project_id: ctx.repository.id,
    title: pull.title,
    description: pull.body,
    state: pull.state === 'open' ? 'opened' : pull.state,
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    merge_status: assessment.conflict ? 'cannot_be_merged' : 'can_be_merged',
    approved: left === 0,
    approvals_required: assessment.approvalsRequired,
    approvals_left: left,
    require_password_to_approve: false,
    approved_by: assessment.approvals.map((login) => ({ user: userJson(ctx.base, ctx.state.users.get(login)) })),
    suggested_approvers: [],
    approvers: [],
    approver_groups: [],
    user_has_approved: assessment.approvals.includes(viewer.login),
    user_can_approve: viewer.login !== pull.author && !assessment.approvals.includes(viewer.login),
  };
}

const ACCESS_DESCRIPTIONS: Readonly<Record<number, string>> = { 0: 'No one', 30: 'Developers + Maintainers', 40: 'Maintainers', 60: 'Admins' };

export function protectedBranchJson(rule: BranchRule): Record<string, unknown> {
  const level = (access: number) => [{ id: rule.id + access, access_level: access, access_level_description: ACCESS_DESCRIPTIONS[access] ?? 'Maintainers', user_id: null, group_id: null }];
  return {
    id: rule.id,
    name: rule.branch,
    push_access_levels: level(rule.pushAccessLevel),
    merge_access_levels: level(rule.mergeAccessLevel),
    unprotect_access_levels: [],
    allow_force_push: false,
    code_owner_approval_required: false,
  };
}

export function projectJson(base: string, repository: RepositoryRecord, gitUrl: string): Record<string, unknown> {
  const name = repository.fullName.split('/').at(-1) ?? '';
  return {
    id: repository.id,
    name,
    path: name,
    path_with_namespace: repository.fullName,
    default_branch: repository.defaultBranch,
    web_url: `${base}/${repository.fullName}`,
    http_url_to_repo: gitUrl,
    only_allow_merge_if_pipeline_succeeds: repository.pipelinesMustSucceed,
    merge_method: repository.requireUpToDate ? 'ff' : 'merge',
    approvals_before_merge: repository.approvalsRequired,
    reset_approvals_on_push: repository.resetApprovalsOnPush,
  };
}
