/**
 * Golden files: each case reads `fixtures/<case>.input.yaml`, sets the image, and compares the output with
 * `fixtures/<case>.expected.yaml` byte for byte. The expected files differ from the inputs only in the image
 * value(s) (see `git diff --no-index` of a pair), except where a key must be added (noted per case).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ImageEditError, locatorProblem, readImage, setImage, type ImageEditErrorCode, type ImageLocator } from './image-edit.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const DIGEST = 'sha256:' + '0123456789abcdef'.repeat(4);

interface GoldenCase {
  readonly locator: ImageLocator;
  readonly current: string;
  readonly next: string;
}

const golden: ReadonlyArray<[string, GoldenCase]> = [
  ['manifest-comments', { locator: { kind: 'manifest', container: 'proxy' }, current: 'ronaldraygun/zai-proxy:1.2.0', next: 'ronaldraygun/zai-proxy:1.2.1' }],
  ['manifest-multidoc', { locator: { kind: 'manifest', container: 'app', deployment: 'web-b' }, current: 'registry.example.com:5000/team/web:2.0.0', next: 'registry.example.com:5000/team/web:2.1.0' }],
  ['manifest-flow', { locator: { kind: 'manifest', container: 'proxy' }, current: 'ronaldraygun/zai-proxy:1.2.0', next: 'ronaldraygun/zai-proxy:1.2.1' }],
  ['manifest-single-quoted', { locator: { kind: 'manifest', container: 'job' }, current: 'ghcr.io/acme/nightly:1.0', next: `ghcr.io/acme/nightly:1.1@${DIGEST}` }],
  ['manifest-crlf', { locator: { kind: 'manifest', container: 'app', deployment: 'web' }, current: 'web:1.0', next: 'web:1.1' }],
  ['kustomization-tag', { locator: { kind: 'kustomization', name: 'ronaldraygun/zai-proxy' }, current: 'ronaldraygun/zai-proxy:1.2.0', next: 'ronaldraygun/zai-proxy:1.2.1' }],
  ['kustomization-newname', { locator: { kind: 'kustomization', name: 'zai-proxy' }, current: 'registry.example.com/mirror/zai-proxy:1.2.0', next: 'registry.example.com/other/zai-proxy:1.3.0' }],
  // Adds `digest:` (a key appears): printed through the Document, comments and key order kept.
  ['kustomization-add-digest', { locator: { kind: 'kustomization', name: 'ronaldraygun/zai-proxy' }, current: 'ronaldraygun/zai-proxy:1.2.0', next: `ronaldraygun/zai-proxy:1.2.1@${DIGEST}` }],
  ['helm-tag-pair', { locator: { kind: 'helm-values', repositoryPath: 'image.repository', tagPath: 'image.tag' }, current: 'ronaldraygun/zai-proxy:1.2.0', next: 'ronaldraygun/zai-proxy:1.2.1' }],
  // 1.30 written plain would read back as the number 1.3: it is quoted.
  ['helm-tag-numeric', { locator: { kind: 'helm-values', repositoryPath: 'image.repository', tagPath: 'image.tag' }, current: 'acme/app:1.20', next: 'acme/app:1.30' }],
  ['helm-image-path', { locator: { kind: 'helm-values', imagePath: 'proxy.app.image' }, current: 'ghcr.io/acme/app:3.1.4', next: 'ghcr.io/acme/app:3.2.0' }],
  ['helm-fixed-repository', { locator: { kind: 'helm-values', tagPath: 'global.image.tag', repository: 'ronaldraygun/zai-proxy' }, current: 'ronaldraygun/zai-proxy:v1.2.0', next: 'ronaldraygun/zai-proxy:v1.2.1' }],
];

describe('setImage: golden files', () => {
  it.each(golden)('%s', (name, { locator, current, next }) => {
    const input = fixture(`${name}.input.yaml`);
    const file = `deploy/${name}.yaml`;
    expect(readImage(input, locator, file)).toBe(current);
    const edit = setImage(input, locator, { file, expectedCurrentImage: current, newImage: next });
    expect(edit).toMatchObject({ previousImage: current, changed: true });
    expect(edit.text).toBe(fixture(`${name}.expected.yaml`));
    expect(readImage(edit.text, locator, file)).toBe(next);
    // Setting it again is a no-op that says so.
    expect(setImage(edit.text, locator, { file, expectedCurrentImage: current, newImage: next })).toEqual({ text: edit.text, previousImage: next, changed: false });
  });

  it('leaves the other Deployment of a multi-document file alone', () => {
    const edited = setImage(fixture('manifest-multidoc.input.yaml'), { kind: 'manifest', container: 'app', deployment: 'web-b' }, {
      file: 'f.yaml',
      expectedCurrentImage: 'registry.example.com:5000/team/web:2.0.0',
      newImage: 'registry.example.com:5000/team/web:2.1.0',
    }).text;
    expect(readImage(edited, { kind: 'manifest', container: 'app', deployment: 'web-a' }, 'f.yaml')).toBe('registry.example.com:5000/team/web:2.0.0');
  });

  it('writes only newTag when a kustomization entry keeps its name', () => {
    const edited = setImage(fixture('kustomization-tag.input.yaml'), { kind: 'kustomization', name: 'ronaldraygun/zai-proxy' }, {
      file: 'k.yaml',
      expectedCurrentImage: 'ronaldraygun/zai-proxy:1.2.0',
      newImage: 'ronaldraygun/zai-proxy:1.2.1',
    }).text;
    expect(edited).not.toContain('newName');
  });
});

describe('errors name the file and what was found', () => {
  const cases: ReadonlyArray<[string, { text: string; locator: ImageLocator; expected?: string; next?: string; code: ImageEditErrorCode; message: RegExp }]> = [
    ['container not in the manifest', { text: fixture('manifest-comments.input.yaml'), locator: { kind: 'manifest', container: 'app' }, code: 'container-not-found', message: /^f\.yaml has no container 'app' in any of its 1 workload\.$/ }],
    ['no Deployment of that name', { text: fixture('manifest-multidoc.input.yaml'), locator: { kind: 'manifest', container: 'app', deployment: 'web-c' }, code: 'container-not-found', message: /no container 'app'; it has no Deployment 'web-c'\.$/ }],
    ['a container in two Deployments', { text: fixture('manifest-multidoc.input.yaml'), locator: { kind: 'manifest', container: 'app' }, code: 'ambiguous', message: /in the Deployment of document 2 and the Deployment of document 3; name the Deployment/ }],
    ['a file without workloads', { text: 'kind: ConfigMap\ndata: {a: b}\n', locator: { kind: 'manifest', container: 'app' }, code: 'container-not-found', message: /it has no workload/ }],
    ['a key path that is not there', { text: fixture('helm-tag-pair.input.yaml'), locator: { kind: 'helm-values', imagePath: 'image.name' }, code: 'key-path-not-found', message: /^f\.yaml has no key image\.name: 'name' is missing under image\.$/ }],
    ['a key path through a value', { text: fixture('helm-tag-pair.input.yaml'), locator: { kind: 'helm-values', imagePath: 'replicaCount.image' }, code: 'key-path-not-found', message: /at replicaCount it has a value, not a map/ }],
    ['a key path to a map', { text: fixture('helm-tag-pair.input.yaml'), locator: { kind: 'helm-values', imagePath: 'image' }, code: 'key-path-not-found', message: /image is a map, not a value/ }],
    ['no kustomization entry', { text: fixture('kustomization-tag.input.yaml'), locator: { kind: 'kustomization', name: 'zai-proxy' }, code: 'entry-not-found', message: /^f\.yaml has no images: entry named 'zai-proxy'\.$/ }],
    ['drift: the file holds another image', { text: fixture('manifest-comments.input.yaml'), locator: { kind: 'manifest', container: 'proxy' }, expected: 'ronaldraygun/zai-proxy:1.1.0', code: 'image-drift', message: /^f\.yaml holds 'ronaldraygun\/zai-proxy:1\.2\.0' at the image of container 'proxy' of the Deployment of document 1, not the expected 'ronaldraygun\/zai-proxy:1\.1\.0'/ }],
    ['not YAML', { text: 'a: [1, 2\n', locator: { kind: 'manifest', container: 'x' }, code: 'invalid-yaml', message: /^f\.yaml is not valid YAML \([A-Z_]+ at line \d+\)$/ }],
    ['a value that is not an image', { text: 'users:\n  - user:\n      token: eyJhbGciOiJSUzI1NiJ9.SECRET\n', locator: { kind: 'helm-values', imagePath: 'users.0.user.token' }, code: 'image-drift', message: /^f\.yaml holds a value that is not an image reference at the key users\.0\.user\.token, not the expected/ }],
    ['more documents than the limit', { text: '---\na: 1\n'.repeat(1_001), locator: { kind: 'manifest', container: 'x' }, code: 'too-large', message: /^f\.yaml has more than 1000 YAML documents \(the limit\)/ }],
    ['a new repository into a tag-only key', { text: fixture('helm-fixed-repository.input.yaml'), locator: { kind: 'helm-values', tagPath: 'global.image.tag', repository: 'ronaldraygun/zai-proxy' }, expected: 'ronaldraygun/zai-proxy:v1.2.0', next: 'other/zai-proxy:v1.2.1', code: 'unsupported-image', message: /must stay in repository 'ronaldraygun\/zai-proxy'/ }],
    ['a digest without a tag into a tag key', { text: fixture('helm-tag-pair.input.yaml'), locator: { kind: 'helm-values', repositoryPath: 'image.repository', tagPath: 'image.tag' }, expected: 'ronaldraygun/zai-proxy:1.2.0', next: `ronaldraygun/zai-proxy@${DIGEST}`, code: 'unsupported-image', message: /holds a tag/ }],
    ['a malformed locator', { text: 'a: 1\n', locator: { kind: 'helm-values', tagPath: 'a' }, code: 'invalid-locator', message: /exactly one of repositoryPath or repository/ }],
  ];
  it.each(cases)('%s', (_name, { text, locator, expected, next, code, message }) => {
    let caught: unknown;
    try {
      setImage(text, locator, { file: 'f.yaml', expectedCurrentImage: expected ?? 'none:0', newImage: next ?? 'new/image:1' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ImageEditError);
    expect(caught).toMatchObject({ code, file: 'f.yaml' });
    expect((caught as Error).message).toMatch(message);
  });

  it('never quotes what the file holds beyond an image reference', () => {
    const secret = 'eyJhbGciOiJSUzI1NiJ9.SECRET';
    const text = `users:\n  - user:\n      token: ${secret}\n  - user:\n      token: admin:123abc\n`;
    for (const [locator, call] of [
      [{ kind: 'helm-values', imagePath: 'users.0.user.token' }, 'read'],
      [{ kind: 'helm-values', imagePath: 'users.0.user.token' }, 'set'],
      [{ kind: 'helm-values', imagePath: 'users.0.user.missing' }, 'read'],
      [{ kind: 'manifest', container: 'x' }, 'read'],
      [{ kind: 'kustomization', name: 'x' }, 'read'],
    ] as const) {
      const attempt = () => (call === 'read' ? readImage(text, locator, 'f.yaml') : setImage(text, locator, { file: 'f.yaml', expectedCurrentImage: 'a/b:1', newImage: 'a/b:2' }));
      expect(attempt).toThrow(ImageEditError);
      try {
        attempt();
      } catch (error) {
        expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toMatch(/SECRET|admin:123/);
      }
    }
    expect(() => readImage(text, { kind: 'helm-values', imagePath: 'users.0.user.token' }, 'f.yaml')).toThrow(expect.objectContaining({ code: 'not-an-image' }));
  });

  it('drift carries the image found', () => {
    const text = fixture('helm-tag-pair.input.yaml');
    const locator: ImageLocator = { kind: 'helm-values', repositoryPath: 'image.repository', tagPath: 'image.tag' };
    expect(() => setImage(text, locator, { file: 'v.yaml', expectedCurrentImage: 'ronaldraygun/zai-proxy:1.1.0', newImage: 'ronaldraygun/zai-proxy:1.2.1' })).toThrow(
      expect.objectContaining({ code: 'image-drift', found: 'ronaldraygun/zai-proxy:1.2.0' }),
    );
  });
});

describe('locatorProblem', () => {
  const cases: ReadonlyArray<[string, { given: ImageLocator; want: string | undefined }]> = [
    ['manifest', { given: { kind: 'manifest', container: 'app' }, want: undefined }],
    ['manifest without container', { given: { kind: 'manifest', container: ' ' }, want: 'a manifest locator needs the container name' }],
    ['helm image path', { given: { kind: 'helm-values', imagePath: 'a.b' }, want: undefined }],
    ['helm image path with a tag path', { given: { kind: 'helm-values', imagePath: 'a', tagPath: 'b' }, want: 'give either imagePath alone, or tagPath with repositoryPath or repository' }],
    ['helm empty segment', { given: { kind: 'helm-values', imagePath: 'a..b' }, want: 'a key path is dot-separated keys, none empty (e.g. image.tag)' }],
    ['helm nothing', { given: { kind: 'helm-values' }, want: 'a helm-values locator needs imagePath or tagPath' }],
    ['helm bad repository', { given: { kind: 'helm-values', tagPath: 't', repository: 'Not A Repo' }, want: "repository 'Not A Repo' is not an image repository name" }],
    ['kustomization', { given: { kind: 'kustomization', name: '' }, want: 'a kustomization locator needs the images entry name' }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => expect(locatorProblem(given)).toBe(want));
});

describe('setImage and readImage say exactly what they refuse', () => {
  const manifest = fixture('manifest-comments.input.yaml');
  const locator: ImageLocator = { kind: 'manifest', container: 'proxy' };

  it('a new image that is not an image reference is refused before the file is read', () => {
    let caught: unknown;
    try {
      setImage('not: [yaml', locator, { file: 'f.yaml', expectedCurrentImage: 'a/b:1', newImage: 'Not An Image' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'unsupported-image', file: 'f.yaml' });
    expect((caught as Error).message).toMatch(/^Cannot write to f\.yaml: 'Not An Image' is not an OCI image reference .*\.$/);
  });

  it('drift says the file was changed by someone else and is left alone', () => {
    expect(() => setImage(manifest, locator, { file: 'f.yaml', expectedCurrentImage: 'ronaldraygun/zai-proxy:1.1.0', newImage: 'ronaldraygun/zai-proxy:1.2.1' })).toThrow(
      "f.yaml holds 'ronaldraygun/zai-proxy:1.2.0' at the image of container 'proxy' of the Deployment of document 1, not the expected 'ronaldraygun/zai-proxy:1.1.0': it was changed by someone else, and it is not overwritten.",
    );
  });

  it('a value that is not an image is named by where it is', () => {
    expect(() => readImage('users:\n  - token: Not An Image\n', { kind: 'helm-values', imagePath: 'users.0.token' }, 'f.yaml')).toThrow(
      'f.yaml holds a value that is not an image reference at the key users.0.token.',
    );
  });
});
