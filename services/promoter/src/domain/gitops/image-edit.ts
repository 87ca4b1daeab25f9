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
import { CST, Composer, Parser, Scalar, isMap, isScalar, isSeq, parse as parseYaml, parseDocument } from 'yaml';
import type { Document, Node, YAMLMap } from 'yaml';
import { formatImageReference, parseImageReference, type ImageReference } from '../image-reference.js';
import { ImageEditError } from './image-edit-error.js';

export { ImageEditError, type ImageEditErrorCode } from './image-edit-error.js';

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

/** The full image reference the file holds at the locator. */
export function readImage(text: string, locator: ImageLocator, file: string): string {
  return locate(parseFile(text, file), locator, file).image;
}

/**
 * Sets the image, refusing with an `image-drift` ImageEditError if the file holds neither the expected
 * current image nor (already) the new one.
 */
export function setImage(text: string, locator: ImageLocator, change: ImageChange): ImageEdit {
  const { file, expectedCurrentImage, newImage } = change;
  const ref = parseImageReference(newImage);
  if ('error' in ref) throw new ImageEditError('unsupported-image', file, `Cannot write to ${file}: ${ref.error}.`);
  const target = locate(parseFile(text, file), locator, file);
  if (target.image === newImage) return { text, previousImage: target.image, changed: false };
  if (target.image !== expectedCurrentImage) {
    throw new ImageEditError(
      'image-drift',
      file,
      `${file} holds ${target.where} = '${target.image}', not the expected '${expectedCurrentImage}': ` +
        'it was changed by someone else, and it is not overwritten.',
      target.image,
    );
  }
  const output = target.render(ref);
  // The edit must mean what it says: read the new text back through the same locator.
  const readBack = readImage(output, locator, file);
  if (readBack !== newImage) {
    throw new ImageEditError('unsupported-image', file, `Writing '${newImage}' to ${target.where} in ${file} would read back as '${readBack}'; the file is left as it is.`);
  }
  return { text: output, previousImage: target.image, changed: true };
}

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

// ---------------------------------------------------------------------------------------------------

interface ParsedFile {
  readonly text: string;
  readonly tokens: readonly CST.Token[];
  readonly documents: readonly Document.Parsed[];
}

/** Where the image is, what it is, and how to print the file with another one. */
interface Target {
  readonly image: string;
  /** Names the place for messages, e.g. "container 'proxy' of Deployment 'web'". */
  readonly where: string;
  render(image: ImageReference): string;
}

function parseFile(text: string, file: string): ParsedFile {
  const tokens = [...new Parser().parse(text)];
  const documents = [...new Composer({ keepSourceTokens: true }).compose(tokens)];
  for (const document of documents) {
    const [error] = document.errors;
    if (error) throw new ImageEditError('invalid-yaml', file, `${file} is not valid YAML: ${error.message.split('\n')[0] ?? ''}`);
  }
  return { text, tokens, documents };
}

function locate(parsed: ParsedFile, locator: ImageLocator, file: string): Target {
  const problem = locatorProblem(locator);
  if (problem) throw new ImageEditError('invalid-locator', file, `Cannot locate the image in ${file}: ${problem}.`);
  switch (locator.kind) {
    case 'manifest':
      return locateInManifest(parsed, locator, file);
    case 'kustomization':
      return locateInKustomization(parsed, locator, file);
    case 'helm-values':
      return locateInHelmValues(parsed, locator, file);
  }
}

/** Where each workload kind keeps its pod spec. */
const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  Pod: ['spec'],
};

function locateInManifest(parsed: ParsedFile, locator: ManifestLocator, file: string): Target {
  const matches: { node: Scalar.Parsed; workload: string }[] = [];
  const seen: string[] = [];
  for (const document of parsed.documents) {
    if (!isMap(document.contents)) continue;
    const kind = document.get('kind');
    const name = document.getIn(['metadata', 'name']);
    if (typeof kind !== 'string' || !Object.hasOwn(POD_SPEC_PATHS, kind)) continue;
    if (locator.deployment !== undefined && (kind !== 'Deployment' || name !== locator.deployment)) continue;
    const workload = `${kind} '${String(name)}'`;
    const containers = document.getIn([...(POD_SPEC_PATHS[kind] ?? []), 'containers'], true);
    const names: string[] = [];
    if (isSeq(containers)) {
      for (const item of containers.items) {
        if (!isMap(item)) continue;
        const containerName = item.get('name');
        names.push(String(containerName));
        if (containerName !== locator.container) continue;
        const image = item.get('image', true);
        if (!isScalar(image)) {
          throw new ImageEditError('container-not-found', file, `${file}: container '${locator.container}' of ${workload} has no image: value.`);
        }
        matches.push({ node: image as Scalar.Parsed, workload });
      }
    }
    seen.push(`${workload} with container${names.length === 1 ? '' : 's'} ${names.length ? names.join(', ') : '(none)'}`);
  }
  const scope = locator.deployment !== undefined ? ` in Deployment '${locator.deployment}'` : '';
  const [match, ...others] = matches;
  if (!match) {
    throw new ImageEditError(
      'container-not-found',
      file,
      `${file} has no container '${locator.container}'${scope}; it has ${seen.length ? seen.join('; ') : `no ${locator.deployment !== undefined ? 'such Deployment' : 'workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or Pod)'}`}.`,
    );
  }
  if (others.length > 0) {
    throw new ImageEditError(
      'ambiguous',
      file,
      `${file} has container '${locator.container}' in ${matches.map((m) => m.workload).join(' and ')}; name the Deployment to say which.`,
    );
  }
  return {
    image: scalarText(match.node),
    where: `the image of container '${locator.container}' of ${match.workload}`,
    render: (image) => {
      writeScalar(match.node, formatImageReference(image));
      return printTokens(parsed);
    },
  };
}

