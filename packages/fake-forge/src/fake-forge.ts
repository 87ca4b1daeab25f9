/**
 * The fake forge itself: a GitHub (REST v3) or GitLab (REST v4) API on loopback over real bare repositories
 * served by `@promoter/local-stack`'s git server, and the controls a test uses to play CI, reviewers and
 * humans. What it implements, and what it leaves out, is in the package README.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startGitServer, type FileEdit, type GitServer } from '@promoter/local-stack';
import type { ApiContext } from './api-context.js';
import { closePull, recordComment, recordReview, recordStatus } from './forge-operations.js';
import { ForgeState, type BranchRule, type CheckRunRecord, type ForgeKind, type ForgeUser, type PullRecord, type RepositoryRecord } from './forge-state.js';
import { authenticate, bodyRefused, injectedResponse, notFound, pathSegments, send, serverError, unauthorized, withoutTokens } from './forge-responses.js';
import { handleGitHub } from './github-api.js';
import { handleGitLab } from './gitlab-api.js';
import { Faults, MAX_BODY_BYTES, readBody, type FaultRule } from './http.js';
import { assess, type Assessment } from './mergeability.js';
import { mergePull, type MergeMethod, type MergeOutcome } from './merge.js';
import { installProtectionHook, writeProtectionRules } from './protection-hook.js';
import { branchSha, commitFiles, forceBranch, moveBranch, type GitIdentity } from './repository-git.js';

export interface FakeForgeOptions {
  readonly kind: ForgeKind;
  /** Users besides the default `promoter` (token `promoter-token`), e.g. reviewers and humans who merge. */
  readonly users?: readonly UserSeed[];
  /** Largest request body accepted (413 above). Default 1 MiB. */
  readonly maxBodyBytes?: number;
}

export interface UserSeed {
  readonly login: string;
  /** Default `<login>-token`. */
  readonly token?: string;
  readonly name?: string;
}

/** One API request as served; never the token. */
export interface LoggedForgeRequest {
  readonly method: string;
  /** URL path without the query. */
  readonly path: string;
  /** The query string, less any token parameter. */
  readonly query: string;
  readonly status: number;
  /** The authenticated login, if any. */
  readonly user: string | undefined;
  /** Answered by `failNext`. */
  readonly injected: boolean;
}

export interface ProtectionSeed {
  /** GitHub required status checks (contexts or check-run names). */
  readonly requiredChecks?: readonly string[];
  /** GitHub required approving reviews. */
  readonly requiredApprovals?: number;
  /** GitHub `dismiss_stale_reviews`: a push drops earlier approvals. */
  readonly dismissStaleReviews?: boolean;
  /** GitHub `strict`: the head must contain the base. */
  readonly strict?: boolean;
  /** GitLab push access level; default 0 ("No one"). */
  readonly pushAccessLevel?: number;
}

export const DEFAULT_USER = 'promoter';

/** Who the test set-up's commits are by, as in `@promoter/local-stack`'s git server. */
const ANOTHER_ENGINEER: GitIdentity = { name: 'Another Engineer', email: 'another@example.com' };

export class FakeForge implements ApiContext {
  readonly kind: ForgeKind;
  readonly state = new ForgeState();
  readonly #git: GitServer;
  readonly #server: Server;
  readonly #faults = new Faults();
  readonly #holds: { readonly method: string; readonly path: RegExp; readonly whileHeld: () => Promise<void> }[] = [];
  readonly #requests: LoggedForgeRequest[] = [];
  readonly #internalErrors: Error[] = [];
  readonly #maxBody: number;
  #url = '';

