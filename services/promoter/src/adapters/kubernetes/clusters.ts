/**
 * The clusters the service reaches, by name: each with its own client (and so its own keep-alive agents),
 * or the reason it has none. The engine, the check runner and the target verifier ask for the client of a
 * promotion's cluster; a name that is not configured gets a client that fails every call saying so, so an
 * old promotion whose cluster was removed fails with a clear reason instead of reaching another cluster.
 */
import type { ArgoCdApplications } from './argocd-types.js';
import type { KubernetesClient } from './types.js';
import { UnconfiguredKubernetes } from './unconfigured-kubernetes.js';

/** Picks the Kubernetes client of a cluster by name. */
export interface ClusterClients {
  client(cluster: string): KubernetesClient;
}

/** One cluster as the registry holds it. */
export interface ClusterEntry {
  readonly name: string;
  /** Undefined when the cluster could not be set up (then `problem` says why). */
  readonly client: KubernetesClient | undefined;
  readonly problem?: string | undefined;
  /** Whether the API server answers (rejects with why not); absent: the cluster's health is not reported. */
  readonly probe?: ((timeoutMs: number) => Promise<void>) | undefined;
}

/** A cluster's health as `/readyz` reports it: `problem` undefined means its API server answered. */
export interface ClusterHealth {
  readonly cluster: string;
  readonly problem: string | undefined;
}

export class Clusters implements ClusterClients {
  readonly #entries: ReadonlyMap<string, ClusterEntry>;
  readonly #fallbacks = new Map<string, KubernetesClient>();
  /** The cluster of a promotion that names none; undefined when several are configured and none is the default. */
  readonly defaultCluster: string | undefined;
  /** Argo CD Applications, read on the default cluster only. */
  readonly argocd: ArgoCdApplications | undefined;

  constructor(entries: readonly ClusterEntry[], defaultCluster: string | undefined, argocd?: ArgoCdApplications) {
    this.#entries = new Map(entries.map((entry) => [entry.name, entry]));
    this.defaultCluster = defaultCluster;
    this.argocd = argocd;
  }

  /** One cluster standing for the service's only Kubernetes client (or for none: `null`). */
  static single(name: string, client: KubernetesClient | null, argocd?: ArgoCdApplications): Clusters {
    return new Clusters([{ name, client: client ?? undefined, problem: client ? undefined : 'no Kubernetes client given' }], name, argocd);
  }

  get names(): readonly string[] {
    return [...this.#entries.keys()];
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /** The cluster's client, when it was set up (undefined for an unknown name or a cluster with a problem). */
  configured(name: string): KubernetesClient | undefined {
    return this.#entries.get(name)?.client;
  }

  /** The clusters that could not be set up, and why. */
  get problems(): readonly ClusterHealth[] {
    return [...this.#entries.values()].filter((entry) => entry.client === undefined).map((entry) => ({ cluster: entry.name, problem: entry.problem ?? 'not configured' }));
  }

  client(name: string): KubernetesClient {
    const configured = this.#entries.get(name)?.client;
    if (configured) return configured;
    let fallback = this.#fallbacks.get(name);
    if (!fallback) {
      const entry = this.#entries.get(name);
      // With one cluster its problem is the whole story (as before clusters had names).
      const problem = entry?.problem ?? 'not configured';
      fallback = new UnconfiguredKubernetes(
        entry ? (this.#entries.size === 1 ? problem : `cluster '${name}': ${problem}`) : `no cluster '${name}' is configured (configured: ${this.names.join(', ')})`,
      );
      // Bounded by the names promotions were created with, which were checked against the configuration.
      this.#fallbacks.set(name, fallback);
    }
    return fallback;
  }

  /**
   * Each probed cluster's health, asked at once, each within `timeoutMs`. Clusters without a probe (the
   * implicit cluster of a service without Kubernetes, a client handed in by a test) are left out.
   */
  async health(timeoutMs: number): Promise<ClusterHealth[]> {
    const probed = [...this.#entries.values()].filter((entry) => entry.probe !== undefined);
    return Promise.all(
      probed.map(async (entry): Promise<ClusterHealth> => {
        try {
          await entry.probe?.(timeoutMs);
          return { cluster: entry.name, problem: undefined };
        } catch (error) {
          return { cluster: entry.name, problem: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
  }
}

/** A single client for every cluster name (the wiring of tests and tools that hand in one client). */
export function asClusterClients(kube: KubernetesClient | ClusterClients): ClusterClients {
  return 'client' in kube && typeof kube.client === 'function' ? kube : { client: () => kube as KubernetesClient };
}
