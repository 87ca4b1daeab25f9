/**
 * The GitLab REST v4 endpoints (under `/api/v4`) a promotion through a protected branch uses: merge
 * requests (create, list, get, update, merge, notes, approve, approvals), commit statuses, protected
 * branches, approval rules and the project's "pipelines must succeed" setting. A project is named by id or
 * by its URL-encoded path (`group%2Fproject`). Status codes and error bodies follow docs.gitlab.com.
 */
import { closePull, openPull, readAssessment, recordComment, recordReview, recordStatus, reopenPull } from './forge-operations.js';
import type { ApiContext } from './api-context.js';
import {
  approvalsJson,
  commitStatusJson,
  gitlabMessage,
  mergeRequestJson,
  noteJson,
  NOT_FOUND,
  projectJson,
  PROJECT_NOT_FOUND,
  protectedBranchJson,
  type MergeRequestContext,
} from './gitlab-json.js';
import { booleanField, matchPath, numberField, stringField, type ApiRequest, type ApiResponse } from './http.js';
import { assess, currentHead } from './mergeability.js';
import { mergePull } from './merge.js';
import { branchSha, commitExists } from './repository-git.js';
import type { BranchRule, PullRecord, RepositoryRecord } from './forge-state.js';

const STATUS_STATES = ['pending', 'running', 'success', 'failed', 'canceled'];
const UNAUTHORIZED = (): ApiResponse => gitlabMessage(401, '401 Unauthorized');

type Handler = (ctx: ApiContext, project: RepositoryRecord, req: ApiRequest, params: Record<string, string>) => Promise<ApiResponse>;

const ROUTES: readonly (readonly [string, string, Handler])[] = [
  ['GET', '', getProject],
  ['PUT', '', updateProject],
  ['POST', 'merge_requests', createMergeRequest],
  ['GET', 'merge_requests', listMergeRequests],
  ['GET', 'merge_requests/:iid', getMergeRequest],
  ['PUT', 'merge_requests/:iid', updateMergeRequest],
  ['PUT', 'merge_requests/:iid/merge', acceptMergeRequest],
  ['POST', 'merge_requests/:iid/notes', createNote],
  ['GET', 'merge_requests/:iid/notes', listNotes],
  ['POST', 'merge_requests/:iid/approve', approve],
  ['GET', 'merge_requests/:iid/approvals', approvals],
  ['POST', 'statuses/:sha', createStatus],
  ['GET', 'repository/commits/:sha/statuses', listStatuses],
  ['GET', 'protected_branches', listProtectedBranches],
  ['POST', 'protected_branches', protectBranch],
  ['GET', 'protected_branches/:name', getProtectedBranch],
  ['POST', 'approval_rules', createApprovalRule],
];

export async function handleGitLab(ctx: ApiContext, req: ApiRequest): Promise<ApiResponse> {
  const [api, version, projects, id, ...rest] = req.segments;
  if (api !== 'api' || version !== 'v4') return NOT_FOUND();
  if (projects !== 'projects' || id === undefined) return gitlabMessage(404, '404 Not Found');
  const project = /^\d+$/.test(id) ? ctx.state.repositoryById(Number(id)) : ctx.state.repositories.get(id);
  if (!project) return PROJECT_NOT_FOUND();
  for (const [method, pattern, handler] of ROUTES) {
    if (method !== req.method) continue;
    const params = matchPath(pattern, rest);
    if (params) return handler(ctx, project, req, params);
  }
  return gitlabMessage(404, '404 Not Found');
}

function findMergeRequest(project: RepositoryRecord, params: Record<string, string>): PullRecord | undefined {
  const iid = Number(params.iid);
  return project.pulls.find((p) => p.number === iid);
}

async function requestContext(ctx: ApiContext, project: RepositoryRecord, pull: PullRecord): Promise<MergeRequestContext> {
  return { base: ctx.baseUrl, state: ctx.state, repository: project, headSha: await currentHead(project, pull), baseSha: await branchSha(project.gitDir, pull.target) };
}

