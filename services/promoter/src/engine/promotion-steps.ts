/**
 * One step of a promotion, by state: this is where the engine decides what happens next. A step reads
 * the world (the Deployment, Prometheus), may make one change to it through the delivery port, and returns
 * what to record; the engine checks the state change with the state machine and persists it under the
 * promotion's lease. Steps are idempotent: the images are recorded before the change is made, and a
 * delivery recognises its own change, so a step resumed after a crash never changes anything twice, and a
 * rollback only ever reverts the image this promotion set.
 */
import type { DeploymentSnapshot, KubernetesClient } from '../adapters/kubernetes/types.js';
import { KubernetesError } from '../adapters/kubernetes/kubernetes-error.js';
import { asClusterClients, type ClusterClients } from '../adapters/kubernetes/clusters.js';
import { assessRollout } from '../adapters/kubernetes/assess-rollout.js';
import { describePodTrouble } from '../adapters/kubernetes/pod-trouble.js';
import type { PrometheusQueries } from '../adapters/prometheus/query-result.js';
import { stripTagSuffix } from '../domain/image-reference.js';
import { addResult, checkVerdict, EMPTY_TALLY, finalVerdict, isStopping, phaseVerdict, type PhaseVerdict } from '../domain/judge/index.js';
import { normalizePolicy, type Phase, type Policy } from '../domain/policy/model.js';
import type { ArgoCdProgress, Promotion, PromotionProgress, RollbackEnd } from '../domain/promotion.js';
import type { PullRequestRecord } from '../domain/delivery.js';
import type { StepEvent, StepOutcome } from '../domain/step-outcome.js';
import type { CheckRunner } from '../evaluation/check-runner.js';
import { checksFor, measureRound } from '../evaluation/evaluate-phase.js';
import { DeliveryError, type ImageDelivery, type ProposalProgress } from './image-delivery.js';
import { UNCONFIGURED_RELEASES, type ReleaseFinalizer } from './release-finalizer.js';
import { containerImage } from '../adapters/kubernetes/snapshot.js';
import { counted } from '../domain/counted.js';
import type { ArgoCdFollower, ArgoCdJudgement } from './argocd-sync.js';
import { blockOf, describeBlock, type BlockedImage, type BlockedImageLookup } from '../domain/blocked-image.js';
import { normalizeImage } from '../domain/image-normalization.js';
import type { ImageBlock } from '../domain/step-outcome.js';
import type { FreezeCheck } from './freeze-guard.js';
import { recheckInMs, type Hold } from '../domain/freeze/freeze.js';
import { proposalName } from '../domain/gitops/proposal-name.js';

export interface StepDeps {
  /**
   * Reads the promotion's cluster (and scales the canary); image changes go through the promotion's
   * delivery. One client stands for every cluster; `ClusterClients` picks the promotion's.
   */
  readonly kube: KubernetesClient | ClusterClients;
  /** The delivery a promotion uses (its `delivery.via`). */
  readonly deliveryFor: (promotion: Promotion) => ImageDelivery;
  /** Finalizes releases after success, when a policy asks (absent: UNCONFIGURED_RELEASES, which fails saying why). */
  readonly releases?: ReleaseFinalizer;
  readonly runner: CheckRunner;
  readonly prometheus: PrometheusQueries | undefined;
  readonly clock?: () => Date;
  /** How often a rollout's status is polled. */
  readonly rolloutPollMs?: number;
  /** Transient Kubernetes failures tolerated in a row before the promotion fails. */
  readonly maxKubeFailures?: number;
  /** How often an open pull request is looked at. Default 15 s (each look costs forge API requests against its rate limit). */
  readonly pullRequestPollMs?: number;
  /** Follows the Argo CD Application a Git delivery names (absent: such promotions follow the cluster only). */
  readonly argocd?: ArgoCdFollower;
  /** Blocked images: a promotion about to set one is rejected (absent: nothing is blocked). */
  readonly blocks?: BlockedImageLookup;
  /** Deployment freezes (absent: none ever holds a promotion). */
  readonly freezes?: FreezeCheck;
}

const APPROVAL_POLL_MS = 2_000;
const IDLE_MS = 60_000;

type Measured = { readonly outcome: Pick<StepOutcome, 'measurements' | 'progress'>; readonly verdict: PhaseVerdict | undefined };

export class PromotionSteps {
  readonly #deps: StepDeps;
  readonly #clusters: ClusterClients;
  readonly #now: () => Date;

  constructor(deps: StepDeps) {
    this.#deps = deps;
    this.#clusters = asClusterClients(deps.kube);
    this.#now = deps.clock ?? (() => new Date());
  }

  async step(promotion: Promotion): Promise<StepOutcome> {
    try {
      return await this.#dispatch(promotion);
    } catch (error) {
      if (!(error instanceof KubernetesError) && !(error instanceof DeliveryError)) throw error;
      return this.#transientFailure(promotion, error);
    }
  }

