/**
 * The configured clusters, each with its own client-node client. Never rejects: a cluster that cannot be
 * set up (a missing kubeconfig, an unknown context) keeps its reason, which start-up logs and `/readyz`
 * reports, and its promotions fail saying so. client-node is imported only when some cluster needs it.
 */
import type { ClusterConfig, ClustersConfig } from './clusters-config.js';
import { Clusters, type ClusterEntry } from './clusters.js';
import { connectKubernetes } from './connect-kubernetes.js';
import type { KubeConfigEnv } from './load-kube-config.js';
import type { ArgoCdApplications } from './argocd-types.js';

export async function connectClusters(config: ClustersConfig, env: KubeConfigEnv): Promise<Clusters> {
  const connected = await Promise.all(config.clusters.map((cluster) => connectCluster(cluster, env)));
  // Argo CD Applications are read on the default cluster only (where Argo CD runs).
  const argocd = connected.find((entry) => entry.name === config.defaultCluster)?.argocd;
  return new Clusters(
    connected.map(({ argocd: _argocd, ...entry }) => entry),
    config.defaultCluster,
    argocd,
  );
}

async function connectCluster(cluster: ClusterConfig, env: KubeConfigEnv): Promise<ClusterEntry & { readonly argocd?: ArgoCdApplications | undefined }> {
  const source = cluster.source;
  if (source.kind === 'environment') {
    const connection = await connectKubernetes(env);
    if (!connection.client) return { name: cluster.name, client: undefined, problem: connection.problem };
    return { name: cluster.name, client: connection.client, probe: connection.probe, argocd: connection.argocd };
  }
  try {
    const [{ loadKubeConfig }, { ClientNodeKubernetesClient }, { ClientNodeArgoCdApplications }] = await Promise.all([
      import('./load-kube-config.js'),
      import('./client-node-kubernetes-client.js'),
      import('./argocd-applications.js'),
    ]);
    const kubeConfig =
      source.kind === 'in-cluster'
        ? loadKubeConfig({ KUBERNETES_SERVICE_HOST: env.KUBERNETES_SERVICE_HOST ?? 'in-cluster' })
        : loadKubeConfig({ KUBECONFIG: source.kubeconfig }, source.context);
    const client = new ClientNodeKubernetesClient(kubeConfig);
    return { name: cluster.name, client, probe: (timeoutMs) => client.probe(timeoutMs), argocd: new ClientNodeArgoCdApplications(kubeConfig) };
  } catch (error) {
    const problem = error instanceof Error ? error.message : String(error);
    // A cluster the operator named is reported in /readyz with its problem.
    return { name: cluster.name, client: undefined, problem, probe: async () => Promise.reject(new Error(problem)) };
  }
}
