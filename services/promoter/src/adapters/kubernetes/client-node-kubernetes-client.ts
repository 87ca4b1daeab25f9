/**
 * `KubernetesClient` on @kubernetes/client-node 1.4 (AppsV1Api). Every call runs under `CallPolicy`
 * (deadline, retries); see call-policy.ts for how the deadline reaches client-node's requests.
 */
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  Observable,
  PatchStrategy,
  VersionApi,
  setHeaderOptions,
  type ConfigurationOptions,
  type KubeConfig,
  type ObservableMiddleware,
} from '@kubernetes/client-node';
import { callWithPolicy, DEFAULT_CALL_POLICY, realSleep, type CallPolicy, type Sleep } from './call-policy.js';
import { buildImagePatch } from './image-patch.js';
import { KeepAliveAgents } from './connection-reuse.js';
import { KubernetesError, type KubernetesOperation } from './kubernetes-error.js';
import { statusOf } from './client-node-errors.js';
import { toPodSnapshot, toSnapshot } from './snapshot.js';
import type { DeploymentRef, DeploymentSnapshot, ImageChange, KubernetesClient, PodSnapshot } from './types.js';

/** Deadline and retry settings (defaults: DEFAULT_CALL_POLICY) plus the write identity. */
export interface KubernetesClientOptions extends Partial<CallPolicy> {
  /** Recorded by the API server in managedFields for our writes. Default `promoter`. */
  readonly fieldManager?: string;
  /** Backoff sleep; tests pass a fast one. */
  readonly sleep?: Sleep;
}

