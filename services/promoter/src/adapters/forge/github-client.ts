/**
 * The forge port on GitHub's REST API v3 (api version 2022-11-28): pull requests, their merge state, the
 * merge with the head pinned, and closing with a comment. GitHub Enterprise Server speaks the same API under
 * `https://<host>/api/v3`.
 *
 * How GitHub's `mergeable_state` maps onto the port: `clean` and `has_hooks` may be merged now; `unstable`
 * means only checks that are not required failed, which GitHub still merges, so it is clean too; `blocked`
 * (a required check or review missing) and `draft` are blocked; `dirty` is a conflict; `behind` needs the
 * branch brought up to date; `unknown`, or `mergeable: null`, means GitHub is still computing.
 */
import type { ForgeClient, MergeResult, OpenPullRequest, PullRequestRef, PullRequestStatus } from './forge-client.js';
import { ForgeError } from './forge-client.js';
import { field, firstItem, ForgeHttp, malformedAnswer, isBranchName, isCommitId, isPageUrl, isPullNumber, isRecord, type ForgeHttpOptions } from './forge-http.js';

const NAME = 'GitHub';

export interface GitHubClientOptions extends Pick<ForgeHttpOptions, 'token' | 'timeoutMs' | 'maxResponseBytes' | 'fetch'> {
  /** `https://api.github.com`, or `https://<host>/api/v3` for GitHub Enterprise Server. */
  readonly apiUrl: string;
  /** `owner/repo`. */
  readonly project: string;
  /** `merge` (default) or `squash`: the `merge_method` the repository allows. */
  readonly mergeMethod?: 'merge' | 'squash';
}

export class GitHubClient implements ForgeClient {
  readonly kind = 'github' as const;
  readonly #http: ForgeHttp;
  readonly #owner: string;
  readonly #repo: string;
  readonly #mergeMethod: 'merge' | 'squash';
  /**
   * Each base branch's protection rule as last read (undefined: not readable without admin rights), kept
   * for PROTECTION_TTL_MS: a blocked pull request is looked at every few seconds, and the rule rarely
   * changes, so it is not one more request per look against the forge's rate limit.
   */
  readonly #protection = new Map<string, { readonly at: number; readonly body: unknown }>();

  constructor(options: GitHubClientOptions) {
    const [owner, repo, ...rest] = options.project.split('/');
    if (!owner || !repo || rest.length > 0) throw new TypeError(`a GitHub project is owner/repo, got '${options.project}'`);
    this.#owner = owner;
    this.#repo = repo;
    this.#mergeMethod = options.mergeMethod ?? 'merge';
    this.#http = new ForgeHttp({
      ...options,
      forgeName: NAME,
      headers: (token) => ({ Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28', Authorization: `Bearer ${token}` }),
    });
  }

