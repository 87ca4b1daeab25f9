/** Where the service's Kubernetes credentials come from, decided once at start-up from the given env. */
import { delimiter } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { NO_KUBERNETES_CONFIGURATION } from './connect-kubernetes.js';

export interface KubeConfigEnv {
  /** One or more kubeconfig paths, separated like PATH (`:` on Linux), merged in order. */
  readonly KUBECONFIG?: string | undefined;
  /** Set by the kubelet in every pod: use the pod's service account. */
  readonly KUBERNETES_SERVICE_HOST?: string | undefined;
}

/**
 * `KUBECONFIG` set: those files. Else in a pod (`KUBERNETES_SERVICE_HOST`): the service account. Else
 * client-node's default lookup (`~/.kube/config`, ...). Throws a clear error instead of returning
 * client-node's last-resort fallback (`http://localhost:8080`, which 1.4 then refuses at the first request
 * as plain HTTP without skipTLSVerify).
 *
 * @example
 * const kube = new ClientNodeKubernetesClient(loadKubeConfig({ KUBECONFIG: config.kubeconfig }));
 */
export function loadKubeConfig(env: KubeConfigEnv, context?: string): KubeConfig {
  const kc = new KubeConfig();
  const files = (env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
  const [first, ...rest] = files;
  if (first !== undefined) {
    kc.loadFromFile(first);
    for (const file of rest) {
      const more = new KubeConfig();
      more.loadFromFile(file);
      // As kubectl does, the first file that names a current context wins. (client-node rejects a cluster,
      // user or context name that two files both define.)
      kc.mergeConfig(more, Boolean(kc.getCurrentContext()));
    }
  } else if (env.KUBERNETES_SERVICE_HOST) {
    kc.loadFromCluster();
  } else {
    kc.loadFromDefault();
    const cluster = kc.getCurrentCluster();
    if (cluster?.name === 'cluster' && cluster.server === 'http://localhost:8080') {
      throw new Error(NO_KUBERNETES_CONFIGURATION);
    }
  }
  if (context !== undefined) {
    if (!kc.getContextObject(context)) {
      throw new Error(`the kubeconfig${first ? ` ${first}` : ''} has no context '${context}' (it has ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`);
    }
    kc.setCurrentContext(context);
  }
  if (!kc.getCurrentCluster()) {
    throw new Error(`the kubeconfig${first ? ` ${first}` : ''} has no current context with a cluster`);
  }
  return kc;
}
