import { describe, expect, it } from 'vitest';
import {
  formatImageReference,
  imageVersion,
  isImageReference,
  parseImageReference,
  stripTagSuffix,
  type ImageReference,
} from './image-reference.js';

const SHA256 = 'sha256:' + 'a1b2c3d4e5f60718'.repeat(4);
const SHA512 = 'sha512:' + 'f'.repeat(128);

describe('parseImageReference: valid', () => {
  const cases: ReadonlyArray<[string, { given: string; want: ImageReference }]> = [
    ['a Docker Hub short name', { given: 'nginx', want: { name: 'nginx', tag: undefined, digest: undefined } }],
    ['a tag', { given: 'nginx:1.25', want: { name: 'nginx', tag: '1.25', digest: undefined } }],
    ['a Docker Hub path', { given: 'library/nginx', want: { name: 'library/nginx', tag: undefined, digest: undefined } }],
    ['a registry with a port', { given: 'registry.example.com:5000/team/app:1.2.1-canary', want: { name: 'registry.example.com:5000/team/app', tag: '1.2.1-canary', digest: undefined } }],
    ['localhost as the registry', { given: 'localhost/app', want: { name: 'localhost/app', tag: undefined, digest: undefined } }],
    ['localhost with a port (a port, not a tag)', { given: 'localhost:5000/app', want: { name: 'localhost:5000/app', tag: undefined, digest: undefined } }],
    ['a bare name with a numeric tag', { given: 'localhost:5000', want: { name: 'localhost', tag: '5000', digest: undefined } }],
    ['a digest', { given: `app@${SHA256}`, want: { name: 'app', tag: undefined, digest: SHA256 } }],
    ['a tag and a digest', { given: `app:1.0@${SHA256}`, want: { name: 'app', tag: '1.0', digest: SHA256 } }],
    ['a sha512 digest', { given: `app@${SHA512}`, want: { name: 'app', tag: undefined, digest: SHA512 } }],
    ['an unregistered algorithm follows the grammar (32+ hex)', { given: `app@multihash+base58:${'0'.repeat(32)}`, want: { name: 'app', tag: undefined, digest: `multihash+base58:${'0'.repeat(32)}` } }],
    ['an IPv6 registry', { given: '[::1]:5000/app:1', want: { name: '[::1]:5000/app', tag: '1', digest: undefined } }],
    ['an uppercase registry host (hosts are case-insensitive)', { given: 'Registry.Example.com/app', want: { name: 'Registry.Example.com/app', tag: undefined, digest: undefined } }],
    ['separators: . _ __ and runs of -', { given: 'a.b_c__d---e/f-g', want: { name: 'a.b_c__d---e/f-g', tag: undefined, digest: undefined } }],
    ['a tag of 128 characters', { given: `app:${'t'.repeat(128)}`, want: { name: 'app', tag: 't'.repeat(128), digest: undefined } }],
    ['a tag with _ . - and capitals', { given: 'app:_V1.2-rc.1_B', want: { name: 'app', tag: '_V1.2-rc.1_B', digest: undefined } }],
  ];
  it.each(cases)('%s: %s', (_name, { given, want }) => {
    expect(parseImageReference(given)).toEqual(want);
    expect(isImageReference(given)).toBe(true);
    expect(formatImageReference(want)).toBe(given);
  });
});

