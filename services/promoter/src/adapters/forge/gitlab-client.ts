/**
 * The forge port on GitLab's REST API v4: merge requests, their `detailed_merge_status`, the merge with
 * the head pinned (`sha`), and closing with a note. The project is addressed by its URL-encoded path
 * (`group%2Fsub%2Fproject`) or numeric id; the token goes in `PRIVATE-TOKEN`, the header GitLab documents
 * for personal, project and group access tokens.
 *
 * How `detailed_merge_status` maps onto the port: `mergeable` may be merged now; `conflict` (or
 * `has_conflicts`) is a conflict; `need_rebase` is behind; `checking`, `unchecked`, `preparing` and
 * `approvals_syncing` are still being computed; every other status is a rule not met yet, named in words.
 */
import type { ForgeClient, MergeResult, OpenPullRequest, PullRequestRef, PullRequestStatus } from './forge-client.js';
import { ForgeError } from './forge-client.js';
import { field, firstItem, ForgeHttp, malformedAnswer, isBranchName, isCommitId, isPageUrl, isPullNumber, isRecord, isString, type ForgeHttpOptions } from './forge-http.js';

const NAME = 'GitLab';

export interface GitLabClientOptions extends Pick<ForgeHttpOptions, 'token' | 'timeoutMs' | 'maxResponseBytes' | 'fetch'> {
  /** `https://gitlab.example.com/api/v4`. */
  readonly apiUrl: string;
  /** The project path (`group/sub/project`) or its numeric id. */
  readonly project: string;
  /** `merge` (default) or `squash` (the merge request's commits squashed into one). */
  readonly mergeMethod?: 'merge' | 'squash';
}

/** The blocking `detailed_merge_status` values, in words for `blockedBy`. */
const BLOCKED_BY: Readonly<Record<string, string>> = {
  ci_must_pass: 'the pipeline must succeed',
  ci_still_running: 'the pipeline is still running',
  not_approved: 'approval is required',
  requested_changes: 'a reviewer requested changes',
  discussions_not_resolved: 'discussions must be resolved',
  draft_status: 'the merge request is a draft',
  blocked_status: 'blocked by another merge request',
  merge_request_blocked: 'blocked by another merge request',
  status_checks_must_pass: 'external status checks must pass',
  jira_association_missing: 'the title or description must reference a Jira issue',
  security_policy_violations: 'security policy violations must be resolved',
  locked_paths: 'paths are locked by another user',
  locked_lfs_files: 'LFS files are locked by another user',
  title_regex: 'the title does not match the required pattern',
  merge_time: 'the merge is scheduled for later',
  commits_status: 'the source branch has no commits or does not exist',
  not_open: 'the merge request is not open',
};
const STILL_COMPUTING = new Set(['checking', 'unchecked', 'preparing', 'approvals_syncing']);

export class GitLabClient implements ForgeClient {
  readonly kind = 'gitlab' as const;
  readonly #http: ForgeHttp;
  readonly #base: string;
  readonly #mergeMethod: 'merge' | 'squash';

  constructor(options: GitLabClientOptions) {
    this.#mergeMethod = options.mergeMethod ?? 'merge';
    this.#base = `/projects/${encodeURIComponent(options.project)}/merge_requests`;
    this.#http = new ForgeHttp({ ...options, forgeName: NAME, headers: (token) => ({ Accept: 'application/json', 'PRIVATE-TOKEN': token }) });
  }

