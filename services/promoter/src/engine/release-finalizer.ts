/**
 * The runbook's Steps 5 and 6 after a success: write the version to the application's `VERSION` file,
 * commit `chore: release <name> v<version>`, tag it `v<version>` (annotated) and push both. A port, so
 * the steps do not know Git; `GitReleaseFinalizer` is its adapter.
 */
import { GitError, type GitDelivery as GitRepositories } from '../adapters/git/index.js';
import { applicationName } from '../domain/gitops/commit-message.js';
import { parseImageReference } from '../domain/image-reference.js';
import type { ReleaseSettings } from '../domain/delivery.js';
import type { Promotion } from '../domain/promotion.js';
import { DeliveryError } from './image-delivery.js';

export interface ReleaseResult {
  readonly repository: string;
  readonly version: string;
  readonly commit: string;
  readonly tag: string;
  /** False when an identical earlier release was found (a retry after a crash or a request). */
  readonly created: boolean;
}

export interface ReleaseFinalizer {
  /** Rejects with a DeliveryError that says why (tag elsewhere, push refused, no version in the image). */
  finalize(promotion: Promotion, settings: ReleaseSettings): Promise<ReleaseResult>;
}

/** `registry/app:1.2.1` -> `1.2.1` (a leading `v` dropped); undefined for an image without a version tag. */
export function releaseVersion(image: string): string | undefined {
  const parsed = parseImageReference(image);
  if ('error' in parsed || parsed.tag === undefined || parsed.tag === 'latest') return undefined;
  return parsed.tag.replace(/^v(?=\d)/, '');
}

/** Without Git repositories a release cannot be made: the finalization fails saying so, the success stands. */
export const UNCONFIGURED_RELEASES: ReleaseFinalizer = {
  finalize: async () => {
    throw new DeliveryError('no Git repositories are configured (PROMOTER_GIT_REPOSITORIES_FILE)', false);
  },
};

export class GitReleaseFinalizer implements ReleaseFinalizer {
  readonly #git: GitRepositories;

  constructor(git: GitRepositories) {
    this.#git = git;
  }

  async finalize(promotion: Promotion, settings: ReleaseSettings): Promise<ReleaseResult> {
    const image = promotion.resolvedImage ?? '';
    const version = releaseVersion(image);
    if (version === undefined) throw new DeliveryError(`the promoted image ${image || '(none)'} has no version tag to release`, false);
    const tag = (settings.tag ?? 'v{{version}}').replaceAll('{{version}}', version);
    try {
      const done = await this.#git.finalizeRelease({
        repository: settings.repository,
        promotionId: promotion.id,
        name: settings.name ?? applicationName(image),
        version,
        tag,
        ...(settings.versionFile ? { versionFile: settings.versionFile } : {}),
        tagMessage:
          `Validated via canary testing, promoted from canary to production\n\n` +
          `Promotion: ${promotion.id}\nPolicy: ${promotion.policy.name} v${promotion.policy.version}\nTarget: ${promotion.target.namespace}/${promotion.target.deployment}\n` +
          `Images: ${promotion.previousImage ?? '?'} -> ${image}\nChecks: ${promotion.stateReason ?? ''}\n`,
      });
      return { repository: done.repository, version, commit: done.commit, tag: done.tag, created: done.created };
    } catch (error) {
      if (error instanceof GitError) throw new DeliveryError(`release in ${settings.repository}: ${error.message}`, error.retryable, { cause: error });
      throw error;
    }
  }
}
