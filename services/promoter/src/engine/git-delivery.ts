/**
 * Delivery through Git: the image is committed to the file the promotion names in a configured
 * repository (and reverted there on rollback); a GitOps controller applies it to the cluster, where the
 * engine follows the rollout as for a patch. Commits carry a `Promotion-Id` trailer, so a step resumed
 * after a crash finds its own commit instead of committing twice.
 */
import { GitError, type GitDelivery as GitRepositories } from '../adapters/git/index.js';
import { ImageEditError, quotableImage } from '../domain/gitops/image-edit.js';
import { DeliveryError, type DeliveryResult, type FollowProposalRequest, type ImageChangeRequest, type ImageDelivery, type ProposalProgress } from './image-delivery.js';
import { PullRequestDelivery, type ProposalSettings, type PullRequestOptions } from './pull-request-delivery.js';
import { forgeCall } from './pull-request-progress.js';
import type { Ancestry } from './argocd-sync.js';
import { proposalName } from '../domain/gitops/proposal-name.js';

export class GitOpsDelivery implements ImageDelivery {
  readonly mode = 'git' as const;
  // The cluster runs the old image until the controller syncs the commit.
  readonly convergesLater = true;
  readonly #git: GitRepositories;
  readonly #pullRequests: PullRequestDelivery | undefined;
  readonly #now: () => number;

  /** `pullRequests`: how repositories that take changes through pull requests are reached (their forges). */
  constructor(git: GitRepositories, pullRequests?: PullRequestOptions, now: () => number = Date.now) {
    this.#git = git;
    this.#pullRequests = pullRequests ? new PullRequestDelivery(git, pullRequests) : undefined;
    this.#now = now;
  }

