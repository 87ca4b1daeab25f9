/**
 * Delivery through Git: the image is committed to the file the promotion names in a configured
 * repository (and reverted there on rollback); a GitOps controller applies it to the cluster, where the
 * engine follows the rollout as for a patch. Commits carry a `Promotion-Id` trailer, so a step resumed
 * after a crash finds its own commit instead of committing twice.
 */
import { GitError, type GitDelivery as GitRepositories } from '../adapters/git/index.js';
import { ImageEditError, quotableImage } from '../domain/gitops/image-edit.js';
import { DeliveryError, type DeliveryResult, type ImageChangeRequest, type ImageDelivery } from './image-delivery.js';
import type { Ancestry } from './argocd-sync.js';

export class GitOpsDelivery implements ImageDelivery {
  readonly mode = 'git' as const;
  // The cluster runs the old image until the controller syncs the commit.
  readonly convergesLater = true;
  readonly #git: GitRepositories;

  constructor(git: GitRepositories) {
    this.#git = git;
  }

  async apply({ promotion, from, to, purpose }: ImageChangeRequest): Promise<DeliveryResult> {
    const delivery = promotion.delivery;
    if (delivery.via !== 'git') throw new DeliveryError(`promotion ${promotion.id} is not delivered through Git`, false);
    const where = `file ${delivery.file} in repository ${delivery.repository}`;
    try {
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
