/**
 * Whether a Deployment's rollout is done, by the rules `kubectl rollout status` applies (kubectl's
 * DeploymentStatusViewer), so the promoter and a human running kubectl always agree:
 * 1. the controller must have observed the current spec (`observedGeneration >= generation`); until then
 *    nothing else in `status` describes this rollout, not even an old ProgressDeadlineExceeded;
 * 2. a `Progressing` condition with reason `ProgressDeadlineExceeded` means the rollout failed;
 * 3. all desired replicas updated, no old replicas left, all updated replicas available: complete.
 */
import type { DeploymentSnapshot } from './types.js';

export type RolloutState = 'progressing' | 'complete' | 'failed';

export interface RolloutProgress {
  readonly state: RolloutState;
  /** Human-readable, in kubectl's words. */
  readonly reason: string;
}

/** The reason the deployment controller sets when `spec.progressDeadlineSeconds` passes without progress. */
export const PROGRESS_DEADLINE_EXCEEDED = 'ProgressDeadlineExceeded';

export function assessRollout(deployment: DeploymentSnapshot): RolloutProgress {
  const { status, generation, replicas: desired } = deployment;
  if (status.observedGeneration < generation) {
    return {
      state: 'progressing',
      reason: `waiting for the deployment controller to observe generation ${generation} (observed ${status.observedGeneration})`,
    };
  }
  const progressing = status.conditions.find((c) => c.type === 'Progressing');
  if (progressing?.reason === PROGRESS_DEADLINE_EXCEEDED) {
    return { state: 'failed', reason: `progress deadline exceeded: ${progressing.message ?? 'no message'}` };
  }
  if (deployment.paused) {
    return { state: 'progressing', reason: 'the deployment is paused' };
  }
  if (status.updatedReplicas < desired) {
    return { state: 'progressing', reason: `${status.updatedReplicas} of ${desired} new replicas have been updated` };
  }
  if (status.replicas > status.updatedReplicas) {
    return { state: 'progressing', reason: `${status.replicas - status.updatedReplicas} old replicas are pending termination` };
  }
  if (status.availableReplicas < status.updatedReplicas) {
    return { state: 'progressing', reason: `${status.availableReplicas} of ${status.updatedReplicas} updated replicas are available` };
  }
  return { state: 'complete', reason: `successfully rolled out (${status.availableReplicas} of ${desired} replicas available)` };
}
