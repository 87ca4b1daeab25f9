/**
 * Whether a pull (merge) request may be merged, computed from git on every read like a forge does: the head
 * and base are the branches' current commits, a conflict is what `git merge-tree` says, "behind" is the
 * base not being an ancestor of the head. The checks and approvals come from the recorded statuses and
 * reviews of the current head. The result is forge-neutral facts; github-api.ts and gitlab-api.ts turn them
 * into `mergeable_state` and `detailed_merge_status`.
 */
import { branchSha, isAncestor, mergeTree } from './repository-git.js';
import { checkRunOutcome, statusOutcome, type CheckOutcome, type ForgeKind, type PullRecord, type RepositoryRecord } from './forge-state.js';

export interface Assessment {
  readonly headSha: string;
  /** undefined when the target branch does not exist. */
  readonly baseSha: string | undefined;
  readonly conflict: boolean;
  /** The target moved past the source and the rules require an up-to-date branch. */
  readonly behind: boolean;
  /** Required checks with no status on the head yet, pending, failing. */
  readonly missingChecks: readonly string[];
  readonly pendingChecks: readonly string[];
  readonly failingChecks: readonly string[];
  /** A check that is not required is pending or failing (GitHub `unstable`). */
  readonly otherChecksNotPassing: boolean;
  readonly approvals: readonly string[];
  readonly approvalsRequired: number;
}

/** The newest outcome per check name on `sha`, from commit statuses and check runs. */
export function latestChecks(repository: RepositoryRecord, sha: string): Map<string, CheckOutcome> {
  const latest = new Map<string, CheckOutcome>();
  for (const status of repository.statuses) if (status.sha === sha) latest.set(status.context, statusOutcome(status.state));
  for (const run of repository.checkRuns) if (run.sha === sha) latest.set(run.name, checkRunOutcome(run));
  return latest;
}

/**
 * The logins whose latest review of this request approves it (a later "changes requested" withdraws it).
 * With `onlyOf` set, only reviews of that head commit count: GitLab's "remove all approvals when commits
 * are added to the source branch".
 */
export function approvers(repository: RepositoryRecord, number: number, onlyOf?: string): string[] {
  const latest = new Map<string, string>();
  for (const review of repository.reviews) {
    if (review.pull !== number || review.state === 'COMMENTED') continue;
    if (onlyOf !== undefined && review.commitId !== onlyOf) continue;
    latest.set(review.user, review.state);
  }
  return [...latest].filter(([, state]) => state === 'APPROVED').map(([user]) => user);
}

export async function currentHead(repository: RepositoryRecord, pull: PullRecord): Promise<string> {
  if (pull.state !== 'open') return pull.lastHeadSha;
  const head = await branchSha(repository.gitDir, pull.source);
  if (head !== undefined) pull.lastHeadSha = head;
  return pull.lastHeadSha;
}

export async function assess(kind: ForgeKind, repository: RepositoryRecord, pull: PullRecord): Promise<Assessment> {
  const headSha = await currentHead(repository, pull);
  const baseSha = await branchSha(repository.gitDir, pull.target);
  const rule = repository.rules.get(pull.target);
  const conflict = baseSha !== undefined && (await mergeTree(repository.gitDir, baseSha, headSha)) === 'conflict';
  const mustBeUpToDate = kind === 'github' ? rule?.strict === true : repository.requireUpToDate;
  const behind = mustBeUpToDate && baseSha !== undefined && !(await isAncestor(repository.gitDir, baseSha, headSha));

  const checks = latestChecks(repository, headSha);
  // GitHub requires the contexts its rule names; GitLab's "pipelines must succeed" requires every status of the head's pipeline, and a pipeline to exist.
  const required =
    kind === 'github' ? [...(rule?.requiredChecks ?? [])] : repository.pipelinesMustSucceed ? (checks.size === 0 ? ['pipeline'] : [...checks.keys()]) : [];
  const missingChecks = required.filter((name) => !checks.has(name));
  const pendingChecks = required.filter((name) => checks.get(name) === 'pending');
  const failingChecks = required.filter((name) => checks.get(name) === 'failure');
  const otherChecksNotPassing = [...checks].some(([name, outcome]) => !required.includes(name) && outcome !== 'success');

  const approvalsRequired = kind === 'github' ? (rule?.requiredApprovals ?? 0) : repository.approvalsRequired;
  return {
    headSha,
    baseSha,
    conflict,
    behind,
    missingChecks,
    pendingChecks,
    failingChecks,
    otherChecksNotPassing,
    approvals: approvers(repository, pull.number, (kind === 'gitlab' ? repository.resetApprovalsOnPush : rule?.dismissStaleReviews === true) ? headSha : undefined),
    approvalsRequired,
  };
}

/** Whether the rules (checks, approvals, up-to-date) let it merge; conflicts are separate. */
export function rulesMet(assessment: Assessment): boolean {
  return (
    !assessment.behind &&
    assessment.missingChecks.length === 0 &&
    assessment.pendingChecks.length === 0 &&
    assessment.failingChecks.length === 0 &&
    assessment.approvals.length >= assessment.approvalsRequired
  );
}
