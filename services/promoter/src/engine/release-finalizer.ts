/**
 * The runbook's Steps 5 and 6 after a success: write the version to the application's `VERSION` file,
 * commit `chore: release <name> v<version>`, tag it `v<version>` (annotated) and push both. A port, so
 * the steps do not know Git; `GitReleaseFinalizer` is its adapter.
 */
import { GitError, type FinalizeReleaseRequest, type GitDelivery as GitRepositories } from '../adapters/git/index.js';
import { applicationName, releaseSubject } from '../domain/gitops/commit-message.js';
import type { PullRequestRecord } from '../domain/delivery.js';
import type { StepEvent } from '../domain/step-outcome.js';
import { proposalBranch, type ProposalSettings, type PullRequestOptions } from './pull-request-delivery.js';
import { advancePullRequest, forgeCall } from './pull-request-progress.js';
import { parseImageReference } from '../domain/image-reference.js';
import type { ReleaseSettings } from '../domain/delivery.js';
import type { Promotion } from '../domain/promotion.js';
import { DeliveryError } from './image-delivery.js';
import { proposalName, proposalNoun, proposalReference } from '../domain/gitops/proposal-name.js';

export interface ReleaseResult {
  readonly done: true;
  readonly repository: string;
  readonly version: string;
  readonly commit: string;
  readonly tag: string;
  /** False when an identical earlier release was found (a retry after a crash or a request). */
  readonly created: boolean;
  /** The release's pull request, merged, when the repository takes changes through them. */
  readonly pullRequest?: PullRequestRecord;
}

/** The release waits for its pull request: what to record, and an event when something changed. */
export interface ReleaseWaiting {
  readonly done: false;
  readonly repository: string;
  readonly pullRequest: PullRequestRecord;
  readonly proposedAt: number;
  readonly rebases: number;
  readonly event?: StepEvent;
}

export interface ReleaseFinalizer {
  /**
   * Makes the release, or moves its pull request on (call again while it waits). Rejects with a
   * DeliveryError that says why (tag elsewhere, push refused, no version in the image, pull request closed).
   * `mergeTimeoutMs`: the policy's, overriding the repository's for the release's pull request.
   */
  finalize(promotion: Promotion, settings: ReleaseSettings, mergeTimeoutMs?: number): Promise<ReleaseResult | ReleaseWaiting>;
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
  readonly #pullRequests: PullRequestOptions | undefined;
  readonly #now: () => number;

  /** `pullRequests`: how a source repository that takes changes through pull requests is reached. */
  constructor(git: GitRepositories, pullRequests?: PullRequestOptions, now: () => number = Date.now) {
    this.#git = git;
    this.#pullRequests = pullRequests;
    this.#now = now;
  }

  async finalize(promotion: Promotion, settings: ReleaseSettings, mergeTimeoutMs?: number): Promise<ReleaseResult | ReleaseWaiting> {
    const image = promotion.resolvedImage ?? '';
    const version = releaseVersion(image);
    if (version === undefined) throw new DeliveryError(`the promoted image ${image || '(none)'} has no version tag to release`, false);
    const request: FinalizeReleaseRequest = {
      repository: settings.repository,
      promotionId: promotion.id,
      name: settings.name ?? applicationName(image),
      version,
      tag: (settings.tag ?? 'v{{version}}').replaceAll('{{version}}', version),
      ...(settings.versionFile ? { versionFile: settings.versionFile } : {}),
      tagMessage:
        `Validated via canary testing, promoted from canary to production\n\n` +
        `Promotion: ${promotion.id}\nPolicy: ${promotion.policy.name} v${promotion.policy.version}\nTarget: ${promotion.target.namespace}/${promotion.target.deployment}\n` +
        `Images: ${promotion.previousImage ?? '?'} -> ${image}\nChecks: ${promotion.stateReason ?? ''}\n`,
    };
    try {
      const proposals = this.#pullRequests?.settingsFor(settings.repository);
      if (proposals) return await this.#throughPullRequest(promotion, request, mergeTimeoutMs === undefined ? proposals : { ...proposals, mergeTimeoutMs });
      const done = await this.#git.finalizeRelease(request);
      return { done: true, repository: done.repository, version, commit: done.commit, tag: done.tag, created: done.created };
    } catch (error) {
      if (error instanceof GitError) throw new DeliveryError(`release in ${settings.repository}: ${error.message}`, error.retryable, { cause: error });
      throw error;
    }
  }

