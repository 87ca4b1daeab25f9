/**
 * Why an image could not be read from or written to a file. Each has a stable `code` and a sentence that
 * names the file and what is wrong there, so an operator can fix the file (or the configuration) without
 * opening a debugger. Pure domain error, no I/O. A repository's content is untrusted input (anyone with
 * push access writes it, and a file may hold a secret): a message names only what the request or the
 * configuration said (file, locator, images) and never quotes the file, except an image reference found at
 * the locator, and only when it looks like one (`quotableImage`).
 */
export type ImageEditErrorCode =
  /** The text is not YAML the parser accepts. */
  | 'invalid-yaml'
  /** Manifest: no workload has a container with that name (or no workload of that name). */
  | 'container-not-found'
  /** Helm values: a key of the path is missing, or leads into something that is not a map or list. */
  | 'key-path-not-found'
  /** Kustomization: no `images:` entry has that `name`. */
  | 'entry-not-found'
  /** More than one place matches the locator; editing one of them would be a guess. */
  | 'ambiguous'
  /** The file holds another image than the caller expected: someone changed it; it is not overwritten. */
  | 'image-drift'
  /** The new image cannot be written in this shape (e.g. a digest into a tag-only values key). */
  | 'unsupported-image'
  /** The locator itself is malformed. */
  | 'invalid-locator'
  /** The value at the locator is not an image reference. */
  | 'not-an-image'
  /** The file has more YAML documents than the limit, or took longer to parse than the time limit. */
  | 'too-large';

export class ImageEditError extends Error {
  readonly code: ImageEditErrorCode;
  readonly file: string;
  /** What the file holds at the locator, when something was found there (drift). */
  readonly found: string | undefined;

  constructor(code: ImageEditErrorCode, file: string, message: string, found?: string) {
    super(message);
    this.name = 'ImageEditError';
    this.code = code;
    this.file = file;
    this.found = found;
  }
}
