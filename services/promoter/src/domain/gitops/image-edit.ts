/**
 * Reads and sets a container image in YAML text, keeping everything else byte for byte: comments, key
 * order, indentation, flow style and the value's own quoting. Pure, no I/O.
 *
 * How: the `yaml` package parses the text into its concrete syntax tree (CST) and composes Documents with
 * `keepSourceTokens`, so each node of the Document API knows the CST token it came from. The locator walks
 * the Document API to the scalar(s) holding the image; the new value is written into those tokens with
 * `CST.setScalarValue` (in the scalar's own style), and the file is printed back from the CST. Only when a
 * key must be added or removed (a kustomization entry gaining `newTag`, say) is the Document re-printed with
 * `Document.toString()`, which keeps comments and key order but may normalise indentation.
 * The result is parsed again and must read back as the new image, or the edit is refused.
 *
 * Three file shapes (locators):
 * - `manifest`: a Kubernetes manifest (one or more `---` documents); the container by name in the pod
 *   template of a Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or Pod, optionally only in
 *   the Deployment of a given name.
 * - `kustomization`: the `images:` entry with the given `name`; writes `newName` only when the repository
 *   changes (or when the entry already has it), `newTag` and `digest` as the new image has them.
 * - `helm-values`: a values file at dot-separated key paths (`image.tag`; a numeric segment indexes a list).
 *   Either one key holding the whole reference (`imagePath`), or a tag key plus a repository key
 *   (`tagPath` + `repositoryPath`), or a tag key whose repository is fixed elsewhere in the chart
 *   (`tagPath` + `repository`; the new image must then be of that repository).
 */
import { isImageReference, parseImageReference } from '../image-reference.js';
import { ImageEditError } from './image-edit-error.js';
import type { ImageLocator } from './image-locator.js';
import { locate, type Target } from './locate-image.js';
import { quotableImage, quoteFound } from './quotable-image.js';
import { DEFAULT_PARSE_LIMITS, parseFile, type ParseLimits } from './yaml-source.js';

export { ImageEditError, type ImageEditErrorCode } from './image-edit-error.js';
export { quotableImage, quoteFound } from './quotable-image.js';
export { DEFAULT_PARSE_LIMITS, type ParseLimits } from './yaml-source.js';
export { locatorProblem, type HelmValuesLocator, type ImageLocator, type KustomizationLocator, type ManifestLocator } from './image-locator.js';

export interface ImageChange {
  /** The file's path, for messages only. */
  readonly file: string;
  /** What the file must hold now; anything else is drift and is not overwritten. */
  readonly expectedCurrentImage: string;
  readonly newImage: string;
}

export interface ImageEdit {
  readonly text: string;
  readonly previousImage: string;
  /** False when the file already held the new image (the text is returned unchanged). */
  readonly changed: boolean;
}

/** The full image reference the file holds at the locator; an `not-an-image` error for anything else. */
export function readImage(text: string, locator: ImageLocator, file: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS): string {
  return imageAt(locate(parseFile(text, file, limits), locator, file), file);
}

/**
 * Sets the image, refusing with an `image-drift` ImageEditError if the file holds neither the expected
 * current image nor (already) the new one.
 */
export function setImage(text: string, locator: ImageLocator, change: ImageChange, limits: ParseLimits = DEFAULT_PARSE_LIMITS): ImageEdit {
  const { file, expectedCurrentImage, newImage } = change;
  const ref = parseImageReference(newImage);
  if ('error' in ref) throw new ImageEditError('unsupported-image', file, `Cannot write to ${file}: ${ref.error}.`);
  const target = locate(parseFile(text, file, limits), locator, file);
  if (target.image === newImage) return { text, previousImage: target.image, changed: false };
  if (target.image !== expectedCurrentImage) {
    throw new ImageEditError(
      'image-drift',
      file,
      `${file} holds ${quoteFound(target.image)} at ${target.where}, not the expected '${expectedCurrentImage}': ` + 'it was changed by someone else, and it is not overwritten.',
      quotableImage(target.image) ? target.image : undefined,
    );
  }
  const output = target.render(ref);
  // The edit must mean what it says: read the new text back through the same locator.
  const readBack = locate(parseFile(output, file, limits), locator, file).image;
  if (readBack !== newImage) {
    throw new ImageEditError('unsupported-image', file, `Writing '${newImage}' to ${target.where} in ${file} would read back as ${quoteFound(readBack)}; the file is left as it is.`);
  }
  return { text: output, previousImage: target.image, changed: true };
}

function imageAt(target: Target, file: string): string {
  if (!isImageReference(target.image)) {
    throw new ImageEditError('not-an-image', file, `${file} holds a value that is not an image reference at ${target.where}.`);
  }
  return target.image;
}
