/**
 * Where in a file the image is: the three file shapes a GitOps repository uses, and the check of a
 * locator's shape. Pure.
 */
import { parseImageReference } from '../image-reference.js';

export interface ManifestLocator {
  readonly kind: 'manifest';
  readonly container: string;
  /** Only the Deployment of this name; without it every workload in the file is searched. */
  readonly deployment?: string;
}

export interface KustomizationLocator {
  readonly kind: 'kustomization';
  /** The `name` of the `images:` entry (the image name as the base manifests spell it). */
  readonly name: string;
}

/** Exactly one of: `imagePath`; `tagPath` + `repositoryPath`; `tagPath` + `repository`. */
export interface HelmValuesLocator {
  readonly kind: 'helm-values';
  readonly imagePath?: string;
  readonly tagPath?: string;
  readonly repositoryPath?: string;
  readonly repository?: string;
}

export type ImageLocator = ManifestLocator | KustomizationLocator | HelmValuesLocator;

/** Checks a locator's shape; returns a sentence saying what is wrong, or undefined. */
export function locatorProblem(locator: ImageLocator): string | undefined {
  switch (locator.kind) {
    case 'manifest':
      return nonEmpty(locator.container) ? undefined : 'a manifest locator needs the container name';
    case 'kustomization':
      return nonEmpty(locator.name) ? undefined : 'a kustomization locator needs the images entry name';
    case 'helm-values': {
      const { imagePath, tagPath, repositoryPath, repository } = locator;
      const paths = [imagePath, tagPath, repositoryPath].filter((p) => p !== undefined);
      if (paths.some((p) => !validKeyPath(p))) return 'a key path is dot-separated keys, none empty (e.g. image.tag)';
      if (imagePath !== undefined) {
        return tagPath === undefined && repositoryPath === undefined && repository === undefined
          ? undefined
          : 'give either imagePath alone, or tagPath with repositoryPath or repository';
      }
      if (tagPath === undefined) return 'a helm-values locator needs imagePath or tagPath';
      if ((repositoryPath === undefined) === (repository === undefined)) return 'give tagPath with exactly one of repositoryPath or repository';
      if (repository !== undefined && 'error' in parseImageReference(repository)) return `repository '${repository}' is not an image repository name`;
      return undefined;
    }
    default:
      return `unknown locator kind '${(locator as { kind: unknown }).kind as string}'`;
  }
}

function nonEmpty(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '';
}

function validKeyPath(path: string): boolean {
  return path.split('.').every((segment) => segment !== '');
}
