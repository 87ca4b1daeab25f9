/**
 * Whether a value read from a repository file may appear in a message (a reason, an event, a 422). Only
 * an image reference may, and only one that looks like what a manifest holds: a valid reference with a
 * repository path (`team/app`) or a version tag (`app:1.2`). Anything else at the locator (a token a key
 * path happened to reach, `user:password`) is described, never quoted. Pure.
 */
import { parseImageReference } from '../image-reference.js';

const MAX_QUOTED_LENGTH = 300;

export function quotableImage(value: string): boolean {
  if (value.length > MAX_QUOTED_LENGTH) return false;
  const ref = parseImageReference(value);
  if ('error' in ref) return false;
  return ref.name.includes('/') || (ref.tag !== undefined && /^v?[0-9]/.test(ref.tag)) || ref.digest !== undefined;
}

/** `'team/app:1.2'` for an image reference, a description for anything else. */
export function quoteFound(value: string): string {
  return quotableImage(value) ? `'${value}'` : 'a value that is not an image reference';
}
