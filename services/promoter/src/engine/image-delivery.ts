/**
 * How a new image reaches the cluster: a port with one adapter per delivery mode. `kubernetes` patches
 * the Deployment (kubernetes-delivery.ts); `git` commits the image to the configured repository for a
 * GitOps controller to sync (git-delivery.ts). Whatever the mode, the engine follows the rollout on the cluster
 * itself; a delivery only writes. Every `apply` is idempotent: it recognises a change this promotion
 * already made (after a crash) and never makes it twice, and it never overwrites a change someone else
 * made.
 */
import type { GateEvidence, Promotion } from '../domain/promotion.js';
import type { StepEvent } from '../domain/step-outcome.js';
import type { GitDeliveryRecord } from '../domain/delivery.js';

export type DeliveryMode = 'kubernetes' | 'git';

/** A delivery could not be made; `retryable` when trying again later can help (network, a lost push race). */
export class DeliveryError extends Error {
  readonly retryable: boolean;

  constructor(message: string, retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeliveryError';
    this.retryable = retryable;
  }
}

export interface ImageChangeRequest {
  readonly promotion: Promotion;
  /** The image the target must run now for the change to be made. */
  readonly from: string;
  readonly to: string;
  /** `promote` sets the new image; `rollback` reverts this promotion's own change. */
  readonly purpose: 'promote' | 'rollback';
  /** Why (for the record the change carries, e.g. a change-cause annotation or a commit message). */
  readonly why: string;
  /** The gate's latest measurement of each check, for a pull request's description. */
  readonly evidence?: readonly GateEvidence[];
}


/** Which of a promotion's pull requests: its own (`promote`) or its rollback's. */
export type ProposalPurpose = ImageChangeRequest['purpose'];

export interface FollowProposalRequest {
  readonly promotion: Promotion;
  readonly purpose: ProposalPurpose;
  /** When the pull request was opened (ms since the epoch): the merge timeout counts from here. */
  readonly since: number;
  /** Rebases made so far after conflicts. */
  readonly rebases: number;
  /** The policy's `mergeTimeout`, which overrides the repository's; undefined: the repository's applies. */
  readonly mergeTimeoutMs?: number | undefined;
}

/** Where a proposed change stands; every variant may carry what to record and an event for the timeline. */
export type ProposalProgress =
  /** Merged: the change is on the branch (`record` holds the merge commit). */
  | { readonly kind: 'merged'; readonly record: GitDeliveryRecord; readonly event: StepEvent }
  /** Closed without merging, by a person (or the forge): nothing reached the branch. */
  | { readonly kind: 'closed'; readonly record: GitDeliveryRecord; readonly event: StepEvent; readonly closedBy: string | undefined }
  /** It cannot be merged (a conflict that rebasing did not solve, the timeout); it was closed, saying why. */
  | { readonly kind: 'failed'; readonly reason: string; readonly record?: GitDeliveryRecord; readonly event?: StepEvent }
  /** Still open; `rebased` when the branch was made again on the target's new tip. */
  | { readonly kind: 'waiting'; readonly record?: GitDeliveryRecord; readonly event?: StepEvent; readonly rebased?: boolean };

export type DeliveryResult =
  /** The change was made now, or found already made by this promotion; `event` says which and where. */
  | { readonly outcome: 'applied'; readonly event: StepEvent; readonly record?: GitDeliveryRecord }
  /** The target holds neither image: someone else changed it, and it was left alone. */
  | { readonly outcome: 'conflict'; readonly found: string | undefined; readonly where: string }
  /** The change was proposed as a pull request: it reaches the branch when the forge merges it (followProposal). */
  | { readonly outcome: 'proposed'; readonly event: StepEvent; readonly record: GitDeliveryRecord };

export interface ImageDelivery {
  readonly mode: DeliveryMode;
  /**
   * True when the cluster picks the change up later (a GitOps controller syncs it): while following the
   * rollout, the old image is then "not yet", not "changed by someone else".
   */
  readonly convergesLater: boolean;
  apply(request: ImageChangeRequest): Promise<DeliveryResult>;
  /** For a change `apply` proposed: where its pull request stands, merging it when the repository says so. */
  followProposal?(request: FollowProposalRequest): Promise<ProposalProgress>;
}
