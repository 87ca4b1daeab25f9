/**
 * Delivery through pull requests, for a repository whose branch is protected: the change is committed to a
 * branch of the promotion's own (`promoter/<id>`), proposed as a pull request (GitHub) or merge request
 * (GitLab) whose description carries the gate's evidence, and reaches the branch when the forge merges it:
 * promoter merges it itself when the repository says `merge: auto` and the forge reports it mergeable, or
 * waits for a person (`merge: manual`) up to the merge timeout. A conflict is solved by making the change
 * again on the target's new tip (a rebase) a bounded number of times. A rollback is a revert pull request,
 * merged at once where the repository allows (`rollback: auto-merge`): a rollback must not wait for review.
 *
 * Each call is idempotent: the branch's tip is found by its trailers and the forge returns the open pull
 * request of a branch instead of opening a second, so a step resumed after a crash repeats nothing.
 */
import type { GitDelivery as GitRepositories } from '../adapters/git/index.js';
import type { ForgeClient } from '../adapters/forge/forge-client.js';
import { advancePullRequest, forgeCall } from './pull-request-progress.js';
import type { GitDeliveryRecord, GitDeliverySettings, PullRequestRecord } from '../domain/delivery.js';
import { promotionPullRequest, revertPullRequest } from '../domain/gitops/pull-request-text.js';
import { promoteSubject } from '../domain/gitops/commit-message.js';
import { proposalName, proposalNoun, proposalReference } from '../domain/gitops/proposal-name.js';
import { DeliveryError, type DeliveryResult, type FollowProposalRequest, type ImageChangeRequest, type ProposalProgress } from './image-delivery.js';

export interface ProposalSettings {
  readonly forge: ForgeClient;
  /** The protected branch the pull requests go into (the repository's configured branch). */
  readonly targetBranch: string;
  /** `auto`: promoter merges once the forge allows; `manual`: a person merges. */
  readonly merge: 'auto' | 'manual';
  /** How long a pull request may stay open before the promotion fails (it is closed, saying so); a policy's `mergeTimeout` overrides it. */
  readonly mergeTimeoutMs: number;
  /** `auto-merge`: the revert pull request is merged as soon as the forge allows; `pull-request`: as `merge` says. */
  readonly rollback: 'auto-merge' | 'pull-request';
}

export interface PullRequestOptions {
  /** The settings of a repository that takes changes through pull requests; undefined when it takes pushes. */
  readonly settingsFor: (repository: string) => ProposalSettings | undefined;
  /** The promotion's page, for the description. */
  readonly promotionUrl?: (id: string) => string | undefined;
  /** Rebases tried after conflicts before the promotion fails. Default 3. */
  readonly maxRebases?: number;
}

type GitSettings = GitDeliverySettings & GitDeliveryRecord;

/** The branch of a promotion's own pull request, of its revert, and of its release. */
export function proposalBranch(promotionId: string, purpose: 'promote' | 'rollback' | 'release'): string {
  return purpose === 'promote' ? `promoter/${promotionId}` : `promoter/${promotionId}-${purpose}`;
}

export class PullRequestDelivery {
  readonly #git: GitRepositories;
  readonly #options: PullRequestOptions;

  constructor(git: GitRepositories, options: PullRequestOptions) {
    this.#git = git;
    this.#options = options;
  }

  settingsFor(repository: string): ProposalSettings | undefined {
    return this.#options.settingsFor(repository);
  }

