/**
 * Before a promotion is stored, its Deployments and containers must exist: a typo should be a 422 that
 * names what is missing, not a promotion that fails later.
 */
import type { DeploymentSnapshot, KubernetesClient } from '../adapters/kubernetes/types.js';
import { KubernetesError } from '../adapters/kubernetes/kubernetes-error.js';
import { errors, type FieldError } from '../errors.js';
import { GitError, deliveryRequestProblem, type GitDelivery, type ImageLocator } from '../adapters/git/index.js';
import type { PromotionRequest, TargetVerifier } from '../http/promotions.js';
import type { ArgoCdApplications } from '../adapters/kubernetes/argocd-types.js';
import { DEFAULT_ARGOCD_NAMESPACE } from '../domain/delivery.js';

/**
 * `clientOf` gives the client of the request's cluster (the route has resolved it), or undefined when that
 * cluster could not be set up: its targets are then not checked, as without Kubernetes.
 */
export function kubernetesTargetVerifier(clientOf: (cluster: string | undefined) => KubernetesClient | undefined): TargetVerifier {
  return async (request: PromotionRequest): Promise<FieldError[]> => {
    const problems: FieldError[] = [];
    const { namespace, deployment, container } = request.target;
    const kube = clientOf(request.target.cluster);
    if (!kube) return [];
    const where = request.target.cluster === undefined ? '' : ` (cluster ${request.target.cluster})`;
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
          throw errors.dependencyUnavailable('kubernetes', `promoter may not read Deployment ${namespace}/${name}${where}: ${error.message}`, error);
        }
        throw errors.dependencyUnavailable('kubernetes', `could not read Deployment ${namespace}/${name}${where}: ${error instanceof Error ? error.message : String(error)}`, error);
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

/** Pointers of a Git delivery's fields in the create request. */
const DELIVERY_POINTERS = { repository: '/body/delivery/repository', file: '/body/delivery/file', locator: '/body/delivery/locator' } as const;

/**
 * A Git delivery must name a configured repository, a file that is there, and a locator that finds an
 * image in it: read it once now, so a typo is a 422 naming the field, not a promotion that fails later.
 */
export function gitDeliveryVerifier(git: GitDelivery | undefined): TargetVerifier {
  return async (request: PromotionRequest): Promise<FieldError[]> => {
    const delivery = request.delivery;
    if (delivery?.via !== 'git') return [];
    if (!git) return [{ pointer: '/body/delivery/via', detail: 'no Git repositories are configured on this service (PROMOTER_GIT_REPOSITORIES_FILE)' }];
    try {
      await git.readImage({ repository: delivery.repository, file: delivery.file, locator: gitLocator(request) });
      return [];
    } catch (error) {
      const problem = deliveryRequestProblem(error, DELIVERY_POINTERS);
      if (problem) return [...(problem.errors ?? [])];
      // A GitError's message is redacted git output (no token, no working-copy path); anything else is
      // logged through its cause, not echoed.
      const why = error instanceof GitError ? `: ${error.message}` : '';
      throw errors.dependencyUnavailable('git', `could not read ${delivery.file} from repository ${delivery.repository}${why}`, error);
    }
  };
}

/** The locator a request gives, or by default the target's container in a plain manifest. */
export function gitLocator(request: PromotionRequest): ImageLocator {
  const delivery = request.delivery;
  if (delivery?.via === 'git' && delivery.locator) return delivery.locator;
  return { kind: 'manifest', container: request.target.container, deployment: request.target.deployment };
}

const ARGOCD_POINTER = '/body/delivery/argocd/application';

/**
 * The Argo CD Application a Git delivery names must exist and be readable by the service: read it once now,
 * so a typo or a missing permission is a 422 naming the field, not a promotion that waits for nothing.
 */
export function argoCdApplicationVerifier(applications: ArgoCdApplications | undefined): TargetVerifier {
  return async (request: PromotionRequest): Promise<FieldError[]> => {
    const delivery = request.delivery;
    if (delivery?.via !== 'git' || !delivery.argocd) return [];
    const ref = { application: delivery.argocd.application, namespace: delivery.argocd.namespace ?? DEFAULT_ARGOCD_NAMESPACE };
    const name = `${ref.namespace}/${ref.application}`;
    if (!applications) return [{ pointer: ARGOCD_POINTER, detail: `Argo CD Application ${name} cannot be read: no Kubernetes configuration on this service` }];
    try {
      await applications.status(ref);
      return [];
    } catch (error) {
      if (error instanceof KubernetesError && error.code === 'not_found') {
        return [{ pointer: ARGOCD_POINTER, detail: `Argo CD Application ${name} does not exist` }];
      }
      if (error instanceof KubernetesError && error.code === 'forbidden') {
        return [{ pointer: ARGOCD_POINTER, detail: `promoter may not read Argo CD Application ${name} (grant get and patch on applications.argoproj.io): ${error.message}` }];
      }
      throw errors.dependencyUnavailable('kubernetes', `could not read Argo CD Application ${name}: ${error instanceof Error ? error.message : String(error)}`, error);
    }
  };
}
