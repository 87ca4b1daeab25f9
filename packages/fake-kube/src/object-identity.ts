/** The checks the API server makes on a written object's identity: name, namespace, kind and apiVersion. */
import { ensureObject, type JsonObject } from './json.js';
import { StatusError, statuses } from './status.js';

/** Throws 400 when the body names another object or kind than the URL; fills them in otherwise. */
export function checkIdentity(obj: JsonObject, namespace: string, name: string, type: { readonly kind: string; readonly apiVersion: string }): void {
  const meta = ensureObject(obj, 'metadata');
  if (meta.name !== undefined && meta.name !== name) {
    throw new StatusError(statuses.badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`));
  }
  if (meta.namespace !== undefined && meta.namespace !== namespace) {
    throw new StatusError(statuses.badRequest('the namespace of the provided object does not match the namespace sent on the request'));
  }
  if ((obj.kind !== undefined && obj.kind !== type.kind) || (obj.apiVersion !== undefined && obj.apiVersion !== type.apiVersion)) {
    throw new StatusError(statuses.badRequest(`the object's kind/apiVersion (${String(obj.kind)}/${String(obj.apiVersion)}) is not ${type.apiVersion} ${type.kind}`));
  }
  Object.assign(meta, { name, namespace });
  Object.assign(obj, { kind: type.kind, apiVersion: type.apiVersion });
}
