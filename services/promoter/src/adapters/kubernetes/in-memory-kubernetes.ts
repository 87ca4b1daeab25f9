/**
 * A `KubernetesClient` kept in memory, for the engine's fast tests and local experiments: Deployments with
 * a generation, the image patch with the real client's guard and idempotency, and a rollout that moves
 * only when told to (`advanceRollout`), so a test decides exactly what the cluster looks like at each
 * step; or, with `rollout: 'instant'`, completes with each patch (for tests that follow whole promotions
 * through the API and do not step the cluster). Failures are injected per operation. It follows the semantics ClientNodeKubernetesClient
 * documents in types.ts; the fake API server (packages/fake-kube) checks those against a real HTTP exchange.
 */
import { KubernetesError, type KubernetesOperation } from './kubernetes-error.js';
import { PROGRESS_DEADLINE_EXCEEDED } from './assess-rollout.js';
import type { DeploymentRef, DeploymentSnapshot, ImageChange, KubernetesClient, PodSnapshot, RolloutStatus } from './types.js';

interface StoredDeployment {
  containers: { name: string; image: string }[];
  labels: Record<string, string>;
  /** How the pods running the current template fail, when they do. */
  trouble: PodTrouble | undefined;
  annotations: Record<string, string>;
  replicas: number;
  generation: number;
  resourceVersion: number;
  status: RolloutStatus;
}

/** Why a new pod does not become ready: a waiting reason, or a crash with its exit code. */
export interface PodTrouble {
  readonly reason: string;
  readonly message?: string;
  readonly exitCode?: number;
  readonly restartCount?: number;
}

export interface ImagePatchRecord {
  readonly ref: DeploymentRef;
  readonly container: string;
  readonly from: string;
  readonly to: string;
}

export interface InMemoryKubernetesOptions {
  /** `manual` (the default): rollouts move on `advanceRollout`; `instant`: a patch's rollout completes at once. */
  readonly rollout?: 'manual' | 'instant';
}

export class InMemoryKubernetes implements KubernetesClient {
  readonly #rollout: 'manual' | 'instant';
  readonly #deployments = new Map<string, StoredDeployment>();
  readonly #failures: { operation: KubernetesOperation; error: (ref: DeploymentRef) => KubernetesError }[] = [];
  /** Every image change written, in order. */
  readonly patches: ImagePatchRecord[] = [];

  constructor(options: InMemoryKubernetesOptions = {}) {
    this.#rollout = options.rollout ?? 'manual';
  }

