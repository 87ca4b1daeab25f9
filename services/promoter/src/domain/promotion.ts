/**
 * A promotion as the engine and the domain see it: typed state, verdict and requested action, parsed
 * progress, camelCase. Rows become promotions in adapters/db (promotion-rows.ts) and nowhere else.
 */
import type { PipelineLink } from './pipeline/model.js';
import type { ResultTally, Verdict } from './judge/index.js';
import type { Delivery, ReleaseRecord } from './delivery.js';
import type { Phase, PolicyDocument } from './policy/model.js';
import type { PromotionAction, PromotionState } from './promotion-state-machine.js';
import type { Hold } from './freeze/freeze.js';
import type { ActorIdentity } from './actor.js';

/** An admin let the promotion proceed through deployment freezes: who, why and when (RFC 3339). */
export interface FreezeOverride {
  readonly by: string;
  /** Who overrode, as an identity; null (or absent, in overrides stored before it was recorded) when unknown. */
  readonly byIdentity?: ActorIdentity | null;
  readonly reason: string;
  readonly at: string;
}

export interface DeploymentTarget {
  /** The configured cluster the Deployment is in (`default` for promotions stored before clusters existed). */
  readonly cluster: string;
  readonly namespace: string;
  readonly deployment: string;
  readonly container: string;
}

export interface CanarySource {
  readonly deployment: string;
  readonly container?: string;
  readonly tagSuffixToStrip?: string;
}

/** Where a rollback leads: `rolled_back` after a failed check or on request, `aborted` after an abort. */
export type RollbackEnd = 'rolled_back' | 'aborted';

export interface RollbackProgress {
  readonly reason: string;
  readonly finalState: RollbackEnd;
  /** The revert was applied (or found already in place). */
  readonly patched?: boolean;
  readonly startedAt: number;
  /** When the revert pull request was opened (repositories that take changes through pull requests). */
  readonly proposedAt?: number;
  /** Rebases of the revert pull request after conflicts. */
  readonly rebases?: number;
  /** Following the Argo CD Application for the revert commit. */
  readonly argocd?: ArgoCdProgress;
}

/** One `pre` check's latest measurement when the gate passed: the evidence a pull request carries. */
export interface GateEvidence {
  readonly check: string;
  readonly result: string;
  readonly message: string;
}

/** What the engine keeps while it follows an Argo CD Application for one commit (argocd-sync.ts). */
export interface ArgoCdProgress {
  /** When Argo CD was asked to refresh (and sync), in ms: done once per commit, so a restart does not repeat it. */
  readonly askedAt?: number;
  /** The commit Argo CD must reach (the promotion's, or the revert's). */
  readonly commit?: string;
  /** The sync of `commit` was asked for (it is not when not allowed, or deferred while another operation ran). */
  readonly synced?: boolean;
  /** Argo CD synced it and reported Healthy: from then on only the cluster is followed. */
  readonly confirmedAt?: number;
  /** What Argo CD last reported (sync/revision/operation/health), so an event is written only on a change. */
  readonly lastSeen?: string;
}

/** What the engine keeps between steps, beside the promotion's columns. */
export interface PromotionProgress {
  /** Both images are recorded: from now on a crash may have left the patch applied. */
  readonly patchIntent?: boolean;
  readonly patchedAt?: string;
  /** When the promotion's pull request was opened; the merge timeout counts from here. */
  readonly proposedAt?: number;
  /** Rebases of the promotion's pull request after conflicts. */
  readonly rebases?: number;
  /** The gate's evidence, kept for the pull request's description. */
  readonly gateEvidence?: readonly GateEvidence[];
  readonly lastRolloutMeasureAt?: number;
  /** `updated/available/desired` replicas when last recorded as a rollout event (one event per change). */
  readonly lastRolloutCounts?: string;
  readonly bakeStartedAt?: number;
  readonly lastPostMeasureAt?: number;
  readonly rollback?: RollbackProgress;
  /** Following the Argo CD Application after the promotion's commit. */
  readonly argocd?: ArgoCdProgress;
  /** Transient Kubernetes (or Git) failures in a row. */
  readonly kubeFailures?: number;
  /**
   * Each phase's results so far, per check, written in the same statement as the results themselves, so
   * a step reads no results.
   */
  readonly tallies?: Partial<Record<Phase, Record<string, ResultTally>>>;
}

export interface Promotion {
  readonly id: string;
  readonly target: DeploymentTarget;
  readonly source: CanarySource | null;
  /** The image asked for (absent when it comes from the canary). */
  readonly image: string | null;
  /** The image this promotion sets, once resolved. */
  readonly resolvedImage: string | null;
  /** The image it replaces, recorded before the patch. */
  readonly previousImage: string | null;
  readonly policy: { readonly name: string; readonly version: number; readonly snapshot: PolicyDocument };
  readonly dryRun: boolean;
  readonly reason: string | null;
  readonly state: PromotionState;
  readonly stateReason: string | null;
  /** The gate's outcome, once known. */
  readonly verdict: Verdict | null;
  readonly actor: string;
  readonly requestedAction: PromotionAction | null;
  /** How the image reaches the cluster, and what that did so far. */
  readonly delivery: Delivery;
  /** The release finalization, when the policy asks for one. */
  readonly release: ReleaseRecord | null;
  readonly progress: PromotionProgress;
  /** The deployment freeze it waits for, while `frozen`. */
  readonly hold: Hold | null;
  /** Set when an admin overrode freezes for it: none holds it from then on. */
  readonly freezeOverride: FreezeOverride | null;
  /** The pipeline run and stage that started it, when one did. */
  readonly pipeline: PipelineLink | null;
  readonly createdAt: Date;
}
