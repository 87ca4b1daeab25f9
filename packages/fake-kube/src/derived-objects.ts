/**
 * ReplicaSets and Pods as the fake reports them: derived from the rollout controller's ReplicaSets, with
 * the labels, owner references and readiness a client sees on a real cluster. Read-only.
 */
import { createHash } from 'node:crypto';
import type { DeploymentObject } from './deployment-types.js';
import { clone, isJsonObject, objectAt, stringMap, type JsonObject } from './json.js';
import type { PodTrouble, ReplicaSetState } from './rollout-controller.js';

function labelsOf(set: ReplicaSetState): Record<string, string> {
  return { ...stringMap(objectAt(set.template, 'metadata', 'labels')), 'pod-template-hash': set.hash };
}

function stableUid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function replicaSetObject(deployment: DeploymentObject, set: ReplicaSetState, resourceVersion: string): JsonObject {
  const labels = labelsOf(set);
  const template = clone(set.template);
  template.metadata = { ...objectAt(template, 'metadata'), labels };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: set.name,
      namespace: deployment.metadata.namespace,
      uid: set.uid,
      resourceVersion,
      generation: 1,
      creationTimestamp: set.createdAt,
      labels,
      annotations: {
        'deployment.kubernetes.io/desired-replicas': String(deployment.spec.replicas),
        'deployment.kubernetes.io/max-replicas': String(deployment.spec.replicas + 1),
        'deployment.kubernetes.io/revision': String(set.revision),
      },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name, uid: deployment.metadata.uid, controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: { replicas: set.replicas, selector: { matchLabels: { ...deployment.spec.selector.matchLabels, 'pod-template-hash': set.hash } }, template },
    status: {
      replicas: set.replicas,
      fullyLabeledReplicas: set.replicas,
      readyReplicas: set.ready,
      availableReplicas: set.ready,
      observedGeneration: 1,
    },
  };
}

/** Pod `i` of a ReplicaSet; the lowest indexes are the ready ones. Names are stable across reads. */
export function podObjects(deployment: DeploymentObject, set: ReplicaSetState, resourceVersion: string, trouble?: PodTrouble): JsonObject[] {
  const pods: JsonObject[] = [];
  const raw = objectAt(set.template, 'spec')?.containers;
  const containers = (Array.isArray(raw) ? raw : [])
    .filter(isJsonObject)
    .map((c) => ({ name: String(c.name ?? ''), image: String(c.image ?? '') }));
  for (let i = 0; i < set.replicas; i++) {
    const ready = i < set.ready;
    const suffix = createHash('sha256').update(`${set.uid}/${i}`).digest('hex').slice(0, 5);
    const readyStatus = ready ? 'True' : 'False';
    const running: JsonObject = { running: { startedAt: set.createdAt } };
    const waiting: JsonObject = trouble ? (trouble.waiting ? { waiting: { ...trouble.waiting } } : running) : { waiting: { reason: 'ContainerCreating' } };
    const state = ready ? running : waiting;
    const lastState: JsonObject = !ready && trouble?.exitCode !== undefined ? { terminated: { exitCode: trouble.exitCode, reason: 'Error', startedAt: set.createdAt, finishedAt: set.createdAt } } : {};
    pods.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${set.name}-${suffix}`,
        generateName: `${set.name}-`,
        namespace: deployment.metadata.namespace,
        uid: stableUid(`${set.uid}/${i}`),
        resourceVersion,
        creationTimestamp: set.createdAt,
        labels: labelsOf(set),
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: set.name, uid: set.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: clone(objectAt(set.template, 'spec') ?? {}),
      status: {
        phase: ready ? 'Running' : 'Pending',
        conditions: [
          { type: 'Ready', status: readyStatus },
          { type: 'ContainersReady', status: readyStatus },
        ],
        containerStatuses: containers.map((c) => ({
          name: c.name,
          image: c.image,
          ready,
          started: ready,
          restartCount: ready ? 0 : (trouble?.restartCount ?? 0),
          state,
          lastState,
        })),
      },
    });
  }
  return pods;
}
