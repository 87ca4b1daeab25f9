/** Turns client-node's V1Deployment into the adapter's DeploymentSnapshot, defaulting what the API omits. */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { DeploymentCondition, DeploymentRef, DeploymentSnapshot, PodSnapshot } from './types.js';

function isoTime(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value instanceof Date ? value.toISOString() : String(value);
}

export function toSnapshot(deployment: V1Deployment, ref: DeploymentRef): DeploymentSnapshot {
  const metadata = deployment.metadata ?? {};
  const status = deployment.status ?? {};
  const conditions: DeploymentCondition[] = (status.conditions ?? []).map((c) => {
    const lastUpdateTime = isoTime(c.lastUpdateTime);
    return {
      type: c.type,
      status: c.status,
      ...(c.reason === undefined ? {} : { reason: c.reason }),
      ...(c.message === undefined ? {} : { message: c.message }),
      ...(lastUpdateTime === undefined ? {} : { lastUpdateTime }),
    };
  });
  return {
    namespace: metadata.namespace ?? ref.namespace,
    name: metadata.name ?? ref.name,
    uid: metadata.uid ?? '',
    resourceVersion: metadata.resourceVersion ?? '',
    generation: metadata.generation ?? 0,
    containers: (deployment.spec?.template.spec?.containers ?? []).map((c) => ({ name: c.name, image: c.image ?? '' })),
    annotations: { ...metadata.annotations },
    // The API server defaults spec.replicas to 1; only a hand-built object would lack it.
    replicas: deployment.spec?.replicas ?? 1,
    paused: deployment.spec?.paused ?? false,
    selector: { ...deployment.spec?.selector.matchLabels },
    templateLabels: { ...deployment.spec?.template.metadata?.labels },
    status: {
      // Zero counts are omitted on the wire (omitempty).
      observedGeneration: status.observedGeneration ?? 0,
      replicas: status.replicas ?? 0,
      updatedReplicas: status.updatedReplicas ?? 0,
      readyReplicas: status.readyReplicas ?? 0,
      availableReplicas: status.availableReplicas ?? 0,
      conditions,
    },
  };
}

export function toPodSnapshot(pod: V1Pod): PodSnapshot {
  return {
    name: pod.metadata?.name ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    images: Object.fromEntries((pod.spec?.containers ?? []).map((c) => [c.name, c.image ?? ''])),
    containers: (pod.status?.containerStatuses ?? []).map((c) => {
      const waiting = c.state?.waiting;
      const terminated = c.lastState?.terminated;
      return {
        name: c.name,
        image: c.image,
        ready: c.ready,
        restartCount: c.restartCount,
        ...(waiting?.reason ? { waiting: { reason: waiting.reason, ...(waiting.message ? { message: waiting.message } : {}) } } : {}),
        ...(terminated ? { lastTerminated: { exitCode: terminated.exitCode, ...(terminated.reason ? { reason: terminated.reason } : {}) } } : {}),
      };
    }),
  };
}

/** The image a Deployment's pod template gives `container`, if it has that container. */
export function containerImage(deployment: DeploymentSnapshot, container: string): string | undefined {
  return deployment.containers.find((c) => c.name === container)?.image;
}