const KUSTOMIZE_FIELDS = ['newName', 'newTag', 'digest'] as const;
type KustomizeField = (typeof KUSTOMIZE_FIELDS)[number];

function locateInKustomization(parsed: ParsedFile, locator: KustomizationLocator, file: string): Target {
  const document = parsed.documents.find((d) => d.contents !== null);
  const images = document?.get('images', true);
  const entries = isSeq(images) ? images.items.filter(isMap) : [];
  const indexes = entries.flatMap((entry, index) => (entry.get('name') === locator.name ? [index] : []));
  const [index, ...others] = indexes;
  if (index === undefined) {
    const names = entries.map((e) => `'${String(e.get('name'))}'`);
    throw new ImageEditError(
      'entry-not-found',
      file,
      `${file} has no images: entry named '${locator.name}'; ${isSeq(images) ? `its entries are ${names.length ? names.join(', ') : '(none)'}` : 'it has no images: list'}.`,
    );
  }
  if (others.length > 0) throw new ImageEditError('ambiguous', file, `${file} has ${indexes.length} images: entries named '${locator.name}'.`);
  const entry = entries[index] as YAMLMap;
  const field = (key: KustomizeField): Scalar.Parsed | undefined => {
    const node = entry.get(key, true);
    return isScalar(node) ? (node as Scalar.Parsed) : undefined;
  };
  const current = {
    newName: textOf(field('newName')),
    newTag: textOf(field('newTag')),
    digest: textOf(field('digest')),
  };
  const image = `${current.newName ?? locator.name}${current.newTag !== undefined ? `:${current.newTag}` : ''}${current.digest !== undefined ? `@${current.digest}` : ''}`;
  return {
    image,
    where: `the images: entry '${locator.name}'`,
    render: (ref) => {
      // What each field must be: a value, or absent. The name is written only when it changes (or the
      // entry already spells it), so an entry that only pins a tag keeps only pinning a tag.
      const wanted: Record<KustomizeField, string | undefined> = {
        newName: current.newName !== undefined || ref.name !== locator.name ? ref.name : undefined,
        newTag: ref.tag,
        digest: ref.digest,
      };
      const structural = KUSTOMIZE_FIELDS.some((key) => (wanted[key] === undefined) !== (current[key] === undefined));
      if (!structural) {
        for (const key of KUSTOMIZE_FIELDS) {
          const node = field(key);
          const value = wanted[key];
          if (node && value !== undefined && value !== current[key]) writeScalar(node, value);
        }
        return printTokens(parsed);
      }
      // Keys come or go: edit the Document and print it (comments and key order kept).
      const fresh = parseDocument(parsed.text);
      const freshImages = fresh.get('images', true);
      const freshEntry = isSeq(freshImages) ? freshImages.items.filter(isMap)[index] : undefined;
      if (!freshEntry) throw new ImageEditError('entry-not-found', file, `${file}: the images: entry '${locator.name}' vanished while editing.`);
      for (const key of KUSTOMIZE_FIELDS) {
        const value = wanted[key];
        if (value === undefined) freshEntry.delete(key);
        else if (value !== current[key]) {
          // Change an existing scalar in place, so the comment attached to it stays.
          const existing = freshEntry.get(key, true);
          if (isScalar(existing)) {
            existing.value = value;
            existing.type = readsAsString(value) ? (existing.type ?? Scalar.PLAIN) : Scalar.QUOTE_DOUBLE;
          } else freshEntry.set(key, stringScalar(value));
        }
      }
      return fresh.toString();
    },
  };
}

