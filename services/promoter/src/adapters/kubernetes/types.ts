/**
 * What the promotion engine needs from Kubernetes, in the domain's terms. The engine depends on these
 * types and the `KubernetesClient` interface only; `ClientNodeKubernetesClient` implements it with
 * @kubernetes/client-node, and tests can pass any other implementation.
 */

/** A Deployment by namespace and name. */
export interface DeploymentRef {
  readonly namespace: string;
  readonly name: string;
}

export interface ContainerImage {
  readonly name: string;
  readonly image: string;
}

/** One entry of `status.conditions` (Progressing, Available, ReplicaFailure). */
export interface DeploymentCondition {
  readonly type: string;
  /** `True`, `False` or `Unknown`. */
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  /** ISO 8601. */
  readonly lastUpdateTime?: string;
}

/** The Deployment's `status`, with the counts the API omits when zero filled in as 0. */
export interface RolloutStatus {
  readonly observedGeneration: number;
  readonly replicas: number;
  readonly updatedReplicas: number;
  readonly readyReplicas: number;
  readonly availableReplicas: number;
  readonly conditions: readonly DeploymentCondition[];
}

/** The parts of a Deployment a promotion reads, as they were at one resourceVersion. */
export interface DeploymentSnapshot {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly generation: number;
  /** `spec.template.spec.containers`, in order. */
  readonly containers: readonly ContainerImage[];
  readonly annotations: Readonly<Record<string, string>>;
  /** Desired replicas (`spec.replicas`, default 1). */
  readonly replicas: number;
  /** `spec.paused`: a paused Deployment does not roll out. */
  readonly paused: boolean;
  /** `spec.selector.matchLabels`: how its pods are found. */
  readonly selector: Readonly<Record<string, string>>;
  /** `spec.template.metadata.labels`: the labels its pods carry (e.g. `variant: production`). */
  readonly templateLabels: Readonly<Record<string, string>>;
  readonly status: RolloutStatus;
}

/** One container of a pod, as `status.containerStatuses` reports it. */
export interface PodContainerStatus {
  readonly name: string;
  readonly image: string;
  readonly ready: boolean;
  readonly restartCount: number;
  /** `state.waiting`: why the container is not running (ImagePullBackOff, CrashLoopBackOff, ...). */
  readonly waiting?: { readonly reason: string; readonly message?: string };
  /** `lastState.terminated`: how the previous run ended (a crash's exit code). */
  readonly lastTerminated?: { readonly exitCode: number; readonly reason?: string };
}

/** The parts of a pod that explain a rollout that does not progress. */
export interface PodSnapshot {
  readonly name: string;
  readonly phase: string;
  /** The container image each pod template container asked for (`spec.containers`). */
  readonly images: Readonly<Record<string, string>>;
  readonly containers: readonly PodContainerStatus[];
}

/** The image change a promotion (or its rollback) makes. */
export interface ImageChange {
  /** Container name inside the pod template. */
  readonly container: string;
  /** The image the container must have now; anything else means someone changed it: a conflict. */
  readonly expectedImage: string;
  readonly newImage: string;
  /** Added or replaced in `metadata.annotations` in the same write (e.g. the promotion id). */
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * Kubernetes as the promotion engine sees it. Every method rejects with a `KubernetesError` only, and
 * settles within the client's configured timeout, whatever the API server does.
 */
export interface KubernetesClient {
  /** Reads a Deployment. */
  getDeployment(ref: DeploymentRef): Promise<DeploymentSnapshot>;
  /**
   * Sets one container's image, guarded by a JSON-patch `test` of the current image, and writes the
   * annotations in the same patch. Rejects with code `conflict` (not retryable) when the image is no longer
   * `expectedImage`. Idempotent: if the change is already in place (image and annotations), it resolves
   * without writing, so a retry after an ambiguous failure is safe.
   */
  setContainerImage(ref: DeploymentRef, change: ImageChange): Promise<DeploymentSnapshot>;
  /** Sets `spec.replicas` through the scale subresource. */
  scaleDeployment(ref: DeploymentRef, replicas: number): Promise<void>;
  /** Lists the pods of a namespace that carry all of `labels` (to say why a rollout stalls). */
  listPods(namespace: string, labels: Readonly<Record<string, string>>): Promise<PodSnapshot[]>;
}
