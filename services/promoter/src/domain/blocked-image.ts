/**
 * Does a block refuse an image? A block names one image, in its normalized form (image-normalization.ts):
 * - with a digest (`repo@sha256:…`, or `repo:tag@sha256:…`): every reference of that repository carrying
 *   that digest, whatever its tag; the digest is the image's identity, a tag beside it is a label;
 * - with a tag only (`repo:tag`): every reference of that repository with that tag, with or without a
 *   digest (a pinned `repo:tag@sha256:…` still names the blocked tag; refusing it is the safe side).
 * A reference carrying no digest is not matched by a digest block: the service compares references, it
 * does not ask the registry what a tag points to.
 * A block within a namespace applies to that namespace's promotions; a global one (namespace null) to all.
 * Pure, no I/O (`blockOf` asks the lookup it is given).
 */
import { normalizeImage, type NormalizedImage } from './image-normalization.js';
import { describeActor, type ActorIdentity } from './actor.js';

export interface BlockRule {
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
  /** null: every namespace. */
  readonly namespace: string | null;
}

/** What a block names, from the normalized reference the caller gave. */
export function blockRuleOf(image: NormalizedImage, namespace: string | null): BlockRule {
  // With a digest the tag is not part of the rule (see above).
  return { repository: image.repository, tag: image.digest === undefined ? image.tag : undefined, digest: image.digest, namespace };
}

export function blockMatches(block: BlockRule, image: NormalizedImage, namespace: string): boolean {
  if (block.namespace !== null && block.namespace !== namespace) return false;
  if (block.repository !== image.repository) return false;
  if (block.digest !== undefined) return image.digest === block.digest;
  return block.tag !== undefined && image.tag === block.tag;
}

/** The first of `blocks` (callers pass them oldest first) that refuses `image` in `namespace`. */
export function findBlock<B extends BlockRule>(blocks: readonly B[], image: NormalizedImage, namespace: string): B | undefined {
  return blocks.find((block) => blockMatches(block, image, namespace));
}

/** A block as the API shows it (OpenAPI `BlockedImage`); lifted blocks are kept, with who lifted them and why. */
export interface BlockedImage {
  readonly id: string;
  /** The reference as it was given. */
  readonly image: string;
  readonly normalizedImage: string;
  readonly digest: string | null;
  readonly namespace: string | null;
  readonly reason: string;
  readonly source: 'manual' | 'rollback';
  readonly promotionId: string | null;
  readonly createdBy: string;
  /** Who added it, as an identity (null: the engine's rollback, or a block from before identities were recorded). */
  readonly createdByIdentity: ActorIdentity | null;
  readonly createdAt: string;
  readonly state: 'active' | 'lifted';
  readonly liftedAt: string | null;
  readonly liftedBy: string | null;
  readonly liftedByIdentity: ActorIdentity | null;
  readonly liftReason: string | null;
}

/** One sentence naming a block: which, what, why, who and when (for refusals and the engine's reasons). */
export function describeBlock(block: BlockedImage): string {
  const scope = block.namespace === null ? 'everywhere' : `in namespace ${block.namespace}`;
  return `${block.image} is blocked ${scope} (block ${block.id}, by ${describeActor(block.createdBy, block.createdByIdentity)} at ${block.createdAt}: ${block.reason})`;
}

/** Where the active blocks are read (the repository; a stand-in in unit tests). */
export interface BlockedImageLookup {
  findBlocking(image: NormalizedImage, namespace: string): Promise<BlockedImage | undefined>;
}

/**
 * The active block refusing an image reference in `namespace`, if any: the one lookup of the create routes
 * and the engine. A reference that does not parse is refused elsewhere, so it matches no block here.
 */
export async function blockOf(lookup: BlockedImageLookup, image: string, namespace: string): Promise<BlockedImage | undefined> {
  const normalized = normalizeImage(image);
  if ('error' in normalized) return undefined;
  return lookup.findBlocking(normalized, namespace);
}
