import { describe, expect, it } from 'vitest';
import { buildImagePatch, escapePointerToken } from './image-patch.js';

describe('escapePointerToken', () => {
  it.each([
    ['plain', 'plain'],
    ['promoter.example.com/promotion-id', 'promoter.example.com~1promotion-id'],
    ['a~b/c', 'a~0b~1c'],
    ['~1', '~01'],
  ])('%s -> %s', (given, want) => {
    expect(escapePointerToken(given)).toBe(want);
  });
});

describe('buildImagePatch', () => {
  const change = { container: 'app', expectedImage: 'web:1', newImage: 'web:2', annotations: { 'promoter.example.com/id': 'p1' } };

  it('tests name and image at the index, replaces the image, adds each annotation', () => {
    expect(buildImagePatch({ index: 1, change, hasAnnotations: true })).toEqual([
      { op: 'test', path: '/spec/template/spec/containers/1/name', value: 'app' },
      { op: 'test', path: '/spec/template/spec/containers/1/image', value: 'web:1' },
      { op: 'replace', path: '/spec/template/spec/containers/1/image', value: 'web:2' },
      { op: 'add', path: '/metadata/annotations/promoter.example.com~1id', value: 'p1' },
    ]);
  });

  it('creates the annotations map when the object has none', () => {
    expect(buildImagePatch({ index: 0, change, hasAnnotations: false }).at(-1)).toEqual({
      op: 'add',
      path: '/metadata/annotations',
      value: { 'promoter.example.com/id': 'p1' },
    });
  });

  it('touches no annotations when none are given', () => {
    expect(buildImagePatch({ index: 0, change: { ...change, annotations: {} }, hasAnnotations: false })).toHaveLength(3);
  });
});
