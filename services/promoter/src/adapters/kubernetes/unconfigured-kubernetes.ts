/**
 * Stands in when no Kubernetes configuration exists (local use without a cluster): every call fails
 * with a clear, non-retryable error, so gates and dry runs still work and a real promotion fails at its
 * first Kubernetes step instead of hanging.
 */
import { KubernetesError, type KubernetesOperation } from './kubernetes-error.js';
import type { DeploymentRef, DeploymentSnapshot, KubernetesClient, PodSnapshot } from './types.js';

export class UnconfiguredKubernetes implements KubernetesClient {
  constructor(private readonly why: string) {}

  #fail(operation: KubernetesOperation, target: DeploymentRef): never {
    throw new KubernetesError({ code: 'unknown', operation, target, message: `Kubernetes is not configured (${this.why})`, retryable: false });
  }

  async getDeployment(ref: DeploymentRef): Promise<DeploymentSnapshot> {
    return this.#fail('get', ref);
  }

  async setContainerImage(ref: DeploymentRef): Promise<DeploymentSnapshot> {
    return this.#fail('patch', ref);
  }

  async scaleDeployment(ref: DeploymentRef): Promise<void> {
    return this.#fail('scale', ref);
  }

  async listPods(namespace: string): Promise<PodSnapshot[]> {
    return this.#fail('list-pods', { namespace, name: '' });
  }
}
