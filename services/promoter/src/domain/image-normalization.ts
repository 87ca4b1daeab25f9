/**
 * The fully qualified form of an image reference, as a container runtime resolves it (Docker's own
 * defaults): no registry means Docker Hub (`docker.io`), a one-component Docker Hub path lives under
 * `library/`, `index.docker.io` is `docker.io`, and a reference with neither tag nor digest means `:latest`.
 * Two references that pull the same name compare equal in this form. Pure, no I/O.
 */
import { parseImageReference } from './image-reference.js';

export interface NormalizedImage {
  /** Registry and path: `docker.io/library/nginx`, `registry.example.com:5000/team/app`. */
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
  /** `repository[:tag][@digest]`. */
  readonly normalized: string;
}

const DOCKER_HUB = 'docker.io';

export function normalizeImage(value: string): NormalizedImage | { error: string } {
  const parsed = parseImageReference(value);
  if ('error' in parsed) return parsed;
  const [first = '', ...rest] = parsed.name.split('/');
  // A first component is a registry only when it looks like a host (a dot or a port) or is localhost.
  const hasRegistry = rest.length > 0 && (/[.:]/.test(first) || first === 'localhost' || first.startsWith('['));
  const registryName = hasRegistry ? first.toLowerCase() : DOCKER_HUB;
  const registry = registryName === 'index.docker.io' ? DOCKER_HUB : registryName;
  const pathParts = hasRegistry ? rest : [first, ...rest];
  const path = registry === DOCKER_HUB && pathParts.length === 1 ? `library/${pathParts[0]}` : pathParts.join('/');
  const repository = `${registry}/${path}`;
  const tag = parsed.tag ?? (parsed.digest === undefined ? 'latest' : undefined);
  const digest = parsed.digest;
  return { repository, tag, digest, normalized: `${repository}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}` };
}
