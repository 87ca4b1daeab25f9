/**
 * What the fake forge remembers besides git: users and their tokens, and per repository its pull (merge)
 * requests, commit statuses, check runs, reviews, comments and branch rules. Forge-neutral: the GitHub and
 * GitLab modules map these records to their own JSON. Heads and bases are never stored here as truth; they
 * are read from the bare repository on each request, so a push to a source branch shows at once.
 */

export type ForgeKind = 'github' | 'gitlab';

export interface ForgeUser {
  readonly id: number;
  readonly login: string;
  readonly name: string;
  readonly email: string;
  readonly token: string;
}

/** A status's outcome for merge rules, whatever the forge calls it (GitHub `failure`/`error`, GitLab `failed`/`canceled`). */
export type CheckOutcome = 'pending' | 'success' | 'failure';

export interface CommitStatusRecord {
  readonly id: number;
  readonly sha: string;
  /** GitHub `context`, GitLab `name`. */
  readonly context: string;
  /** The forge's own word: GitHub pending|success|failure|error, GitLab pending|running|success|failed|canceled. */
  readonly state: string;
  readonly description: string | null;
  readonly targetUrl: string | null;
  readonly createdAt: string;
  readonly creator: string;
}

export interface CheckRunRecord {
  readonly id: number;
  readonly sha: string;
  readonly name: string;
  readonly status: 'queued' | 'in_progress' | 'completed';
  readonly conclusion: 'success' | 'failure' | 'neutral' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required' | null;
  readonly startedAt: string;
  readonly completedAt: string | null;
}

export interface ReviewRecord {
  readonly id: number;
  readonly pull: number;
  readonly user: string;
  readonly state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED';
  readonly body: string;
  readonly commitId: string;
  readonly submittedAt: string;
}

export interface CommentRecord {
  readonly id: number;
  readonly pull: number;
  readonly user: string;
  readonly body: string;
  readonly createdAt: string;
}

/** A protected branch. GitHub: required checks, reviews and `strict` per branch; GitLab uses only the protection itself here. */
export interface BranchRule {
  readonly branch: string;
  readonly requiredChecks: readonly string[];
  readonly requiredApprovals: number;
  /** GitHub `dismiss_stale_reviews`: only approvals of the current head count. */
  readonly dismissStaleReviews: boolean;
  /** GitHub `strict` (branch must be up to date); for GitLab the project's fast-forward-only setting plays this role. */
  readonly strict: boolean;
  /** GitLab access levels (0 no one, 30 developers, 40 maintainers); the fake's users are developers. */
  readonly pushAccessLevel: number;
  readonly mergeAccessLevel: number;
  readonly id: number;
}

export interface PullRecord {
  readonly id: number;
  readonly number: number;
  title: string;
  body: string;
  readonly source: string;
  readonly target: string;
  readonly author: string;
  state: 'open' | 'closed' | 'merged';
  readonly createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  closedBy: string | null;
  mergedAt: string | null;
  mergedBy: string | null;
  mergeCommitSha: string | null;
  /** The head when it was last seen (kept for merged or closed requests whose branch was deleted). */
  lastHeadSha: string;
  removeSourceBranch: boolean;
  /** Reads left that report mergeability as still being computed (GitHub `null`, GitLab `checking`). */
  computingReads: number;
}

export interface RepositoryRecord {
  readonly id: number;
  /** `owner/name` (GitHub) or `group/project` (GitLab). */
  readonly fullName: string;
  readonly gitDir: string;
  readonly defaultBranch: string;
  readonly pulls: PullRecord[];
  readonly statuses: CommitStatusRecord[];
  readonly checkRuns: CheckRunRecord[];
  readonly reviews: ReviewRecord[];
  readonly comments: CommentRecord[];
  readonly rules: Map<string, BranchRule>;
  /** GitLab `only_allow_merge_if_pipeline_succeeds`. */
  pipelinesMustSucceed: boolean;
  /** GitLab approval rule `approvals_required` (project-wide). */
  approvalsRequired: number;
  /** GitLab `reset_approvals_on_push` (on by default): approvals of an older head do not count. */
  resetApprovalsOnPush: boolean;
  /** GitLab `merge_method: ff`-like: the source must contain the target's head (`need_rebase`). */
  requireUpToDate: boolean;
}

/** Sequences for ids and numbers, and the clock, shared by everything the fake creates. */
export class ForgeState {
  readonly users = new Map<string, ForgeUser>();
  readonly repositories = new Map<string, RepositoryRecord>();
  #nextId = 1000;
  readonly #now: () => Date;

  constructor(now: () => Date = () => new Date()) {
    this.#now = now;
  }

  nextId(): number {
    this.#nextId += 1;
    return this.#nextId;
  }

  /** ISO 8601 without milliseconds, as both forges write timestamps. */
  timestamp(): string {
    return this.#now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  userByToken(token: string): ForgeUser | undefined {
    for (const user of this.users.values()) if (user.token === token) return user;
    return undefined;
  }

  user(login: string): ForgeUser {
    const user = this.users.get(login);
    if (!user) throw new Error(`fake forge: no user ${login}`);
    return user;
  }

  repository(fullName: string): RepositoryRecord {
    const repository = this.repositories.get(fullName);
    if (!repository) throw new Error(`fake forge: no repository ${fullName}`);
    return repository;
  }

  repositoryById(id: number): RepositoryRecord | undefined {
    for (const repository of this.repositories.values()) if (repository.id === id) return repository;
    return undefined;
  }

  pull(repository: RepositoryRecord, number: number): PullRecord {
    const pull = repository.pulls.find((p) => p.number === number);
    if (!pull) throw new Error(`fake forge: no pull request ${repository.fullName}#${number}`);
    return pull;
  }
}

/** The outcome of a status in the forge's own word. */
export function statusOutcome(state: string): CheckOutcome {
  if (state === 'success') return 'success';
  if (state === 'pending' || state === 'running' || state === 'created' || state === 'waiting_for_resource' || state === 'preparing' || state === 'scheduled' || state === 'manual') return 'pending';
  return 'failure';
}

export function checkRunOutcome(run: CheckRunRecord): CheckOutcome {
  if (run.status !== 'completed') return 'pending';
  return run.conclusion === 'success' || run.conclusion === 'neutral' || run.conclusion === 'skipped' ? 'success' : 'failure';
}
