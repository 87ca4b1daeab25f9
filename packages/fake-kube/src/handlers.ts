/**
 * The resource handlers: given a parsed request and its body, the status code and JSON to answer with.
 * Errors are thrown as StatusError and turned into Status bodies by the server.
 */
import { asDeployment, type DeploymentObject } from './deployment-types.js';
import { DEPLOYMENTS, type DeploymentStore } from './deployment-store.js';
import { podObjects, replicaSetObject } from './derived-objects.js';
import { objectAt, stringMap, type JsonObject, type JsonValue } from './json.js';
import { formatMatchLabels, parseLabelSelector } from './label-selector.js';
import { applyJsonPatch, MalformedPatchError, PatchApplyError } from './patch/json-patch.js';
import { applyMergePatch } from './patch/merge-patch.js';
import { applyStrategicMergePatch } from './patch/strategic-merge-patch.js';
import type { RolloutController } from './rollout-controller.js';
import { APPLICATION_API_VERSION, APPLICATIONS, type ApplicationStore } from './application-store.js';
import type { ResourceRequest } from './routes.js';
import { StatusError, statuses } from './status.js';

export interface HandlerContext {
  readonly store: DeploymentStore;
  readonly controller: RolloutController;
  readonly applications: ApplicationStore;
}

export interface Answer {
  readonly code: number;
  readonly body: JsonObject;
}

export interface RequestBody {
  /** Media type without parameters, lower case. */
  readonly contentType: string;
  readonly json: JsonValue | undefined;
}

type Patcher = (target: JsonValue, patch: JsonValue) => JsonValue;

const PATCHERS: Record<string, Patcher> = {
  'application/json-patch+json': applyJsonPatch,
  'application/merge-patch+json': applyMergePatch,
  'application/strategic-merge-patch+json': applyStrategicMergePatch,
};

function requireJson(body: RequestBody): JsonValue {
  if (body.json === undefined) throw new StatusError(statuses.badRequest('error decoding request body: not valid JSON'));
  return body.json;
}

/** Picks the patch algorithm from the Content-Type and maps its failures to the server's answers. */
function patcherFor(body: RequestBody, customResource = false): (target: JsonValue) => JsonValue {
  // Custom resources have no patch strategy metadata: the server refuses strategic merge for them.
  const apply = customResource && body.contentType === 'application/strategic-merge-patch+json' ? undefined : PATCHERS[body.contentType];
  if (!apply) throw new StatusError(statuses.unsupportedMediaType(body.contentType));
  const patch = requireJson(body);
  return (target) => {
    try {
      return apply(target, patch);
    } catch (err) {
      if (err instanceof MalformedPatchError) throw new StatusError(statuses.badRequest(err.message));
      if (err instanceof PatchApplyError) throw new StatusError(statuses.patchNotApplicable());
      throw err;
    }
  };
}

function list(kind: string, apiVersion: string, resourceVersion: string, items: JsonObject[]): Answer {
  return { code: 200, body: { apiVersion, kind, metadata: { resourceVersion }, items } };
}

function scaleOf(deployment: DeploymentObject): JsonObject {
  const { name, namespace, uid, resourceVersion, creationTimestamp } = deployment.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: deployment.spec.replicas },
    status: { replicas: deployment.status.replicas ?? 0, selector: formatMatchLabels(deployment.spec.selector.matchLabels) },
  };
}

