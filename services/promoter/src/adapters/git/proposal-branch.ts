/**
 * The branch a proposed change lives on until its pull request is merged (`promoter/<promotion id>`, and
 * `…-rollback` for the revert): checked before it reaches a git command, fetched beside the configured
 * branch, and recognised as the promotion's own by the trailers of its tip.
 */
import type { PromotionAction } from '../../domain/gitops/commit-message.js';
import type { ProposalTarget } from './delivery-types.js';
import { GitError } from './git-error.js';
import { commitTrailers } from './repository-history.js';
import type { GitRepositoryConfig } from './repositories-config.js';
import type { WorkingCopy } from './working-copy.js';

/** The proposal's branch as a safe ref name that is not the configured branch itself. */
export function checkedProposal(proposal: ProposalTarget, repository: GitRepositoryConfig): ProposalTarget {
  const { branch } = proposal;
  const safe = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/.test(branch) && !branch.includes('..') && !branch.includes('//') && !branch.endsWith('/') && !branch.endsWith('.lock');
  if (!safe || branch === repository.branch) {
    throw new GitError({ code: 'invalid-argument', repository: repository.name, message: `'${branch.slice(0, 100)}' cannot be a proposal branch`, retryable: false });
  }
  return proposal;
}

/** Fetches the proposal branch if the remote has it; its tip, or undefined when there is no such branch yet. */
export async function syncProposalBranch(copy: WorkingCopy, branch: string): Promise<string | undefined> {
  const listed = await copy.git(['ls-remote', '--heads', 'origin', `refs/heads/${branch}`], { remote: true });
  const tip = listed.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find(([, ref]) => ref === `refs/heads/${branch}`)?.[0];
  if (tip === undefined) return undefined;
  await copy.git(['fetch', '--no-tags', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`], { remote: true });
  return tip;
}

/** The tip, when it is this promotion's own commit for `action` (so a resumed step pushes nothing again). */
export async function ownTip(copy: WorkingCopy, tip: string, promotionId: string, action: PromotionAction): Promise<{ commit: string; method: undefined } | undefined> {
  const trailers = await commitTrailers(copy, tip);
  return trailers.ids.includes(promotionId) && trailers.actions.includes(action) ? { commit: tip, method: undefined } : undefined;
}