  get #base(): string {
    return `/repos/${encodeURIComponent(this.#owner)}/${encodeURIComponent(this.#repo)}`;
  }

  async openPullRequest(request: OpenPullRequest): Promise<PullRequestRef> {
    const response = await this.#http.request({
      method: 'POST',
      path: `${this.#base}/pulls`,
      body: { title: request.title, head: request.sourceBranch, base: request.targetBranch, body: request.body },
      expect: [422],
    });
    if (response.status === 201 || response.status === 200) return pullRequestRef(response.body);
    // 422 "Validation Failed" with errors[].message "A pull request already exists for owner:branch.":
    // a resumed step finds the one it opened before.
    const said = response.message ?? 'Validation Failed';
    if (/pull request already exists/i.test(said)) {
      const existing = await this.findPullRequest(request.sourceBranch, request.targetBranch);
      if (existing !== undefined) return { ...existing, existing: true };
    }
    throw new ForgeError(`${NAME} refused to open a pull request from ${request.sourceBranch} into ${request.targetBranch}: ${said}`, { retryable: false, status: 422 });
  }

  async findPullRequest(sourceBranch: string, targetBranch: string): Promise<PullRequestRef | undefined> {
    const query = { head: `${this.#owner}:${sourceBranch}`, base: targetBranch };
    const open = await this.#http.request({ method: 'GET', path: `${this.#base}/pulls`, query: { ...query, state: 'open' } });
    const first = firstItem(open.body, NAME, 'list of pull requests');
    if (first !== undefined) return pullRequestRef(first);
    const any = await this.#http.request({ method: 'GET', path: `${this.#base}/pulls`, query: { ...query, state: 'all', sort: 'created', direction: 'desc', per_page: '1' } });
    const newest = firstItem(any.body, NAME, 'list of pull requests');
    return newest === undefined ? undefined : pullRequestRef(newest);
  }

  async status(number: number): Promise<PullRequestStatus> {
    const { body, text } = await this.#http.request({ method: 'GET', path: `${this.#base}/pulls/${number}` });
    if (!isRecord(body)) throw malformedAnswer(NAME, 'pull request');
    if (body.merged === true) {
      const mergedBy = login(body.merged_by, text);
      return { state: 'merged', mergeCommit: field(body.merge_commit_sha, 'merge_commit_sha', NAME, isCommitId), ...(mergedBy === undefined ? {} : { mergedBy }) };
    }
    if (body.state === 'closed') {
      // A pull request does not say who closed it; its issue does.
      const issue = await this.#http.request({ method: 'GET', path: `${this.#base}/issues/${number}` });
      const closedBy = isRecord(issue.body) ? login(issue.body.closed_by, issue.text) : undefined;
      return { state: 'closed', ...(closedBy === undefined ? {} : { closedBy }) };
    }
    const headSha = field(isRecord(body.head) ? body.head.sha : undefined, 'head.sha', NAME, isCommitId);
    const mergeableState = typeof body.mergeable_state === 'string' ? body.mergeable_state : 'unknown';
    if (body.mergeable === null || body.mergeable === undefined || mergeableState === 'unknown') return { state: 'open', mergeable: 'unknown', headSha };
    switch (mergeableState) {
      case 'clean':
      case 'has_hooks':
      case 'unstable':
        return { state: 'open', mergeable: 'clean', headSha };
      case 'dirty':
        return { state: 'open', mergeable: 'conflict', headSha };
      case 'behind':
        return { state: 'open', mergeable: 'behind', headSha };
      case 'draft':
        return { state: 'open', mergeable: 'blocked', headSha, blockedBy: 'the pull request is a draft' };
      default:
        return { state: 'open', mergeable: 'blocked', headSha, blockedBy: await this.#blockedBy(number, headSha, isRecord(body.base) && typeof body.base.ref === 'string' ? body.base.ref : undefined) };
    }
  }

  async merge(number: number, expectedHeadSha: string, commitTitle: string): Promise<MergeResult> {
    const response = await this.#http.request({
      method: 'PUT',
      path: `${this.#base}/pulls/${number}/merge`,
      body: { sha: expectedHeadSha, commit_title: commitTitle, merge_method: this.#mergeMethod },
      expect: [405, 409, 422],
    });
    const said = response.message;
    if (response.status === 200 && isRecord(response.body) && response.body.merged !== false) {
      return { merged: true, mergeCommit: field(response.body.sha, 'sha', NAME, isCommitId) };
    }
    // 405 "Pull Request is not mergeable" (or the merge method is not allowed), 409 "Head branch was
    // modified. Review and try the merge again.", 422 for a sha that is not the head.
    return {
      merged: false,
      reason: said ?? `${NAME} answered ${response.status}`,
      conflict: response.status === 405 && /conflict/i.test(said ?? ''),
      headChanged: response.status === 409 || (response.status === 422 && /head|sha/i.test(said ?? '')),
    };
  }

  async close(number: number, comment?: string): Promise<void> {
    if (comment !== undefined) {
      await this.#http.request({ method: 'POST', path: `${this.#base}/issues/${number}/comments`, body: { body: comment } });
    }
    await this.#http.request({ method: 'PATCH', path: `${this.#base}/pulls/${number}`, body: { state: 'closed' } });
  }

  /**
   * What keeps a `blocked` pull request from merging, as far as a token without admin rights can see:
   * failing or pending commit statuses and check runs on the head, and reviews requesting changes. The
   * required set itself is in branch protection, which needs admin rights to read, so the text names what
   * is not green rather than what is required. Best effort: a failure here leaves a generic sentence.
   */
  async #blockedBy(number: number, headSha: string, base: string | undefined): Promise<string> {
    const generic = 'a branch protection rule is not met (a required check or review)';
    try {
      const [combined, checks, reviews, protection] = await Promise.all([
        this.#http.request({ method: 'GET', path: `${this.#base}/commits/${encodeURIComponent(headSha)}/status` }),
        this.#http.request({ method: 'GET', path: `${this.#base}/commits/${encodeURIComponent(headSha)}/check-runs`, query: { per_page: '100' } }),
        this.#http.request({ method: 'GET', path: `${this.#base}/pulls/${number}/reviews`, query: { per_page: '100' } }),
        // Reading the rule needs admin rights: without them (403/404) the sentence names what is not green instead.
        base === undefined ? Promise.resolve(undefined) : this.#protectionOf(base),
      ]);
      const required = requiredContexts(protection);
      const reported = reportedContexts(combined.body, checks.body);
      const missing = required.filter((context) => !reported.has(context)).map((context) => `required check ${context} has not reported`);
      const nothingReported = required.length === 0 && reported.size === 0 ? ['no check has reported on the head yet'] : [];
      const parts = [...missing, ...nothingReported, ...statusProblems(combined.body), ...checkRunProblems(checks.body), ...reviewProblems(reviews.body, requiredApprovals(protection))];
      return parts.length === 0 ? generic : combined.text(parts.join('; '));
    } catch (error) {
      if (error instanceof ForgeError) return generic;
      throw error;
    }
  }

  /** The base branch's protection rule, read at most once per PROTECTION_TTL_MS (a failure to read it too). */
  async #protectionOf(base: string): Promise<unknown> {
    const known = this.#protection.get(base);
    if (known && Date.now() - known.at < PROTECTION_TTL_MS) return known.body;
    const body = await this.#http
      .request({ method: 'GET', path: `${this.#base}/branches/${encodeURIComponent(base)}/protection` })
      .then((answer) => answer.body)
      .catch(() => undefined);
    this.#protection.set(base, { at: Date.now(), body });
    return body;
  }
}

