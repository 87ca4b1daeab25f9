/**
 * RFC 6902 JSON Patch, as the API server applies `application/json-patch+json`: operations run in order on a
 * copy, and the first one that cannot be applied (a `test` that does not match, a missing path, ...) rejects
 * the whole patch.
 */
import { clone, isJsonObject, jsonEqual, type JsonValue } from '../json.js';

/**
 * The patch document itself is malformed (answered with 400): kube-apiserver answers BadRequest when it
 * cannot decode a JSON patch (kubernetes/kubernetes#68346, "return 400 status when invalid json patch").
 */
export class MalformedPatchError extends Error {}
/**
 * The patch is well formed but cannot be applied to this object (answered with 422 Invalid): since
 * kubernetes/kubernetes#68346 (release note: "422 Unprocessable Entity when a json patch couldn't be
 * applied to one object"), a failed `test` op included ("Testing value ... failed", #68838); before it the
 * server answered 500 (#68202). kubectl shows it as "The request is invalid: the server rejected our request
 * due to an error in our request".
 */
export class PatchApplyError extends Error {}

type Op =
  | { op: 'add' | 'replace' | 'test'; path: string; value: JsonValue }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

/** RFC 6901: "/a~1b/0" -> ["a/b", "0"]; `~1` is decoded before `~0`. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new MalformedPatchError(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function decodeOps(patch: JsonValue): Op[] {
  if (!Array.isArray(patch)) throw new MalformedPatchError('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  return patch.map((raw, i) => {
    if (!isJsonObject(raw) || typeof raw.op !== 'string') throw new MalformedPatchError(`operation ${i} has no "op"`);
    const path = raw.path;
    if (typeof path !== 'string') throw new MalformedPatchError(`operation ${i} has no "path"`);
    switch (raw.op) {
      case 'add':
      case 'replace':
      case 'test':
        if (!('value' in raw) || raw.value === undefined) throw new MalformedPatchError(`operation ${i} (${raw.op}) has no "value"`);
        return { op: raw.op, path, value: raw.value };
      case 'remove':
        return { op: 'remove', path };
      case 'move':
      case 'copy':
        if (typeof raw.from !== 'string') throw new MalformedPatchError(`operation ${i} (${raw.op}) has no "from"`);
        return { op: raw.op, from: raw.from, path };
      default:
        throw new MalformedPatchError(`unexpected kind of operation "${raw.op}"`);
    }
  });
}

function arrayIndex(token: string, length: number, allowEnd: boolean): number {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchApplyError(`invalid array index "${token}"`);
  const index = Number(token);
  if (index > length || (!allowEnd && index === length)) throw new PatchApplyError(`array index ${index} out of bounds`);
  return index;
}

/** The container holding the last token of `tokens`, or a PatchApplyError when the path does not exist. */
function parentOf(doc: JsonValue, tokens: string[], pointer: string): JsonValue {
  let current = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(current)) {
      const item: JsonValue | undefined = current[arrayIndex(token, current.length, false)];
      if (item === undefined) throw new PatchApplyError(`path "${pointer}" does not exist`);
      current = item;
    } else if (isJsonObject(current) && Object.hasOwn(current, token)) {
      current = current[token] as JsonValue;
    } else {
      throw new PatchApplyError(`path "${pointer}" does not exist`);
    }
  }
  return current;
}

function get(doc: JsonValue, pointer: string): JsonValue {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens, pointer);
  const last = tokens[tokens.length - 1] as string;
  if (Array.isArray(parent)) return parent[arrayIndex(last, parent.length, false)] as JsonValue;
  if (isJsonObject(parent) && Object.hasOwn(parent, last)) return parent[last] as JsonValue;
  throw new PatchApplyError(`path "${pointer}" does not exist`);
}

function add(doc: JsonValue, pointer: string, value: JsonValue): JsonValue {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, pointer);
  const last = tokens[tokens.length - 1] as string;
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true), 0, value);
  else if (isJsonObject(parent)) parent[last] = value;
  else throw new PatchApplyError(`path "${pointer}" does not exist`);
  return doc;
}

function remove(doc: JsonValue, pointer: string): JsonValue {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw new PatchApplyError('cannot remove the whole document');
  const parent = parentOf(doc, tokens, pointer);
  const last = tokens[tokens.length - 1] as string;
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, false), 1);
  else if (isJsonObject(parent) && Object.hasOwn(parent, last)) delete parent[last];
  else throw new PatchApplyError(`path "${pointer}" does not exist`);
  return doc;
}

/** Applies `patch` to a copy of `doc`; the input is never modified. */
export function applyJsonPatch(doc: JsonValue, patch: JsonValue): JsonValue {
  const ops = decodeOps(patch);
  let result = clone(doc);
  for (const op of ops) {
    switch (op.op) {
      case 'add':
        result = add(result, op.path, clone(op.value));
        break;
      case 'remove':
        result = remove(result, op.path);
        break;
      case 'replace':
        if (op.path === '') {
          result = clone(op.value);
          break;
        }
        get(result, op.path); // replace requires the target to exist
        result = add(remove(result, op.path), op.path, clone(op.value));
        break;
      case 'move': {
        if (op.path.startsWith(`${op.from}/`)) throw new PatchApplyError('cannot move a value into one of its children');
        const value = get(result, op.from);
        result = add(remove(result, op.from), op.path, value);
        break;
      }
      case 'copy':
        result = add(result, op.path, clone(get(result, op.from)));
        break;
      case 'test': {
        const actual = get(result, op.path);
        if (!jsonEqual(actual, op.value)) throw new PatchApplyError(`testing value ${op.path} failed`);
        break;
      }
    }
  }
  return result;
}