describe('parseImageReference: invalid', () => {
  const cases: ReadonlyArray<[string, { given: string; want: RegExp }]> = [
    ['an uppercase repository', { given: 'Nginx', want: /not an OCI image reference/ }],
    ['an uppercase path after a registry', { given: 'registry.example.com/Team/app', want: /not an OCI image reference/ }],
    ['an uppercase first component that is no registry', { given: 'Team/app', want: /must be lowercase/ }],
    ['empty', { given: '', want: /not an OCI image reference/ }],
    ['a tag only', { given: ':tag', want: /not an OCI image reference/ }],
    ['a digest only', { given: `@${SHA256}`, want: /not an OCI image reference/ }],
    ['a space inside', { given: 'my app:1', want: /not an OCI image reference/ }],
    ['a trailing space', { given: 'app:1 ', want: /not an OCI image reference/ }],
    ['a trailing newline', { given: 'app:1\n', want: /not an OCI image reference/ }],
    ['an empty tag', { given: 'app:', want: /not an OCI image reference/ }],
    ['a tag of 129 characters', { given: `app:${'t'.repeat(129)}`, want: /not an OCI image reference/ }],
    ['a tag starting with a dot', { given: 'app:.1', want: /not an OCI image reference/ }],
    ['a tag starting with a dash', { given: 'app:-canary', want: /not an OCI image reference/ }],
    ['a short digest', { given: 'app@sha256:short', want: /not an OCI image reference/ }],
    ['a sha256 digest of 32 hex digits', { given: `app@sha256:${'a'.repeat(32)}`, want: /sha256 digest is 64 lowercase hex digits/ }],
    ['a sha256 digest of 65 hex digits', { given: `app@sha256:${'a'.repeat(65)}`, want: /sha256 digest is 64 lowercase hex digits/ }],
    ['a sha256 digest in uppercase', { given: `app@sha256:${'A'.repeat(64)}`, want: /sha256 digest is 64 lowercase hex digits/ }],
    ['a digest without an algorithm', { given: `app@${'a'.repeat(64)}`, want: /not an OCI image reference/ }],
    ['a leading dash', { given: '-app', want: /not an OCI image reference/ }],
    ['a trailing separator', { given: 'app-', want: /not an OCI image reference/ }],
    ['an empty path component', { given: 'app//x', want: /not an OCI image reference/ }],
    ['a leading slash', { given: '/app', want: /not an OCI image reference/ }],
    ['three underscores', { given: 'a___b', want: /not an OCI image reference/ }],
    ['a scheme', { given: 'https://registry.example.com/app', want: /not an OCI image reference/ }],
    ['a shell command separator', { given: 'app;rm -rf /', want: /not an OCI image reference/ }],
    ['a command substitution', { given: 'app:$(id)', want: /not an OCI image reference/ }],
    ['backticks', { given: 'app:`id`', want: /not an OCI image reference/ }],
    ['a pipe', { given: 'app|sh', want: /not an OCI image reference/ }],
    ['an ampersand', { given: 'app&', want: /not an OCI image reference/ }],
    ['a quote', { given: "app:1'", want: /not an OCI image reference/ }],
    ['a repository name over 255 characters', { given: `r.example.com/${'a'.repeat(250)}`, want: /longer than 255/ }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    expect(parseImageReference(given)).toEqual({ error: expect.stringMatching(want) });
    expect(isImageReference(given)).toBe(false);
  });

  it('isImageReference refuses what is not a string', () => {
    for (const value of [undefined, null, 1, {}, ['nginx']]) expect(isImageReference(value)).toBe(false);
  });

  it('shortens a long input in the error sentence', () => {
    const result = parseImageReference(`${'A'.repeat(1000)}`);
    expect('error' in result && result.error.length).toBeLessThan(200);
  });
});

