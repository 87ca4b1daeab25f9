/**
 * RFC 7386 JSON Merge Patch (`application/merge-patch+json`): objects merge member by member, `null` deletes a
 * member, and anything else (lists included) replaces the target wholesale.
 */
import { clone, isJsonObject, type JsonObject, type JsonValue } from '../json.js';

export function applyMergePatch(target: JsonValue, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return clone(patch);
  const result: JsonObject = isJsonObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key] ?? null, value);
  }
  return result;
}
