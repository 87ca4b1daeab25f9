/**
 * One step of a promotion, by state. A step reads the world (the Deployment, Prometheus), may make one
 * change to it, and returns what to record; the engine persists that under the promotion's lease.
 * Steps are idempotent: the images are recorded before the patch, and the Deployment is annotated with
 * the promotion id, so a step resumed after a crash recognises its own patch instead of patching twice,
 * and a rollback only ever reverts the image this promotion set.
 */
import type { DeploymentRef, DeploymentSnapshot, KubernetesClient } from '../adapters/kubernetes/types.js';
import { KubernetesError } from '../adapters/kubernetes/kubernetes-error.js';
import { assessRollout } from '../adapters/kubernetes/assess-rollout.js';
import type { PromotionRow } from '../adapters/db/views.js';
import type { PrometheusQueries } from '../adapters/prometheus/query-result.js';
import { stripTagSuffix } from '../domain/image-reference.js';
import { normalizePolicy, type Phase, type Policy } from '../domain/policy/model.js';
import { addResult, checkVerdict, EMPTY_TALLY, policyVerdict, type CheckVerdict, type ResultTally } from '../domain/policy/verdict.js';
import type { PromotionState } from '../domain/promotion-state.js';
import type { CheckRunner } from '../evaluation/check-runner.js';
import { checksFor, measureRound } from '../evaluation/evaluate-phase.js';
import type { PromotionStore, StepOutcome } from './promotion-store.js';

export const PROMOTION_ANNOTATION = 'promoter.dev/promotion-id';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';

interface Progress {
  patchIntent?: boolean;
  patchedAt?: string;
  lastRolloutMeasureAt?: number;
  /** `updated/available/desired` when last recorded as a rollout event (one event per change). */
  lastRolloutCounts?: string;
  bakeStartedAt?: number;
  lastPostMeasureAt?: number;
  rollback?: { reason: string; finalState: 'rolled_back' | 'aborted'; patched?: boolean; startedAt: number; checkPhase?: string };
  kubeFailures?: number;
  /**
   * Each phase's results so far, per check, kept beside the results themselves (written in the same
   * statement), so a step reads no results. Absent altogether on a promotion measured only before this
   * field existed: its current phase is then tallied from check_results once. Phases run in order, so
   * once the field exists, a phase without an entry has no results yet.
   */
  tallies?: Partial<Record<Phase, Record<string, ResultTally>>>;
}

export interface StepDeps {
  readonly kube: KubernetesClient;
  readonly runner: CheckRunner;
  readonly prometheus: PrometheusQueries | undefined;
  readonly store: PromotionStore;
  readonly clock?: () => Date;
  /** How often a rollout's status is polled. */
  readonly rolloutPollMs?: number;
  /** Transient Kubernetes failures tolerated in a row before the promotion fails. */
  readonly maxKubeFailures?: number;
}

const APPROVAL_POLL_MS = 2_000;

export class PromotionSteps {
  readonly #deps: StepDeps;
  readonly #now: () => Date;

  constructor(deps: StepDeps) {
    this.#deps = deps;
    this.#now = deps.clock ?? (() => new Date());
  }

  async step(row: PromotionRow): Promise<StepOutcome> {
    const progress = row.progress as Progress;
    try {
      return await this.#dispatch(row, progress);
    } catch (error) {
      if (!(error instanceof KubernetesError)) throw error;
      return this.#kubernetesFailure(row, progress, error);
    }
  }

