/**
 * The forge's actions on its records, shared by the GitHub API, the GitLab API and the tests' controls
 * (a "human" merging, CI setting a status): opening a request with the forge's validation, closing,
 * recording statuses, reviews and comments, and reading mergeability with the "still computing" countdown.
 */
import { assess, type Assessment } from './mergeability.js';
import { branchSha, commitsAhead } from './repository-git.js';
import type { CommentRecord, CommitStatusRecord, ForgeKind, ForgeState, PullRecord, RepositoryRecord, ReviewRecord } from './forge-state.js';

export interface OpenPullInput {
  readonly source: string;
  readonly target: string;
  readonly title: string;
  readonly body: string;
  readonly author: string;
  readonly removeSourceBranch?: boolean;
  /** GitLab opens a request whose source has nothing new; GitHub refuses ("No commits between"). */
  readonly allowEmpty?: boolean;
}

export type OpenPullResult =
  | { readonly ok: true; readonly pull: PullRecord }
  | { readonly ok: false; readonly why: 'duplicate'; readonly existing: PullRecord }
  | { readonly ok: false; readonly why: 'no-source' | 'no-target' | 'no-commits' | 'same-branch' };

export async function openPull(state: ForgeState, repository: RepositoryRecord, input: OpenPullInput): Promise<OpenPullResult> {
  if (input.source === input.target) return { ok: false, why: 'same-branch' };
  const head = await branchSha(repository.gitDir, input.source);
  if (head === undefined) return { ok: false, why: 'no-source' };
  const base = await branchSha(repository.gitDir, input.target);
  if (base === undefined) return { ok: false, why: 'no-target' };
  const existing = repository.pulls.find((p) => p.state === 'open' && p.source === input.source && p.target === input.target);
  if (existing) return { ok: false, why: 'duplicate', existing };
  if (!input.allowEmpty && (await commitsAhead(repository.gitDir, base, head)) === 0) return { ok: false, why: 'no-commits' };
  const now = state.timestamp();
  const pull: PullRecord = {
    id: state.nextId(),
    number: repository.pulls.length + 1,
    title: input.title,
    body: input.body,
    source: input.source,
    target: input.target,
    author: input.author,
    state: 'open',
    createdAt: now,
    updatedAt: now,
    closedAt: null,
    closedBy: null,
    mergedAt: null,
    mergedBy: null,
    mergeCommitSha: null,
    lastHeadSha: head,
    removeSourceBranch: input.removeSourceBranch ?? false,
    computingReads: 0,
  };
  repository.pulls.push(pull);
  return { ok: true, pull };
}

/** Closes an open request without merging; a closed one stays as it is. */
export function closePull(state: ForgeState, pull: PullRecord, by: string): void {
  if (pull.state !== 'open') return;
  const now = state.timestamp();
  pull.state = 'closed';
  pull.closedAt = now;
  pull.closedBy = by;
  pull.updatedAt = now;
}

export function reopenPull(state: ForgeState, pull: PullRecord): void {
  if (pull.state !== 'closed') return;
  pull.state = 'open';
  pull.closedAt = null;
  pull.closedBy = null;
  pull.updatedAt = state.timestamp();
}

export function recordStatus(state: ForgeState, repository: RepositoryRecord, status: Omit<CommitStatusRecord, 'id' | 'createdAt'>): CommitStatusRecord {
  const record: CommitStatusRecord = { ...status, id: state.nextId(), createdAt: state.timestamp() };
  repository.statuses.push(record);
  return record;
}

export function recordReview(state: ForgeState, repository: RepositoryRecord, review: Omit<ReviewRecord, 'id' | 'submittedAt'>): ReviewRecord {
  const record: ReviewRecord = { ...review, id: state.nextId(), submittedAt: state.timestamp() };
  repository.reviews.push(record);
  return record;
}

export function recordComment(state: ForgeState, repository: RepositoryRecord, pull: PullRecord, user: string, body: string): CommentRecord {
  const record: CommentRecord = { id: state.nextId(), pull: pull.number, user, body, createdAt: state.timestamp() };
  repository.comments.push(record);
  pull.updatedAt = record.createdAt;
  return record;
}

export function commentCount(repository: RepositoryRecord, pull: PullRecord): number {
  return repository.comments.filter((c) => c.pull === pull.number).length;
}

/**
 * Mergeability as an API read reports it: undefined while the test asked for "still computing" reads (one
 * read used up per call) or when the request is no longer open.
 */
export async function readAssessment(kind: ForgeKind, repository: RepositoryRecord, pull: PullRecord): Promise<Assessment | undefined> {
  if (pull.state !== 'open') return undefined;
  if (pull.computingReads > 0) {
    pull.computingReads -= 1;
    return undefined;
  }
  return assess(kind, repository, pull);
}