  private constructor(options: FakeForgeOptions, git: GitServer) {
    this.kind = options.kind;
    this.#git = git;
    this.#maxBody = options.maxBodyBytes ?? MAX_BODY_BYTES;
    this.addUser({ login: DEFAULT_USER, token: 'promoter-token', name: 'Promoter' });
    for (const seed of options.users ?? []) this.addUser(seed);
    this.#server = createServer((req, res) => {
      this.#serve(req, res).catch((err: unknown) => {
        // A bug in the fake answers 500 like the forge would, and stays readable in `internalErrors`.
        this.#internalErrors.push(err instanceof Error ? err : new Error(String(err)));
        if (!res.headersSent) send(res, serverError(this.kind, 500));
        else res.destroy();
      });
    });
  }

  static async start(options: FakeForgeOptions): Promise<FakeForge> {
    let forge: FakeForge | undefined;
    // Git over HTTP takes any user's token as the Basic-auth password, as both forges do.
    const git = await startGitServer({ authenticate: (_user, password) => forge?.state.userByToken(password) !== undefined });
    forge = new FakeForge(options, git);
    const server = forge.#server;
    // A client that stops sending mid-body must not hold a test forever.
    server.requestTimeout = 10_000;
    server.headersTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    forge.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return forge;
  }

  /** The web root (`html_url`, `web_url` start here). */
  get baseUrl(): string {
    return this.#url;
  }

  /** Where an API client points: GitHub's API root, or GitLab's `/api/v4`. */
  get apiUrl(): string {
    return this.kind === 'github' ? this.#url : `${this.#url}/api/v4`;
  }

  /** The repository's smart-HTTP URL; authenticate with any user name and a user's token as password. */
  gitUrl(fullName: string): string {
    return this.#git.httpUrl(fullName);
  }

  /** The bare repository on disk (for a GitOps controller that reads it directly). */
  barePath(fullName: string): string {
    return this.#git.barePath(fullName);
  }

  /** `gitUrl` with credentials in it, for `git clone`/`push` in tests. */
  gitUrlWithToken(fullName: string, login = DEFAULT_USER): string {
    const url = new URL(this.gitUrl(fullName));
    url.username = login;
    url.password = this.state.user(login).token;
    return url.toString();
  }

  get requests(): readonly LoggedForgeRequest[] {
    return this.#requests;
  }

  /** Errors the fake itself threw while serving (answered 500); a test can assert there were none. */
  get internalErrors(): readonly Error[] {
    return this.#internalErrors;
  }

  addUser(seed: UserSeed): ForgeUser {
    const user: ForgeUser = { id: this.state.nextId(), login: seed.login, name: seed.name ?? seed.login, email: `${seed.login}@users.example`, token: seed.token ?? `${seed.login}-token` };
    this.state.users.set(user.login, user);
    return user;
  }

  tokenOf(login: string): string {
    return this.state.user(login).token;
  }

  /** Creates `owner/name` (GitLab: `group/project`) with one commit of these files on `branch`. */
  async createRepository(fullName: string, files: Readonly<Record<string, string>>, branch = 'main'): Promise<RepositoryRecord> {
    const gitDir = await this.#git.createRepository(fullName, files, branch);
    await installProtectionHook(this.kind, gitDir);
    const repository: RepositoryRecord = {
      id: this.state.nextId(),
      fullName,
      gitDir,
      defaultBranch: branch,
      pulls: [],
      statuses: [],
      checkRuns: [],
      reviews: [],
      comments: [],
      rules: new Map(),
      pipelinesMustSucceed: false,
      approvalsRequired: 0,
      requireUpToDate: false,
      resetApprovalsOnPush: true,
    };
    this.state.repositories.set(fullName, repository);
    return repository;
  }

  /**
   * Commits files to a branch as another engineer would, and returns the commit. A missing branch is
   * created from `from` (default: the default branch) first. Protection does not apply: this is test
   * set-up, e.g. "someone else merged to main meanwhile". (A push through the protection is a real
   * `git push` to `gitUrlWithToken`.)
   */
  async commit(fullName: string, files: Readonly<Record<string, FileEdit>>, message: string, branch: string, from?: string): Promise<string> {
    const repository = this.state.repository(fullName);
    const current = await branchSha(repository.gitDir, branch);
    const start = current ?? (await branchSha(repository.gitDir, from ?? repository.defaultBranch));
    if (start === undefined) throw new Error(`fake forge: ${fullName} has no branch ${from ?? repository.defaultBranch}`);
    const sha = await commitFiles(repository.gitDir, start, files, message, ANOTHER_ENGINEER);
    if (current === undefined) await forceBranch(repository.gitDir, branch, sha);
    else if (!(await moveBranch(repository.gitDir, branch, sha, start))) throw new Error(`fake forge: ${branch} moved while committing`);
    return sha;
  }

  /** Runs git against the bare repository (log, show, rev-parse ...) and returns stdout. */
  gitIn(fullName: string, args: readonly string[]): Promise<string> {
    return this.#git.git(fullName, args);
  }

  async readFile(fullName: string, path: string, ref: string): Promise<string> {
    return this.#git.readFile(fullName, path, ref);
  }

  async branchSha(fullName: string, branch: string): Promise<string | undefined> {
    return branchSha(this.state.repository(fullName).gitDir, branch);
  }

  /** Protects a branch: direct pushes are refused by the git hook with the forge's message. */
  async protectBranch(fullName: string, branch: string, seed: ProtectionSeed = {}): Promise<void> {
    const repository = this.state.repository(fullName);
    await this.saveRule(repository, {
      branch,
      requiredChecks: [...(seed.requiredChecks ?? [])],
      requiredApprovals: seed.requiredApprovals ?? 0,
      dismissStaleReviews: seed.dismissStaleReviews ?? false,
      strict: seed.strict ?? false,
      pushAccessLevel: seed.pushAccessLevel ?? 0,
      mergeAccessLevel: 30,
      id: repository.rules.get(branch)?.id ?? this.state.nextId(),
    });
  }

  async saveRule(repository: RepositoryRecord, rule: BranchRule): Promise<void> {
    repository.rules.set(rule.branch, rule);
    await writeProtectionRules(this.kind, repository);
  }

  /**
   * GitLab project settings: pipelines must succeed, approvals required (an approval rule), fast-forward
   * only, and whether a push drops approvals (default true).
   */
  configureProject(
    fullName: string,
    settings: { pipelinesMustSucceed?: boolean; approvalsRequired?: number; requireUpToDate?: boolean; resetApprovalsOnPush?: boolean },
  ): void {
    const repository = this.state.repository(fullName);
    if (settings.pipelinesMustSucceed !== undefined) repository.pipelinesMustSucceed = settings.pipelinesMustSucceed;
    if (settings.approvalsRequired !== undefined) repository.approvalsRequired = settings.approvalsRequired;
    if (settings.requireUpToDate !== undefined) repository.requireUpToDate = settings.requireUpToDate;
    if (settings.resetApprovalsOnPush !== undefined) repository.resetApprovalsOnPush = settings.resetApprovalsOnPush;
  }

  /**
   * Sets a commit status as CI would. `state` in the forge's own words: GitHub pending|success|failure|error,
   * GitLab pending|running|success|failed|canceled.
   */
  setStatus(fullName: string, sha: string, context: string, state: string, by = DEFAULT_USER): void {
    recordStatus(this.state, this.state.repository(fullName), { sha, context, state, description: null, targetUrl: null, creator: by });
  }

  /** Sets (adds) a GitHub check run on a commit. */
  setCheckRun(fullName: string, sha: string, name: string, status: CheckRunRecord['status'], conclusion: CheckRunRecord['conclusion'] = null): void {
    const now = this.state.timestamp();
    this.state.repository(fullName).checkRuns.push({ id: this.state.nextId(), sha, name, status, conclusion, startedAt: now, completedAt: status === 'completed' ? now : null });
  }

  async approve(fullName: string, number: number, login: string): Promise<void> {
    const repository = this.state.repository(fullName);
    const pull = this.state.pull(repository, number);
    const head = (await assess(this.kind, repository, pull)).headSha;
    recordReview(this.state, repository, { pull: number, user: this.state.user(login).login, state: 'APPROVED', body: '', commitId: head });
  }

  /** A person merges in the web UI: the same rules as the API unless `bypassRules` (an administrator). */
  async mergeAs(fullName: string, number: number, login: string, options: { method?: MergeMethod; bypassRules?: boolean; message?: string } = {}): Promise<MergeOutcome> {
    const repository = this.state.repository(fullName);
    return mergePull(this.kind, this.state, repository, this.state.pull(repository, number), { by: this.state.user(login), ...options });
  }

  closeAs(fullName: string, number: number, login: string): void {
    const repository = this.state.repository(fullName);
    closePull(this.state, this.state.pull(repository, number), this.state.user(login).login);
  }

  commentAs(fullName: string, number: number, login: string, body: string): void {
    const repository = this.state.repository(fullName);
    recordComment(this.state, repository, this.state.pull(repository, number), this.state.user(login).login, body);
  }

  /** The pull (merge) request's record, as the fake holds it. */
  pull(fullName: string, number: number): Readonly<PullRecord> {
    const repository = this.state.repository(fullName);
    return this.state.pull(repository, number);
  }

  pulls(fullName: string): readonly Readonly<PullRecord>[] {
    return this.state.repository(fullName).pulls;
  }

  comments(fullName: string, number: number): string[] {
    return this.state.repository(fullName).comments.filter((c) => c.pull === number).map((c) => c.body);
  }

  /** Where the request stands now, computed from git (not counting as an API read). */
  assess(fullName: string, number: number): Promise<Assessment> {
    const repository = this.state.repository(fullName);
    return assess(this.kind, repository, this.state.pull(repository, number));
  }

  /** The next `reads` API reads of this request report mergeability as still being computed. */
  mergeabilityUnknownFor(fullName: string, number: number, reads: number): void {
    const repository = this.state.repository(fullName);
    this.state.pull(repository, number).computingReads = reads;
  }

  /** The next matching request(s) get `status` (a 5xx, or 429 with `Retry-After`) in the forge's own body. */
  failNext(rule: FaultRule): void {
    this.#faults.add(rule);
  }

  /**
   * The next request matching `method` and `path` is carried out (the pull request opened, the merge made),
   * and its answer held until `whileHeld` resolves: the moment a client dies having asked, its request done
   * and unanswered (a kill -9 test kills the service inside `whileHeld`).
   */
  holdNextAnswer(method: string, path: RegExp, whileHeld: () => Promise<void>): void {
    this.#holds.push({ method: method.toUpperCase(), path, whileHeld });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.closeAllConnections();
      this.#server.close(() => resolve());
    });
    await this.#git.close();
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const user = authenticate(this.kind, this.state, req);
    const log = (status: number, injected = false) =>
      this.#requests.push({ method, path: url.pathname, query: withoutTokens(url.searchParams), status, user: user?.login, injected });

    const fault = this.#faults.take(method, url.pathname);
    if (fault) {
      req.resume();
      log(fault.status, true);
      send(res, injectedResponse(this.kind, fault, user));
      return;
    }
    if (!user) {
      req.resume();
      const response = unauthorized(this.kind, req.headers.authorization !== undefined || req.headers['private-token'] !== undefined);
      log(response.status);
      send(res, response);
      return;
    }
    const body = await readBody(req, this.#maxBody);
    if (!body.ok) {
      // Stop reading an oversized body: answer, then drop the connection.
      const response = bodyRefused(this.kind, body.status);
      log(response.status);
      res.setHeader('Connection', 'close');
      send(res, response);
      return;
    }
    const segments = pathSegments(url.pathname);
    if (segments === undefined) {
      const response = notFound(this.kind);
      log(response.status);
      send(res, response);
      return;
    }
    const request = { method, segments, query: url.searchParams, body: body.body, user };
    const response = this.kind === 'github' ? await handleGitHub(this, request) : await handleGitLab(this, request);
    log(response.status);
    const held = this.#holds.findIndex((hold) => hold.method === method && hold.path.test(url.pathname));
    if (held >= 0) {
      const [hold] = this.#holds.splice(held, 1);
      await hold?.whileHeld();
      if (res.destroyed || req.socket.destroyed) return;
    }
    send(res, response);
  }
}

/** Starts a fake forge on 127.0.0.1 (API and git on ephemeral ports). Call `close()` when done. */
export function startFakeForge(options: FakeForgeOptions): Promise<FakeForge> {
  return FakeForge.start(options);
}
