/**
 * Before a promotion is stored, its Deployments and containers must exist: a typo should be a 422 that
 * names what is missing, not a promotion that fails later.
 */
import type { DeploymentSnapshot, KubernetesClient } from '../adapters/kubernetes/types.js';
import { KubernetesError } from '../adapters/kubernetes/kubernetes-error.js';
import { errors, type FieldError } from '../errors.js';
import type { PromotionRequest, TargetVerifier } from '../http/promotions.js';

export function kubernetesTargetVerifier(kube: KubernetesClient): TargetVerifier {
  return async (request: PromotionRequest): Promise<FieldError[]> => {
    const problems: FieldError[] = [];
    const { namespace, deployment, container } = request.target;
    const check = async (name: string, containerName: string, pointer: string, what: string) => {
      let found: DeploymentSnapshot;
      try {
        found = await kube.getDeployment({ namespace, name });
      } catch (error) {
        if (error instanceof KubernetesError && error.code === 'not_found') {
          problems.push({ pointer: `${pointer}/deployment`, detail: `${what} Deployment ${namespace}/${name} does not exist` });
          return;
        }
        if (error instanceof KubernetesError && error.code === 'forbidden') {
          throw errors.dependencyUnavailable('kubernetes', `promoter may not read Deployment ${namespace}/${name}: ${error.message}`, error);
        }
        throw errors.dependencyUnavailable('kubernetes', `could not read Deployment ${namespace}/${name}: ${error instanceof Error ? error.message : String(error)}`, error);
      }
      if (!found.containers.some((c) => c.name === containerName)) {
        problems.push({
          pointer: `${pointer}/container`,
          detail: `${what} Deployment ${namespace}/${name} has no container '${containerName}' (it has ${found.containers.map((c) => c.name).join(', ')})`,
        });
      }
    };
    await check(deployment, container, '/body/target', 'the target');
    if (request.source) await check(request.source.deployment, request.source.container ?? container, '/body/source', 'the canary');
    return problems;
  };
}
