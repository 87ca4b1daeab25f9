/**
 * Strategic merge patch (`application/strategic-merge-patch+json`) for the objects the fake serves.
 *
 * Like a JSON merge patch, except that lists the Go types tag with `patchStrategy:"merge"` are merged rather
 * than replaced: lists of objects by their `patchMergeKey` (containers by `name`, ports by `containerPort`,
 * ...), lists of scalars by union (finalizers). Supported directives: `$patch: replace|delete|merge` in
 * objects and list items, `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`, `$retainKeys`.
 * Lists without a merge strategy (tolerations, args, command, ...) are replaced, as on the real server.
 */
import { clone, isJsonObject, jsonEqual, type JsonObject, type JsonValue } from '../json.js';
import { MalformedPatchError } from './json-patch.js';

type ListStrategy = { readonly mergeKey: string } | 'union';

const POD_SPEC_LISTS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
};

const CONTAINER_LISTS: Record<string, string> = {
  env: 'name',
  ports: 'containerPort',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
};

/** `path` holds object keys, with `[]` standing for "an element of the list". */
function listStrategy(path: readonly string[]): ListStrategy | undefined {
  const joined = path.join('.');
  if (joined === 'metadata.finalizers' || joined === 'spec.template.metadata.finalizers') return 'union';
  if (joined === 'metadata.ownerReferences') return { mergeKey: 'uid' };
  if (joined === 'status.conditions') return { mergeKey: 'type' };
  const last = path[path.length - 1] ?? '';
  const podSpec = 'spec.template.spec';
  if (joined === `${podSpec}.${last}` && POD_SPEC_LISTS[last] !== undefined) return { mergeKey: POD_SPEC_LISTS[last] };
  const inContainer = /^spec\.template\.spec\.(containers|initContainers|ephemeralContainers)\.\[\]\.(\w+)$/.exec(joined);
  if (inContainer && CONTAINER_LISTS[last] !== undefined) return { mergeKey: CONTAINER_LISTS[last] };
  return undefined;
}

export function applyStrategicMergePatch(original: JsonValue, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) throw new MalformedPatchError('a strategic merge patch must be a JSON object');
  return mergeValue(original, patch, []) ?? {};
}

/** Returns the merged value, or undefined when the patch deletes it. */
function mergeValue(original: JsonValue | undefined, patch: JsonValue, path: readonly string[]): JsonValue | undefined {
  if (Array.isArray(patch)) return mergeList(Array.isArray(original) ? original : [], patch, path);
  if (!isJsonObject(patch)) return clone(patch);

  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return withoutDirectives(patch);
  if (directive !== undefined && directive !== 'merge') throw new MalformedPatchError(`unknown patch directive "${String(directive)}"`);

  const result: JsonObject = isJsonObject(original) ? clone(original) : {};
  const afterwards: Array<() => void> = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch') continue;
    if (key === '$retainKeys') {
      afterwards.push(() => retainKeys(result, value, patch));
    } else if (key.startsWith('$setElementOrder/')) {
      const field = key.slice('$setElementOrder/'.length);
      afterwards.push(() => setElementOrder(result, field, value, listStrategy([...path, field])));
    } else if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      afterwards.push(() => deleteFromPrimitiveList(result, field, value));
    } else if (value === null) {
      delete result[key];
    } else {
      const merged = mergeValue(result[key], value, [...path, key]);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    }
  }
  for (const step of afterwards) step();
  return result;
}

function mergeList(original: JsonValue[], patch: JsonValue[], path: readonly string[]): JsonValue[] {
  const strategy = listStrategy(path);
  if (strategy === undefined) return patch.map((item) => (isJsonObject(item) ? withoutDirectives(item) : clone(item)));
  if (strategy === 'union') {
    const result = clone(original);
    for (const item of patch) if (!result.some((existing) => jsonEqual(existing, item))) result.push(clone(item));
    return result;
  }
  const { mergeKey } = strategy;
  if (patch.some((item) => isJsonObject(item) && item.$patch === 'replace')) {
    return patch.filter((item) => !(isJsonObject(item) && item.$patch === 'replace')).map((item) => clone(item));
  }
  const result = clone(original);
  for (const item of patch) {
    if (!isJsonObject(item)) throw new MalformedPatchError(`the list at ${path.join('.')} holds objects merged by "${mergeKey}"`);
    const key = item[mergeKey];
    if (key === undefined) throw new MalformedPatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`);
    const index = result.findIndex((existing) => isJsonObject(existing) && jsonEqual(existing[mergeKey], key));
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    const merged = mergeValue(index >= 0 ? result[index] : undefined, item, [...path, '[]']);
    if (merged === undefined) continue;
    if (index >= 0) result[index] = merged;
    else result.push(merged);
  }
  return result;
}

function withoutDirectives(value: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (key.startsWith('$')) continue;
    out[key] = isJsonObject(item) ? withoutDirectives(item) : clone(item);
  }
  return out;
}

function retainKeys(result: JsonObject, keys: JsonValue, patch: JsonObject): void {
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
    throw new MalformedPatchError('$retainKeys must be a list of strings');
  }
  for (const key of Object.keys(patch)) {
    if (!key.startsWith('$') && patch[key] !== null && !keys.includes(key)) {
      throw new MalformedPatchError(`$retainKeys does not list the patched field "${key}"`);
    }
  }
  for (const key of Object.keys(result)) if (!keys.includes(key)) delete result[key];
}

function setElementOrder(result: JsonObject, field: string, order: JsonValue, strategy: ListStrategy | undefined): void {
  const list = result[field];
  if (!Array.isArray(order) || !Array.isArray(list)) return;
  const keyOf = (item: JsonValue): JsonValue | undefined =>
    typeof strategy === 'object' ? (isJsonObject(item) ? item[strategy.mergeKey] : undefined) : item;
  const rank = (item: JsonValue): number => {
    const index = order.findIndex((entry) => jsonEqual(keyOf(entry), keyOf(item)));
    return index < 0 ? order.length : index;
  };
  // Array.prototype.sort is stable, so items the directive does not name keep their relative order.
  result[field] = [...list].sort((a, b) => rank(a) - rank(b));
}

function deleteFromPrimitiveList(result: JsonObject, field: string, values: JsonValue): void {
  const list = result[field];
  if (!Array.isArray(values)) throw new MalformedPatchError(`$deleteFromPrimitiveList/${field} must be a list`);
  if (Array.isArray(list)) result[field] = list.filter((item) => !values.some((v) => jsonEqual(v, item)));
}
