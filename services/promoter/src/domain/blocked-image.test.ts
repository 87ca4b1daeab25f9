import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { blockMatches, blockRuleOf, findBlock, type BlockRule } from './blocked-image.js';
import { normalizeImage, type NormalizedImage } from './image-normalization.js';

const SHA_A = 'sha256:' + 'a'.repeat(64);
const SHA_B = 'sha256:' + 'b'.repeat(64);

function image(reference: string): NormalizedImage {
  const normalized = normalizeImage(reference);
  if ('error' in normalized) throw new Error(normalized.error);
  return normalized;
}

const rule = (reference: string, namespace: string | null = null): BlockRule => blockRuleOf(image(reference), namespace);

describe('blockMatches', () => {
  const cases: ReadonlyArray<[string, { block: BlockRule; given: string; namespace?: string; want: boolean }]> = [
    ['a tag block refuses that tag', { block: rule('registry.example.com/app:1.2'), given: 'registry.example.com/app:1.2', want: true }],
    ['a tag block refuses the same image written with Docker Hub defaults', { block: rule('nginx:1.25'), given: 'docker.io/library/nginx:1.25', want: true }],
    ['a tag block refuses the tag pinned to a digest', { block: rule('app:1.2'), given: `app:1.2@${SHA_A}`, want: true }],
    ['a tag block lets another tag through', { block: rule('app:1.2'), given: 'app:1.3', want: false }],
    ['a tag block lets another repository through', { block: rule('app:1.2'), given: 'other:1.2', want: false }],
    ['a tag block lets another registry through', { block: rule('r1.example.com/app:1.2'), given: 'r2.example.com/app:1.2', want: false }],
    ['a block without a tag is :latest', { block: rule('app'), given: 'app:latest', want: true }],
    ['a digest block refuses the digest under any tag', { block: rule(`app@${SHA_A}`), given: `app:9.9@${SHA_A}`, want: true }],
    ['a digest block refuses the bare digest reference', { block: rule(`app@${SHA_A}`), given: `docker.io/library/app@${SHA_A}`, want: true }],
    ['a digest block lets another digest through', { block: rule(`app@${SHA_A}`), given: `app@${SHA_B}`, want: false }],
    ['a digest block lets a tag without a digest through (the registry is not asked)', { block: rule(`app:1.2@${SHA_A}`), given: 'app:1.2', want: false }],
    ['a digest block lets the digest of another repository through', { block: rule(`app@${SHA_A}`), given: `other@${SHA_A}`, want: false }],
    ['a namespaced block refuses in its namespace', { block: rule('app:1', 'mcp'), given: 'app:1', namespace: 'mcp', want: true }],
    ['a namespaced block lets another namespace through', { block: rule('app:1', 'mcp'), given: 'app:1', namespace: 'web', want: false }],
    ['a global block refuses in every namespace', { block: rule('app:1'), given: 'app:1', namespace: 'web', want: true }],
  ];
  it.each(cases)('%s', (_name, { block, given, namespace, want }) => {
    expect(blockMatches(block, image(given), namespace ?? 'mcp')).toBe(want);
  });

  it('a block made from an image always refuses that very image, in its scope', () => {
    const reference = fc.tuple(fc.constantFrom('app', 'r.example.com/team/app', 'library/nginx'), fc.option(fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,6}$/)), fc.option(fc.constantFrom(SHA_A, SHA_B)));
    fc.assert(
      fc.property(reference, fc.option(fc.constantFrom('mcp', 'web')), ([name, tag, digest], namespace) => {
        const given = image(`${name}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`);
        return blockMatches(blockRuleOf(given, namespace), given, namespace ?? 'any');
      }),
    );
  });
});

describe('findBlock', () => {
  it('returns the first block that refuses the image, or undefined', () => {
    const blocks = [{ ...rule('app:1', 'web'), id: 'a' }, { ...rule('app:1'), id: 'b' }, { ...rule('app:1', 'mcp'), id: 'c' }];
    expect(findBlock(blocks, image('app:1'), 'mcp')?.id).toBe('b');
    expect(findBlock(blocks, image('app:2'), 'mcp')).toBeUndefined();
  });
});
