/**
 * Finds the scalar(s) holding the image for each locator kind, reads the full image reference from them,
 * and knows how to print the file with another image. Pure.
 */
import { Scalar, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node, YAMLMap } from 'yaml';
import { formatImageReference, type ImageReference } from '../image-reference.js';
import { ImageEditError } from './image-edit-error.js';
import { locatorProblem, type HelmValuesLocator, type ImageLocator, type KustomizationLocator, type ManifestLocator } from './image-locator.js';
import { printTokens, readsAsString, scalarText, stringScalar, textOf, writeScalar, type ParsedFile } from './yaml-source.js';

/** Where the image is, what it is, and how to print the file with another one. */
export interface Target {
  readonly image: string;
  /** Names the place for messages, e.g. "container 'proxy' of Deployment 'web'". */
  readonly where: string;
  render(image: ImageReference): string;
}

export function locate(parsed: ParsedFile, locator: ImageLocator, file: string): Target {
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
  // A workload is named by its kind (one of POD_SPEC_PATHS) and its document's number, never by what the
  // file says its name is: names come from the request only (see image-edit-error.ts).
  const matches: { node: Scalar.Parsed; workload: string }[] = [];
  let workloads = 0;
  parsed.documents.forEach((document, index) => {
    if (!isMap(document.contents)) return;
    const kind = document.get('kind');
    const name = document.getIn(['metadata', 'name']);
    if (typeof kind !== 'string' || !Object.hasOwn(POD_SPEC_PATHS, kind)) return;
    if (locator.deployment !== undefined && (kind !== 'Deployment' || name !== locator.deployment)) return;
    workloads++;
    const workload = locator.deployment !== undefined ? `Deployment '${locator.deployment}'` : `the ${kind} of document ${index + 1}`;
    const containers = document.getIn([...(POD_SPEC_PATHS[kind] ?? []), 'containers'], true);
    if (!isSeq(containers)) return;
    for (const item of containers.items) {
      if (!isMap(item) || item.get('name') !== locator.container) continue;
      const image = item.get('image', true);
      if (!isScalar(image)) {
        throw new ImageEditError('container-not-found', file, `${file}: container '${locator.container}' of ${workload} has no image: value.`);
      }
      matches.push({ node: image as Scalar.Parsed, workload });
    }
  });
  const [match, ...others] = matches;
  if (!match) {
    const where =
      locator.deployment !== undefined
        ? workloads === 0
          ? `; it has no Deployment '${locator.deployment}'`
          : ` in Deployment '${locator.deployment}'`
        : workloads === 0
          ? '; it has no workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or Pod)'
          : ` in any of its ${workloads} workload${workloads === 1 ? '' : 's'}`;
    throw new ImageEditError('container-not-found', file, `${file} has no container '${locator.container}'${where}.`);
  }
  if (others.length > 0) {
    throw new ImageEditError('ambiguous', file, `${file} has container '${locator.container}' in ${matches.map((m) => m.workload).join(' and ')}; name the Deployment to say which.`);
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

/**
 * The first document that holds something. An empty document (a `---` with nothing after it, as files that
 * start with `---` twice have) is composed with a null scalar as its contents, never with `null`.
 */
function firstWithContent(parsed: ParsedFile): ParsedFile['documents'][number] | undefined {
  return parsed.documents.find((d) => d.contents !== null && !(isScalar(d.contents) && d.contents.value === null));
}

function locateInKustomization(parsed: ParsedFile, locator: KustomizationLocator, file: string): Target {
  const document = firstWithContent(parsed);
  const images = document?.get('images', true);
  const entries = isSeq(images) ? images.items.filter(isMap) : [];
  const indexes = entries.flatMap((entry, index) => (entry.get('name') === locator.name ? [index] : []));
  const [index, ...others] = indexes;
  if (index === undefined) {
    throw new ImageEditError('entry-not-found', file, `${file} has no images: entry named '${locator.name}'${isSeq(images) ? '' : '; it has no images: list'}.`);
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
  const document = firstWithContent(parsed);
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
    if (isMap(node)) node = node.get(segment, true);
    else if (isSeq(node) && /^\d+$/.test(segment)) node = node.get(Number(segment), true);
    else {
      const what = node === undefined || node === null ? 'nothing' : isSeq(node) ? 'a list' : 'a value';
      throw new ImageEditError('key-path-not-found', file, `${file} has no key ${path}: at ${here} it has ${what}, not a map.`);
    }
    // The keys that are there are not listed: a 422 must not describe a file beyond what was asked.
    if (node === undefined) throw new ImageEditError('key-path-not-found', file, `${file} has no key ${path}: '${segment}' is missing under ${here}.`);
  });
  if (!isScalar(node)) throw new ImageEditError('key-path-not-found', file, `${file}: ${path} is a ${isSeq(node) ? 'list' : 'map'}, not a value.`);
  return node as Scalar.Parsed;
}
