import { describe, expect, it } from 'vitest';
import type { ImageReference } from '../image-reference.js';
import { ImageEditError } from './image-edit-error.js';
import type { ImageLocator } from './image-locator.js';
import { locate, type Target } from './locate-image.js';
import { parseFile } from './yaml-source.js';

const at = (text: string, locator: ImageLocator): Target => locate(parseFile(text, 'f.yaml'), locator, 'f.yaml');
const ref = (name: string, tag?: string, digest?: string): ImageReference => ({ name, tag, digest });
const DIGEST = 'sha256:' + 'ab'.repeat(32);

function refusal(run: () => unknown): ImageEditError {
  try {
    run();
  } catch (error) {
    if (error instanceof ImageEditError) return error;
    throw error;
  }
  throw new Error('nothing was refused');
}

const workload = (kind: string, name: string, podSpec: string) => `kind: ${kind}\nmetadata:\n  name: ${name}\n${podSpec}`;
const containers = (indent: string, image = 'web:1.0') => `${indent}containers:\n${indent}- name: app\n${indent}  image: ${image}\n`;

describe('manifest locator', () => {
  const kinds: ReadonlyArray<[string, string]> = [
    ['Deployment', `spec:\n  template:\n    spec:\n${containers('      ')}`],
    ['StatefulSet', `spec:\n  template:\n    spec:\n${containers('      ')}`],
    ['DaemonSet', `spec:\n  template:\n    spec:\n${containers('      ')}`],
    ['ReplicaSet', `spec:\n  template:\n    spec:\n${containers('      ')}`],
    ['Job', `spec:\n  template:\n    spec:\n${containers('      ')}`],
    ['CronJob', `spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n${containers('          ')}`],
    ['Pod', `spec:\n${containers('  ')}`],
  ];
  it.each(kinds)('finds the container in the pod spec of a %s', (kind, podSpec) => {
    const target = at(workload(kind, 'w', podSpec), { kind: 'manifest', container: 'app' });
    expect(target.image).toBe('web:1.0');
    expect(target.where).toBe(`the image of container 'app' of the ${kind} of document 1`);
  });

  it('looks only where the kind keeps its pod spec', () => {
    // A Pod's path on a Deployment, and a Deployment's path on a CronJob, hold no pod spec.
    const misplaced = `${workload('Deployment', 'w', `spec:\n${containers('  ')}`)}---\n${workload('CronJob', 'c', `spec:\n  template:\n    spec:\n${containers('      ')}`)}`;
    expect(refusal(() => at(misplaced, { kind: 'manifest', container: 'app' })).message).toBe("f.yaml has no container 'app' in any of its 2 workloads.");
  });

  it('ignores kinds that are not workloads, documents that are not maps, and a kind that is not a string', () => {
    const text = [
      'kind: Service\nspec:\n  template:\n    spec:\n' + containers('      '),
      '- a list\n',
      'kind: [Deployment]\nspec:\n  template:\n    spec:\n' + containers('      '),
      'kind: hasOwnProperty\nspec:\n' + containers('  '),
      workload('Pod', 'p', `spec:\n${containers('  ', 'pod:2')}`),
    ].join('---\n');
    const target = at(text, { kind: 'manifest', container: 'app' });
    expect(target.image).toBe('pod:2');
    expect(target.where).toBe("the image of container 'app' of the Pod of document 5");
  });

  it('with a Deployment named, only that Deployment counts (not a Pod or StatefulSet of that name)', () => {
    const text = [
      workload('StatefulSet', 'web', `spec:\n  template:\n    spec:\n${containers('      ', 'sts:1')}`),
      workload('Deployment', 'other', `spec:\n  template:\n    spec:\n${containers('      ', 'other:1')}`),
      workload('Deployment', 'web', `spec:\n  template:\n    spec:\n${containers('      ', 'web:7')}`),
    ].join('---\n');
    const target = at(text, { kind: 'manifest', container: 'app', deployment: 'web' });
    expect(target.image).toBe('web:7');
    expect(target.where).toBe("the image of container 'app' of Deployment 'web'");
  });

  const missing: ReadonlyArray<[string, { text: string; locator: ImageLocator; message: string }]> = [
    [
      'a named Deployment without that container',
      { text: workload('Deployment', 'web', `spec:\n  template:\n    spec:\n${containers('      ')}`), locator: { kind: 'manifest', container: 'db', deployment: 'web' }, message: "f.yaml has no container 'db' in Deployment 'web'." },
    ],
    [
      'one workload without that container',
      { text: workload('Pod', 'p', `spec:\n${containers('  ')}`), locator: { kind: 'manifest', container: 'db' }, message: "f.yaml has no container 'db' in any of its 1 workload." },
    ],
    [
      'a workload without containers',
      { text: workload('Pod', 'p', 'spec:\n  containers: none\n'), locator: { kind: 'manifest', container: 'app' }, message: "f.yaml has no container 'app' in any of its 1 workload." },
    ],
    [
      'a container list with entries that are not maps',
      { text: workload('Pod', 'p', 'spec:\n  containers:\n  - app\n'), locator: { kind: 'manifest', container: 'app' }, message: "f.yaml has no container 'app' in any of its 1 workload." },
    ],
    [
      'an empty file',
      { text: '', locator: { kind: 'manifest', container: 'app' }, message: "f.yaml has no container 'app'; it has no workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or Pod)." },
    ],
  ];
  it.each(missing)('says what is missing: %s', (_name, { text, locator, message }) => {
    const error = refusal(() => at(text, locator));
    expect(error).toMatchObject({ code: 'container-not-found', file: 'f.yaml' });
    expect(error.message).toBe(message);
  });

  it('a container without an image: value is named', () => {
    const error = refusal(() => at(workload('Pod', 'p', 'spec:\n  containers:\n  - name: app\n    image: [a, b]\n'), { kind: 'manifest', container: 'app' }));
    expect(error).toMatchObject({ code: 'container-not-found' });
    expect(error.message).toBe("f.yaml: container 'app' of the Pod of document 1 has no image: value.");
    expect(refusal(() => at(workload('Deployment', 'w', `spec:\n  template:\n    spec:\n      containers:\n      - name: app\n`), { kind: 'manifest', container: 'app', deployment: 'w' })).message).toBe(
      "f.yaml: container 'app' of Deployment 'w' has no image: value.",
    );
  });

  it('a container in two workloads is ambiguous, naming both', () => {
    const text = `${workload('Pod', 'a', `spec:\n${containers('  ')}`)}---\n${workload('Job', 'b', `spec:\n  template:\n    spec:\n${containers('      ')}`)}`;
    const error = refusal(() => at(text, { kind: 'manifest', container: 'app' }));
    expect(error).toMatchObject({ code: 'ambiguous' });
    expect(error.message).toBe("f.yaml has container 'app' in the Pod of document 1 and the Job of document 2; name the Deployment to say which.");
  });

  it('renders the new image into the scalar and leaves the rest byte for byte', () => {
    const text = `# top\n${workload('Pod', 'p', `spec:\n  containers:\n  - name: app\n    image: "web:1.0"   # pinned\n`)}`;
    expect(at(text, { kind: 'manifest', container: 'app' }).render(ref('web', '1.1', DIGEST))).toBe(text.replace('web:1.0', `web:1.1@${DIGEST}`));
  });

  it('refuses a malformed locator before reading', () => {
    const error = refusal(() => at('a: 1\n', { kind: 'manifest', container: '' }));
    expect(error).toMatchObject({ code: 'invalid-locator' });
    expect(error.message).toBe('Cannot locate the image in f.yaml: a manifest locator needs the container name.');
  });
});

