/**
 * OCI image references, after the grammar of the distribution project's `reference` package:
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path-component ( "/" path-component )*
 * Written from the grammar, not copied. Pure, no I/O.
 */
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const REFERENCE = new RegExp(
  `^(?<name>(?:(?<domain>${DOMAIN})/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(?<tag>${TAG}))?(?:@(?<digest>${DIGEST}))?$`,
);

const NAME_MAX_LENGTH = 255;
/**
 * The registered algorithms fix the encoded length and case (OCI image-spec, descriptor.md "Registered
 * algorithms"; go-digest's Validate, which distribution's Parse calls): the grammar's 32+ hex is not enough.
 */
const REGISTERED_DIGEST_LENGTHS: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

export interface ImageReference {
  readonly name: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

/** Parses a reference, or returns a sentence saying what is wrong with it. */
export function parseImageReference(value: string): ImageReference | { error: string } {
  const match = REFERENCE.exec(value);
  if (!match?.groups) {
    return { error: `'${truncate(value)}' is not an OCI image reference ([registry/]repository[:tag][@digest])` };
  }
  const { name, tag, digest, domain } = match.groups;
  if (!name) return { error: 'the image reference has no repository name' };
  // A first component without a dot, colon or "localhost" is a Docker Hub path, not a registry, and
  // path components must be lowercase: the regex alone would accept "Registry/app" as a domain.
  if (domain !== undefined && !/[.:]|^localhost$|^\[/.test(domain) && domain !== domain.toLowerCase()) {
    return { error: `'${truncate(value)}': repository names must be lowercase` };
  }
  if (name.length > NAME_MAX_LENGTH) {
    return { error: `the repository name is longer than ${NAME_MAX_LENGTH} characters` };
  }
  if (digest !== undefined) {
    const [algorithm = '', encoded = ''] = digest.split(':');
    const length = Object.hasOwn(REGISTERED_DIGEST_LENGTHS, algorithm) ? REGISTERED_DIGEST_LENGTHS[algorithm] : undefined;
    if (length !== undefined && (encoded.length !== length || !/^[a-f0-9]+$/.test(encoded))) {
      return { error: `'${truncate(value)}': a ${algorithm} digest is ${length} lowercase hex digits` };
    }
  }
  return { name, tag, digest };
}

export function isImageReference(value: unknown): value is string {
  return typeof value === 'string' && !('error' in parseImageReference(value));
}

export function formatImageReference(ref: ImageReference): string {
  return `${ref.name}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/**
 * The runbook's tag mapping: `registry/app:1.2.1-canary` with suffix `-canary` becomes `registry/app:1.2.1`.
 * A digest is dropped, since it pins the canary's exact bytes and the stripped tag names another image.
 * Returns an error sentence when the tag does not end with the suffix, rather than promoting something else.
 */
export function stripTagSuffix(image: string, suffix: string): string | { error: string } {
  const parsed = parseImageReference(image);
  if ('error' in parsed) return parsed;
  if (parsed.tag === undefined || !parsed.tag.endsWith(suffix) || parsed.tag.length === suffix.length) {
    return { error: `the canary image '${image}' has no tag ending in '${suffix}'` };
  }
  // slice(0, -0) would be empty: count from the start so that an empty suffix keeps the tag.
  return formatImageReference({ name: parsed.name, tag: parsed.tag.slice(0, parsed.tag.length - suffix.length), digest: undefined });
}

/** The version of an image for templates: its tag, else its digest, else "latest". */
export function imageVersion(image: string): string {
  const parsed = parseImageReference(image);
  if ('error' in parsed) return '';
  return parsed.tag ?? parsed.digest ?? 'latest';
}

function truncate(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}