  addDeployment(ref: DeploymentRef, containers: { name: string; image: string }[], replicas = 3, labels: Record<string, string> = {}): void {
    this.#deployments.set(key(ref), {
      containers: containers.map((c) => ({ ...c })),
      labels: { app: ref.name, ...labels },
      trouble: undefined,
      annotations: {},
      replicas,
      generation: 1,
      resourceVersion: 1,
      status: { observedGeneration: 1, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas, conditions: [] },
    });
  }

  /** The controller observes the latest spec and brings every replica up to date and available. */
  advanceRollout(ref: DeploymentRef): void {
    const d = this.#get(ref, 'get');
    const n = d.replicas;
    d.status = { observedGeneration: d.generation, replicas: n, updatedReplicas: n, readyReplicas: n, availableReplicas: n, conditions: [] };
  }

  /** The controller gives up on the rollout: `Progressing` with ProgressDeadlineExceeded. */
  failRollout(ref: DeploymentRef, message = 'ReplicaSet "web-2" has timed out progressing.'): void {
    const d = this.#get(ref, 'get');
    d.status = {
      ...d.status,
      observedGeneration: d.generation,
      updatedReplicas: 1,
      availableReplicas: d.replicas - 1,
      conditions: [{ type: 'Progressing', status: 'False', reason: PROGRESS_DEADLINE_EXCEEDED, message }],
    };
  }

  /** The pods of the current template fail this way (until cleared with `undefined`). */
  setPodTrouble(ref: DeploymentRef, trouble: PodTrouble | undefined): void {
    this.#get(ref, 'get').trouble = trouble;
  }

  /** Someone else (kubectl, a hotfix) sets a container's image. */
  setImageByHand(ref: DeploymentRef, container: string, image: string): void {
    const d = this.#get(ref, 'get');
    const target = d.containers.find((c) => c.name === container);
    if (!target) throw new Error(`no container ${container}`);
    target.image = image;
    d.generation += 1;
    d.resourceVersion += 1;
  }

  /** The next call of `operation` fails with the error made by `error`. */
  failNext(operation: KubernetesOperation, error: (ref: DeploymentRef) => KubernetesError): void {
    this.#failures.push({ operation, error });
  }

  image(ref: DeploymentRef, container: string): string | undefined {
    return this.#get(ref, 'get').containers.find((c) => c.name === container)?.image;
  }

  async getDeployment(ref: DeploymentRef): Promise<DeploymentSnapshot> {
    this.#injected('get', ref);
    return this.#snapshot(ref, this.#get(ref, 'get'));
  }

  async setContainerImage(ref: DeploymentRef, change: ImageChange): Promise<DeploymentSnapshot> {
    this.#injected('patch', ref);
    const d = this.#get(ref, 'patch');
    const container = d.containers.find((c) => c.name === change.container);
    if (!container) throw new KubernetesError({ code: 'invalid', operation: 'patch', target: ref, message: `no container ${change.container}` });
    const annotated = Object.entries(change.annotations ?? {}).every(([k, v]) => d.annotations[k] === v);
    if (container.image === change.newImage && annotated) return this.#snapshot(ref, d);
    if (container.image !== change.expectedImage) {
      throw new KubernetesError({ code: 'conflict', operation: 'patch', target: ref, message: `the image is ${container.image}, not ${change.expectedImage}`, retryable: false });
    }
    this.patches.push({ ref, container: change.container, from: container.image, to: change.newImage });
    container.image = change.newImage;
    Object.assign(d.annotations, change.annotations ?? {});
    d.generation += 1;
    d.resourceVersion += 1;
    if (this.#rollout === 'instant') this.advanceRollout(ref);
    return this.#snapshot(ref, d);
  }

  async scaleDeployment(ref: DeploymentRef, replicas: number): Promise<void> {
    this.#injected('scale', ref);
    const d = this.#get(ref, 'scale');
    d.replicas = replicas;
    d.resourceVersion += 1;
  }

  async listPods(namespace: string, labels: Readonly<Record<string, string>>): Promise<PodSnapshot[]> {
    this.#injected('list-pods', { namespace, name: '' });
    const pods: PodSnapshot[] = [];
    for (const [name, d] of this.#deployments) {
      if (!name.startsWith(`${namespace}/`) || !Object.entries(labels).every(([k, v]) => d.labels[k] === v)) continue;
      for (let i = 0; i < d.replicas; i++) {
        const trouble = d.trouble;
        pods.push({
          name: `${name.slice(namespace.length + 1)}-${d.generation}-${i}`,
          phase: trouble ? 'Pending' : 'Running',
          images: Object.fromEntries(d.containers.map((c) => [c.name, c.image])),
          containers: d.containers.map((c) => ({
            name: c.name,
            image: c.image,
            ready: !trouble,
            restartCount: trouble?.restartCount ?? 0,
            ...(trouble ? { waiting: { reason: trouble.reason, ...(trouble.message ? { message: trouble.message } : {}) } } : {}),
            ...(trouble?.exitCode !== undefined ? { lastTerminated: { exitCode: trouble.exitCode, reason: 'Error' } } : {}),
          })),
        });
      }
    }
    return pods;
  }

  #injected(operation: KubernetesOperation, ref: DeploymentRef): void {
    const index = this.#failures.findIndex((f) => f.operation === operation);
    if (index < 0) return;
    const [failure] = this.#failures.splice(index, 1);
    if (failure) throw failure.error(ref);
  }

  #get(ref: DeploymentRef, operation: KubernetesOperation): StoredDeployment {
    const found = this.#deployments.get(key(ref));
    if (!found) throw new KubernetesError({ code: 'not_found', operation, target: ref, message: 'not found', status: 404 });
    return found;
  }

  #snapshot(ref: DeploymentRef, d: StoredDeployment): DeploymentSnapshot {
    return {
      namespace: ref.namespace,
      name: ref.name,
      uid: `uid-${key(ref)}`,
      resourceVersion: String(d.resourceVersion),
      generation: d.generation,
      containers: d.containers.map((c) => ({ ...c })),
      annotations: { ...d.annotations },
      replicas: d.replicas,
      paused: false,
      selector: { app: ref.name },
      templateLabels: { ...d.labels },
      status: { ...d.status, conditions: [...d.status.conditions] },
    };
  }
}

function key(ref: DeploymentRef): string {
  return `${ref.namespace}/${ref.name}`;
}