/** Writes a Scale back into its Deployment; the Scale's resourceVersion is the Deployment's precondition. */
function applyScale(current: JsonObject, scale: JsonValue, name: string): JsonObject {
  const replicas = objectAt(scale, 'spec')?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw new StatusError(
      statuses.invalid({ group: 'autoscaling', kind: 'Scale' }, name, [
        { type: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0` },
      ]),
    );
  }
  const sentVersion = objectAt(scale, 'metadata')?.resourceVersion;
  const meta = objectAt(current, 'metadata') ?? {};
  meta.resourceVersion = typeof sentVersion === 'string' ? sentVersion : '';
  const spec = objectAt(current, 'spec') ?? {};
  spec.replicas = replicas;
  return current;
}

function handleDeployments(ctx: HandlerContext, method: string, req: ResourceRequest, url: URL, body: RequestBody): Answer {
  const { store } = ctx;
  const { namespace, name, subresource } = req;
  if (name === undefined) {
    if (method !== 'GET') throw new StatusError(statuses.methodNotAllowed(DEPLOYMENTS, method));
    const matches = parseLabelSelector(url.searchParams.get('labelSelector'));
    const items = store.list(namespace).filter((d) => matches(stringMap(objectAt(d, 'metadata')?.labels)));
    return list('DeploymentList', 'apps/v1', store.currentResourceVersion(), items);
  }
  if (subresource === undefined || subresource === 'status') {
    if (method === 'GET') return { code: 200, body: store.get(namespace, name) };
    if (subresource === 'status') throw new StatusError(statuses.methodNotAllowed(DEPLOYMENTS, `${method} on deployments/status`));
    if (method === 'PATCH') {
      const apply = patcherFor(body);
      return { code: 200, body: store.update(namespace, name, apply) };
    }
    if (method === 'PUT') {
      const replacement = requireJson(body);
      return { code: 200, body: store.update(namespace, name, () => replacement) };
    }
    throw new StatusError(statuses.methodNotAllowed(DEPLOYMENTS, method));
  }
  if (subresource === 'scale') {
    if (method === 'GET') return { code: 200, body: scaleOf(asDeployment(store.get(namespace, name))) };
    if (method === 'PATCH' || method === 'PUT') {
      const replacement = method === 'PUT' ? requireJson(body) : undefined;
      const produce = replacement === undefined ? patcherFor(body) : () => replacement;
      const updated = store.update(namespace, name, (current) => applyScale(current, produce(scaleOf(asDeployment(current))), name));
      return { code: 200, body: scaleOf(asDeployment(updated)) };
    }
    throw new StatusError(statuses.methodNotAllowed(DEPLOYMENTS, method));
  }
  throw new StatusError(statuses.pathNotFound());
}

function handleDerived(ctx: HandlerContext, method: string, req: ResourceRequest, url: URL): Answer {
  if (method !== 'GET' || req.subresource !== undefined) throw new StatusError(statuses.methodNotAllowed(req.groupResource, method));
  const rv = ctx.store.currentResourceVersion();
  const objects = ctx.controller
    .replicaSets(req.namespace)
    .flatMap(({ deployment, set, podTrouble }) => (req.resource === 'pods' ? podObjects(deployment, set, rv, podTrouble) : [replicaSetObject(deployment, set, rv)]));
  if (req.name !== undefined) {
    const found = objects.find((o) => objectAt(o, 'metadata')?.name === req.name);
    if (!found) throw new StatusError(statuses.notFound(req.groupResource, req.name));
    return { code: 200, body: found };
  }
  const matches = parseLabelSelector(url.searchParams.get('labelSelector'));
  const items = objects.filter((o) => matches(stringMap(objectAt(o, 'metadata')?.labels)));
  return req.resource === 'pods' ? list('PodList', 'v1', rv, items) : list('ReplicaSetList', 'apps/v1', rv, items);
}

/** Argo CD Applications: get, list, create, update, patch (JSON and merge patch), delete. */
function handleApplications(ctx: HandlerContext, method: string, req: ResourceRequest, url: URL, body: RequestBody): Answer {
  const { applications } = ctx;
  const { namespace, name, subresource } = req;
  if (subresource !== undefined) throw new StatusError(statuses.pathNotFound());
  if (name === undefined) {
    if (method === 'POST') return { code: 201, body: applications.create(namespace, requireJson(body)) };
    if (method !== 'GET') throw new StatusError(statuses.methodNotAllowed(APPLICATIONS, method));
    const matches = parseLabelSelector(url.searchParams.get('labelSelector'));
    const items = applications.list(namespace).filter((a) => matches(stringMap(objectAt(a, 'metadata')?.labels)));
    return list('ApplicationList', APPLICATION_API_VERSION, applications.currentResourceVersion(), items);
  }
  switch (method) {
    case 'GET':
      return { code: 200, body: applications.get(namespace, name) };
    case 'PATCH':
      return { code: 200, body: applications.update(namespace, name, patcherFor(body, true)) };
    case 'PUT': {
      const replacement = requireJson(body);
      return { code: 200, body: applications.update(namespace, name, () => replacement, true) };
    }
    case 'DELETE':
      return { code: 200, body: applications.delete(namespace, name) };
    default:
      throw new StatusError(statuses.methodNotAllowed(APPLICATIONS, method));
  }
}

export function handle(ctx: HandlerContext, method: string, req: ResourceRequest, url: URL, body: RequestBody): Answer {
  if (req.verb === 'watch') throw new StatusError(statuses.badRequest('watch is not supported by the fake Kubernetes API server'));
  if (req.resource === 'deployments') return handleDeployments(ctx, method, req, url, body);
  if (req.resource === 'applications') return handleApplications(ctx, method, req, url, body);
  return handleDerived(ctx, method, req, url);
}
