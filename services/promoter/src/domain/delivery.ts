/**
 * How a promotion's image reaches the cluster (its delivery) and the release it finalizes afterwards.
 * `kubernetes`: the service patches the Deployment. `git`: it commits the image to a configured
 * repository and a GitOps controller (Argo CD, Flux) syncs it; the cluster is still read to follow the
 * rollout.
 */
import type { ImageLocator } from './gitops/image-edit.js';
import type { ForgeKind } from './gitops/proposal-name.js';

export interface GitDeliverySettings {
  readonly via: 'git';
  /** A repository named in the operator's configuration (never a URL from a request). */
  readonly repository: string;
  readonly file: string;
  readonly locator: ImageLocator;
  /** The Argo CD Application that deploys the file: followed (and asked to refresh, or sync) after each commit. */
  readonly argocd?: ArgoCdApplicationRef;
}

/** A pull (merge) request of a repository that takes changes through them, as the engine last saw it. */
export interface PullRequestRecord {
  /** GitHub's number, GitLab's iid. */
  readonly number: number;
  /** Which forge it is on, for its name in sentences (`merge request !12` on GitLab); absent in records written before it was kept. */
  readonly forge?: ForgeKind;
  readonly url: string;
  /** Its source branch, `promoter/<promotion id>` (`…-rollback` for the revert). */
  readonly branch: string;
  readonly state: 'open' | 'merged' | 'closed';
  /** The commit proposed: the branch tip the engine pushed. */
  readonly head?: string;
  readonly mergeCommit?: string;
  readonly mergedBy?: string;
  readonly closedBy?: string;
  /** While open: what the forge still waits for (a required check, a review), in its words. */
  readonly blockedBy?: string;
}

/** An Argo CD Application, by name and namespace (Argo CD's own namespace by default: `argocd`). */
export interface ArgoCdApplicationRef {
  readonly application: string;
  readonly namespace: string;
}

export const DEFAULT_ARGOCD_NAMESPACE = 'argocd';

/**
 * How long a pull request may wait for its merge (the repositories file's `mergeTimeout`, or a policy's,
 * which overrides it): from 1s, so a test can run out of it, to 30 days, past which nobody is waiting.
 */
export const MERGE_TIMEOUT_LIMITS = { minMs: 1_000, maxMs: 30 * 86_400_000, text: 'from 1s to 30d' } as const;

/** What the Git delivery did, kept beside its settings. */
export interface GitDeliveryRecord {
  readonly branch?: string;
  /** The promotion's own commit. */
  readonly commit?: string;
  /** The rollback's commit, and whether it was a `git revert` or a commit restoring the previous image. */
  readonly revertCommit?: string;
  readonly revertMethod?: 'revert' | 'restore';
  /** The promotion's pull request, when the repository takes changes through them. */
  readonly pullRequest?: PullRequestRecord;
  /** The rollback's pull request. */
  readonly revertPullRequest?: PullRequestRecord;
}

export type Delivery = { readonly via: 'kubernetes' } | (GitDeliverySettings & GitDeliveryRecord);

export const KUBERNETES_DELIVERY: Delivery = Object.freeze({ via: 'kubernetes' });

/** The runbook's Steps 5 and 6, as a policy asks for them. */
export interface ReleaseSettings {
  /** The application's source repository (a configured name). */
  readonly repository: string;
  /** Default `VERSION`. */
  readonly versionFile?: string;
  /** Default `v{{version}}`. */
  readonly tag?: string;
  /** The application's name in the commit subject; default: the image's last path segment. */
  readonly name?: string;
}

/** `skipped`: the promotion ended other than `succeeded`, so it is never released. */
export type ReleaseState = 'pending' | 'done' | 'failed' | 'skipped';

export interface ReleaseRecord {
  readonly state: ReleaseState;
  readonly repository: string;
  /** The release's pull request, when its repository takes changes through them (the tag goes on its merge). */
  readonly pullRequest?: PullRequestRecord;
  /** When that pull request was opened (ms since the epoch), and its rebases after conflicts. */
  readonly proposedAt?: number;
  readonly rebases?: number;
  readonly reason?: string;
  readonly version?: string;
  readonly commit?: string;
  readonly tag?: string;
  readonly at?: string;
}
