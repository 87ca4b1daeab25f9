/**
 * The GitHub REST v3 endpoints a promotion through a protected branch uses: pull requests (create, list,
 * get, update, merge), issues (get, comment), commit statuses and check runs, reviews, and branch
 * protection. Validation, status codes and error bodies follow docs.github.com/rest.
 */
import { closePull, commentCount, openPull, readAssessment, recordComment, recordReview, recordStatus, reopenPull } from './forge-operations.js';
import type { ApiContext } from './api-context.js';
import {
  checkRunJson,
  commentJson,
  githubError,
  issueJson,
  NOT_FOUND,
  protectionJson,
  pullJson,
  pullListJson,
  repoJson,
  reviewJson,
  ruleViolation,
  statusJson,
  validationFailed,
  type PullContext,
} from './github-json.js';
import { matchPath, numberField, stringField, type ApiRequest, type ApiResponse } from './http.js';
import { currentHead } from './mergeability.js';
import { commitMessage, defaultMessage, mergePull, updateBranch } from './merge.js';
import { branchSha, commitExists } from './repository-git.js';
import { statusOutcome, type BranchRule, type PullRecord, type RepositoryRecord } from './forge-state.js';

const PULLS_DOCS = 'https://docs.github.com/rest/pulls/pulls';
const STATUS_STATES = ['error', 'failure', 'pending', 'success'];

type Handler = (ctx: ApiContext, repository: RepositoryRecord, req: ApiRequest, params: Record<string, string>) => Promise<ApiResponse>;

const ROUTES: readonly (readonly [string, string, Handler])[] = [
  ['POST', 'pulls', createPull],
  ['GET', 'pulls', listPulls],
  ['GET', 'pulls/:number', getPull],
  ['PATCH', 'pulls/:number', updatePull],
  ['PUT', 'pulls/:number/merge', mergePullRoute],
  ['GET', 'pulls/:number/merge', isMerged],
  ['PUT', 'pulls/:number/update-branch', updateBranchRoute],
  ['POST', 'pulls/:number/reviews', createReview],
  ['GET', 'pulls/:number/reviews', listReviews],
  ['GET', 'issues/:number', getIssue],
  ['POST', 'issues/:number/comments', createComment],
  ['GET', 'issues/:number/comments', listComments],
  ['POST', 'statuses/:sha', createStatus],
  ['GET', 'commits/*ref/status', combinedStatus],
  ['GET', 'commits/*ref/statuses', listStatuses],
  ['GET', 'commits/*ref/check-runs', listCheckRuns],
  ['GET', 'branches/*branch/protection', getProtection],
  ['PUT', 'branches/*branch/protection', putProtection],
];

export async function handleGitHub(ctx: ApiContext, req: ApiRequest): Promise<ApiResponse> {
  const [first, owner, name, ...rest] = req.segments;
  if (first !== 'repos' || owner === undefined || name === undefined) return NOT_FOUND();
  const repository = ctx.state.repositories.get(`${owner}/${name}`);
  if (!repository) return NOT_FOUND();
  if (rest.length === 0 && req.method === 'GET') return { status: 200, body: repoJson(ctx.baseUrl, ctx.state, repository) };
  for (const [method, pattern, handler] of ROUTES) {
    if (method !== req.method) continue;
    const params = matchPath(pattern, rest);
    if (params) return handler(ctx, repository, req, params);
  }
  return NOT_FOUND();
}

async function pullContext(ctx: ApiContext, repository: RepositoryRecord, pull: PullRecord): Promise<PullContext> {
  return { base: ctx.baseUrl, state: ctx.state, repository, headSha: await currentHead(repository, pull), baseSha: await branchSha(repository.gitDir, pull.target) };
}

function findPull(repository: RepositoryRecord, params: Record<string, string>): PullRecord | undefined {
  const number = Number(params.number);
  return repository.pulls.find((p) => p.number === number);
}

