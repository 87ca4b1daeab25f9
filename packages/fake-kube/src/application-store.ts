/**
 * The fake's storage for Argo CD Applications (`applications.argoproj.io/v1alpha1`), with the API server's
 * semantics for a custom resource without a status subresource (Argo CD's CRD declares none):
 * - `metadata.resourceVersion` changes on every write that changes the object, a no-op write keeps it;
 * - PUT must carry the stored `resourceVersion` (custom resources allow no unconditional update: 422),
 *   a PATCH may carry one (409 Conflict when stale);
 * - `metadata.generation` goes up when anything but `metadata` changes, status included;
 * - POST creates (409 AlreadyExists), DELETE removes and answers with the object, as for custom resources.
 * The Argo CD controller (argocd-controller.ts) writes through `write`, like any client.
 */
import { randomUUID } from 'node:crypto';
import { nowIso } from './deployment-store.js';
import { clone, ensureObject, isJsonObject, jsonEqual, objectAt, type JsonObject, type JsonValue } from './json.js';
import { checkIdentity } from './object-identity.js';
import { StatusError, statuses, type GroupResource } from './status.js';

export const APPLICATIONS: GroupResource = { group: 'argoproj.io', resource: 'applications' };
const KIND = { group: 'argoproj.io', kind: 'Application' };
export const APPLICATION_API_VERSION = 'argoproj.io/v1alpha1';
const TYPE = { kind: 'Application', apiVersion: APPLICATION_API_VERSION };

export interface ApplicationChange {
  readonly namespace: string;
  readonly name: string;
  readonly deleted: boolean;
}

export class ApplicationStore {
  #objects = new Map<string, JsonObject>();
  #revision = 5000;
  #listeners: Array<(change: ApplicationChange) => void> = [];

  onChange(listener: (change: ApplicationChange) => void): void {
    this.#listeners.push(listener);
  }

  currentResourceVersion(): string {
    return String(this.#revision);
  }

  /** The stored object itself; callers that hand it out must clone it. */
  peek(namespace: string, name: string): JsonObject | undefined {
    return this.#objects.get(`${namespace}/${name}`);
  }

  keys(): Array<{ namespace: string; name: string }> {
    return [...this.#objects.keys()].map((key) => {
      const [namespace = '', name = ''] = key.split('/');
      return { namespace, name };
    });
  }

  get(namespace: string, name: string): JsonObject {
    const obj = this.peek(namespace, name);
    if (!obj) throw new StatusError(statuses.notFound(APPLICATIONS, name));
    return clone(obj);
  }

  list(namespace: string): JsonObject[] {
    return [...this.#objects.values()].filter((obj) => objectAt(obj, 'metadata')?.namespace === namespace).map((obj) => clone(obj));
  }

  create(namespace: string, body: JsonValue): JsonObject {
    if (!isJsonObject(body)) throw new StatusError(statuses.badRequest('the request body must be a JSON object'));
    const obj = clone(body);
    const meta = ensureObject(obj, 'metadata');
    const name = typeof meta.name === 'string' ? meta.name : '';
    if (name === '') throw new StatusError(statuses.invalid(KIND, '', [{ type: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }]));
    checkIdentity(obj, namespace, name, TYPE);
    if (this.#objects.has(`${namespace}/${name}`)) throw new StatusError(statuses.alreadyExists(APPLICATIONS, name));
    validate(obj, name);
    Object.assign(meta, { uid: randomUUID(), creationTimestamp: nowIso(), generation: 1, resourceVersion: this.#nextResourceVersion() });
    this.#objects.set(`${namespace}/${name}`, obj);
    this.#emit({ namespace, name, deleted: false });
    return clone(obj);
  }

  /**
   * A client write: `produce` gets a copy and returns the object to store. `requireVersion` is PUT's rule
   * for custom resources: the body must name the resourceVersion it replaces.
   */
  update(namespace: string, name: string, produce: (current: JsonObject) => JsonValue, requireVersion = false): JsonObject {
    const current = this.#objects.get(`${namespace}/${name}`);
    if (!current) throw new StatusError(statuses.notFound(APPLICATIONS, name));
    const next = produce(clone(current));
    if (!isJsonObject(next)) throw new StatusError(statuses.badRequest('the request body must be a JSON object'));
    checkIdentity(next, namespace, name, TYPE);
    const meta = ensureObject(next, 'metadata');
    const oldMeta = ensureObject(current, 'metadata');
    const sent = meta.resourceVersion;
    if (requireVersion && (typeof sent !== 'string' || sent === '')) {
      throw new StatusError(statuses.invalid(KIND, name, [{ type: 'FieldValueInvalid', field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update' }]));
    }
    if (typeof sent === 'string' && sent !== '' && sent !== oldMeta.resourceVersion) throw new StatusError(statuses.conflict(APPLICATIONS, name));
    for (const field of ['uid', 'creationTimestamp', 'generation', 'resourceVersion']) meta[field] = oldMeta[field] ?? null;
    validate(next, name);
    return this.#store(namespace, name, current, next);
  }

  /** The controller's write (no preconditions): same versioning as a client's. */
  write(namespace: string, name: string, mutate: (current: JsonObject) => void): JsonObject | undefined {
    const current = this.#objects.get(`${namespace}/${name}`);
    if (!current) return undefined;
    const next = clone(current);
    mutate(next);
    return this.#store(namespace, name, current, next);
  }

  delete(namespace: string, name: string): JsonObject {
    const current = this.#objects.get(`${namespace}/${name}`);
    if (!current) throw new StatusError(statuses.notFound(APPLICATIONS, name));
    this.#objects.delete(`${namespace}/${name}`);
    this.#emit({ namespace, name, deleted: true });
    return clone(current);
  }

  #store(namespace: string, name: string, current: JsonObject, next: JsonObject): JsonObject {
    if (jsonEqual(next, current)) return clone(current);
    const meta = ensureObject(next, 'metadata');
    const { metadata: _old, ...restOld } = current;
    const { metadata: _new, ...restNew } = next;
    if (!jsonEqual(restOld, restNew)) meta.generation = Number(objectAt(current, 'metadata')?.generation ?? 1) + 1;
    meta.resourceVersion = this.#nextResourceVersion();
    this.#objects.set(`${namespace}/${name}`, next);
    this.#emit({ namespace, name, deleted: false });
    return clone(next);
  }

  #nextResourceVersion(): string {
    this.#revision += 1;
    return String(this.#revision);
  }

  #emit(change: ApplicationChange): void {
    for (const listener of this.#listeners) listener(change);
  }
}

/** The CRD's schema requires `spec.destination` and `spec.project`. */
function validate(obj: JsonObject, name: string): void {
  const spec = objectAt(obj, 'spec');
  const missing = !spec ? ['spec'] : ['destination', 'project'].filter((field) => spec[field] === undefined || spec[field] === null).map((f) => `spec.${f}`);
  if (missing.length > 0) {
    throw new StatusError(statuses.invalid(KIND, name, missing.map((field) => ({ type: 'FieldValueRequired', field, message: 'Required value' }))));
  }
}
