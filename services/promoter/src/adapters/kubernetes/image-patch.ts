/**
 * The JSON patch (RFC 6902) that changes one container's image. It tests the container's name and current
 * image at the index read just before, so the server applies it only if nobody changed either in between:
 * a compare-and-swap on exactly the fields the promotion owns, without failing on unrelated writes the way a
 * resourceVersion precondition would.
 */
import type { ImageChange } from './types.js';

export type JsonPatchOperation =
  | { readonly op: 'test' | 'replace' | 'add'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string };

/** RFC 6901: `~` becomes `~0` and `/` becomes `~1` (in that order), so `example.com/id` is one token. */
export function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

export function buildImagePatch(input: {
  /** Index of the container in `spec.template.spec.containers`, from a fresh read. */
  readonly index: number;
  readonly change: ImageChange;
  /** Whether `metadata.annotations` exists on the object read; adding a member needs its parent. */
  readonly hasAnnotations: boolean;
}): JsonPatchOperation[] {
  const { index, change, hasAnnotations } = input;
  const container = `/spec/template/spec/containers/${index}`;
  const ops: JsonPatchOperation[] = [
    { op: 'test', path: `${container}/name`, value: change.container },
    { op: 'test', path: `${container}/image`, value: change.expectedImage },
    { op: 'replace', path: `${container}/image`, value: change.newImage },
  ];
  const annotations = Object.entries(change.annotations ?? {});
  if (annotations.length > 0 && !hasAnnotations) {
    ops.push({ op: 'add', path: '/metadata/annotations', value: Object.fromEntries(annotations) });
  } else {
    // `add` on an existing member replaces it (RFC 6902 section 4.1), so one op covers both cases.
    for (const [key, value] of annotations) ops.push({ op: 'add', path: `/metadata/annotations/${escapePointerToken(key)}`, value });
  }
  return ops;
}
