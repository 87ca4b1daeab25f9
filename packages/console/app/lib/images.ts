/**
 * Image references as people read them: what a promotion changes from and to, saying what is not known
 * yet instead of drawing `…`, and where a long reference may wrap (after `/`, `:` or `@`, never inside a
 * name, a tag or a digest).
 */
import { isTerminalState, type Promotion } from '@promoter/sdk';

/** One side of a change: an image reference, or words saying it is not known. */
export interface ImageSide {
  readonly text: string;
  readonly known: boolean;
}

/**
 * `[from, to]`, or one side alone when neither image is known yet. Until the engine reads production and
 * resolves the canary, a promotion knows only the image it was asked for (if any).
 */
export function imageChange(p: Pick<Promotion, 'previousImage' | 'resolvedImage' | 'image' | 'source' | 'state'>): ImageSide[] {
  const unresolved = isTerminalState(p.state) ? 'not resolved' : 'not yet resolved';
  const target = p.resolvedImage ?? p.image;
  const canary = p.source ? `the canary ${p.source.deployment}'s image` : null;
  if (!p.previousImage && !target) return [{ text: canary ? `${canary}, ${unresolved}` : `images ${unresolved}`, known: false }];
  const from: ImageSide = p.previousImage ? { text: p.previousImage, known: true } : { text: `current image ${unresolved}`, known: false };
  const to: ImageSide = target ? { text: target, known: true } : { text: `${canary ?? 'new image'}, ${unresolved}`, known: false };
  return [from, to];
}

/**
 * An image reference cut after each `/`, `:` and `@`: the pieces are shown unbreakable, with a line break
 * allowed only between them. `registry.example:5000/team/app:1.2` -> `registry.example:`, `5000/`, `team/`,
 * `app:`, `1.2`.
 */
export function imagePieces(reference: string): string[] {
  return reference.match(/[^/:@]*(?:[/:@]|$)/g)?.filter((piece) => piece !== '') ?? [reference];
}
