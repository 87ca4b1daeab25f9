/** Maps request paths to the resources the fake serves, and requests to RBAC verbs. */
import type { GroupResource } from './status.js';

export type ResourceName = 'deployments' | 'replicasets' | 'pods' | 'applications';

export interface ResourceRequest {
  readonly resource: ResourceName;
  readonly groupResource: GroupResource;
  readonly namespace: string;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
  /** The RBAC verb: get, list, watch, create, update, patch, delete, deletecollection. */
  readonly verb: string;
}

const PATTERNS: ReadonlyArray<{ re: RegExp; resource: ResourceName; group: string }> = [
  { re: /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/(deployments)(?:\/([^/]+)(?:\/([^/]+))?)?$/, resource: 'deployments', group: 'apps' },
  { re: /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/(replicasets)(?:\/([^/]+)(?:\/([^/]+))?)?$/, resource: 'replicasets', group: 'apps' },
  { re: /^\/api\/v1\/namespaces\/([^/]+)\/(pods)(?:\/([^/]+)(?:\/([^/]+))?)?$/, resource: 'pods', group: '' },
  // Argo CD's Application, a custom resource (argo-cd manifests/crds/application-crd.yaml).
  { re: /^\/apis\/argoproj\.io\/v1alpha1\/namespaces\/([^/]+)\/(applications)(?:\/([^/]+)(?:\/([^/]+))?)?$/, resource: 'applications', group: 'argoproj.io' },
];

function verbOf(method: string, hasName: boolean, watch: boolean): string {
  switch (method) {
    case 'GET':
      return hasName ? 'get' : watch ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

export function parseResourceRequest(method: string, url: URL): ResourceRequest | undefined {
  for (const { re, resource, group } of PATTERNS) {
    const m = re.exec(url.pathname);
    if (!m) continue;
    const [, namespace = '', , name, subresource] = m;
    return {
      resource,
      groupResource: { group, resource },
      namespace: decodeURIComponent(namespace),
      name: name === undefined ? undefined : decodeURIComponent(name),
      subresource,
      verb: verbOf(method, name !== undefined, url.searchParams.get('watch') === 'true'),
    };
  }
  return undefined;
}