  async #dispatch(promotion: Promotion): Promise<StepOutcome> {
    const policy = normalizePolicy(promotion.policy.snapshot);
    const { state, requestedAction: action } = promotion;
    if (action === 'abort' && state !== 'rolling_back') return this.#abort(promotion);
    switch (state) {
      case 'pending': {
        const hold = await this.#holdOn(promotion);
        if (hold) return this.#frozenBy(hold, 'before it starts');
        return { transition: { to: 'analyzing', reason: `running the ${counted(checksFor(policy, 'pre').length, 'pre-promotion check')}` }, nextRunInMs: 0 };
      }
      case 'analyzing':
        return this.#analyze(promotion, policy);
      case 'awaiting_approval': {
        if (action !== 'approve') return { nextRunInMs: APPROVAL_POLL_MS };
        const hold = await this.#holdOn(promotion);
        // The gate runs again after the freeze, so its new verdict is approved anew.
        if (hold) return this.#frozenBy(hold, 'though approved; approval is asked again after the gate runs again', { handledAction: 'approve' });
        return { transition: { to: 'promoting', reason: 'approved' }, handledAction: 'approve', nextRunInMs: 0 };
      }
      case 'frozen':
        return this.#frozen(promotion);
      case 'promoting':
        return this.#promote(promotion, policy);
      case 'awaiting_merge':
        return this.#awaitMerge(promotion, policy);
      case 'verifying':
        return this.#verify(promotion, policy);
      case 'succeeded':
        if (action === 'rollback') return this.#startRollback('rollback requested', 'rolled_back', { handledAction: 'rollback' });
        if (action === 'finalize') return this.#finalize(promotion, policy);
        return { nextRunInMs: IDLE_MS };
      case 'rolling_back':
        return this.#rollBack(promotion, policy);
      case 'rejected':
      case 'rolled_back':
      case 'aborted':
      case 'failed':
        // Never claimed; if one is, there is nothing to do.
        return { nextRunInMs: IDLE_MS };
      default:
        return unreachable(state);
    }
  }

  async #analyze(promotion: Promotion, policy: Policy): Promise<StepOutcome> {
    const { outcome, verdict } = await this.#measure(promotion, policy, 'pre');
    if (!verdict || verdict.outcome === 'pending') return { ...outcome, nextRunInMs: policy.intervalMs };
    if (isStopping(verdict)) {
      return {
        ...outcome,
        record: { verdict: finalVerdict(verdict.outcome) },
        transition: { to: 'rejected', reason: `pre-promotion gate: ${verdict.reason}; nothing was patched` },
        nextRunInMs: 0,
      };
    }
    if (promotion.dryRun) {
      const images = await this.#wouldChange(promotion);
      const block = images.record.resolvedImage === undefined ? undefined : await this.#blockOf(images.record.resolvedImage, promotion);
      if (block) {
        return {
          ...outcome,
          record: { verdict: 'pass', ...images.record },
          transition: { to: 'rejected', reason: `dry run: the gate passed (${verdict.reason}), but ${describeBlock(block)}; nothing was patched`, data: { blockId: block.id } },
          nextRunInMs: 0,
        };
      }
      return {
        ...outcome,
        record: { verdict: 'pass', ...images.record },
        transition: { to: 'succeeded', reason: `dry run: the gate passed (${verdict.reason}); ${images.sentence}; nothing was patched` },
        nextRunInMs: 0,
      };
    }
    // Each check's latest measurement, for the description of a pull request (when the delivery makes one).
    const gateEvidence = (outcome.measurements ?? []).map(({ measurement: m }) => ({ check: m.check, result: m.result, message: m.message }));
    const passed = { ...outcome, progress: { ...outcome.progress, gateEvidence }, record: { verdict: 'pass' as const } };
    if (policy.approvalRequired) {
      return { ...passed, transition: { to: 'awaiting_approval', reason: `gate passed (${verdict.reason}); waiting for approval` }, nextRunInMs: APPROVAL_POLL_MS };
    }
    const hold = await this.#holdOn(promotion);
    if (hold) return this.#frozenBy(hold, `after the gate passed (${verdict.reason}); nothing was patched`, passed);
    return { ...passed, transition: { to: 'promoting', reason: `gate passed: ${verdict.reason}` }, nextRunInMs: 0 };
  }

  #holdOn(promotion: Promotion): Promise<Hold | undefined> {
    return this.#deps.freezes?.holdOn(promotion, this.#now()) ?? Promise.resolve(undefined);
  }

  /** Waits in `frozen` for the freeze to end (looked at again at its end, and at least every minute). */
  #frozenBy(hold: Hold, when: string, extra: Partial<StepOutcome> = {}): StepOutcome {
    return {
      ...extra,
      record: { ...extra.record, hold },
      transition: { to: 'frozen', reason: `held by freeze '${hold.freeze}' (${hold.reason}) until ${hold.until}, ${when}`, data: { hold } },
      nextRunInMs: recheckInMs(hold, this.#now().getTime()),
    };
  }

  /** Still held (perhaps by another freeze now), or free: then the gate runs again, its measurements being stale. */
  async #frozen(promotion: Promotion): Promise<StepOutcome> {
    const hold = await this.#holdOn(promotion);
    const now = this.#now().getTime();
    if (hold) {
      const same = promotion.hold?.freeze === hold.freeze && promotion.hold.until === hold.until && promotion.hold.reason === hold.reason;
      if (same) return { nextRunInMs: recheckInMs(hold, now) };
      return {
        record: { hold },
        events: [{ type: 'freeze', reason: `now held by freeze '${hold.freeze}' (${hold.reason}) until ${hold.until}`, data: { hold } }],
        nextRunInMs: recheckInMs(hold, now),
      };
    }
    const override = promotion.freezeOverride;
    const why = override ? `freezes overridden by ${override.by} (${override.reason})` : `freeze '${promotion.hold?.freeze ?? '(unknown)'}' no longer holds`;
    const { pre: _stale, ...tallies } = promotion.progress.tallies ?? {};
    return {
      record: { hold: null },
      progress: { tallies, gateEvidence: undefined },
      events: [{ type: 'freeze', reason: why, data: { freeze: promotion.hold?.freeze ?? null, overridden: override !== null } }],
      transition: { to: 'analyzing', reason: `${why}; running the gate again (its measurements are stale after the wait)` },
      nextRunInMs: 0,
    };
  }

  /** For a dry run: the image it would set and the one it would replace, when the cluster can say. */
  async #wouldChange(promotion: Promotion): Promise<{ record: { resolvedImage?: string; previousImage?: string }; sentence: string }> {
    try {
      const image = await this.#resolveImage(promotion);
      if (typeof image !== 'string') return { record: {}, sentence: image.error.replace(/; nothing was patched$/, '') };
      const current = containerImage(await this.#readTarget(promotion), promotion.target.container);
      if (current === undefined) return { record: { resolvedImage: image }, sentence: `would set ${image}, but the target has no container '${promotion.target.container}'` };
      return { record: { resolvedImage: image, previousImage: current }, sentence: `would set ${promotion.target.container} from ${current} to ${image}` };
    } catch (error) {
      if (!(error instanceof KubernetesError)) throw error;
      const image = promotion.image;
      return { record: image ? { resolvedImage: image } : {}, sentence: `the images could not be read (${error.message})` };
    }
  }

  async #promote(promotion: Promotion, policy: Policy): Promise<StepOutcome> {
    const { progress, target } = promotion;
    if (!progress.patchIntent || !promotion.resolvedImage || !promotion.previousImage) {
      // Record both images before anything changes: a crash after the change must know what to undo.
      const newImage = await this.#resolveImage(promotion);
      if (typeof newImage !== 'string') return { transition: { to: 'failed', reason: newImage.error }, nextRunInMs: 0 };
      const block = await this.#blockOf(newImage, promotion);
      if (block) return blockedOutcome(block);
      const current = containerImage(await this.#readTarget(promotion), target.container);
      if (current === undefined) {
        return { transition: { to: 'failed', reason: `Deployment ${target.namespace}/${target.deployment} has no container '${target.container}'; nothing was patched` }, nextRunInMs: 0 };
      }
      return {
        record: { resolvedImage: newImage, previousImage: current },
        progress: { patchIntent: true, kubeFailures: 0 },
        events: [{ type: 'note', reason: `will set ${target.container} from ${current} to ${newImage}`, data: { previousImage: current, image: newImage } }],
        nextRunInMs: 0,
      };
    }
    const newImage = promotion.resolvedImage;
    const previousImage = promotion.previousImage;
    if (!progress.patchedAt) {
      // Again right before the change: a block added while the promotion waited (approval, a retry) holds.
      const block = await this.#blockOf(newImage, promotion);
      if (block) return blockedOutcome(block);
      const applied = await this.#deps.deliveryFor(promotion).apply({
        promotion,
        from: previousImage,
        to: newImage,
        purpose: 'promote',
        why: `${promotion.reason ?? 'promote'} (${previousImage} -> ${newImage})`,
        ...(progress.gateEvidence ? { evidence: progress.gateEvidence } : {}),
      });
      if (applied.outcome === 'conflict') {
        return {
          transition: { to: 'failed', reason: `the ${applied.where} now holds ${applied.found ?? '(no such container)'}, not ${previousImage}; someone else is changing it, so nothing was changed` },
          nextRunInMs: 0,
        };
      }
      if (applied.outcome === 'proposed') {
        const pr = applied.record.pullRequest;
        return {
          events: [applied.event],
          record: { delivery: applied.record },
          progress: { proposedAt: this.#now().getTime(), rebases: 0, kubeFailures: 0 },
          transition: { to: 'awaiting_merge', reason: pr ? `waiting for ${proposalName(pr.forge, pr.number)} to be merged: ${pr.url}` : 'waiting for its pull request to be merged' },
          nextRunInMs: 0,
        };
      }
      return {
        events: [applied.event],
        ...(applied.record ? { record: { delivery: applied.record } } : {}),
        progress: { patchedAt: this.#now().toISOString(), kubeFailures: 0 },
        nextRunInMs: 0,
      };
    }

    const argo = await this.#argoCd(promotion, progress.argocd, promotion.delivery.via === 'git' ? promotion.delivery.commit : undefined);
    if (argo) {
      const outcome = { events: argo.events, progress: { argocd: argo.progress } };
      if (argo.judgement.kind === 'failed') return this.#startRollback(`rollout failed: ${argo.judgement.reason}`, 'rolled_back', outcome);
      if (argo.judgement.kind === 'wait' && this.#now().getTime() - new Date(progress.patchedAt).getTime() > policy.rolloutTimeoutMs) {
        return this.#startRollback(`rollout did not complete within ${policy.rolloutTimeoutMs / 1000}s (${argo.judgement.why})`, 'rolled_back', outcome);
      }
      return { ...outcome, nextRunInMs: argo.judgement.kind === 'done' ? 0 : this.#pollMs(policy) };
    }
    const deployment = await this.#readTarget(promotion);
    const running = containerImage(deployment, target.container);
    const synced = running === newImage;
    if (!synced && !(this.#deps.deliveryFor(promotion).convergesLater && running === previousImage)) return superseded(promotion, running);
    const rollout = synced ? assessRollout(deployment) : { state: 'progressing' as const, reason: `waiting for the cluster to run ${newImage}` };
    if (rollout.state === 'failed') {
      const why = await this.#whyNotReady(promotion, deployment.selector, newImage);
      return this.#startRollback(`rollout failed: ${rollout.reason}${why.suffix}`, 'rolled_back', { events: why.events });
    }
    const measured = await this.#measureEvery(promotion, policy, 'rollout', 'lastRolloutMeasureAt');
    if (measured.verdict && isStopping(measured.verdict)) {
      const reason = `rollout check failed: ${measured.verdict.reason}`;
      return this.#startRollback(reason, 'rolled_back', { ...measured.outcome, ...this.#blockOnRollback(promotion, policy, reason) });
    }
    const checks = synced ? { ...measured, outcome: withRolloutEvent(measured.outcome, progress, deployment, rollout.reason) } : measured;
    if (rollout.state === 'complete') {
      return {
        ...checks.outcome,
        progress: { ...checks.outcome.progress, bakeStartedAt: this.#now().getTime() },
        transition: { to: 'verifying', reason: `rollout complete (${rollout.reason}); verifying for ${policy.bakeMs / 1000}s` },
        nextRunInMs: 0,
      };
    }
    const patchedAt = new Date(progress.patchedAt).getTime();
    if (this.#now().getTime() - patchedAt > policy.rolloutTimeoutMs) {
      const why = synced ? await this.#whyNotReady(promotion, deployment.selector, newImage) : { suffix: '', events: [] };
      return this.#startRollback(`rollout did not complete within ${policy.rolloutTimeoutMs / 1000}s (${rollout.reason})${why.suffix}`, 'rolled_back', {
        ...checks.outcome,
        events: why.events,
      });
    }
    return { ...checks.outcome, nextRunInMs: this.#pollMs(policy) };
  }

  #pollMs(policy: Policy): number {
    return Math.min(this.#deps.rolloutPollMs ?? 1_000, policy.intervalMs);
  }

  /**
   * The Argo CD Application of a Git delivery, until it synced `commit` and is Healthy (argocd-sync.ts):
   * the first call asks Argo CD to refresh (and sync), later ones read it. Undefined when there is nothing
   * to follow: no Application named, no commit known, or already confirmed.
   */
  async #argoCd(
    promotion: Promotion,
    current: ArgoCdProgress | undefined,
    commit: string | undefined,
  ): Promise<{ judgement: ArgoCdJudgement; progress: ArgoCdProgress; events: readonly StepEvent[] } | undefined> {
    const follower = this.#deps.argocd;
    const delivery = promotion.delivery;
    if (!follower || delivery.via !== 'git' || !delivery.argocd || !commit || current?.confirmedAt !== undefined) return undefined;
    if (current?.askedAt === undefined || current.commit !== commit) {
      const asked = await follower.ask(delivery.argocd, commit, this.#now().getTime());
      return { ...asked, judgement: { kind: 'wait', why: 'asked Argo CD to look' } };
    }
    return follower.look(delivery.argocd, delivery.repository, { ...current, askedAt: current.askedAt, commit });
  }

  /** The promotion's pull request: merged leads back to `promoting` to follow the rollout; closed ends it. */
  async #awaitMerge(promotion: Promotion, policy: Policy): Promise<StepOutcome> {
    const { progress } = promotion;
    const followed = await this.#followProposal(promotion, policy, 'promote', progress.proposedAt, progress.rebases);
    const events = followed.event ? [followed.event] : [];
    const record = followed.record ? { record: { delivery: followed.record } } : {};
    switch (followed.kind) {
      case 'merged':
        return { events, ...record, progress: { patchedAt: this.#now().toISOString(), kubeFailures: 0 }, transition: { to: 'promoting', reason: `${followed.event.reason}; following the rollout` }, nextRunInMs: 0 };
      case 'closed':
        return { events, ...record, transition: { to: 'aborted', reason: `${followed.event.reason}; nothing was changed` }, nextRunInMs: 0 };
      case 'failed':
        return { events, ...record, transition: { to: 'failed', reason: `${followed.reason}; nothing was changed` }, nextRunInMs: 0 };
      case 'waiting':
        return { events, ...record, progress: { kubeFailures: 0, ...(followed.rebased ? { rebases: (progress.rebases ?? 0) + 1 } : {}) }, nextRunInMs: followed.rebased ? 0 : this.#pullRequestPollMs() };
    }
  }

  #followProposal(promotion: Promotion, policy: Policy, purpose: 'promote' | 'rollback', since: number | undefined, rebases: number | undefined): Promise<ProposalProgress> {
    const delivery = this.#deps.deliveryFor(promotion);
    if (!delivery.followProposal) throw new DeliveryError(`the ${delivery.mode} delivery makes no pull requests`, false);
    return delivery.followProposal({ promotion, purpose, since: since ?? this.#now().getTime(), rebases: rebases ?? 0, mergeTimeoutMs: policy.mergeTimeoutMs });
  }

  #pullRequestPollMs(): number {
    return this.#deps.pullRequestPollMs ?? 15_000;
  }

  async #verify(promotion: Promotion, policy: Policy): Promise<StepOutcome> {
    // Production must still run what this promotion set: never report success for an image it no longer runs.
    const running = containerImage(await this.#readTarget(promotion), promotion.target.container);
    if (running !== promotion.resolvedImage) return superseded(promotion, running);
    const started = promotion.progress.bakeStartedAt ?? this.#now().getTime();
    const bakeDone = this.#now().getTime() - started >= policy.bakeMs;
    const checks = await this.#measureEvery(promotion, policy, 'post', 'lastPostMeasureAt', bakeDone);
    if (checks.verdict && isStopping(checks.verdict)) {
      const reason = `post-rollout check failed: ${checks.verdict.reason}`;
      return this.#startRollback(reason, 'rolled_back', { ...checks.outcome, ...this.#blockOnRollback(promotion, policy, reason) });
    }
    if (bakeDone && (!checks.verdict || checks.verdict.outcome === 'pass')) {
      const events: StepEvent[] = [];
      if (policy.scaleCanaryTo !== undefined && promotion.source) {
        await this.#kube(promotion).scaleDeployment({ namespace: promotion.target.namespace, name: promotion.source.deployment }, policy.scaleCanaryTo);
        events.push({ type: 'scale', reason: `scaled the canary ${promotion.source.deployment} to ${policy.scaleCanaryTo}` });
      }
      return {
        ...checks.outcome,
        events,
        transition: { to: 'succeeded', reason: `verified for ${policy.bakeMs / 1000}s: ${checks.verdict?.reason ?? 'no post checks'}` },
        // The release is finalized by a step of its own, so its failure can never undo the success.
        ...(policy.release ? { record: { release: { state: 'pending' as const, repository: policy.release.repository } }, requestAction: 'finalize' as const } : {}),
        nextRunInMs: 0,
      };
    }
    const untilBake = Math.max(0, started + policy.bakeMs - this.#now().getTime());
    return { ...checks.outcome, nextRunInMs: Math.min(policy.intervalMs, untilBake) };
  }

  async #rollBack(promotion: Promotion, policy: Policy): Promise<StepOutcome> {
    const rollback = promotion.progress.rollback ?? { reason: 'rollback', finalState: 'rolled_back' as const, startedAt: this.#now().getTime() };
    const { resolvedImage, previousImage } = promotion;
    if (!previousImage || !resolvedImage) {
      return { transition: { to: rollback.finalState, reason: `${rollback.reason}; the Deployment was never patched` }, nextRunInMs: 0 };
    }
    if (!rollback.patched && rollback.proposedAt !== undefined) {
      // The revert pull request is open: the old image is back on the branch once it is merged.
      const followed = await this.#followProposal(promotion, policy, 'rollback', rollback.proposedAt, rollback.rebases);
      const events = followed.event ? [followed.event] : [];
      const record = followed.record ? { record: { delivery: followed.record } } : {};
      switch (followed.kind) {
        case 'merged':
          return { events, ...record, progress: { rollback: { ...rollback, patched: true }, kubeFailures: 0 }, nextRunInMs: 0 };
        case 'closed':
        case 'failed': {
          const why = followed.kind === 'closed' ? followed.event.reason : followed.reason;
          return { events, ...record, transition: { to: 'failed', reason: `${rollback.reason}; not rolled back: ${why}; production still runs ${resolvedImage}` }, nextRunInMs: 0 };
        }
        case 'waiting':
          return {
            events,
            ...record,
            progress: { rollback: { ...rollback, ...(followed.rebased ? { rebases: (rollback.rebases ?? 0) + 1 } : {}) }, kubeFailures: 0 },
            // A rollback waits on the forge more eagerly than a promotion, still within its rate limits.
            nextRunInMs: followed.rebased ? 0 : Math.min(this.#pullRequestPollMs(), 5_000),
          };
      }
    }
    if (!rollback.patched) {
      const reverted = await this.#deps.deliveryFor(promotion).apply({ promotion, from: resolvedImage, to: previousImage, purpose: 'rollback', why: `rollback (${rollback.reason})` });
      if (reverted.outcome === 'conflict') {
        return {
          transition: {
            to: 'failed',
            reason: `${rollback.reason}; not rolled back: the ${reverted.where} now holds ${reverted.found ?? '(no such container)'}, which this promotion did not set (someone else changed it)`,
          },
          nextRunInMs: 0,
        };
      }
      if (reverted.outcome === 'proposed') {
        return { events: [reverted.event], record: { delivery: reverted.record }, progress: { rollback: { ...rollback, proposedAt: this.#now().getTime(), rebases: 0 }, kubeFailures: 0 }, nextRunInMs: 0 };
      }
      return {
        events: [reverted.event],
        ...(reverted.record ? { record: { delivery: reverted.record } } : {}),
        progress: { rollback: { ...rollback, patched: true }, kubeFailures: 0 },
        nextRunInMs: 0,
      };
    }
    const argo = await this.#argoCd(promotion, rollback.argocd, promotion.delivery.via === 'git' ? promotion.delivery.revertCommit : undefined);
    if (argo) {
      if (argo.judgement.kind === 'failed') {
        return { events: argo.events, transition: { to: 'failed', reason: `${rollback.reason}; the rollback failed too: ${argo.judgement.reason}` }, nextRunInMs: 0 };
      }
      return { events: argo.events, progress: { rollback: { ...rollback, argocd: argo.progress } }, nextRunInMs: argo.judgement.kind === 'done' ? 0 : (this.#deps.rolloutPollMs ?? 1_000) };
    }
    const deployment = await this.#readTarget(promotion);
    const running = containerImage(deployment, promotion.target.container);
    const rollout = running === previousImage ? assessRollout(deployment) : { state: 'progressing' as const, reason: `waiting for the cluster to run ${previousImage}` };
    if (rollout.state === 'complete') {
      return { transition: { to: rollback.finalState, reason: `${rollback.reason}; rolled back to ${previousImage}` }, nextRunInMs: 0 };
    }
    if (rollout.state === 'failed') {
      return { transition: { to: 'failed', reason: `${rollback.reason}; the rollback's rollout failed too (${rollout.reason}): look at the Deployment` }, nextRunInMs: 0 };
    }
    return { nextRunInMs: this.#deps.rolloutPollMs ?? 1_000 };
  }

  /** The release after a success; a failure is recorded (and can be retried on request), the success stands. */
  async #finalize(promotion: Promotion, policy: Policy): Promise<StepOutcome> {
    const settings = policy.release;
    const at = this.#now().toISOString();
    if (!settings) return { handledAction: 'finalize', events: [{ type: 'note', reason: 'the policy asks for no release; nothing to finalize' }], nextRunInMs: IDLE_MS };
    const failed = (reason: string): StepOutcome => ({
      record: { release: { state: 'failed', repository: settings.repository, reason, at } },
      events: [{ type: 'release', reason: `release failed: ${reason}; the promotion stays succeeded (POST /v1/promotions/${promotion.id}/finalize retries)` }],
      handledAction: 'finalize',
      nextRunInMs: IDLE_MS,
    });
    try {
      const done = await (this.#deps.releases ?? UNCONFIGURED_RELEASES).finalize(promotion, settings, policy.mergeTimeoutMs);
      if (!done.done) {
        // The release's pull request is open: the action stays requested, so the step comes back to it.
        return {
          record: { release: { state: 'pending', repository: done.repository, pullRequest: done.pullRequest, proposedAt: done.proposedAt, rebases: done.rebases } },
          events: done.event ? [done.event] : [],
          nextRunInMs: this.#pullRequestPollMs(),
        };
      }
      return {
        record: { release: { state: 'done', repository: done.repository, version: done.version, commit: done.commit, tag: done.tag, at, ...(done.pullRequest ? { pullRequest: done.pullRequest } : {}) } },
        events: [
          {
            type: 'release',
            reason: `${done.created ? 'released' : 'found the release already made'}: ${done.tag} at ${done.commit.slice(0, 12)} in ${done.repository}`,
            data: { repository: done.repository, version: done.version, commit: done.commit, tag: done.tag, created: done.created },
          },
        ],
        handledAction: 'finalize',
        nextRunInMs: IDLE_MS,
      };
    } catch (error) {
      if (!(error instanceof DeliveryError)) throw error;
      return failed(error.message);
    }
  }

  #abort(promotion: Promotion): StepOutcome {
    // Once both images are recorded, the change may have been made (perhaps just before a crash): the
    // rollback step looks and reverts it if so.
    if (promotion.resolvedImage && promotion.progress.patchIntent) {
      return this.#startRollback('aborted on request', 'aborted', { handledAction: 'abort' });
    }
    return { transition: { to: 'aborted', reason: 'aborted on request; nothing was patched' }, handledAction: 'abort', nextRunInMs: 0 };
  }

  #startRollback(reason: string, finalState: RollbackEnd, extra: Partial<StepOutcome> = {}): StepOutcome {
    return {
      ...extra,
      progress: { ...extra.progress, rollback: { reason, finalState, startedAt: this.#now().getTime() } },
      transition: { to: 'rolling_back', reason },
      nextRunInMs: 0,
    };
  }

  /** Measures a phase's checks once every interval (always when `complete`); no verdict when not due. */
  async #measureEvery(promotion: Promotion, policy: Policy, phase: Phase, key: 'lastRolloutMeasureAt' | 'lastPostMeasureAt', complete = false): Promise<Measured> {
    const last = promotion.progress[key];
    const now = this.#now().getTime();
    if (checksFor(policy, phase).length === 0) return { outcome: {}, verdict: undefined };
    if (last !== undefined && now - last < policy.intervalMs && !complete) return { outcome: {}, verdict: undefined };
    const measured = await this.#measure(promotion, policy, phase, complete);
    return { outcome: { ...measured.outcome, progress: { ...measured.outcome.progress, [key]: now } }, verdict: measured.verdict };
  }

  /** One round of a phase's checks, judged together with the phase's earlier results (kept as tallies). */
  async #measure(promotion: Promotion, policy: Policy, phase: Phase, complete = false): Promise<Measured> {
    const checks = checksFor(policy, phase);
    const tallies = promotion.progress.tallies ?? {};
    const before = tallies[phase] ?? {};
    const round = await measureRound(this.#deps.runner, this.#deps.prometheus, policy, checks, {
      target: {
        namespace: promotion.target.namespace,
        deployment: promotion.target.deployment,
        container: promotion.target.container,
        canaryDeployment: promotion.source?.deployment,
        canaryContainer: promotion.source ? (promotion.source.container ?? promotion.target.container) : undefined,
        image: promotion.resolvedImage ?? promotion.image ?? undefined,
        previousImage: promotion.previousImage ?? undefined,
      },
      phase,
      at: this.#now(),
      promotionId: promotion.id,
      promotionStartedAt: promotion.createdAt,
    }, this.#deps.runner.labelLookup(promotion.target.cluster));
    const after = { ...before };
    for (const measurement of round) after[measurement.check] = addResult(after[measurement.check] ?? EMPTY_TALLY, measurement.result);
    const verdicts = checks.map((check) => checkVerdict(check, after[check.name] ?? EMPTY_TALLY, complete, round.find((m) => m.check === check.name)));
    return {
      outcome: {
        measurements: round.map((measurement) => ({ sample: (before[measurement.check]?.total ?? 0) + 1, measurement })),
        progress: { tallies: { ...tallies, [phase]: after } },
      },
      verdict: phaseVerdict(verdicts, round),
    };
  }

  /** The active block that refuses `image` in the promotion's namespace, if any. */
  async #blockOf(image: string, promotion: Promotion): Promise<BlockedImage | undefined> {
    return this.#deps.blocks ? blockOf(this.#deps.blocks, image, promotion.target.namespace) : undefined;
  }

  /**
   * A failed check rolls the promotion back: with `blockOnRollback` the image it set is blocked in its
   * namespace, written with the transition (promotion-store.ts), so a repeated step adds nothing.
   */
  #blockOnRollback(promotion: Promotion, policy: Policy, reason: string): { blockImage?: ImageBlock; events?: StepEvent[] } {
    const image = promotion.resolvedImage;
    const normalized = image ? normalizeImage(image) : undefined;
    if (!policy.blockOnRollback || !image || !normalized || 'error' in normalized) return {};
    const namespace = promotion.target.namespace;
    const blockReason = boundedReason(`rolled back by promotion ${promotion.id}: ${reason}`);
    return {
      blockImage: { image, normalized, namespace, reason: blockReason },
      events: [{ type: 'note', reason: `blocked ${image} in namespace ${namespace} (the policy's blockOnRollback): ${reason}`, data: { blockedImage: image, namespace } }],
    };
  }

  async #resolveImage(promotion: Promotion): Promise<string | { error: string }> {
    if (promotion.image) return promotion.image;
    const source = promotion.source;
    if (!source) return { error: 'the promotion names neither an image nor a canary; nothing was patched' };
    const canary = await this.#kube(promotion).getDeployment({ namespace: promotion.target.namespace, name: source.deployment });
    const container = source.container ?? promotion.target.container;
    const image = containerImage(canary, container);
    if (image === undefined) return { error: `the canary Deployment ${promotion.target.namespace}/${source.deployment} has no container '${container}'; nothing was patched` };
    return source.tagSuffixToStrip ? stripTagSuffix(image, source.tagSuffixToStrip) : image;
  }

  /** What the new pods say about a stalled rollout: a sentence for the reason, and an event with each pod. */
  async #whyNotReady(promotion: Promotion, selector: Readonly<Record<string, string>>, image: string): Promise<{ suffix: string; events: StepEvent[] }> {
    try {
      const report = describePodTrouble(await this.#kube(promotion).listPods(promotion.target.namespace, selector), promotion.target.container, image);
      if (!report) return { suffix: '', events: [] };
      return { suffix: `; ${report.sentence}`, events: [{ type: 'note', reason: `why the rollout stalled: ${report.sentence}`, data: { pods: report.pods } }] };
    } catch (error) {
      // The diagnosis is a courtesy: without it (e.g. no permission to list pods) the rollback goes on.
      const message = error instanceof Error ? error.message : String(error);
      return { suffix: '', events: [{ type: 'note', reason: `the new pods could not be read to say why the rollout stalled: ${message}` }] };
    }
  }

  /** The client of the promotion's cluster. */
  #kube(promotion: Promotion): KubernetesClient {
    return this.#clusters.client(promotion.target.cluster);
  }

  #readTarget(promotion: Promotion): Promise<DeploymentSnapshot> {
    return this.#kube(promotion).getDeployment({ namespace: promotion.target.namespace, name: promotion.target.deployment });
  }

  #transientFailure(promotion: Promotion, error: KubernetesError | DeliveryError): StepOutcome {
    const what = error instanceof KubernetesError ? 'Kubernetes' : 'Delivery';
    const failures = (promotion.progress.kubeFailures ?? 0) + 1;
    const limit = this.#deps.maxKubeFailures ?? 5;
    if (error.retryable && failures < limit) {
      return {
        progress: { kubeFailures: failures },
        events: [{ type: 'retry', reason: `${what}: ${error.message}; retrying (${failures} of ${limit})` }],
        nextRunInMs: Math.min(30_000, 500 * 2 ** failures),
      };
    }
    const rollingBack = promotion.state === 'rolling_back';
    if (promotion.progress.patchedAt !== undefined && !rollingBack) {
      return this.#startRollback(`${what} failed: ${error.message}`, 'rolled_back');
    }
    return {
      transition: {
        to: 'failed',
        reason: `${what}: ${error.message}${rollingBack ? '; the rollback could not finish: look at the Deployment' : '; the Deployment was left as it was found'}${openPullRequestNote(promotion)}`,
      },
      nextRunInMs: 0,
    };
  }
}

/** A failure that ends the promotion leaves its open pull request to a person: say which, so it is not merged by mistake. */
function openPullRequestNote(promotion: Promotion): string {
  const delivery = promotion.delivery;
  if (delivery.via !== 'git') return '';
  const open = [delivery.pullRequest, delivery.revertPullRequest].filter((pr): pr is PullRequestRecord => pr?.state === 'open');
  return open.map((pr) => `; ${proposalName(pr.forge, pr.number)} (${pr.url}) is left open: close it, or merge it knowing promoter no longer follows it`).join('');
}

/** Someone else changed the image this promotion set: stop, say what runs now, and leave it alone. */
function superseded(promotion: Promotion, running: string | undefined): StepOutcome {
  const { namespace, deployment, container } = promotion.target;
  return {
    transition: {
      to: 'failed',
      reason: `superseded: Deployment ${namespace}/${deployment} now runs ${running ?? `no container '${container}'`} in ${container}, not ${promotion.resolvedImage ?? '(unresolved)'} which this promotion set; someone else changed it, so it was left alone and not verified`,
      data: { superseded: true, found: running ?? null, expected: promotion.resolvedImage },
    },
    nextRunInMs: 0,
  };
}

/** A promotion about to set a blocked image: rejected, nothing changed, the reason naming the block. */
function blockedOutcome(block: BlockedImage): StepOutcome {
  return { transition: { to: 'rejected', reason: `${describeBlock(block)}; nothing was patched`, data: { blockId: block.id } }, nextRunInMs: 0 };
}

/** A block's reason stays readable in lists: a check's sentence can be long (many series). */
function boundedReason(reason: string): string {
  return reason.length > 1000 ? `${reason.slice(0, 997)}...` : reason;
}

function unreachable(state: never): never {
  throw new Error(`no step for state ${String(state)}`);
}


/**
 * Adds a `rollout` event with the replica counts whenever they changed since the last one, so the timeline
 * (and the console's progress bar) shows the rollout advancing without an event per poll.
 */
function withRolloutEvent<T extends Pick<StepOutcome, 'events' | 'progress'>>(outcome: T, progress: PromotionProgress, deployment: DeploymentSnapshot, reason: string): T {
  const { updatedReplicas, availableReplicas } = deployment.status;
  const counts = `${updatedReplicas}/${availableReplicas}/${deployment.replicas}`;
  if (counts === progress.lastRolloutCounts) return outcome;
  return {
    ...outcome,
    events: [...(outcome.events ?? []), { type: 'rollout', reason, data: { replicas: deployment.replicas, updatedReplicas, availableReplicas } }],
    progress: { ...outcome.progress, lastRolloutCounts: counts },
  };
}
