/**
 * The fake's storage for Deployments, with the API server's update semantics:
 * - `metadata.resourceVersion` comes from one global counter (like etcd's revision) and changes on every
 *   write that changes the object; a no-op update writes nothing and keeps it, as the real server does.
 * - An update carrying a `resourceVersion` other than the stored one fails with 409 Conflict; one without
 *   it is unconditional (Deployments allow unconditional updates).
 * - `metadata.generation` goes up by one when `spec` or `metadata.annotations` change (the Deployment
 *   strategy bumps it for annotations too, because they are copied to ReplicaSets); labels and status do not.
 * - Writes through the main resource cannot change `status`, `uid`, `creationTimestamp` or `generation`.
 */
import { randomUUID } from 'node:crypto';
import { asDeployment, type DeploymentObject, type DeploymentSeed } from './deployment-types.js';
import { applyDefaults, checkDecodable, validateDeployment } from './deployment-validation.js';
import { clone, ensureObject, isJsonObject, jsonEqual, objectAt, type JsonObject, type JsonValue } from './json.js';
import { checkIdentity } from './object-identity.js';
import { StatusError, statuses, type GroupResource } from './status.js';

export const DEPLOYMENTS: GroupResource = { group: 'apps', resource: 'deployments' };

export interface DeploymentChange {
  readonly namespace: string;
  readonly name: string;
  readonly specChanged: boolean;
}

export function nowIso(): string {
  // The API server's timestamps have second precision.
  return new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export class DeploymentStore {
  #objects = new Map<string, JsonObject>();
  #revision = 1000;
  #listeners: Array<(change: DeploymentChange) => void> = [];

  onChange(listener: (change: DeploymentChange) => void): void {
    this.#listeners.push(listener);
  }

  currentResourceVersion(): string {
    return String(this.#revision);
  }

  #nextResourceVersion(): string {
    this.#revision += 1;
    return String(this.#revision);
  }

  create(seed: DeploymentSeed): DeploymentObject {
    const key = `${seed.namespace}/${seed.name}`;
    if (this.#objects.has(key)) throw new Error(`fake-kube: deployment ${key} already exists`);
    const selector = { ...(seed.selector ?? { app: seed.name }) };
    const obj: JsonObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: seed.name,
        namespace: seed.namespace,
        uid: randomUUID(),
        resourceVersion: this.#nextResourceVersion(),
        generation: 1,
        creationTimestamp: nowIso(),
        labels: { ...selector, ...seed.labels },
        ...(seed.annotations ? { annotations: { ...seed.annotations } } : {}),
      },
      spec: {
        replicas: seed.replicas ?? 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: { ...selector } },
          spec: { containers: seed.containers.map((c) => ({ name: c.name, image: c.image })) },
        },
      },
      status: {},
    };
    applyDefaults(obj);
    validateDeployment(obj, undefined);
    this.#objects.set(key, obj);
    this.#emit({ namespace: seed.namespace, name: seed.name, specChanged: true });
    return asDeployment(clone(obj));
  }

  /** The stored object itself; callers that hand it out must clone it. */
  peek(namespace: string, name: string): JsonObject | undefined {
    return this.#objects.get(`${namespace}/${name}`);
  }

  get(namespace: string, name: string): JsonObject {
    const obj = this.peek(namespace, name);
    if (!obj) throw new StatusError(statuses.notFound(DEPLOYMENTS, name));
    return clone(obj);
  }

  list(namespace: string): JsonObject[] {
    return [...this.#objects.values()]
      .filter((obj) => objectAt(obj, 'metadata')?.namespace === namespace)
      .map((obj) => clone(obj));
  }

  /**
   * A client write (PUT, or PATCH once the patch is applied): `produce` gets a copy of the stored object and
   * returns the object the client wants stored. Throws StatusError for 400/404/409/422.
   */
  update(namespace: string, name: string, produce: (current: JsonObject) => JsonValue): JsonObject {
    const current = this.#objects.get(`${namespace}/${name}`);
    if (!current) throw new StatusError(statuses.notFound(DEPLOYMENTS, name));
    const next = produce(clone(current));
    if (!isJsonObject(next)) throw new StatusError(statuses.badRequest('the request body must be a JSON object'));
    checkIdentity(next, namespace, name, { kind: 'Deployment', apiVersion: 'apps/v1' });
    const meta = ensureObject(next, 'metadata');
    const oldMeta = ensureObject(current, 'metadata');
    const sentVersion = meta.resourceVersion;
    if (typeof sentVersion === 'string' && sentVersion !== '' && sentVersion !== oldMeta.resourceVersion) {
      throw new StatusError(statuses.conflict(DEPLOYMENTS, name));
    }
    for (const field of ['uid', 'creationTimestamp', 'generation', 'resourceVersion']) {
      meta[field] = oldMeta[field] ?? null;
    }
    checkDecodable(next);
    applyDefaults(next);
    next.status = clone(current.status ?? {});
    validateDeployment(next, current);

    const specChanged = !jsonEqual(next.spec, current.spec);
    if (specChanged || !jsonEqual(meta.annotations, oldMeta.annotations)) {
      meta.generation = Number(oldMeta.generation) + 1;
    }
    if (jsonEqual(next, current)) return clone(current);
    meta.resourceVersion = this.#nextResourceVersion();
    this.#objects.set(`${namespace}/${name}`, next);
    this.#emit({ namespace, name, specChanged });
    return clone(next);
  }

  /** The rollout controller's write (the status subresource): never bumps `generation`. */
  writeStatus(namespace: string, name: string, status: JsonObject, annotations: Record<string, string>): void {
    const current = this.#objects.get(`${namespace}/${name}`);
    if (!current) return;
    const next = clone(current);
    next.status = status;
    const meta = ensureObject(next, 'metadata');
    if (Object.keys(annotations).length > 0) meta.annotations = { ...objectAt(meta, 'annotations'), ...annotations };
    if (jsonEqual(next, current)) return;
    meta.resourceVersion = this.#nextResourceVersion();
    this.#objects.set(`${namespace}/${name}`, next);
  }

  #emit(change: DeploymentChange): void {
    for (const listener of this.#listeners) listener(change);
  }
}