  /** The release commit on `promoter/<id>-release`, its pull request, and the tag on the merge once merged. */
  async #throughPullRequest(promotion: Promotion, request: FinalizeReleaseRequest, settings: ProposalSettings): Promise<ReleaseResult | ReleaseWaiting> {
    const previous = promotion.release;
    const pr = previous?.pullRequest?.state === 'closed' ? undefined : previous?.pullRequest;
    const rebases = previous?.rebases ?? 0;
    if (!pr) return this.#propose(promotion, request, settings, false, 0);
    const forge = pr.forge ?? settings.forge.kind;
    const what = proposalName(forge, pr.number, 'release');
    const step = await advancePullRequest(settings.forge, pr, {
      what,
      targetBranch: settings.targetBranch,
      autoMerge: settings.merge === 'auto',
      mergeTitle: `${releaseSubject(request.name, request.version)} (${proposalReference(forge, pr.number)})`,
      since: previous?.proposedAt ?? this.#now(),
      now: this.#now(),
      timeoutMs: settings.mergeTimeoutMs,
    });
    switch (step.kind) {
      case 'merged': {
        const done = await this.#git.finalizeRelease({ ...request, releaseCommit: step.mergeCommit });
        return { done: true, repository: done.repository, version: request.version, commit: done.commit, tag: done.tag, created: done.created, pullRequest: step.pr };
      }
      case 'closed':
      case 'timed-out':
        throw new DeliveryError(step.reason, false);
      case 'conflict':
        if (rebases >= MAX_RELEASE_REBASES) throw new DeliveryError(`${what} cannot be merged: ${step.conflict}, still after ${rebases} rebases (${pr.url})`, false);
        return this.#propose(promotion, request, settings, true, rebases + 1, previous?.proposedAt);
      case 'waiting':
        return {
          done: false,
          repository: request.repository,
          pullRequest: step.pr,
          proposedAt: previous?.proposedAt ?? this.#now(),
          rebases,
          ...(step.changed ? { event: { type: 'pull_request' as const, reason: step.reason } } : {}),
        };
    }
  }

  async #propose(promotion: Promotion, request: FinalizeReleaseRequest, settings: ProposalSettings, rebase: boolean, rebases: number, proposedAt?: number): Promise<ReleaseResult | ReleaseWaiting> {
    const branch = proposalBranch(promotion.id, 'release');
    const done = await this.#git.finalizeRelease({ ...request, proposal: { branch, rebase } });
    if (done.outcome === 'tag-exists' || done.outcome === 'released') {
      return { done: true, repository: done.repository, version: request.version, commit: done.commit, tag: done.tag, created: done.created };
    }
    const url = this.#pullRequests?.promotionUrl?.(promotion.id);
    const forge = settings.forge.kind;
    const opened = await forgeCall(settings.forge, `open the ${proposalNoun(forge, 'release')}`, () =>
      settings.forge.openPullRequest({
        sourceBranch: branch,
        targetBranch: settings.targetBranch,
        title: releaseSubject(request.name, request.version),
        body: `Writes ${request.version} to \`${request.versionFile ?? 'VERSION'}\`; promoter tags the merge \`${done.tag}\`.\n\nPromotion: ${url ? `[${promotion.id}](${url})` : `\`${promotion.id}\``}`,
      }),
    );
    const pullRequest: PullRequestRecord = { number: opened.number, forge, url: opened.url, branch, state: 'open', head: done.commit };
    return {
      done: false,
      repository: request.repository,
      pullRequest,
      proposedAt: proposedAt ?? this.#now(),
      rebases,
      event: { type: 'pull_request', reason: `${rebase ? 'rebased' : 'opened'} ${proposalName(forge, opened.number, 'release')} (${branch} -> ${settings.targetBranch}): ${opened.url}` },
    };
  }
}

/** Rebases of a release pull request after conflicts before the release fails (a retry starts over). */
const MAX_RELEASE_REBASES = 3;