async function mergeRequestBody(ctx: ApiContext, project: RepositoryRecord, pull: PullRecord): Promise<Record<string, unknown>> {
  const assessment = await readAssessment(ctx.kind, project, pull);
  return mergeRequestJson(await requestContext(ctx, project, pull), pull, assessment);
}

/** Grape's 400 for missing parameters: `{"error":"title is missing, source_branch is missing"}`. */
function missing(names: readonly string[]): ApiResponse {
  return { status: 400, body: { error: names.map((name) => `${name} is missing`).join(', ') } };
}

async function getProject(ctx: ApiContext, project: RepositoryRecord): Promise<ApiResponse> {
  return { status: 200, body: projectJson(ctx.baseUrl, project, ctx.gitUrl(project.fullName)) };
}

async function updateProject(ctx: ApiContext, project: RepositoryRecord, req: ApiRequest): Promise<ApiResponse> {
  const pipelines = booleanField(req.body, 'only_allow_merge_if_pipeline_succeeds');
  if (pipelines !== undefined) project.pipelinesMustSucceed = pipelines;
  const method = stringField(req.body, 'merge_method');
  if (method !== undefined) project.requireUpToDate = method === 'ff' || method === 'rebase_merge';
  const reset = booleanField(req.body, 'reset_approvals_on_push');
  if (reset !== undefined) project.resetApprovalsOnPush = reset;
  return { status: 200, body: projectJson(ctx.baseUrl, project, ctx.gitUrl(project.fullName)) };
}

async function createMergeRequest(ctx: ApiContext, project: RepositoryRecord, req: ApiRequest): Promise<ApiResponse> {
  const source = stringField(req.body, 'source_branch');
  const target = stringField(req.body, 'target_branch');
  const title = stringField(req.body, 'title');
  const absent = [['source_branch', source], ['target_branch', target], ['title', title]].filter(([, v]) => v === undefined || v === '').map(([name]) => name ?? '');
  if (absent.length > 0) return missing(absent);
  const opened = await openPull(ctx.state, project, {
    source: source ?? '',
    target: target ?? '',
    title: title ?? '',
    body: stringField(req.body, 'description') ?? '',
    author: req.user.login,
    removeSourceBranch: booleanField(req.body, 'remove_source_branch') ?? false,
    allowEmpty: true,
  });
  if (opened.ok) return { status: 201, body: await mergeRequestBody(ctx, project, opened.pull) };
  switch (opened.why) {
    case 'duplicate':
      return gitlabMessage(409, [`Another open merge request already exists for this source branch: !${opened.existing.number}`]);
    case 'no-source':
      return gitlabMessage(422, [`Source branch "${source ?? ''}" does not exist`]);
    case 'no-target':
      return gitlabMessage(422, [`Target branch "${target ?? ''}" does not exist`]);
    case 'same-branch':
      return gitlabMessage(422, ['You can\'t use same project/branch for source and target']);
    case 'no-commits': // not reached: GitLab opens a merge request with nothing to merge
      return gitlabMessage(422, ['Nothing to merge']);
  }
}

async function listMergeRequests(ctx: ApiContext, project: RepositoryRecord, req: ApiRequest): Promise<ApiResponse> {
  const state = req.query.get('state') ?? 'all';
  const source = req.query.get('source_branch');
  const target = req.query.get('target_branch');
  const wanted = (p: PullRecord) => state === 'all' || (state === 'opened' ? p.state === 'open' : p.state === state);
  const chosen = project.pulls
    .filter(wanted)
    .filter((p) => source === null || p.source === source)
    .filter((p) => target === null || p.target === target)
    .sort((a, b) => b.number - a.number); // created_at descending, GitLab's default
  const perPage = Math.min(Math.max(Number(req.query.get('per_page') ?? 20) || 20, 1), 100);
  const page = Math.max(Number(req.query.get('page') ?? 1) || 1, 1);
  const slice = chosen.slice((page - 1) * perPage, page * perPage);
  // Lists carry merge status as GitLab caches it; the fake computes it as for a single read.
  return { status: 200, body: await Promise.all(slice.map((p) => mergeRequestBody(ctx, project, p))) };
}