/** Per-call options whose middleware attaches `signal` to the request client-node is about to send. */
/** Per-call options: the call policy's deadline, and a shared keep-alive agent instead of client-node's per-request one. */
export function callOptions(signal: AbortSignal, agents: KeepAliveAgents): ConfigurationOptions<ObservableMiddleware> {
  const middleware: ObservableMiddleware = {
    pre: (context) => {
      context.setSignal(signal);
      const agent = agents.shared(context.getAgent());
      if (agent !== undefined) context.setAgent(agent);
      return new Observable(Promise.resolve(context));
    },
    post: (context) => new Observable(Promise.resolve(context)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}

/**
 * A JSON patch the server could not apply: a failed `test` op, or a path that no longer exists. The API
 * server reports it as 422 with a generic message and no causes (NewGenericServerResponse), unlike a
 * validation failure, which is 422 with `details.causes`.
 */
function isPatchNotApplicable(err: unknown): boolean {
  if (!(err instanceof ApiException) || err.code !== 422) return false;
  const causes = statusOf(err)?.details?.causes;
  return causes === undefined || causes.length === 0;
}

function alreadyApplied(deployment: DeploymentSnapshot, change: ImageChange): boolean {
  const container = deployment.containers.find((c) => c.name === change.container);
  return (
    container?.image === change.newImage &&
    Object.entries(change.annotations ?? {}).every(([key, value]) => deployment.annotations[key] === value)
  );
}

/**
 * @example
 * const kube = new ClientNodeKubernetesClient(loadKubeConfig(process.env), { timeoutMs: 10_000 });
 * const before = await kube.getDeployment({ namespace: 'mcp', name: 'zai-proxy' });
 * await kube.setContainerImage(
 *   { namespace: 'mcp', name: 'zai-proxy' },
 *   { container: 'proxy', expectedImage: 'zai-proxy:1.2.0', newImage: 'zai-proxy:1.2.1', annotations: { 'promoter.dev/promotion-id': id } },
 * );
 * // then poll: assessRollout(await kube.getDeployment(ref)).state === 'complete'
 */
export class ClientNodeKubernetesClient implements KubernetesClient {
  readonly #apps: AppsV1Api;
  readonly #core: CoreV1Api;
  readonly #version: VersionApi;
  readonly #policy: CallPolicy;
  readonly #fieldManager: string;
  readonly #sleep: Sleep;
  readonly #agents = new KeepAliveAgents();

  constructor(kubeConfig: KubeConfig, options: KubernetesClientOptions = {}) {
    const { fieldManager, sleep, ...policy } = options;
    this.#policy = { ...DEFAULT_CALL_POLICY, ...policy };
    if (!Number.isInteger(this.#policy.attempts) || this.#policy.attempts < 1) {
      throw new Error(`attempts must be a positive integer, got ${this.#policy.attempts}`);
    }
    if (!(this.#policy.timeoutMs > 0) || !(this.#policy.attemptTimeoutMs > 0)) {
      throw new Error('timeoutMs and attemptTimeoutMs must be positive');
    }
    this.#apps = kubeConfig.makeApiClient(AppsV1Api);
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#version = kubeConfig.makeApiClient(VersionApi);
    this.#fieldManager = fieldManager ?? 'promoter';
    this.#sleep = sleep ?? realSleep;
  }

  getDeployment(ref: DeploymentRef): Promise<DeploymentSnapshot> {
    return this.#call('get', ref, (options) => this.#read(ref, options));
  }

  setContainerImage(ref: DeploymentRef, change: ImageChange): Promise<DeploymentSnapshot> {
    // One attempt = a fresh read (to find the container's index) + the guarded patch; a retry reads again.
    return this.#call('patch', ref, async (options) => {
      const current = await this.#read(ref, options);
      const index = current.containers.findIndex((c) => c.name === change.container);
      if (index < 0) {
        const names = current.containers.map((c) => c.name).join(', ');
        throw new KubernetesError({
          code: 'invalid',
          operation: 'patch',
          target: ref,
          message: `no container "${change.container}" in the pod template (containers: ${names})`,
        });
      }
      if (alreadyApplied(current, change)) return current;
      if (current.containers[index]?.image !== change.expectedImage) throw this.#imageChanged(ref, change, current);
      const body = buildImagePatch({ index, change, hasAnnotations: Object.keys(current.annotations).length > 0 });
      try {
        const patched = await this.#apps.patchNamespacedDeployment(
          { name: ref.name, namespace: ref.namespace, body, fieldManager: this.#fieldManager },
          setHeaderOptions('Content-Type', PatchStrategy.JsonPatch, options),
        );
        return toSnapshot(patched, ref);
      } catch (err) {
        if (!isPatchNotApplicable(err)) throw err;
        // The test failed: find out whether someone else changed the image, or our own earlier attempt
        // (whose answer was lost) already did the job.
        const fresh = await this.#read(ref, options);
        if (alreadyApplied(fresh, change)) return fresh;
        const now = fresh.containers.find((c) => c.name === change.container)?.image;
        if (now !== change.expectedImage) throw this.#imageChanged(ref, change, fresh);
        // The image is as expected but the containers moved or the annotations vanished: read and try again.
        throw new KubernetesError({
          code: 'conflict',
          operation: 'patch',
          target: ref,
          retryable: true,
          message: 'the pod template changed between read and patch',
          cause: err,
        });
      }
    });
  }

  async scaleDeployment(ref: DeploymentRef, replicas: number): Promise<void> {
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new KubernetesError({ code: 'invalid', operation: 'scale', target: ref, message: `replicas must be a non-negative integer, got ${replicas}` });
    }
    await this.#call('scale', ref, (options) =>
      this.#apps.patchNamespacedDeploymentScale(
        { name: ref.name, namespace: ref.namespace, body: { spec: { replicas } }, fieldManager: this.#fieldManager },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch, options),
      ),
    );
  }

  listPods(namespace: string, labels: Readonly<Record<string, string>>): Promise<PodSnapshot[]> {
    const labelSelector = Object.entries(labels)
      .map(([key, value]) => `${key}=${value}`)
      .join(',');
    return this.#call('list-pods', { namespace, name: labelSelector }, async (options) => {
      const list = await this.#core.listNamespacedPod({ namespace, labelSelector }, options);
      return list.items.map(toPodSnapshot);
    });
  }

  /**
   * Whether the API server answers with these credentials: `GET /version`, which every authenticated
   * identity may read (system:discovery), once, within `timeoutMs`, over the same keep-alive agents.
   * Rejects with a short reason: the API server's status, or the connection error.
   */
  async probe(timeoutMs: number): Promise<void> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // Raced against the timer too, as call-policy.ts does: the call settles on time whatever the request does.
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new Error(`the API server cannot be reached: no answer within ${timeoutMs} ms`);
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    // The request object comes first (empty for /version); the options second.
    const request = this.#version.getCode({}, callOptions(controller.signal, this.#agents));
    request.catch(() => undefined);
    try {
      await Promise.race([request, timedOut]);
    } catch (err) {
      if (err instanceof ApiException) throw new Error(`the API server answered ${err.code}${statusOf(err)?.message ? `: ${statusOf(err)?.message}` : ''}`);
      if (err instanceof Error && err.message.startsWith('the API server cannot be reached')) throw err;
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new Error(`the API server cannot be reached: ${err instanceof Error ? err.message : String(err)}${cause ? ` (${cause})` : ''}`);
    } finally {
      clearTimeout(timer);
    }
  }

  async #read(ref: DeploymentRef, options: ConfigurationOptions<ObservableMiddleware>): Promise<DeploymentSnapshot> {
    const deployment = await this.#apps.readNamespacedDeployment({ name: ref.name, namespace: ref.namespace }, options);
    return toSnapshot(deployment, ref);
  }

  #imageChanged(ref: DeploymentRef, change: ImageChange, seen: DeploymentSnapshot): KubernetesError {
    const now = seen.containers.find((c) => c.name === change.container)?.image ?? '(container gone)';
    return new KubernetesError({
      code: 'conflict',
      operation: 'patch',
      target: ref,
      retryable: false,
      message: `container "${change.container}" image changed by someone else: expected ${change.expectedImage}, found ${now} (resourceVersion ${seen.resourceVersion})`,
    });
  }

  #call<T>(operation: KubernetesOperation, ref: DeploymentRef, run: (options: ConfigurationOptions<ObservableMiddleware>) => Promise<T>): Promise<T> {
    return callWithPolicy(this.#policy, operation, ref, (signal) => run(callOptions(signal, this.#agents)), this.#sleep);
  }
}
