/**
 * The service's Kubernetes client, or why there is none. client-node is imported only when there is a
 * configuration to load (it adds about 0.4 s to a start), and the import can overlap other start-up work
 * because this never rejects.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfigEnv } from './load-kube-config.js';
import type { KubernetesClient } from './types.js';
import type { ArgoCdApplications } from './argocd-types.js';

/** The client, and Argo CD Applications through the same KubeConfig; or why there are none. */
export type KubernetesConnection =
  | {
      readonly client: KubernetesClient;
      readonly argocd?: ArgoCdApplications;
      /** Whether the API server answers (client-node's GET /version); rejects with why not. */
      readonly probe?: (timeoutMs: number) => Promise<void>;
      readonly problem?: undefined;
    }
  | { readonly client?: undefined; readonly argocd?: undefined; readonly problem: string };

export const NO_KUBERNETES_CONFIGURATION = 'no Kubernetes configuration found: set KUBECONFIG, create ~/.kube/config, or run in a pod';

/** Whether loadKubeConfig has anything to find: KUBECONFIG, a pod's service account, or ~/.kube/config. */
export function hasKubernetesConfiguration(env: KubeConfigEnv, home: string = homedir()): boolean {
  return Boolean(env.KUBECONFIG) || Boolean(env.KUBERNETES_SERVICE_HOST) || existsSync(join(home, '.kube', 'config'));
}

export async function connectKubernetes(env: KubeConfigEnv): Promise<KubernetesConnection> {
  if (!hasKubernetesConfiguration(env)) return { problem: NO_KUBERNETES_CONFIGURATION };
  try {
    const [{ loadKubeConfig }, { ClientNodeKubernetesClient }, { ClientNodeArgoCdApplications }] = await Promise.all([
      import('./load-kube-config.js'),
      import('./client-node-kubernetes-client.js'),
      import('./argocd-applications.js'),
    ]);
    const kubeConfig = loadKubeConfig(env);
    const client = new ClientNodeKubernetesClient(kubeConfig);
    return { client, argocd: new ClientNodeArgoCdApplications(kubeConfig), probe: (timeoutMs) => client.probe(timeoutMs) };
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) };
  }
}