  async apply(request: ImageChangeRequest): Promise<DeliveryResult> {
    const { promotion, from, to, purpose } = request;
    const delivery = promotion.delivery;
    if (delivery.via !== 'git') throw new DeliveryError(`promotion ${promotion.id} is not delivered through Git`, false);
    const where = `file ${delivery.file} in repository ${delivery.repository}`;
    try {
      const settings = this.#pullRequests?.settingsFor(delivery.repository);
      if (settings && this.#pullRequests) {
        // A promotion whose own pull request was never merged has nothing on the branch to revert: its pull request is closed.
        if (purpose === 'rollback' && delivery.pullRequest && delivery.pullRequest.state !== 'merged' && !delivery.commit) {
          return await this.#withdraw(request, settings);
        }
        return await this.#pullRequests.propose(request, delivery, settings);
      }
      if (purpose === 'promote') {
        const done = await this.#git.commitImage({
          repository: delivery.repository,
          file: delivery.file,
          locator: delivery.locator,
          expectedCurrentImage: from,
          newImage: to,
          promotionId: promotion.id,
        });
        const how = done.outcome === 'committed' ? 'committed' : done.outcome === 'found-own-commit' ? 'found its own commit (resumed after a restart)' : 'found the image already in place';
        return {
          outcome: 'applied',
          event: {
            type: 'commit',
            reason: `${how}: ${delivery.file} ${from} -> ${to} in ${done.repository}@${done.branch} (${done.commit.slice(0, 12)})`,
            data: { repository: done.repository, branch: done.branch, file: done.file, commit: done.commit, outcome: done.outcome, attempts: done.attempts },
          },
          record: { branch: done.branch, commit: done.commit },
        };
      }
      const undone = await this.#git.revertImage({
        repository: delivery.repository,
        promotionId: promotion.id,
        ...(delivery.commit ? { commit: delivery.commit } : {}),
        file: delivery.file,
        locator: delivery.locator,
      });
      const how = undone.outcome === 'found-own-commit' ? 'found its own rollback commit' : undone.outcome === 'already-in-place' ? 'found nothing to revert' : undone.method === 'revert' ? 'reverted' : 'restored the previous image (the revert conflicted)';
      return {
        outcome: 'applied',
        event: {
          type: 'commit',
          // The restored image was read from the repository: named only when it looks like an image.
          reason: `${how}: ${delivery.file} back to ${quotableImage(undone.restoredImage) ? undone.restoredImage : 'the image before the promotion'} in ${undone.repository}@${undone.branch} (${undone.commit.slice(0, 12)})`,
          data: { repository: undone.repository, branch: undone.branch, file: undone.file, commit: undone.commit, method: undone.method, outcome: undone.outcome },
        },
        record: { revertCommit: undone.commit, revertMethod: undone.method },
      };
    } catch (error) {
      // `found` is set only for a value that looks like an image reference (quotableImage): anything else
      // in the file is described, never quoted, in the reason that goes to events and notifications.
      if (error instanceof ImageEditError && error.code === 'image-drift') return { outcome: 'conflict', found: error.found ?? 'a value that is not an image reference', where };
      if (error instanceof GitError || error instanceof ImageEditError) {
        throw new DeliveryError(`Git (${delivery.repository}): ${error.message}`, error instanceof GitError && error.retryable, { cause: error });
      }
      throw error;
    }
  }

  async followProposal(request: FollowProposalRequest): Promise<ProposalProgress> {
    const delivery = request.promotion.delivery;
    if (delivery.via !== 'git') throw new DeliveryError(`promotion ${request.promotion.id} is not delivered through Git`, false);
    const settings = this.#pullRequests?.settingsFor(delivery.repository);
    if (!settings || !this.#pullRequests) {
      throw new DeliveryError(`repository ${delivery.repository} no longer takes changes through pull requests (changes: pull-request was removed from its configuration)`, false);
    }
    try {
      return await this.#pullRequests.follow(request, delivery, settings, this.#now());
    } catch (error) {
      if (error instanceof GitError || error instanceof ImageEditError) {
        throw new DeliveryError(`Git (${delivery.repository}): ${error.message}`, error instanceof GitError && error.retryable, { cause: error });
      }
      throw error;
    }
  }

  /** The rollback of a promotion whose pull request is still open: merged meanwhile means a real revert, else it is closed. */
  async #withdraw(request: ImageChangeRequest, settings: ProposalSettings): Promise<DeliveryResult> {
    const delivery = request.promotion.delivery;
    if (delivery.via !== 'git' || !delivery.pullRequest || !this.#pullRequests) throw new DeliveryError('nothing to withdraw', false);
    const pr = delivery.pullRequest;
    const what = proposalName(pr.forge ?? settings.forge.kind, pr.number);
    const status = await forgeCall(settings.forge, `read ${what}`, () => settings.forge.status(pr.number));
    if (status.state === 'merged') {
      // Merged at the last moment: the change is on the branch, so it is reverted like any other.
      const mergedRecord = { commit: status.mergeCommit, pullRequest: { ...pr, state: 'merged' as const, mergeCommit: status.mergeCommit, ...(status.mergedBy ? { mergedBy: status.mergedBy } : {}) } };
      const merged = { ...request, promotion: { ...request.promotion, delivery: { ...delivery, ...mergedRecord } } };
      const reverted = await this.#pullRequests.propose(merged, merged.promotion.delivery, settings);
      return reverted.outcome === 'conflict' ? reverted : { ...reverted, record: { ...mergedRecord, ...reverted.record } };
    }
    if (status.state === 'open') {
      await forgeCall(settings.forge, `close ${what}`, () => settings.forge.close(pr.number, `promoter: ${request.why}`));
    }
    return {
      outcome: 'applied',
      event: { type: 'pull_request', reason: `closed ${what} without merging (${request.why}): nothing reached ${settings.targetBranch}` },
      record: { pullRequest: { ...pr, state: 'closed', closedBy: status.state === 'closed' ? (status.closedBy ?? 'someone') : 'promoter' } },
    };
  }
}

/** Stands in when no Git repositories are configured: a Git promotion fails at its change, saying why. */
export const UNCONFIGURED_GIT: ImageDelivery = {
  mode: 'git',
  convergesLater: true,
  apply: async () => {
    throw new DeliveryError('no Git repositories are configured (set PROMOTER_GIT_REPOSITORIES_FILE)', false);
  },
};

/** Git's answer to "does this revision contain that commit", for the Argo CD follower; Git failures as DeliveryErrors. */
export function gitAncestry(git: GitRepositories): Ancestry {
  return {
    isAncestor: async (repository, ancestor, descendant) => {
      try {
        return await git.isAncestor(repository, ancestor, descendant);
      } catch (error) {
        if (error instanceof GitError) throw new DeliveryError(`Git (${repository}): ${error.message}`, error.retryable, { cause: error });
        throw error;
      }
    },
  };
}
