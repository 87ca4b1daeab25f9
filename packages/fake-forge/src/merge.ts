/**
 * Merging a pull (merge) request for real: a merge commit (two parents) or a squash commit (one parent) of
 * the tree `git merge-tree` computes, written as the person who merged, and the target branch moved to it
 * with a compare-and-swap `update-ref`. The API handlers and the tests' "human merge" both come here, so the
 * same rules hold for both unless a test says the person bypasses them (an administrator's merge).
 */
import { assess, rulesMet, type Assessment } from './mergeability.js';
import { commitTree, deleteBranch, mergeTree, moveBranch } from './repository-git.js';
import type { ForgeKind, ForgeState, ForgeUser, PullRecord, RepositoryRecord } from './forge-state.js';

export type MergeMethod = 'merge' | 'squash';

export interface MergeRequestOptions {
  readonly by: ForgeUser;
  /** Merge only if the head is still this commit. */
  readonly expectedHeadSha?: string;
  readonly method?: MergeMethod;
  /** The commit message; the forge's default when omitted. */
  readonly message?: string;
  readonly removeSourceBranch?: boolean;
  /** Merge even when checks or approvals are missing (an administrator's merge); conflicts still refuse. */
  readonly bypassRules?: boolean;
}

export type MergeOutcome =
  | { readonly merged: true; readonly sha: string }
  | { readonly merged: false; readonly why: 'not-open' | 'head-changed' | 'conflict' | 'rules' | 'target-moved' | 'no-target'; readonly assessment?: Assessment };

export async function mergePull(
  kind: ForgeKind,
  state: ForgeState,
  repository: RepositoryRecord,
  pull: PullRecord,
  options: MergeRequestOptions,
): Promise<MergeOutcome> {
  if (pull.state !== 'open') return { merged: false, why: 'not-open' };
  const assessment = await assess(kind, repository, pull);
  if (options.expectedHeadSha !== undefined && options.expectedHeadSha !== assessment.headSha) return { merged: false, why: 'head-changed', assessment };
  if (assessment.baseSha === undefined) return { merged: false, why: 'no-target', assessment };
  if (assessment.conflict) return { merged: false, why: 'conflict', assessment };
  if (!options.bypassRules && !rulesMet(assessment)) return { merged: false, why: 'rules', assessment };

  const merged = await mergeTree(repository.gitDir, assessment.baseSha, assessment.headSha);
  if (merged === 'conflict') return { merged: false, why: 'conflict', assessment };
  const method = options.method ?? 'merge';
  const fallback = defaultMessage(kind, repository, pull, method);
  const message = options.message ?? commitMessage(fallback.title, fallback.body);
  const parents = method === 'squash' ? [assessment.baseSha] : [assessment.baseSha, assessment.headSha];
  const sha = await commitTree(repository.gitDir, merged.tree, parents, message, { name: options.by.name, email: options.by.email });
  // The target moving between the check and here is the race a real forge also loses; report it, never overwrite.
  if (!(await moveBranch(repository.gitDir, pull.target, sha, assessment.baseSha))) return { merged: false, why: 'target-moved', assessment };

  const now = state.timestamp();
  pull.state = 'merged';
  pull.mergedAt = now;
  pull.closedAt = kind === 'github' ? now : null;
  pull.updatedAt = now;
  pull.mergedBy = options.by.login;
  pull.mergeCommitSha = sha;
  pull.lastHeadSha = assessment.headSha;
  if (options.removeSourceBranch ?? pull.removeSourceBranch) await deleteBranch(repository.gitDir, pull.source);
  return { merged: true, sha };
}

/** The forge's default merge commit message: a title line and a body (GitHub "Merge pull request #1 from owner/branch", GitLab "Merge branch 'a' into 'b'"). */
export function defaultMessage(kind: ForgeKind, repository: RepositoryRecord, pull: PullRecord, method: MergeMethod): { title: string; body: string } {
  if (kind === 'github') {
    if (method === 'squash') return { title: `${pull.title} (#${pull.number})`, body: '' };
    const owner = repository.fullName.split('/')[0] ?? '';
    return { title: `Merge pull request #${pull.number} from ${owner}/${pull.source}`, body: pull.title };
  }
  if (method === 'squash') return { title: pull.title, body: '' };
  return { title: `Merge branch '${pull.source}' into '${pull.target}'`, body: `${pull.title}\n\nSee merge request ${repository.fullName}!${pull.number}` };
}

/** A title and an optional body as one commit message. */
export function commitMessage(title: string, body: string): string {
  return body === '' ? title : `${title}\n\n${body}`;
}

export type UpdateBranchOutcome = { readonly updated: true; readonly sha: string } | { readonly updated: false; readonly why: 'not-open' | 'head-changed' | 'conflict' | 'no-target' };

/**
 * GitHub's "Update branch": merges the base into the head branch with a merge commit by `by`, so a request
 * that is `behind` under `strict` can become mergeable (its checks then run again on the new head).
 */
export async function updateBranch(
  kind: ForgeKind,
  repository: RepositoryRecord,
  pull: PullRecord,
  by: ForgeUser,
  expectedHeadSha?: string,
): Promise<UpdateBranchOutcome> {
  if (pull.state !== 'open') return { updated: false, why: 'not-open' };
  const assessment = await assess(kind, repository, pull);
  if (expectedHeadSha !== undefined && expectedHeadSha !== assessment.headSha) return { updated: false, why: 'head-changed' };
  if (assessment.baseSha === undefined) return { updated: false, why: 'no-target' };
  const merged = await mergeTree(repository.gitDir, assessment.headSha, assessment.baseSha);
  if (merged === 'conflict') return { updated: false, why: 'conflict' };
  const message = `Merge branch '${pull.target}' into ${pull.source}`;
  const sha = await commitTree(repository.gitDir, merged.tree, [assessment.headSha, assessment.baseSha], message, { name: by.name, email: by.email });
  if (!(await moveBranch(repository.gitDir, pull.source, sha, assessment.headSha))) return { updated: false, why: 'head-changed' };
  return { updated: true, sha };
}
