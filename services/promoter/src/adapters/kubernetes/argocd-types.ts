/**
 * The port to Argo CD Applications the engine uses, free of client-node (argocd-applications.ts is the
 * adapter). What it returns is Argo CD's answer cut to size: Argo CD's messages are untrusted input that
 * ends up in reasons, events and notifications.
 */
import type { ArgoCdApplicationRef } from '../../domain/delivery.js';

export type ArgoCdOperationPhase = 'Running' | 'Terminating' | 'Failed' | 'Error' | 'Succeeded' | 'Unknown';

/** `status.operationState`: the last (or current) operation Argo CD ran. */
export interface ArgoCdOperationState {
  readonly phase: ArgoCdOperationPhase;
  readonly message: string | undefined;
  /** `syncResult.revision`, else the revision the operation asked for. */
  readonly revision: string | undefined;
  readonly startedAt: string | undefined;
  readonly finishedAt: string | undefined;
  /** `operation.initiatedBy.username`; `automated` when Argo CD's automated sync started it. */
  readonly initiatedBy: string | undefined;
  readonly automated: boolean;
}

export interface ArgoCdApplicationStatus {
  /** `status.sync.status`: Synced, OutOfSync, Unknown (anything else reads as Unknown). */
  readonly syncStatus: 'Synced' | 'OutOfSync' | 'Unknown';
  /** `status.sync.revision`, when it is a commit id. */
  readonly syncRevision: string | undefined;
  /** `status.health.status`: Healthy, Progressing, Degraded, Suspended, Missing, Unknown. */
  readonly health: 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';
  readonly healthMessage: string | undefined;
  readonly operationState: ArgoCdOperationState | undefined;
  /** An operation is written and not yet taken up by the controller (the `operation` field is set). */
  readonly operationPending: boolean;
  readonly reconciledAt: string | undefined;
}

export interface ArgoCdApplications {
  /** Reads the Application; a KubernetesError (`not_found`, `forbidden`, ...) otherwise. */
  status(ref: ArgoCdApplicationRef): Promise<ArgoCdApplicationStatus>;
  /** Asks Argo CD to look at Git now: the annotation `argocd.argoproj.io/refresh: normal`. */
  refresh(ref: ArgoCdApplicationRef): Promise<void>;
  /** Asks Argo CD to sync `revision`: the Application's `operation` field, initiated by `promoter`. */
  sync(ref: ArgoCdApplicationRef, revision: string): Promise<void>;
}
