/**
 * A Deployment's health as Argo CD reports it (gitops-engine pkg/health/health_deployment.go): Suspended
 * when paused, Degraded past its progress deadline, Progressing with kubectl's rollout-status wording until
 * every replica is updated and available, then Healthy.
 */
import type { DeploymentObject } from './deployment-types.js';

export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';

export interface Health {
  readonly status: HealthStatus;
  readonly message?: string;
}

export function deploymentHealth(deployment: DeploymentObject): Health {
  const { spec, status, metadata } = deployment;
  if (spec.paused) return { status: 'Suspended', message: 'Deployment is paused' };
  if ((status.observedGeneration ?? 0) < metadata.generation) {
    return { status: 'Progressing', message: 'Waiting for rollout to finish: observed deployment generation less than desired generation' };
  }
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { status: 'Degraded', message: `Deployment "${metadata.name}" exceeded its progress deadline` };
  }
  const want = spec.replicas;
  const updated = status.updatedReplicas ?? 0;
  const replicas = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < want) return { status: 'Progressing', message: `Waiting for rollout to finish: ${updated} out of ${want} new replicas have been updated...` };
  if (replicas > updated) return { status: 'Progressing', message: `Waiting for rollout to finish: ${replicas - updated} old replicas are pending termination...` };
  if (available < updated) return { status: 'Progressing', message: `Waiting for rollout to finish: ${available} of ${updated} updated replicas are available...` };
  return { status: 'Healthy' };
}