async function fullPull(ctx: ApiContext, repository: RepositoryRecord, pull: PullRecord): Promise<Record<string, unknown>> {
  const assessment = await readAssessment(ctx.kind, repository, pull);
  return pullJson(await pullContext(ctx, repository, pull), pull, assessment, commentCount(repository, pull));
}

/** `head` is `branch` or `owner:branch`; a fork's owner is not supported (the fake has no forks). */
function headBranch(repository: RepositoryRecord, head: string): string | undefined {
  const colon = head.indexOf(':');
  if (colon < 0) return head;
  return head.slice(0, colon) === repository.fullName.split('/')[0] ? head.slice(colon + 1) : undefined;
}

async function createPull(ctx: ApiContext, repository: RepositoryRecord, req: ApiRequest): Promise<ApiResponse> {
  const docs = `${PULLS_DOCS}#create-a-pull-request`;
  const title = stringField(req.body, 'title');
  const head = stringField(req.body, 'head');
  const base = stringField(req.body, 'base');
  const missing = [['title', title], ['head', head], ['base', base]].filter(([, value]) => value === undefined || value === '');
  if (missing.length > 0) return validationFailed(missing.map(([field]) => ({ resource: 'PullRequest', code: 'missing_field', field })), docs);
  const source = headBranch(repository, head ?? '');
  if (source === undefined) return validationFailed([{ resource: 'PullRequest', field: 'head', code: 'invalid' }], docs);
  const opened = await openPull(ctx.state, repository, { source, target: base ?? '', title: title ?? '', body: stringField(req.body, 'body') ?? '', author: req.user.login });
  if (opened.ok) return { status: 201, body: await fullPull(ctx, repository, opened.pull) };
  const owner = repository.fullName.split('/')[0] ?? '';
  switch (opened.why) {
    case 'duplicate':
      return validationFailed([{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${owner}:${source}.` }], docs);
    case 'no-source':
      return validationFailed([{ resource: 'PullRequest', field: 'head', code: 'invalid' }], docs);
    case 'no-target':
      return validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }], docs);
    case 'no-commits':
    case 'same-branch':
      return validationFailed([{ resource: 'PullRequest', code: 'custom', message: `No commits between ${base ?? ''} and ${source}` }], docs);
  }
}

async function listPulls(ctx: ApiContext, repository: RepositoryRecord, req: ApiRequest): Promise<ApiResponse> {
  const state = req.query.get('state') ?? 'open';
  const head = req.query.get('head');
  const base = req.query.get('base');
  const source = head === null ? undefined : headBranch(repository, head);
  if (head !== null && source === undefined) return { status: 200, body: [] };
  const chosen = repository.pulls
    .filter((p) => state === 'all' || (state === 'open' ? p.state === 'open' : p.state !== 'open'))
    .filter((p) => source === undefined || p.source === source)
    .filter((p) => base === null || p.target === base)
    .sort((a, b) => b.number - a.number); // GitHub's default: newest first
  const perPage = Math.min(Math.max(Number(req.query.get('per_page') ?? 30) || 30, 1), 100);
  const page = Math.max(Number(req.query.get('page') ?? 1) || 1, 1);
  const slice = chosen.slice((page - 1) * perPage, page * perPage);
  return { status: 200, body: await Promise.all(slice.map(async (p) => pullListJson(await pullContext(ctx, repository, p), p))) };
}

async function getPull(ctx: ApiContext, repository: RepositoryRecord, _req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const pull = findPull(repository, params);
  return pull ? { status: 200, body: await fullPull(ctx, repository, pull) } : NOT_FOUND();
}

async function updatePull(ctx: ApiContext, repository: RepositoryRecord, req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const pull = findPull(repository, params);
  if (!pull) return NOT_FOUND();
  const state = stringField(req.body, 'state');
  if (state !== undefined && state !== 'open' && state !== 'closed') {
    return validationFailed([{ resource: 'PullRequest', code: 'invalid', field: 'state' }], `${PULLS_DOCS}#update-a-pull-request`);
  }
  const title = stringField(req.body, 'title');
  const body = stringField(req.body, 'body');
  if (title !== undefined) pull.title = title;
  if (body !== undefined) pull.body = body;
  if (state === 'closed') closePull(ctx.state, pull, req.user.login);
  if (state === 'open') reopenPull(ctx.state, pull);
  return { status: 200, body: await fullPull(ctx, repository, pull) };
}

async function mergePullRoute(ctx: ApiContext, repository: RepositoryRecord, req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const pull = findPull(repository, params);
  if (!pull) return NOT_FOUND();
  const docs = `${PULLS_DOCS}#merge-a-pull-request`;
  const method = stringField(req.body, 'merge_method') ?? 'merge';
  if (method === 'rebase') return githubError(405, 'Rebase merges are not allowed on this repository.', {}, docs);
  if (method !== 'merge' && method !== 'squash') return validationFailed([{ resource: 'PullRequest', code: 'invalid', field: 'merge_method' }], docs);
  const title = stringField(req.body, 'commit_title');
  const message = stringField(req.body, 'commit_message');
  // commit_title and commit_message each replace their part of GitHub's default message.
  const fallback = defaultMessage(ctx.kind, repository, pull, method);
  const outcome = await mergePull(ctx.kind, ctx.state, repository, pull, {
    by: req.user,
    expectedHeadSha: stringField(req.body, 'sha'),
    method,
    message: title === undefined && message === undefined ? undefined : commitMessage(title ?? fallback.title, message ?? fallback.body),
  });
  if (outcome.merged) return { status: 200, body: { sha: outcome.sha, merged: true, message: 'Pull Request successfully merged' } };
  switch (outcome.why) {
    case 'head-changed':
      return githubError(409, 'Head branch was modified. Review and try the merge again.', {}, docs);
    case 'target-moved':
      return githubError(409, 'Base branch was modified. Review and try the merge again.', {}, docs);
    case 'rules': {
      const assessment = outcome.assessment;
      const why = assessment ? ruleViolation(assessment) : undefined;
      if (why !== undefined) return githubError(405, why, {}, docs);
      // Behind under `strict`: GitHub counts every required check as expected again ("6 of 6 required status checks are expected.").
      const required = repository.rules.get(pull.target)?.requiredChecks ?? [];
      const expected = ruleViolation({ approvals: [], approvalsRequired: 0, missingChecks: required, pendingChecks: [], failingChecks: [] });
      return githubError(405, expected ?? 'Head branch is out of date. Review and try the merge again.', {}, docs);
    }
    case 'not-open':
    case 'conflict':
    case 'no-target':
      return githubError(405, 'Pull Request is not mergeable', {}, docs);
  }
}

async function updateBranchRoute(ctx: ApiContext, repository: RepositoryRecord, req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const pull = findPull(repository, params);
  if (!pull) return NOT_FOUND();
  const docs = `${PULLS_DOCS}#update-a-pull-request-branch`;
  const outcome = await updateBranch(ctx.kind, repository, pull, req.user, stringField(req.body, 'expected_head_sha'));
  if (outcome.updated) return { status: 202, body: { message: 'Updating pull request branch.', url: `${ctx.baseUrl}/${repository.fullName}/pull/${pull.number}` } };
  switch (outcome.why) {
    case 'head-changed':
      return githubError(422, "expected head sha didn't match current head ref.", {}, docs);
    case 'conflict':
      return githubError(422, 'merge conflict between base and head', {}, docs);
    case 'not-open':
    case 'no-target':
      return githubError(422, 'Pull request is not open', {}, docs);
  }
}

async function isMerged(_ctx: ApiContext, repository: RepositoryRecord, _req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const pull = findPull(repository, params);
  return pull?.state === 'merged' ? { status: 204 } : NOT_FOUND();
}

async function createReview(ctx: ApiContext, repository: RepositoryRecord, req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const pull = findPull(repository, params);
  if (!pull) return NOT_FOUND();
  const event = stringField(req.body, 'event');
  const state = event === 'APPROVE' ? 'APPROVED' : event === 'REQUEST_CHANGES' ? 'CHANGES_REQUESTED' : event === 'COMMENT' ? 'COMMENTED' : undefined;
  if (state === undefined) return githubError(422, 'Unprocessable Entity', { errors: ['Review cannot be pending: event is required'] });
  if (state !== 'COMMENTED' && pull.author === req.user.login) {
    const verb = state === 'APPROVED' ? 'approve' : 'request changes on';
    return githubError(422, 'Unprocessable Entity', { errors: [`Can not ${verb} your own pull request`] });
  }
  const commitId = stringField(req.body, 'commit_id') ?? (await currentHead(repository, pull));
  const review = recordReview(ctx.state, repository, { pull: pull.number, user: req.user.login, state, body: stringField(req.body, 'body') ?? '', commitId });
  return { status: 200, body: reviewJson(ctx.baseUrl, ctx.state, repository, review) };
}

async function listReviews(ctx: ApiContext, repository: RepositoryRecord, _req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const pull = findPull(repository, params);
  if (!pull) return NOT_FOUND();
  const reviews = repository.reviews.filter((r) => r.pull === pull.number);
  return { status: 200, body: reviews.map((r) => reviewJson(ctx.baseUrl, ctx.state, repository, r)) };
}

async function getIssue(ctx: ApiContext, repository: RepositoryRecord, _req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const pull = findPull(repository, params);
  if (!pull) return NOT_FOUND();
  return { status: 200, body: issueJson(await pullContext(ctx, repository, pull), pull, commentCount(repository, pull)) };
}

async function createComment(ctx: ApiContext, repository: RepositoryRecord, req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const pull = findPull(repository, params);
  if (!pull) return NOT_FOUND();
  const body = stringField(req.body, 'body');
  if (body === undefined || body === '') return validationFailed([{ resource: 'IssueComment', code: 'missing_field', field: 'body' }]);
  const comment = recordComment(ctx.state, repository, pull, req.user.login, body);
  return { status: 201, body: commentJson(ctx.baseUrl, ctx.state, repository, comment) };
}

async function listComments(ctx: ApiContext, repository: RepositoryRecord, _req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const pull = findPull(repository, params);
  if (!pull) return NOT_FOUND();
  return { status: 200, body: repository.comments.filter((c) => c.pull === pull.number).map((c) => commentJson(ctx.baseUrl, ctx.state, repository, c)) };
}

/** A full sha, or a branch name resolved to its head (GitHub's `{ref}`). */
async function resolveRef(repository: RepositoryRecord, ref: string): Promise<string | undefined> {
  if (/^[0-9a-f]{40}$/.test(ref)) return ref;
  return branchSha(repository.gitDir, ref);
}

async function createStatus(ctx: ApiContext, repository: RepositoryRecord, req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const state = stringField(req.body, 'state');
  if (state === undefined || !STATUS_STATES.includes(state)) {
    return validationFailed([{ resource: 'Status', code: 'custom', field: 'state', message: 'state is not included in the list' }]);
  }
  const sha = params.sha ?? '';
  if (!(/^[0-9a-f]{40}$/.test(sha) && (await commitExists(repository.gitDir, sha)))) return githubError(422, `No commit found for SHA: ${sha}`);
  const status = recordStatus(ctx.state, repository, {
    sha,
    context: stringField(req.body, 'context') ?? 'default',
    state,
    description: stringField(req.body, 'description') ?? null,
    targetUrl: stringField(req.body, 'target_url') ?? null,
    creator: req.user.login,
  });
  return { status: 201, body: statusJson(ctx.baseUrl, ctx.state, repository, status) };
}

async function combinedStatus(ctx: ApiContext, repository: RepositoryRecord, _req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const sha = await resolveRef(repository, params.ref ?? '');
  if (sha === undefined) return githubError(422, `No commit found for SHA: ${params.ref ?? ''}`);
  const latest = new Map<string, (typeof repository.statuses)[number]>();
  for (const status of repository.statuses) if (status.sha === sha) latest.set(status.context, status);
  const statuses = [...latest.values()];
  const outcomes = statuses.map((s) => statusOutcome(s.state));
  const state = outcomes.includes('failure') ? 'failure' : outcomes.length === 0 || outcomes.includes('pending') ? 'pending' : 'success';
  return {
    status: 200,
    body: {
      state,
      statuses: statuses.map((s) => statusJson(ctx.baseUrl, ctx.state, repository, s)),
      sha,
      total_count: statuses.length,
      commit_url: `${ctx.baseUrl}/repos/${repository.fullName}/commits/${sha}`,
      url: `${ctx.baseUrl}/repos/${repository.fullName}/commits/${sha}/status`,
    },
  };
}

async function listStatuses(ctx: ApiContext, repository: RepositoryRecord, _req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const sha = await resolveRef(repository, params.ref ?? '');
  const statuses = repository.statuses.filter((s) => s.sha === sha).reverse(); // newest first
  return { status: 200, body: statuses.map((s) => statusJson(ctx.baseUrl, ctx.state, repository, s)) };
}

async function listCheckRuns(ctx: ApiContext, repository: RepositoryRecord, _req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const sha = await resolveRef(repository, params.ref ?? '');
  if (sha === undefined) return githubError(422, `No commit found for SHA: ${params.ref ?? ''}`);
  const runs = repository.checkRuns.filter((r) => r.sha === sha);
  return { status: 200, body: { total_count: runs.length, check_runs: runs.map((r) => checkRunJson(ctx.baseUrl, repository, r)) } };
}

async function getProtection(ctx: ApiContext, repository: RepositoryRecord, _req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const branch = params.branch ?? '';
  if ((await branchSha(repository.gitDir, branch)) === undefined) return githubError(404, 'Branch not found');
  const rule = repository.rules.get(branch);
  return rule ? { status: 200, body: protectionJson(ctx.baseUrl, repository, rule) } : githubError(404, 'Branch not protected');
}

async function putProtection(ctx: ApiContext, repository: RepositoryRecord, req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const branch = params.branch ?? '';
  if ((await branchSha(repository.gitDir, branch)) === undefined) return githubError(404, 'Branch not found');
  const body = req.body;
  const required = ['required_status_checks', 'enforce_admins', 'required_pull_request_reviews', 'restrictions'].filter((key) => !(key in body));
  if (required.length > 0) {
    return githubError(422, 'Invalid request.\n\n' + required.map((key) => `"${key}" wasn't supplied.`).join('\n'));
  }
  const checks = objectField(body, 'required_status_checks');
  const reviews = objectField(body, 'required_pull_request_reviews');
  const contexts = Array.isArray(checks?.contexts) ? checks.contexts.filter((c): c is string => typeof c === 'string') : [];
  const rule: BranchRule = {
    branch,
    requiredChecks: contexts,
    strict: checks?.strict === true,
    requiredApprovals: reviews ? (numberField(reviews, 'required_approving_review_count') ?? 1) : 0,
    dismissStaleReviews: reviews?.dismiss_stale_reviews === true,
    pushAccessLevel: 0,
    mergeAccessLevel: 30,
    id: repository.rules.get(branch)?.id ?? ctx.state.nextId(),
  };
  await ctx.saveRule(repository, rule);
  return { status: 200, body: protectionJson(ctx.baseUrl, repository, rule) };
}

function objectField(body: Readonly<Record<string, unknown>>, name: string): Record<string, unknown> | undefined {
  const value = body[name];
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