function locateInHelmValues(parsed: ParsedFile, locator: HelmValuesLocator, file: string): Target {
  const document = parsed.documents.find((d) => d.contents !== null);
  const at = (path: string): Scalar.Parsed => findScalar(document?.contents ?? null, path, file);
  if (locator.imagePath !== undefined) {
    const node = at(locator.imagePath);
    return {
      image: scalarText(node),
      where: `the key ${locator.imagePath}`,
      render: (ref) => {
        writeScalar(node, formatImageReference(ref));
        return printTokens(parsed);
      },
    };
  }
  const tagPath = locator.tagPath as string;
  const tagNode = at(tagPath);
  const repositoryNode = locator.repositoryPath !== undefined ? at(locator.repositoryPath) : undefined;
  const repository = repositoryNode ? scalarText(repositoryNode) : (locator.repository as string);
  const tag = scalarText(tagNode);
  return {
    image: tag === '' ? repository : `${repository}:${tag}`,
    where: repositoryNode ? `the keys ${locator.repositoryPath as string} and ${tagPath}` : `the key ${tagPath} (repository ${repository})`,
    render: (ref) => {
      if (ref.tag === undefined) {
        throw new ImageEditError('unsupported-image', file, `${file}: the key ${tagPath} holds a tag, and '${formatImageReference(ref)}' has none.`);
      }
      if (!repositoryNode && ref.name !== repository) {
        throw new ImageEditError(
          'unsupported-image',
          file,
          `${file}: only the tag at ${tagPath} is configured, so the image must stay in repository '${repository}', not '${ref.name}'.`,
        );
      }
      if (repositoryNode && ref.name !== repository) writeScalar(repositoryNode, ref.name);
      writeScalar(tagNode, ref.digest !== undefined ? `${ref.tag}@${ref.digest}` : ref.tag);
      return printTokens(parsed);
    },
  };
}

function findScalar(root: Node | null, path: string, file: string): Scalar.Parsed {
  let node: unknown = root;
  const segments = path.split('.');
  segments.forEach((segment, i) => {
    const here = segments.slice(0, i).join('.') || '(the top)';
    const parent = node;
    if (isMap(node)) node = node.get(segment, true);
    else if (isSeq(node) && /^\d+$/.test(segment)) node = node.get(Number(segment), true);
    else {
      const what = node === undefined || node === null ? 'nothing' : isSeq(node) ? 'a list' : 'a value';
      throw new ImageEditError('key-path-not-found', file, `${file} has no key ${path}: at ${here} it has ${what}, not a map.`);
    }
    if (node === undefined) {
      const keys = isMap(parent) ? parent.items.map((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key)) : [];
      throw new ImageEditError(
        'key-path-not-found',
        file,
        `${file} has no key ${path}: '${segment}' is missing under ${here}${keys.length ? ` (it has ${keys.join(', ')})` : ''}.`,
      );
    }
  });
  if (!isScalar(node)) throw new ImageEditError('key-path-not-found', file, `${file}: ${path} is a ${isSeq(node) ? 'list' : 'map'}, not a value.`);
  return node as Scalar.Parsed;
}

/** A scalar as written: a plain `1.20` stays "1.20" (the core schema would read the number 1.2). */
function scalarText(node: Scalar.Parsed): string {
  if (node.value === null || node.value === undefined) return '';
  if (node.type === Scalar.PLAIN && typeof node.source === 'string') return node.source;
  return String(node.value);
}

function textOf(node: Scalar.Parsed | undefined): string | undefined {
  return node ? scalarText(node) : undefined;
}

/** Writes a string into the scalar's CST token, keeping its quoting unless plain would read as another type. */
function writeScalar(node: Scalar.Parsed, value: string): void {
  if (!node.srcToken) throw new Error('scalar without a source token: the file was not parsed with keepSourceTokens');
  let type = node.type === Scalar.BLOCK_FOLDED || node.type === Scalar.BLOCK_LITERAL || node.type === undefined ? Scalar.PLAIN : node.type;
  if (type === Scalar.PLAIN && !readsAsString(value)) type = Scalar.QUOTE_DOUBLE;
  CST.setScalarValue(node.srcToken, value, { type });
}

function stringScalar(value: string): Scalar<string> {
  const scalar = new Scalar(value);
  if (!readsAsString(value)) scalar.type = Scalar.QUOTE_DOUBLE;
  return scalar;
}

/** Whether a plain scalar with this text reads back as this same string (not 1.2, true, null...). */
function readsAsString(value: string): boolean {
  try {
    return parseYaml(value) === value;
  } catch {
    return false;
  }
}

function printTokens(parsed: ParsedFile): string {
  return parsed.tokens.map((token) => CST.stringify(token)).join('');
}

function nonEmpty(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '';
}

function validKeyPath(path: string): boolean {
  return path.split('.').every((segment) => segment !== '');
}