  async #dispatch(row: PromotionRow, progress: Progress): Promise<StepOutcome> {
    const state = row.state as PromotionState;
    const policy = normalizePolicy(row.policy_snapshot);
    const action = row.requested_action;
    if (action === 'abort' && state !== 'rolling_back') return this.#abort(row, progress);
    switch (state) {
      case 'pending':
        return { transition: { to: 'analyzing', reason: `running the ${checksFor(policy, 'pre').length} pre-promotion checks` }, nextRunInMs: 0 };
      case 'analyzing':
        return this.#analyze(row, policy);
      case 'awaiting_approval':
        if (action === 'approve') return { transition: { to: 'promoting', reason: 'approved' }, handledAction: 'approve', nextRunInMs: 0 };
        return { nextRunInMs: APPROVAL_POLL_MS };
      case 'promoting':
        return this.#promote(row, policy, progress);
      case 'verifying':
        return this.#verify(row, policy, progress);
      case 'succeeded':
        if (action === 'rollback') {
          return this.#startRollback(progress, 'rollback requested', 'rolled_back', { handledAction: 'rollback' });
        }
        return { nextRunInMs: 60_000 };
      case 'rolling_back':
        return this.#rollBack(row, progress);
      default:
        return { nextRunInMs: 60_000 };
    }
  }

  async #analyze(row: PromotionRow, policy: Policy): Promise<StepOutcome> {
    const judged = await this.#measure(row, policy, 'pre');
    const verdict = judged.verdict;
    if (verdict.verdict === 'pending') return { ...judged.outcome, nextRunInMs: policy.intervalMs };
    if (verdict.verdict !== 'pass') {
      return {
        ...judged.outcome,
        set: { verdict: verdict.verdict },
        transition: { to: 'rejected', reason: `pre-promotion gate: ${verdict.reason}; nothing was patched` },
        nextRunInMs: 0,
      };
    }
    if (row.dry_run) {
      return { ...judged.outcome, set: { verdict: 'pass' }, transition: { to: 'succeeded', reason: `dry run: the gate passed (${verdict.reason}); nothing was patched` }, nextRunInMs: 0 };
    }
    if (policy.approvalRequired) {
      return { ...judged.outcome, set: { verdict: 'pass' }, transition: { to: 'awaiting_approval', reason: `gate passed (${verdict.reason}); waiting for approval` }, nextRunInMs: APPROVAL_POLL_MS };
    }
    return { ...judged.outcome, set: { verdict: 'pass' }, transition: { to: 'promoting', reason: `gate passed: ${verdict.reason}` }, nextRunInMs: 0 };
  }

  async #promote(row: PromotionRow, policy: Policy, progress: Progress): Promise<StepOutcome> {
    const target = targetRef(row);
    if (!progress.patchIntent) {
      // Record both images before touching the Deployment: a crash after the patch must know what to undo.
      const newImage = await this.#resolveImage(row);
      if (typeof newImage !== 'string') return { transition: { to: 'failed', reason: newImage.error }, nextRunInMs: 0 };
      const deployment = await this.#deps.kube.getDeployment(target);
      const current = containerImage(deployment, row.container);
      if (current === undefined) {
        return { transition: { to: 'failed', reason: `Deployment ${target.namespace}/${target.name} has no container '${row.container}'; nothing was patched` }, nextRunInMs: 0 };
      }
      return {
        set: { resolved_image: newImage, previous_image: current },
        progress: { patchIntent: true, kubeFailures: 0 },
        events: [{ type: 'note', reason: `will set ${row.container} from ${current} to ${newImage}`, data: { previousImage: current, image: newImage } }],
        nextRunInMs: 0,
      };
    }
    const newImage = row.resolved_image as string;
    const previousImage = row.previous_image as string;
    if (!progress.patchedAt) {
      const deployment = await this.#deps.kube.getDeployment(target);
      const current = containerImage(deployment, row.container);
      const ours = deployment.annotations[PROMOTION_ANNOTATION] === row.id;
      let events: StepOutcome['events'] = [];
      if (current === newImage && ours) {
        events = [{ type: 'patch', reason: `found the Deployment already patched by this promotion (resumed after a restart)` }];
      } else if (current === previousImage) {
        await this.#deps.kube.setContainerImage(target, {
          container: row.container,
          expectedImage: previousImage,
          newImage,
          annotations: { [PROMOTION_ANNOTATION]: row.id, [CHANGE_CAUSE_ANNOTATION]: `promoter ${row.id}: ${row.reason ?? 'promote'} (${previousImage} -> ${newImage})` },
        });
        events = [{ type: 'patch', reason: `set ${row.container} to ${newImage}`, data: { from: previousImage, to: newImage } }];
      } else {
        return {
          transition: { to: 'failed', reason: `the Deployment's image changed to ${current ?? '(no container)'} before the patch; someone else is changing it, so nothing was patched` },
          nextRunInMs: 0,
        };
      }
      return { events, progress: { patchedAt: this.#now().toISOString(), kubeFailures: 0 }, nextRunInMs: 0 };
    }

    const deployment = await this.#deps.kube.getDeployment(target);
    const rollout = assessRollout(deployment);
    if (rollout.state === 'failed') return this.#startRollback(progress, `rollout failed: ${rollout.reason}`, 'rolled_back');
    const measured = await this.#measureEvery(row, policy, progress, 'rollout', 'lastRolloutMeasureAt');
    if (measured.verdict && isBad(measured.verdict)) {
      return this.#startRollback(progress, `rollout check failed: ${measured.verdict.reason}`, 'rolled_back', measured.outcome);
    }
    const checks = { ...measured, outcome: withRolloutEvent(measured.outcome, progress, deployment, rollout.reason) };
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
      return this.#startRollback(progress, `rollout did not complete within ${policy.rolloutTimeoutMs / 1000}s (${rollout.reason})`, 'rolled_back', checks.outcome);
    }
    return { ...checks.outcome, nextRunInMs: Math.min(this.#deps.rolloutPollMs ?? 1_000, policy.intervalMs) };
  }

  async #verify(row: PromotionRow, policy: Policy, progress: Progress): Promise<StepOutcome> {
    const started = progress.bakeStartedAt ?? this.#now().getTime();
    const bakeDone = this.#now().getTime() - started >= policy.bakeMs;
    const checks = await this.#measureEvery(row, policy, progress, 'post', 'lastPostMeasureAt', bakeDone);
    if (checks.verdict && isBad(checks.verdict)) {
      return this.#startRollback(progress, `post-rollout check failed: ${checks.verdict.reason}`, 'rolled_back', checks.outcome);
    }
    if (bakeDone && (!checks.verdict || checks.verdict.verdict === 'pass')) {
      const events = [...(checks.outcome.events ?? [])];
      if (policy.scaleCanaryTo !== undefined && row.source_deployment) {
        await this.#deps.kube.scaleDeployment({ namespace: row.namespace, name: row.source_deployment }, policy.scaleCanaryTo);
        events.push({ type: 'scale', reason: `scaled the canary ${row.source_deployment} to ${policy.scaleCanaryTo}` });
      }
      return {
        ...checks.outcome,
        events,
        transition: { to: 'succeeded', reason: `verified for ${policy.bakeMs / 1000}s: ${checks.verdict?.reason ?? 'no post checks'}` },
        nextRunInMs: 0,
      };
    }
    const untilBake = Math.max(0, started + policy.bakeMs - this.#now().getTime());
    return { ...checks.outcome, nextRunInMs: Math.min(policy.intervalMs, untilBake) };
  }

  async #rollBack(row: PromotionRow, progress: Progress): Promise<StepOutcome> {
    const rollback = progress.rollback ?? { reason: 'rollback', finalState: 'rolled_back' as const, startedAt: this.#now().getTime() };
    const target = targetRef(row);
    if (!row.previous_image || !row.resolved_image) {
      return { transition: { to: rollback.finalState, reason: `${rollback.reason}; the Deployment was never patched` }, nextRunInMs: 0 };
    }
    if (!rollback.patched) {
      const deployment = await this.#deps.kube.getDeployment(target);
      const current = containerImage(deployment, row.container);
      let event;
      if (current === row.resolved_image) {
        await this.#deps.kube.setContainerImage(target, {
          container: row.container,
          expectedImage: row.resolved_image,
          newImage: row.previous_image,
          annotations: { [PROMOTION_ANNOTATION]: row.id, [CHANGE_CAUSE_ANNOTATION]: `promoter ${row.id}: rollback (${rollback.reason})` },
        });
        event = { type: 'patch', reason: `set ${row.container} back to ${row.previous_image}`, data: { from: row.resolved_image, to: row.previous_image } };
      } else if (current === row.previous_image) {
        event = { type: 'patch', reason: `the Deployment already runs ${row.previous_image}; nothing to revert` };
      } else {
        return {
          transition: {
            to: 'failed',
            reason: `${rollback.reason}; not rolled back: the Deployment now runs ${current ?? '(no container)'}, which this promotion did not set (someone else changed it)`,
          },
          nextRunInMs: 0,
        };
      }
      return { events: [event], progress: { rollback: { ...rollback, patched: true }, kubeFailures: 0 }, nextRunInMs: 0 };
    }
    const rollout = assessRollout(await this.#deps.kube.getDeployment(target));
    if (rollout.state === 'complete') {
      return { transition: { to: rollback.finalState, reason: `${rollback.reason}; rolled back to ${row.previous_image}` }, nextRunInMs: 0 };
    }
    if (rollout.state === 'failed') {
      return { transition: { to: 'failed', reason: `${rollback.reason}; the rollback's rollout failed too (${rollout.reason}): look at the Deployment` }, nextRunInMs: 0 };
    }
    return { nextRunInMs: this.#deps.rolloutPollMs ?? 1_000 };
  }

  #abort(row: PromotionRow, progress: Progress): StepOutcome {
    if (row.resolved_image && progress.patchedAt !== undefined) {
      return this.#startRollback(progress, 'aborted on request', 'aborted', { handledAction: 'abort' });
    }
    if (row.resolved_image && progress.patchIntent) {
      // The patch may have been sent just before a crash: let the rollback step look and revert it if so.
      return this.#startRollback(progress, 'aborted on request', 'aborted', { handledAction: 'abort' });
    }
    return { transition: { to: 'aborted', reason: 'aborted on request; nothing was patched' }, handledAction: 'abort', nextRunInMs: 0 };
  }

  #startRollback(progress: Progress, reason: string, finalState: 'rolled_back' | 'aborted', extra: Partial<StepOutcome> = {}): StepOutcome {
    return {
      ...extra,
      progress: { ...(extra.progress ?? {}), rollback: { reason, finalState, startedAt: this.#now().getTime() } satisfies Progress['rollback'] },
      transition: { to: 'rolling_back', reason },
      nextRunInMs: 0,
    };
  }

  /** Measures a phase's checks once every interval; `due` false means it is not time yet. */
  async #measureEvery(row: PromotionRow, policy: Policy, progress: Progress, phase: Phase, key: 'lastRolloutMeasureAt' | 'lastPostMeasureAt', complete = false) {
    const last = progress[key];
    const now = this.#now().getTime();
    if (checksFor(policy, phase).length === 0) return { outcome: {} as Partial<StepOutcome>, verdict: undefined };
    if (last !== undefined && now - last < policy.intervalMs && !complete) {
      return { outcome: {} as Partial<StepOutcome>, verdict: undefined };
    }
    const judged = await this.#measure(row, policy, phase, complete);
    return { outcome: { ...judged.outcome, progress: { ...judged.outcome.progress, [key]: now } } as Partial<StepOutcome>, verdict: judged.verdict };
  }

  async #measure(row: PromotionRow, policy: Policy, phase: Phase, complete = false): Promise<{ outcome: Pick<StepOutcome, 'measurements' | 'progress'>; verdict: CheckVerdict }> {
    const checks = checksFor(policy, phase);
    const kept = (row.progress as Progress).tallies;
    const tallies = kept ?? {};
    const previous = kept ? new Map(Object.entries(kept[phase] ?? {})) : await this.#deps.store.tallies(row.id, phase);
    const target = {
      namespace: row.namespace,
      deployment: row.deployment,
      container: row.container,
      canaryDeployment: row.source_deployment ?? undefined,
      canaryContainer: row.source_container ?? (row.source_deployment ? row.container : undefined),
      image: row.resolved_image ?? row.image ?? undefined,
      previousImage: row.previous_image ?? undefined,
    };
    const round = await measureRound(this.#deps.runner, this.#deps.prometheus, policy, checks, {
      target,
      phase,
      at: this.#now(),
      promotionId: row.id,
      promotionStartedAt: new Date(row.created_at),
    });
    const after = new Map(previous);
    for (const measurement of round) after.set(measurement.check, addResult(after.get(measurement.check) ?? EMPTY_TALLY, measurement.result));
    const verdicts = checks.map((check) => checkVerdict(check, after.get(check.name) ?? EMPTY_TALLY, complete));
    const verdict = policyVerdict(verdicts);
    // Say what was measured, not only that it failed: "... (canary-error-rate = 0.071 > max 0.05)".
    const evidence = round.find((m) => m.result !== 'pass' && verdict.reason.startsWith(m.check));
    return {
      outcome: {
        measurements: round.map((measurement) => ({ sample: (previous.get(measurement.check)?.total ?? 0) + 1, measurement })),
        progress: { tallies: { ...tallies, [phase]: Object.fromEntries(after) } },
      },
      verdict: evidence && verdict.verdict !== 'pass' && verdict.verdict !== 'pending' ? { ...verdict, reason: `${verdict.reason} (${evidence.message})` } : verdict,
    };
  }

  async #resolveImage(row: PromotionRow): Promise<string | { error: string }> {
    if (row.image) return row.image;
    const source = row.source_deployment as string;
    const canary = await this.#deps.kube.getDeployment({ namespace: row.namespace, name: source });
    const container = row.source_container ?? row.container;
    const image = containerImage(canary, container);
    if (image === undefined) return { error: `the canary Deployment ${row.namespace}/${source} has no container '${container}'; nothing was patched` };
    if (!row.tag_suffix_to_strip) return image;
    return stripTagSuffix(image, row.tag_suffix_to_strip);
  }

  #kubernetesFailure(row: PromotionRow, progress: Progress, error: KubernetesError): StepOutcome {
    const failures = (progress.kubeFailures ?? 0) + 1;
    const limit = this.#deps.maxKubeFailures ?? 5;
    if (error.retryable && failures < limit) {
      return {
        progress: { kubeFailures: failures },
        events: [{ type: 'retry', reason: `Kubernetes: ${error.message}; retrying (${failures} of ${limit})` }],
        nextRunInMs: Math.min(30_000, 500 * 2 ** failures),
      };
    }
    const patched = progress.patchedAt !== undefined && row.state !== 'rolling_back';
    if (patched) return this.#startRollback(progress, `Kubernetes failed: ${error.message}`, 'rolled_back');
    return {
      transition: {
        to: 'failed',
        reason: `Kubernetes: ${error.message}${row.state === 'rolling_back' ? '; the rollback could not finish: look at the Deployment' : '; the Deployment was left as it was found'}`,
      },
      nextRunInMs: 0,
    };
  }
}