  /** Commits the change to its branch and opens (or finds) its pull request. */
  async propose(request: ImageChangeRequest, delivery: GitSettings, settings: ProposalSettings, rebase = false): Promise<DeliveryResult> {
    const { promotion, purpose } = request;
    const branch = proposalBranch(promotion.id, purpose);
    const url = this.#options.promotionUrl?.(promotion.id);
    if (purpose === 'promote') {
      const done = await this.#git.commitImage({
        repository: delivery.repository,
        file: delivery.file,
        locator: delivery.locator,
        expectedCurrentImage: request.from,
        newImage: request.to,
        promotionId: promotion.id,
        proposal: { branch, rebase },
      });
      if (done.outcome === 'already-in-place' || done.outcome === 'found-own-commit') {
        // The target branch already holds the image (merged before a crash, or set by hand): nothing to propose.
        const how = done.outcome === 'found-own-commit' ? 'found its own commit on the branch' : 'found the image already in place';
        return {
          outcome: 'applied',
          event: { type: 'commit', reason: `${how}: ${delivery.file} ${request.from} -> ${request.to} in ${done.repository}@${settings.targetBranch} (${done.commit.slice(0, 12)})` },
          record: { branch: settings.targetBranch, commit: done.commit },
        };
      }
      const text = promotionPullRequest({
        promotionId: promotion.id,
        file: delivery.file,
        previousImage: request.from,
        newImage: request.to,
        policy: { name: promotion.policy.name, version: promotion.policy.version },
        evidence: request.evidence ?? [],
        ...(url ? { promotionUrl: url } : {}),
        merge: settings.merge,
      });
      return this.#open(settings, 'pullRequest', { branch, head: done.commit, rebase, title: text.title, body: text.body });
    }
    const promoted = delivery.pullRequest;
    const done = await this.#git.revertImage({
      repository: delivery.repository,
      promotionId: promotion.id,
      ...(delivery.commit ? { commit: delivery.commit } : {}),
      file: delivery.file,
      locator: delivery.locator,
      proposal: { branch, rebase },
    });
    if (done.outcome === 'already-in-place' || done.outcome === 'found-own-commit') {
      return {
        outcome: 'applied',
        event: {
          type: 'commit',
          reason:
            done.outcome === 'found-own-commit'
              ? `found its own revert already on ${settings.targetBranch}: ${delivery.file} holds ${request.to} in ${done.repository} (${done.commit.slice(0, 12)})`
              : `found nothing to revert: ${delivery.file} already holds ${request.to} in ${done.repository}@${settings.targetBranch}`,
        },
        record: { revertCommit: done.commit, revertMethod: done.method },
      };
    }
    const text = revertPullRequest({
      promotionId: promotion.id,
      file: delivery.file,
      promotedImage: request.from,
      previousImage: request.to,
      reverts: promoted ? { number: promoted.number, url: promoted.url } : undefined,
      reason: request.why,
      ...(url ? { promotionUrl: url } : {}),
    });
    const opened = await this.#open(settings, 'revertPullRequest', { branch, head: done.commit, rebase, title: text.title, body: text.body });
    return { ...opened, record: { ...opened.record, revertMethod: done.method } };
  }

  /** Opens (or finds) the pull request of a pushed branch and says so. */
  async #open(
    settings: ProposalSettings,
    key: 'pullRequest' | 'revertPullRequest',
    init: { readonly branch: string; readonly head: string; readonly rebase: boolean; readonly title: string; readonly body: string },
  ): Promise<Extract<DeliveryResult, { outcome: 'proposed' }>> {
    const forge = settings.forge.kind;
    const purpose = key === 'pullRequest' ? undefined : 'revert';
    const opened = await forgeCall(settings.forge, `open the ${proposalNoun(forge, purpose)}`, () =>
      settings.forge.openPullRequest({ sourceBranch: init.branch, targetBranch: settings.targetBranch, title: init.title, body: init.body }),
    );
    const record: PullRequestRecord = { number: opened.number, forge, url: opened.url, branch: init.branch, state: 'open', head: init.head };
    // `found`: the forge had it open already (this step ran before a crash, its answer lost).
    const how = init.rebase ? 'rebased' : opened.existing ? 'found' : 'opened';
    return {
      outcome: 'proposed',
      event: { type: 'pull_request', reason: `${how} ${proposalName(forge, opened.number, purpose)} (${init.branch} -> ${settings.targetBranch})${how === 'found' ? ', opened before a restart' : ''}: ${opened.url}`, data: { ...record } },
      record: { [key]: record },
    };
  }

  /** Where the pull request stands; merges it when the settings and the forge allow, rebases it after a conflict. */
  async follow(request: FollowProposalRequest, delivery: GitSettings, settings: ProposalSettings, now: number): Promise<ProposalProgress> {
    const { purpose, promotion } = request;
    const key = purpose === 'promote' ? 'pullRequest' : 'revertPullRequest';
    const pr = delivery[key];
    const forge = settings.forge.kind;
    const revert = purpose === 'promote' ? undefined : 'revert';
    if (!pr) throw new DeliveryError(`promotion ${promotion.id} has no ${proposalNoun(forge, revert)} to follow`, false);
    const what = proposalName(pr.forge ?? forge, pr.number, revert);
    const reference = proposalReference(pr.forge ?? forge, pr.number);
    const subject = promoteSubject(promotion.resolvedImage ?? '');
    const step = await advancePullRequest(settings.forge, pr, {
      what,
      targetBranch: settings.targetBranch,
      autoMerge: purpose === 'promote' ? settings.merge === 'auto' : settings.rollback === 'auto-merge' || settings.merge === 'auto',
      mergeTitle: purpose === 'promote' ? `${subject} (${reference})` : `Revert "${subject}" (${reference})`,
      since: request.since,
      now,
      timeoutMs: request.mergeTimeoutMs ?? settings.mergeTimeoutMs,
    });
    switch (step.kind) {
      case 'merged':
        return {
          kind: 'merged',
          record: { [key]: step.pr, ...(purpose === 'promote' ? { commit: step.mergeCommit } : { revertCommit: step.mergeCommit }) },
          event: { type: 'pull_request', reason: step.reason, data: { number: pr.number, mergeCommit: step.mergeCommit, mergedBy: step.pr.mergedBy ?? null } },
        };
      case 'closed':
        return { kind: 'closed', closedBy: step.closedBy, record: { [key]: step.pr }, event: { type: 'pull_request', reason: step.reason } };
      case 'timed-out':
        return { kind: 'failed', reason: step.reason, record: { [key]: step.pr } };
      case 'conflict':
        return this.#rebase(request, delivery, settings, pr, what, step.conflict);
      case 'waiting':
        // An event only when the reason changes, so a long wait is one line in the timeline, not one per poll.
        return step.changed ? { kind: 'waiting', record: { [key]: step.pr }, event: { type: 'pull_request', reason: step.reason } } : { kind: 'waiting' };
    }
  }

  async #rebase(request: FollowProposalRequest, delivery: GitSettings, settings: ProposalSettings, pr: PullRequestRecord, what: string, conflict: string): Promise<ProposalProgress> {
    const limit = this.#options.maxRebases ?? 3;
    if (request.rebases >= limit) {
      const reason = `${what} cannot be merged: ${conflict}, still after ${limit} rebases (${pr.url}); it was closed`;
      await forgeCall(settings.forge, `close ${what}`, () => settings.forge.close(pr.number, `promoter: ${reason}.`));
      return { kind: 'failed', reason, record: { [request.purpose === 'promote' ? 'pullRequest' : 'revertPullRequest']: { ...pr, state: 'closed', closedBy: 'promoter' } } };
    }
    const { promotion } = request;
    const images = request.purpose === 'promote' ? { from: promotion.previousImage ?? '', to: promotion.resolvedImage ?? '' } : { from: promotion.resolvedImage ?? '', to: promotion.previousImage ?? '' };
    const again = await this.propose({ promotion, purpose: request.purpose, ...images, why: `rebase after: ${conflict}` }, delivery, settings, true);
    if (again.outcome === 'conflict') throw new DeliveryError(`${what}: the file changed under it`, false);
    if (again.outcome === 'applied') {
      // The target branch already holds the change (someone made it there): the pull request has nothing left to do.
      await forgeCall(settings.forge, `close ${what}`, () => settings.forge.close(pr.number, `promoter: ${settings.targetBranch} already holds this change.`));
      const key = request.purpose === 'promote' ? 'pullRequest' : 'revertPullRequest';
      return { kind: 'merged', record: { ...again.record, [key]: { ...pr, state: 'closed', closedBy: 'promoter' } }, event: again.event };
    }
    return { kind: 'waiting', rebased: true, ...(again.record ? { record: again.record } : {}), event: { ...again.event, reason: `${conflict}: ${again.event.reason}` } };
  }
}