async function getMergeRequest(ctx: ApiContext, project: RepositoryRecord, _req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const pull = findMergeRequest(project, params);
  return pull ? { status: 200, body: await mergeRequestBody(ctx, project, pull) } : NOT_FOUND();
}

async function updateMergeRequest(ctx: ApiContext, project: RepositoryRecord, req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const pull = findMergeRequest(project, params);
  if (!pull) return NOT_FOUND();
  const event = stringField(req.body, 'state_event');
  if (event !== undefined && event !== 'close' && event !== 'reopen') return { status: 400, body: { error: 'state_event does not have a valid value' } };
  const title = stringField(req.body, 'title');
  const description = stringField(req.body, 'description');
  if (title !== undefined) pull.title = title;
  if (description !== undefined) pull.body = description;
  const remove = booleanField(req.body, 'remove_source_branch');
  if (remove !== undefined) pull.removeSourceBranch = remove;
  if (event === 'close') closePull(ctx.state, pull, req.user.login);
  if (event === 'reopen') reopenPull(ctx.state, pull);
  return { status: 200, body: await mergeRequestBody(ctx, project, pull) };
}

async function acceptMergeRequest(ctx: ApiContext, project: RepositoryRecord, req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const pull = findMergeRequest(project, params);
  if (!pull) return NOT_FOUND();
  const squash = booleanField(req.body, 'squash') === true;
  const outcome = await mergePull(ctx.kind, ctx.state, project, pull, {
    by: req.user,
    expectedHeadSha: stringField(req.body, 'sha'),
    method: squash ? 'squash' : 'merge',
    message: stringField(req.body, squash ? 'squash_commit_message' : 'merge_commit_message'),
    removeSourceBranch: booleanField(req.body, 'should_remove_source_branch'),
  });
  if (outcome.merged) return { status: 200, body: await mergeRequestBody(ctx, project, pull) };
  switch (outcome.why) {
    case 'head-changed':
      return gitlabMessage(409, `SHA does not match HEAD of source branch: ${outcome.assessment?.headSha ?? ''}`);
    case 'conflict':
      return gitlabMessage(406, 'Branch cannot be merged');
    case 'target-moved':
    case 'not-open':
    case 'rules':
    case 'no-target':
      return gitlabMessage(405, '405 Method Not Allowed');
  }
}

async function createNote(ctx: ApiContext, project: RepositoryRecord, req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const pull = findMergeRequest(project, params);
  if (!pull) return NOT_FOUND();
  const body = stringField(req.body, 'body');
  if (body === undefined || body === '') return missing(['body']);
  const note = recordComment(ctx.state, project, pull, req.user.login, body);
  return { status: 201, body: noteJson(ctx.baseUrl, ctx.state, project, pull, note) };
}

async function listNotes(ctx: ApiContext, project: RepositoryRecord, _req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const pull = findMergeRequest(project, params);
  if (!pull) return NOT_FOUND();
  const notes = project.comments.filter((c) => c.pull === pull.number).reverse();
  return { status: 200, body: notes.map((n) => noteJson(ctx.baseUrl, ctx.state, project, pull, n)) };
}

/** GitLab answers 401 when the user may not approve: the author (by default) or someone who already approved. */
async function approve(ctx: ApiContext, project: RepositoryRecord, req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const pull = findMergeRequest(project, params);
  if (!pull) return NOT_FOUND();
  const before = await assess(ctx.kind, project, pull);
  if (pull.author === req.user.login || before.approvals.includes(req.user.login) || pull.state !== 'open') return UNAUTHORIZED();
  const sha = stringField(req.body, 'sha');
  if (sha !== undefined && sha !== before.headSha) return gitlabMessage(409, 'SHA does not match HEAD of source branch');
  recordReview(ctx.state, project, { pull: pull.number, user: req.user.login, state: 'APPROVED', body: '', commitId: before.headSha });
  const after = await assess(ctx.kind, project, pull);
  return { status: 201, body: approvalsJson(await requestContext(ctx, project, pull), pull, after, req.user) };
}