function isBad(verdict: CheckVerdict): boolean {
  return verdict.verdict === 'fail' || verdict.verdict === 'error' || verdict.verdict === 'inconclusive';
}

function targetRef(row: PromotionRow): DeploymentRef {
  return { namespace: row.namespace, name: row.deployment };
}

function containerImage(deployment: DeploymentSnapshot, container: string): string | undefined {
  return deployment.containers.find((c) => c.name === container)?.image;
}

/**
 * Adds a `rollout` event with the replica counts whenever they changed since the last one, so the timeline
 * (and the console's progress bar) shows the rollout advancing without an event per poll.
 */
function withRolloutEvent<T extends Pick<StepOutcome, 'events' | 'progress'>>(outcome: T, progress: Progress, deployment: DeploymentSnapshot, reason: string): T {
  const { updatedReplicas, availableReplicas } = deployment.status;
  const counts = `${updatedReplicas}/${availableReplicas}/${deployment.replicas}`;
  if (counts === progress.lastRolloutCounts) return outcome;
  return {
    ...outcome,
    events: [...(outcome.events ?? []), { type: 'rollout', reason, data: { replicas: deployment.replicas, updatedReplicas, availableReplicas } }],
    progress: { ...outcome.progress, lastRolloutCounts: counts },
  };
}
