/**
 * One look at an open pull request, and the one thing to do about it: report it merged or closed, close it
 * after its timeout, merge it when the caller may and the forge allows, or say why it waits. Shared by the
 * image's pull requests (pull-request-delivery.ts) and the release's (release-finalizer.ts); what to do on a
 * conflict (make the change again on the new tip) is the caller's, since only it knows the change.
 */
import { ForgeError, type ForgeClient } from '../adapters/forge/forge-client.js';
import type { PullRequestRecord } from '../domain/delivery.js';
import { formatDuration } from '../domain/duration.js';
import { proposalName } from '../domain/gitops/proposal-name.js';
import { DeliveryError } from './image-delivery.js';

export interface AdvanceOptions {
  /** `pull request #12` (`merge request !12` on GitLab), for sentences. */
  readonly what: string;
  readonly targetBranch: string;
  /** Merge it when the forge allows (else wait for a person). */
  readonly autoMerge: boolean;
  readonly mergeTitle: string;
  /** When it was opened, and now (ms): past `timeoutMs` it is closed. */
  readonly since: number;
  readonly now: number;
  readonly timeoutMs: number;
}

export type PullRequestStep =
  | { readonly kind: 'merged'; readonly pr: PullRequestRecord; readonly mergeCommit: string; readonly reason: string }
  | { readonly kind: 'closed'; readonly pr: PullRequestRecord; readonly closedBy: string | undefined; readonly reason: string }
  /** Not merged in time: promoter closed it. */
  | { readonly kind: 'timed-out'; readonly pr: PullRequestRecord; readonly reason: string }
  /** The branch conflicts with (or is behind) the target: the change must be made again on the new tip. */
  | { readonly kind: 'conflict'; readonly conflict: string }
  /** Still open; `changed` when `pr.blockedBy` changed (worth an event). */
  | { readonly kind: 'waiting'; readonly pr: PullRequestRecord; readonly changed: boolean; readonly reason: string };

export async function advancePullRequest(forge: ForgeClient, pr: PullRequestRecord, options: AdvanceOptions): Promise<PullRequestStep> {
  const { what } = options;
  const status = await forgeCall(forge, `read ${what}`, () => forge.status(pr.number));
  if (status.state === 'merged') return merged(pr, what, status.mergeCommit, status.mergedBy);
  if (status.state === 'closed') {
    const closedPr: PullRequestRecord = { ...pr, state: 'closed', ...(status.closedBy ? { closedBy: status.closedBy } : {}) };
    return { kind: 'closed', pr: closedPr, closedBy: status.closedBy, reason: `${what} was closed without merging${status.closedBy ? ` by ${status.closedBy}` : ''}: ${pr.url}` };
  }
  if (options.now - options.since > options.timeoutMs) {
    const reason = `${what} timed out: not merged within ${formatDuration(options.timeoutMs)} (${pr.url}); it was closed`;
    await forgeCall(forge, `close ${what}`, () => forge.close(pr.number, `promoter: ${reason}.`));
    return { kind: 'timed-out', pr: { ...pr, state: 'closed', closedBy: 'promoter' }, reason };
  }
  if (status.mergeable === 'conflict') return { kind: 'conflict', conflict: `it conflicts with ${options.targetBranch}` };
  if (status.mergeable === 'behind') return { kind: 'conflict', conflict: `${options.targetBranch} moved on` };
  if (status.headSha !== pr.head) {
    // Someone pushed to the promotion's branch: promoter never merges a change it did not make.
    return waiting(pr, `the branch ${pr.branch} now holds ${status.headSha.slice(0, 12)}, not the commit promoter proposed; merge or close it by hand`);
  }
  if (status.mergeable !== 'clean' || !options.autoMerge) {
    const why =
      status.mergeable === 'clean'
        ? 'waiting for a person to merge it'
        : status.mergeable === 'unknown'
          ? 'the forge is still computing whether it can be merged'
          : (status.blockedBy ?? 'the forge does not allow the merge yet');
    return waiting(pr, why);
  }
  const result = await forgeCall(forge, `merge ${what}`, () => forge.merge(pr.number, status.headSha, options.mergeTitle));
  if (result.merged) return merged(pr, what, result.mergeCommit, 'promoter');
  if (result.conflict) return { kind: 'conflict', conflict: `it conflicts with ${options.targetBranch}` };
  return waiting(pr, `the merge was refused: ${result.reason}`);
}

/** A forge call whose failure is a DeliveryError (retryable as the forge's error says). */
export async function forgeCall<T>(forge: ForgeClient, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ForgeError) throw new DeliveryError(`${forge.kind}: could not ${what}: ${error.message}`, error.retryable, { cause: error });
    throw error;
  }
}

/** `mergeCommit` is a commit id: the forge adapters check every id they hand out. */
function merged(pr: PullRequestRecord, what: string, mergeCommit: string, mergedBy: string | undefined): PullRequestStep {
  const { blockedBy: _settled, ...rest } = pr;
  return {
    kind: 'merged',
    pr: { ...rest, state: 'merged', mergeCommit, ...(mergedBy ? { mergedBy } : {}) },
    mergeCommit,
    reason: `${what} was merged${mergedBy ? ` by ${mergedBy}` : ''} (${mergeCommit.slice(0, 12)}): ${pr.url}`,
  };
}

function waiting(pr: PullRequestRecord, why: string): PullRequestStep {
  const blockedBy = why.length > 300 ? `${why.slice(0, 299)}…` : why;
  return { kind: 'waiting', pr: { ...pr, blockedBy }, changed: pr.blockedBy !== blockedBy, reason: `${proposalName(pr.forge, pr.number)} is not merged yet: ${blockedBy}` };
}