async function approvals(ctx: ApiContext, project: RepositoryRecord, req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const pull = findMergeRequest(project, params);
  if (!pull) return NOT_FOUND();
  const assessment = await assess(ctx.kind, project, pull);
  return { status: 200, body: approvalsJson(await requestContext(ctx, project, pull), pull, assessment, req.user) };
}

async function createStatus(ctx: ApiContext, project: RepositoryRecord, req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const state = stringField(req.body, 'state');
  if (state === undefined) return missing(['state']);
  if (!STATUS_STATES.includes(state)) return { status: 400, body: { error: 'state does not have a valid value' } };
  const sha = params.sha ?? '';
  if (!(/^[0-9a-f]{40}$/.test(sha) && (await commitExists(project.gitDir, sha)))) return NOT_FOUND('Commit Not Found');
  const status = recordStatus(ctx.state, project, {
    sha,
    context: stringField(req.body, 'name') ?? stringField(req.body, 'context') ?? 'default',
    state,
    description: stringField(req.body, 'description') ?? null,
    targetUrl: stringField(req.body, 'target_url') ?? null,
    creator: req.user.login,
  });
  return { status: 201, body: commitStatusJson(ctx.baseUrl, ctx.state, status) };
}

async function listStatuses(ctx: ApiContext, project: RepositoryRecord, _req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const statuses = project.statuses.filter((s) => s.sha === params.sha);
  // GitLab lists the latest status per name unless `all=true`.
  const latest = new Map(statuses.map((s) => [s.context, s]));
  return { status: 200, body: [...latest.values()].map((s) => commitStatusJson(ctx.baseUrl, ctx.state, s)) };
}

async function listProtectedBranches(_ctx: ApiContext, project: RepositoryRecord): Promise<ApiResponse> {
  return { status: 200, body: [...project.rules.values()].map(protectedBranchJson) };
}

async function getProtectedBranch(_ctx: ApiContext, project: RepositoryRecord, _req: ApiRequest, params: Record<string, string>): Promise<ApiResponse> {
  const rule = project.rules.get(params.name ?? '');
  return rule ? { status: 200, body: protectedBranchJson(rule) } : NOT_FOUND();
}

async function protectBranch(ctx: ApiContext, project: RepositoryRecord, req: ApiRequest): Promise<ApiResponse> {
  const name = stringField(req.body, 'name');
  if (name === undefined || name === '') return missing(['name']);
  if (project.rules.has(name)) return gitlabMessage(409, `Protected branch '${name}' already exists`);
  const rule: BranchRule = {
    branch: name,
    requiredChecks: [],
    requiredApprovals: 0,
    dismissStaleReviews: false,
    strict: false,
    pushAccessLevel: numberField(req.body, 'push_access_level') ?? 40,
    mergeAccessLevel: numberField(req.body, 'merge_access_level') ?? 40,
    id: ctx.state.nextId(),
  };
  await ctx.saveRule(project, rule);
  return { status: 201, body: protectedBranchJson(rule) };
}

async function createApprovalRule(ctx: ApiContext, project: RepositoryRecord, req: ApiRequest): Promise<ApiResponse> {
  const name = stringField(req.body, 'name');
  const required = numberField(req.body, 'approvals_required');
  const absent = [['name', name], ['approvals_required', required]].filter(([, v]) => v === undefined).map(([n]) => String(n));
  if (absent.length > 0) return missing(absent);
  project.approvalsRequired = required ?? 0;
  return {
    status: 201,
    body: { id: ctx.state.nextId(), name, rule_type: 'regular', approvals_required: required, eligible_approvers: [], users: [], groups: [], contains_hidden_groups: false },
  };
}