describe('kustomization locator', () => {
  // Indented as yaml prints it, so that an edit that adds or removes a key (printed through the Document) is
  // byte for byte comparable.
  const kustomization = (entries: string) => `# images\nimages:\n${entries.replace(/^(?=.)/gm, '  ')}`;

  const reads: ReadonlyArray<[string, { entries: string; want: string }]> = [
    ['a tag only: the name is the image', { entries: '- name: web\n  newTag: 1.0\n', want: 'web:1.0' }],
    ['a new name and tag', { entries: '- name: web\n  newName: reg.io/web\n  newTag: "2"\n', want: 'reg.io/web:2' }],
    ['a digest only', { entries: `- name: web\n  digest: ${DIGEST}\n`, want: `web@${DIGEST}` }],
    ['a tag and a digest', { entries: `- name: web\n  newTag: v1\n  digest: ${DIGEST}\n`, want: `web:v1@${DIGEST}` }],
    ['nothing but the name', { entries: '- name: web\n', want: 'web' }],
    ['the entry of that name among others', { entries: '- name: other\n  newTag: 9\n- plain\n- name: web\n  newTag: 3\n', want: 'web:3' }],
  ];
  it.each(reads)('reads %s', (_name, { entries, want }) => {
    const target = at(kustomization(entries), { kind: 'kustomization', name: 'web' });
    expect(target.image).toBe(want);
    expect(target.where).toBe("the images: entry 'web'");
  });

  it('reads the first document that holds something, past an empty one', () => {
    // Found by a surviving mutant: an empty document has a null scalar as contents, and was taken as the first.
    expect(at('---\n---\nimages:\n- name: web\n  newTag: "5"\n', { kind: 'kustomization', name: 'web' }).image).toBe('web:5');
    expect(at('--- # values\n---\nimage: web:1\n', { kind: 'helm-values', imagePath: 'image' }).image).toBe('web:1');
  });

  it('a document of plain text holds something: it is the one read', () => {
    expect(refusal(() => at('--- just text\n---\nimage: web:1\n', { kind: 'helm-values', imagePath: 'image' })).message).toBe(
      'f.yaml has no key image: at (the top) it has a value, not a map.',
    );
  });

  it('an empty file has no images: list', () => {
    expect(refusal(() => at('', { kind: 'kustomization', name: 'web' })).message).toBe("f.yaml has no images: entry named 'web'; it has no images: list.");
  });

  it('leaves an unchanged field as written when another changes, even one that would be quoted if written', () => {
    const text = kustomization('- name: web\n  newName: a.io/web\n  newTag: 1.0\n');
    expect(at(text, { kind: 'kustomization', name: 'web' }).render(ref('b.io/web', '1.0'))).toBe(kustomization('- name: web\n  newName: b.io/web\n  newTag: 1.0\n'));
  });

  it('adds a key to the entry of that name when entries that are not maps come before it', () => {
    const text = kustomization('- plain\n- name: web\n  newTag: v1\n');
    expect(at(text, { kind: 'kustomization', name: 'web' }).render(ref('web', 'v1', DIGEST))).toBe(kustomization(`- plain\n- name: web\n  newTag: v1\n  digest: ${DIGEST}\n`));
  });

  const renders: ReadonlyArray<[string, { entries: string; to: ImageReference; want: string }]> = [
    ['a new tag in place', { entries: '- name: web\n  newTag: v1.0 # pinned\n', to: ref('web', 'v1.1'), want: '- name: web\n  newTag: v1.1 # pinned\n' }],
    ['a tag that reads as a number is quoted', { entries: '- name: web\n  newTag: v1\n', to: ref('web', '2'), want: '- name: web\n  newTag: "2"\n' }],
    ['an unchanged field is left as written', { entries: "- name: web\n  newName: 'reg.io/web'\n  newTag: v1.0\n", to: ref('reg.io/web', 'v1.1'), want: "- name: web\n  newName: 'reg.io/web'\n  newTag: v1.1\n" }],
    ['a new name where the entry has one', { entries: '- name: web\n  newName: a.io/web\n  newTag: 1.0\n', to: ref('b.io/web', '1.0'), want: '- name: web\n  newName: b.io/web\n  newTag: 1.0\n' }],
    ['a new name where it had none is added', { entries: '- name: web\n  newTag: 1.0\n', to: ref('b.io/web', '1.0'), want: '- name: web\n  newTag: 1.0\n  newName: b.io/web\n' }],
    ['back to the entry name: newName stays written', { entries: '- name: web\n  newName: a.io/web\n  newTag: 1.0\n', to: ref('web', '1.0'), want: '- name: web\n  newName: web\n  newTag: 1.0\n' }],
    ['a digest is added', { entries: '- name: web\n  newTag: 1.0\n', to: ref('web', '1.0', DIGEST), want: `- name: web\n  newTag: 1.0\n  digest: ${DIGEST}\n` }],
    ['a digest is removed', { entries: `- name: web\n  newTag: v1.0\n  digest: ${DIGEST}\n`, to: ref('web', 'v1.1'), want: '- name: web\n  newTag: v1.1\n' }],
    ['a tag is removed for a digest, a comment kept', { entries: `- name: web\n  newTag: 1.0 # was\n`, to: ref('web', undefined, DIGEST), want: `- name: web\n  digest: ${DIGEST}\n` }],
    [
      'a structural edit quotes a tag that reads as a number and keeps the quoting of another',
      { entries: "- name: web\n  newTag: 'v1'\n", to: ref('web', '3', DIGEST), want: `- name: web\n  newTag: "3"\n  digest: ${DIGEST}\n` },
    ],
    [
      'a structural edit keeps a single-quoted tag single-quoted',
      { entries: "- name: web\n  newTag: 'v1'\n", to: ref('web', 'v2', DIGEST), want: `- name: web\n  newTag: 'v2'\n  digest: ${DIGEST}\n` },
    ],
    [
      'a structural edit writes a plain tag plain',
      { entries: '- name: web\n  newTag: v1\n', to: ref('web', 'v2', DIGEST), want: `- name: web\n  newTag: v2\n  digest: ${DIGEST}\n` },
    ],
  ];
  it.each(renders)('renders %s', (_name, { entries, to, want }) => {
    expect(at(kustomization(entries), { kind: 'kustomization', name: 'web' }).render(to)).toBe(kustomization(want));
  });

  it('renders into the entry of that name, not the first one', () => {
    const text = kustomization('- name: other\n  newTag: 9\n- name: web\n  newTag: v1.0\n');
    expect(at(text, { kind: 'kustomization', name: 'web' }).render(ref('web', 'v1.1', DIGEST))).toBe(kustomization(`- name: other\n  newTag: 9\n- name: web\n  newTag: v1.1\n  digest: ${DIGEST}\n`));
  });

  const refusals: ReadonlyArray<[string, { text: string; code: string; message: string }]> = [
    ['no entry of that name', { text: kustomization('- name: other\n'), code: 'entry-not-found', message: "f.yaml has no images: entry named 'web'." }],
    ['no images: list', { text: 'resources: []\n', code: 'entry-not-found', message: "f.yaml has no images: entry named 'web'; it has no images: list." }],
    ['an images: map', { text: 'images:\n  name: web\n', code: 'entry-not-found', message: "f.yaml has no images: entry named 'web'; it has no images: list." }],
    ['two entries of that name', { text: kustomization('- name: web\n- name: web\n'), code: 'ambiguous', message: "f.yaml has 2 images: entries named 'web'." }],
  ];
  it.each(refusals)('refuses %s', (_name, { text, code, message }) => {
    const error = refusal(() => at(text, { kind: 'kustomization', name: 'web' }));
    expect(error).toMatchObject({ code, file: 'f.yaml' });
    expect(error.message).toBe(message);
  });
});

