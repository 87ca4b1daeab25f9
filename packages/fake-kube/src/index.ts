/**
 * Fake Kubernetes API server for promoter's tests and benchmarks, built from the Kubernetes API reference.
 *
 * Serves, under the real paths:
 * - apps/v1 Deployments: GET, LIST (labelSelector), PATCH (json-patch, merge-patch and strategic-merge-patch),
 *   PUT, and the `scale` subresource (GET, PATCH, PUT; autoscaling/v1 Scale);
 * - apps/v1 ReplicaSets and v1 Pods: GET and LIST (labelSelector), derived from the rollout controller;
 * - argoproj.io/v1alpha1 Applications (Argo CD's custom resource): GET, LIST, POST, PUT, PATCH (json-patch and
 *   merge-patch), DELETE; `startArgoCd` runs a controller that syncs them from bare Git repositories
 *   (argocd-controller.ts).
 * Semantics follow the API server: resourceVersion preconditions (409), generation bumps on spec or
 * annotation changes, 404/403/422/415 Status bodies with the real wording, a 422 for a JSON patch that cannot
 * be applied (a failed `test` op included), status ignored on writes to the main resource, bearer-token auth.
 * Not implemented: watch, create/delete of Deployments, server-side apply, other resources.
 *
 * @example
 * const fake = await startFakeKube();
 * fake.addDeployment({ namespace: 'prod', name: 'web', containers: [{ name: 'app', image: 'web:1.0' }], replicas: 3 });
 * const apps = fake.kubeConfig().makeApiClient(AppsV1Api);
 * fake.failNext({ method: 'PATCH', path: /deployments\/web$/, status: 500, times: 2 });
 * // ... exercise the code under test ...
 * expect(fake.requests.filter((r) => r.method === 'PATCH')).toHaveLength(3);
 * await fake.close();
 */
import { FakeKube, type FakeKubeOptions } from './fake-kube.js';

export { FakeKube, type FakeKubeOptions, type LoggedRequest } from './fake-kube.js';
export type { DeploymentObject, DeploymentSeed, ContainerObject, ConditionObject } from './deployment-types.js';
export type { FailRule, RequestMatch } from './faults.js';
export { DEFAULT_ROLLOUT, type PodTrouble, type RolloutBehaviour } from './rollout-controller.js';
export { pollUntil } from './poll.js';
export { ArgoCdController, REFRESH_ANNOTATION, type ApplicationSeed, type ArgoCdOptions, type SyncRun } from './argocd-controller.js';
export type { Health, HealthStatus } from './argocd-health.js';
export { parseResourceRequest, type ResourceRequest } from './routes.js';

/** Starts a fake API server on 127.0.0.1 with an ephemeral port. Call `close()` when done. */
export function startFakeKube(options?: FakeKubeOptions): Promise<FakeKube> {
  return FakeKube.start(options);
}