describe('stripTagSuffix', () => {
  const cases: ReadonlyArray<[string, { image: string; suffix: string; want: string | RegExp }]> = [
    ['the runbook mapping', { image: 'r/app:1.2.1-canary', suffix: '-canary', want: 'r/app:1.2.1' }],
    ['a registry with a port', { image: 'registry.example.com:5000/team/app:1.2.1-canary', suffix: '-canary', want: 'registry.example.com:5000/team/app:1.2.1' }],
    ['the digest is dropped', { image: `r/app:1.2.1-canary@${SHA256}`, suffix: '-canary', want: 'r/app:1.2.1' }],
    ['only the end of the tag is stripped', { image: 'r/app:canary-1-canary', suffix: '-canary', want: 'r/app:canary-1' }],
    ['an empty suffix keeps the tag (and still drops the digest)', { image: `r/app:1.2.1@${SHA256}`, suffix: '', want: 'r/app:1.2.1' }],
    ['a tag without the suffix', { image: 'r/app:1.2.1', suffix: '-canary', want: /has no tag ending in '-canary'/ }],
    ['the suffix in the middle', { image: 'r/app:1.2.1-canary.2', suffix: '-canary', want: /has no tag ending in '-canary'/ }],
    ['the suffix equal to the whole tag', { image: 'r/app:canary', suffix: 'canary', want: /has no tag ending in 'canary'/ }],
    ['no tag', { image: 'r/app', suffix: '-canary', want: /has no tag ending/ }],
    ['a digest and no tag', { image: `r/app@${SHA256}`, suffix: '-canary', want: /has no tag ending/ }],
    ['the suffix matching the repository, not the tag', { image: 'r/app-canary', suffix: '-canary', want: /has no tag ending/ }],
    ['an invalid image', { image: 'R/App:1-canary', suffix: '-canary', want: /not an OCI image reference|lowercase/ }],
  ];
  it.each(cases)('%s', (_name, { image, suffix, want }) => {
    const result = stripTagSuffix(image, suffix);
    if (typeof want === 'string') {
      expect(result).toBe(want);
      expect(isImageReference(result)).toBe(true);
    } else {
      expect(result).toEqual({ error: expect.stringMatching(want) });
    }
  });
});

describe('imageVersion', () => {
  const cases: ReadonlyArray<[string, { given: string; want: string }]> = [
    ['the tag', { given: 'r.example.com:5000/app:1.2.1', want: '1.2.1' }],
    ['the tag before the digest', { given: `app:1.0@${SHA256}`, want: '1.0' }],
    ['the digest without a tag', { given: `app@${SHA256}`, want: SHA256 }],
    ['latest without either', { given: 'r.example.com:5000/app', want: 'latest' }],
    ['the port is not a version', { given: 'localhost:5000/app', want: 'latest' }],
    ['empty for an invalid reference', { given: 'not an image', want: '' }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    expect(imageVersion(given)).toBe(want);
  });
});

describe('parseImageReference at its limits', () => {
  const HEX = '0123456789abcdef'.repeat(4);
  const cases: ReadonlyArray<[string, { given: string; valid: boolean; want?: string }]> = [
    ['a repository name of exactly 255 characters', { given: 'a'.repeat(255), valid: true }],
    ['a repository name of 256 characters', { given: 'a'.repeat(256), valid: false, want: 'the repository name is longer than 255 characters' }],
    ['an uppercase first component ending in localhost is no registry', { given: 'Mylocalhost/app', valid: false, want: "'Mylocalhost/app': repository names must be lowercase" }],
    ['an uppercase first component starting with localhost is no registry', { given: 'localhostX/app', valid: false, want: "'localhostX/app': repository names must be lowercase" }],
    ['localhost is a registry', { given: 'localhost/app', valid: true }],
    ['an uppercase registry with a port is a registry', { given: 'MyRegistry:5000/app', valid: true }],
    ['a sha256 digest with an uppercase first digit', { given: `app@sha256:A${HEX.slice(1)}`, valid: false, want: `'app@sha256:A${HEX.slice(1)}': a sha256 digest is 64 lowercase hex digits` }],
    ['a sha256 digest with an uppercase last digit', { given: `app@sha256:${HEX.slice(0, -1)}F`, valid: false, want: `'app@sha256:${HEX.slice(0, -1)}F': a sha256 digest is 64 lowercase hex digits` }],
  ];
  it.each(cases)('%s', (_name, { given, valid, want }) => {
    expect(isImageReference(given)).toBe(valid);
    if (want !== undefined) expect(parseImageReference(given)).toEqual({ error: want });
  });

  it('quotes an input of 80 characters whole and cuts a longer one to 77 and "..."', () => {
    const eighty = `Bad${'x'.repeat(77)}`;
    expect(parseImageReference(eighty)).toEqual({ error: `'${eighty}' is not an OCI image reference ([registry/]repository[:tag][@digest])` });
    expect(parseImageReference(`${eighty}y`)).toEqual({ error: `'${eighty.slice(0, 77)}...' is not an OCI image reference ([registry/]repository[:tag][@digest])` });
  });
});