describe('helm-values locator', () => {
  it('one key holding the whole reference, through a list index', () => {
    const text = 'apps:\n- image: web:1.0 # app\n';
    const target = at(text, { kind: 'helm-values', imagePath: 'apps.0.image' });
    expect(target.image).toBe('web:1.0');
    expect(target.where).toBe('the key apps.0.image');
    expect(target.render(ref('web', '2'))).toBe('apps:\n- image: web:2 # app\n');
  });

  it('a tag key and a repository key: reads both, writes the repository only when it changes', () => {
    const text = 'image:\n  repository: web # hub\n  tag: 1.0\n';
    const locator: ImageLocator = { kind: 'helm-values', repositoryPath: 'image.repository', tagPath: 'image.tag' };
    const target = at(text, locator);
    expect(target.image).toBe('web:1.0');
    expect(target.where).toBe('the keys image.repository and image.tag');
    expect(target.render(ref('web', '1.1'))).toBe('image:\n  repository: web # hub\n  tag: "1.1"\n');
    expect(at(text, locator).render(ref('reg.io/web', 'v2', DIGEST))).toBe(`image:\n  repository: reg.io/web # hub\n  tag: v2@${DIGEST}\n`);
  });

  it('leaves an unchanged repository key as written (a block scalar stays a block)', () => {
    const text = 'image:\n  repository: |-\n    web\n  tag: v1\n';
    const target = at(text, { kind: 'helm-values', repositoryPath: 'image.repository', tagPath: 'image.tag' });
    expect(target.image).toBe('web:v1');
    expect(target.render(ref('web', 'v2'))).toBe('image:\n  repository: |-\n    web\n  tag: v2\n');
  });

  it('a list index may end a key path, and may have several digits', () => {
    const tags = Array.from({ length: 11 }, (_, i) => `- web:${i}\n`).join('');
    expect(at(`tags:\n${tags}`, { kind: 'helm-values', imagePath: 'tags.10' }).image).toBe('web:10');
  });

  it('an empty tag reads as the repository alone', () => {
    expect(at('image:\n  repository: web\n  tag: ""\n', { kind: 'helm-values', repositoryPath: 'image.repository', tagPath: 'image.tag' }).image).toBe('web');
  });

  it('a tag key with the repository fixed in the chart', () => {
    const target = at('tag: v1\n', { kind: 'helm-values', tagPath: 'tag', repository: 'acme/web' });
    expect(target.image).toBe('acme/web:v1');
    expect(target.where).toBe('the key tag (repository acme/web)');
    expect(target.render(ref('acme/web', 'v2'))).toBe('tag: v2\n');
    const error = refusal(() => at('tag: v1\n', { kind: 'helm-values', tagPath: 'tag', repository: 'acme/web' }).render(ref('acme/api', 'v2')));
    expect(error).toMatchObject({ code: 'unsupported-image' });
    expect(error.message).toBe("f.yaml: only the tag at tag is configured, so the image must stay in repository 'acme/web', not 'acme/api'.");
  });

  it('refuses an image without a tag for a tag key', () => {
    const error = refusal(() => at('tag: v1\n', { kind: 'helm-values', tagPath: 'tag', repository: 'acme/web' }).render(ref('acme/web', undefined, DIGEST)));
    expect(error).toMatchObject({ code: 'unsupported-image' });
    expect(error.message).toBe(`f.yaml: the key tag holds a tag, and 'acme/web@${DIGEST}' has none.`);
  });

  const paths: ReadonlyArray<[string, { text: string; path: string; message: string }]> = [
    ['a missing top-level key', { text: 'a: 1\n', path: 'image', message: "f.yaml has no key image: 'image' is missing under (the top)." }],
    ['a missing nested key', { text: 'image:\n  tag: 1\n', path: 'image.repo', message: "f.yaml has no key image.repo: 'repo' is missing under image." }],
    ['an empty file', { text: '', path: 'image.tag', message: 'f.yaml has no key image.tag: at (the top) it has nothing, not a map.' }],
    ['through a value', { text: 'image: web\n', path: 'image.tag', message: 'f.yaml has no key image.tag: at image it has a value, not a map.' }],
    ['through a list by name', { text: 'image:\n- a\n', path: 'image.tag', message: 'f.yaml has no key image.tag: at image it has a list, not a map.' }],
    ['past the end of a list', { text: 'image:\n- a\n', path: 'image.3', message: "f.yaml has no key image.3: '3' is missing under image." }],
    ['through a null', { text: 'a:\n  b:\n', path: 'a.b.c', message: 'f.yaml has no key a.b.c: at a.b it has a value, not a map.' }],
    ['through a list by a name ending in digits', { text: 'image:\n- a\n', path: 'image.a0', message: 'f.yaml has no key image.a0: at image it has a list, not a map.' }],
    ['through a list by a name starting with digits', { text: 'image:\n- a\n', path: 'image.0a', message: 'f.yaml has no key image.0a: at image it has a list, not a map.' }],
    ['to a list', { text: 'image:\n- a\n', path: 'image', message: 'f.yaml: image is a list, not a value.' }],
    ['to a map', { text: 'image:\n  a: 1\n', path: 'image', message: 'f.yaml: image is a map, not a value.' }],
  ];
  it.each(paths)('a key path %s', (_name, { text, path, message }) => {
    const error = refusal(() => at(text, { kind: 'helm-values', imagePath: path }));
    expect(error).toMatchObject({ code: 'key-path-not-found', file: 'f.yaml' });
    expect(error.message).toBe(message);
  });
});