/** How long a branch's protection rule is reused before it is read again. */
const PROTECTION_TTL_MS = 5 * 60_000;

function statusProblems(body: unknown): string[] {
  if (!isRecord(body) || !Array.isArray(body.statuses)) return [];
  return body.statuses.filter(isRecord).filter((s) => s.state !== 'success' && typeof s.context === 'string').map((s) => `check ${String(s.context)} ${String(s.state)}`);
}

function checkRunProblems(body: unknown): string[] {
  if (!isRecord(body) || !Array.isArray(body.check_runs)) return [];
  const problems: string[] = [];
  for (const run of body.check_runs.filter(isRecord)) {
    if (typeof run.name !== 'string') continue;
    if (run.status !== 'completed') problems.push(`check ${run.name} ${run.status === 'in_progress' ? 'in progress' : 'pending'}`);
    else if (!['success', 'neutral', 'skipped'].includes(String(run.conclusion))) problems.push(`check ${run.name} ${String(run.conclusion)}`);
  }
  return problems;
}

/** The contexts branch protection requires (`required_status_checks.contexts` or `.checks[].context`). */
function requiredContexts(body: unknown): string[] {
  if (!isRecord(body) || !isRecord(body.required_status_checks)) return [];
  const rule = body.required_status_checks;
  const contexts = Array.isArray(rule.contexts) ? rule.contexts.filter((c): c is string => typeof c === 'string') : [];
  const checks = Array.isArray(rule.checks) ? rule.checks.filter(isRecord).map((c) => c.context).filter((c): c is string => typeof c === 'string') : [];
  return [...new Set([...contexts, ...checks])];
}

/** Approvals branch protection requires; undefined when the rule could not be read. */
function requiredApprovals(body: unknown): number | undefined {
  if (!isRecord(body)) return undefined;
  const reviews = body.required_pull_request_reviews;
  return isRecord(reviews) && typeof reviews.required_approving_review_count === 'number' ? reviews.required_approving_review_count : 0;
}

/** Names of the statuses and check runs reported on the head, whatever their state. */
function reportedContexts(status: unknown, checkRuns: unknown): Set<string> {
  const names = new Set<string>();
  if (isRecord(status) && Array.isArray(status.statuses)) for (const s of status.statuses.filter(isRecord)) if (typeof s.context === 'string') names.add(s.context);
  if (isRecord(checkRuns) && Array.isArray(checkRuns.check_runs)) for (const r of checkRuns.check_runs.filter(isRecord)) if (typeof r.name === 'string') names.add(r.name);
  return names;
}

/** `requiredApprovals` 0: reviews are not required, so a missing approval is not why it waits. */
function reviewProblems(body: unknown, requiredApprovals: number | undefined): string[] {
  if (!Array.isArray(body)) return [];
  // A reviewer's latest review is the one that counts; comments do not change an approval or a request.
  const latest = new Map<string, string>();
  for (const review of body.filter(isRecord)) {
    const who = login(review.user, (value) => value);
    if (who !== undefined && typeof review.state === 'string' && review.state !== 'COMMENTED' && review.state !== 'PENDING') latest.set(who, review.state);
  }
  const requesting = [...latest].filter(([, state]) => state === 'CHANGES_REQUESTED').map(([who]) => who);
  if (requesting.length > 0) return [`changes requested by ${requesting.join(', ')}`];
  if (requiredApprovals === 0) return [];
  return [...latest.values()].includes('APPROVED') ? [] : ['no approving review'];
}

function pullRequestRef(body: unknown): PullRequestRef {
  if (!isRecord(body)) throw malformedAnswer(NAME, 'pull request');
  return {
    number: field(body.number, 'number', NAME, isPullNumber),
    url: field(body.html_url, 'html_url', NAME, isPageUrl),
    sourceBranch: field(isRecord(body.head) ? body.head.ref : undefined, 'head.ref', NAME, isBranchName),
    targetBranch: field(isRecord(body.base) ? body.base.ref : undefined, 'base.ref', NAME, isBranchName),
  };
}


function login(user: unknown, text: (value: string) => string): string | undefined {
  return isRecord(user) && typeof user.login === 'string' ? text(user.login) : undefined;
}