  async openPullRequest(request: OpenPullRequest): Promise<PullRequestRef> {
    const response = await this.#http.request({
      method: 'POST',
      path: this.#base,
      body: { source_branch: request.sourceBranch, target_branch: request.targetBranch, title: request.title, description: request.body },
      expect: [409],
    });
    if (response.status !== 409) return mergeRequestRef(response.body);
    // 409 {"message":["Another open merge request already exists for this source branch: !7"]}: a resumed
    // step finds the one it opened before.
    const existing = await this.findPullRequest(request.sourceBranch, request.targetBranch);
    if (existing !== undefined) return { ...existing, existing: true };
    throw new ForgeError(
      `${NAME} refused to open a merge request from ${request.sourceBranch} into ${request.targetBranch}: ${response.message ?? '409 Conflict'}`,
      { retryable: false, status: 409 },
    );
  }

  async findPullRequest(sourceBranch: string, targetBranch: string): Promise<PullRequestRef | undefined> {
    const query = { source_branch: sourceBranch, target_branch: targetBranch, order_by: 'created_at', sort: 'desc', per_page: '1' };
    const open = await this.#http.request({ method: 'GET', path: this.#base, query: { ...query, state: 'opened' } });
    const first = firstItem(open.body, NAME, 'list of merge requests');
    if (first !== undefined) return mergeRequestRef(first);
    const any = await this.#http.request({ method: 'GET', path: this.#base, query });
    const newest = firstItem(any.body, NAME, 'list of merge requests');
    return newest === undefined ? undefined : mergeRequestRef(newest);
  }

  async status(number: number): Promise<PullRequestStatus> {
    const { body, text } = await this.#http.request({ method: 'GET', path: `${this.#base}/${number}` });
    if (!isRecord(body)) throw malformedAnswer(NAME, 'merge request');
    const user = (value: unknown): string | undefined => (isRecord(value) && typeof value.username === 'string' ? text(value.username) : undefined);
    if (body.state === 'merged') {
      // merge_user replaced the deprecated merged_by; a squash merge may leave merge_commit_sha empty.
      const mergedBy = user(body.merge_user) ?? user(body.merged_by);
      const commit = isString(body.merge_commit_sha) ? body.merge_commit_sha : body.squash_commit_sha;
      return { state: 'merged', mergeCommit: field(commit, 'merge_commit_sha', NAME, isCommitId), ...(mergedBy === undefined ? {} : { mergedBy }) };
    }
    if (body.state === 'closed') {
      const closedBy = user(body.closed_by);
      return { state: 'closed', ...(closedBy === undefined ? {} : { closedBy }) };
    }
    const headSha = field(body.sha, 'sha', NAME, isCommitId);
    // `locked` is the short moment of a merge in progress: not mergeable yet, not merged yet.
    if (body.state === 'locked') return { state: 'open', mergeable: 'unknown', headSha };
    const detailed = typeof body.detailed_merge_status === 'string' ? body.detailed_merge_status : legacyStatus(body.merge_status);
    // has_conflicts is from the last check: while GitLab checks again it may be stale, so it waits too.
    if (STILL_COMPUTING.has(detailed)) return { state: 'open', mergeable: 'unknown', headSha };
    if (detailed === 'conflict' || (body.has_conflicts === true && detailed !== 'mergeable')) return { state: 'open', mergeable: 'conflict', headSha };
    if (detailed === 'mergeable') return { state: 'open', mergeable: 'clean', headSha };
    if (detailed === 'need_rebase') return { state: 'open', mergeable: 'behind', headSha };
    return { state: 'open', mergeable: 'blocked', headSha, blockedBy: BLOCKED_BY[detailed] ?? text(detailed.replace(/_/g, ' ')) };
  }

  async merge(number: number, expectedHeadSha: string, commitTitle: string): Promise<MergeResult> {
    const response = await this.#http.request({
      method: 'PUT',
      path: `${this.#base}/${number}/merge`,
      // A squash merge writes the squashed commit (its message) and, on a merge-commit project, a merge commit too.
      body: this.#mergeMethod === 'squash' ? { sha: expectedHeadSha, squash: true, squash_commit_message: commitTitle, merge_commit_message: commitTitle } : { sha: expectedHeadSha, merge_commit_message: commitTitle },
      expect: [405, 406, 409, 422],
    });
    if (response.status >= 200 && response.status < 300 && isRecord(response.body)) {
      const commit = isString(response.body.merge_commit_sha) ? response.body.merge_commit_sha : response.body.squash_commit_sha;
      if (response.body.state === 'merged' && isCommitId(commit)) return { merged: true, mergeCommit: commit };
      // Accepted but not merged yet (a merge train, or GitLab still writing it): status() tells when.
      return { merged: false, reason: `${NAME} accepted the merge but has not merged yet`, conflict: false, headChanged: false };
    }
    // 405 not mergeable (draft, closed, pipeline required, …), 406 "Branch cannot be merged" (conflict),
    // 409 "SHA does not match HEAD of source branch", 422 the merge request cannot be merged as asked.
    return {
      merged: false,
      reason: response.message ?? `${NAME} answered ${response.status}`,
      conflict: response.status === 406,
      headChanged: response.status === 409,
    };
  }

  async close(number: number, comment?: string): Promise<void> {
    if (comment !== undefined) {
      await this.#http.request({ method: 'POST', path: `${this.#base}/${number}/notes`, body: { body: comment } });
    }
    await this.#http.request({ method: 'PUT', path: `${this.#base}/${number}`, body: { state_event: 'close' } });
  }
}

/** GitLab before 15.6 has only `merge_status`. */
function legacyStatus(status: unknown): string {
  switch (status) {
    case 'can_be_merged':
      return 'mergeable';
    case 'cannot_be_merged':
      return 'conflict';
    default:
      return 'checking';
  }
}

function mergeRequestRef(body: unknown): PullRequestRef {
  if (!isRecord(body)) throw malformedAnswer(NAME, 'merge request');
  return {
    number: field(body.iid, 'iid', NAME, isPullNumber),
    url: field(body.web_url, 'web_url', NAME, isPageUrl),
    sourceBranch: field(body.source_branch, 'source_branch', NAME, isBranchName),
    targetBranch: field(body.target_branch, 'target_branch', NAME, isBranchName),
  };
}
