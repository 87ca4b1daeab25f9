import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../json.js';
import { applyJsonPatch, MalformedPatchError, PatchApplyError } from './json-patch.js';
import { applyMergePatch } from './merge-patch.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';

type Case = [string, { doc: JsonValue; patch: JsonValue; want: JsonValue }];

const containers = (...items: JsonValue[]): JsonValue => ({ spec: { template: { spec: { containers: items } } } });

describe('applyJsonPatch (RFC 6902)', () => {
  const cases: Case[] = [
    ['add a member', { doc: { a: 1 }, patch: [{ op: 'add', path: '/b', value: 2 }], want: { a: 1, b: 2 } }],
    ['add replaces an existing member', { doc: { a: 1 }, patch: [{ op: 'add', path: '/a', value: 2 }], want: { a: 2 } }],
    ['add appends with -', { doc: { l: [1] }, patch: [{ op: 'add', path: '/l/-', value: 2 }], want: { l: [1, 2] } }],
    ['add inserts at an index', { doc: { l: [1, 3] }, patch: [{ op: 'add', path: '/l/1', value: 2 }], want: { l: [1, 2, 3] } }],
    ['remove', { doc: { a: 1, b: 2 }, patch: [{ op: 'remove', path: '/a' }], want: { b: 2 } }],
    ['replace an array item', { doc: { l: [1, 2] }, patch: [{ op: 'replace', path: '/l/1', value: 9 }], want: { l: [1, 9] } }],
    ['move', { doc: { a: { x: 1 } }, patch: [{ op: 'move', from: '/a/x', path: '/y' }], want: { a: {}, y: 1 } }],
    ['copy', { doc: { a: [1] }, patch: [{ op: 'copy', from: '/a', path: '/b' }], want: { a: [1], b: [1] } }],
    ['test then replace', { doc: { a: { b: 1 } }, patch: [{ op: 'test', path: '/a', value: { b: 1 } }, { op: 'replace', path: '/a/b', value: 2 }], want: { a: { b: 2 } } }],
    ['~1 and ~0 escapes', { doc: { m: {} }, patch: [{ op: 'add', path: '/m/a~1b~0c', value: 'v' }], want: { m: { 'a/b~c': 'v' } } }],
  ];
  it.each(cases)('%s', (_name, { doc, patch, want }) => {
    expect(applyJsonPatch(doc, patch)).toEqual(want);
  });

  it.each<[string, JsonValue, typeof PatchApplyError | typeof MalformedPatchError]>([
    ['a failed test', [{ op: 'test', path: '/a', value: 2 }], PatchApplyError],
    ['replace of a missing member', [{ op: 'replace', path: '/zz', value: 1 }], PatchApplyError],
    ['remove past the end of a list', [{ op: 'remove', path: '/l/5' }], PatchApplyError],
    ['a patch that is not a list', { op: 'add' }, MalformedPatchError],
    ['an unknown op', [{ op: 'frobnicate', path: '/a' }], MalformedPatchError],
  ])('rejects %s', (_name, patch, error) => {
    expect(() => applyJsonPatch({ a: 1, l: [1] }, patch)).toThrow(error);
  });

  it('leaves the input untouched, even when a later op fails', () => {
    const doc = { a: 1 };
    expect(() => applyJsonPatch(doc, [{ op: 'replace', path: '/a', value: 2 }, { op: 'test', path: '/a', value: 3 }])).toThrow(PatchApplyError);
    expect(doc).toEqual({ a: 1 });
  });
});

describe('applyMergePatch (RFC 7386)', () => {
  const cases: Case[] = [
    ['merges objects', { doc: { a: { b: 1, c: 2 } }, patch: { a: { b: 3 } }, want: { a: { b: 3, c: 2 } } }],
    ['null deletes', { doc: { a: 1, b: 2 }, patch: { a: null }, want: { b: 2 } }],
    ['lists are replaced', { doc: containers({ name: 'a', image: '1' }, { name: 'b', image: '2' }), patch: containers({ name: 'a', image: '3' }), want: containers({ name: 'a', image: '3' }) }],
  ];
  it.each(cases)('%s', (_name, { doc, patch, want }) => {
    expect(applyMergePatch(doc, patch)).toEqual(want);
  });
});

describe('applyStrategicMergePatch', () => {
  const cases: Case[] = [
    [
      'merges containers by name, keeping the others and their order',
      {
        doc: containers({ name: 'a', image: '1', args: ['x'] }, { name: 'b', image: '2' }),
        patch: containers({ name: 'b', image: '3' }),
        want: containers({ name: 'a', image: '1', args: ['x'] }, { name: 'b', image: '3' }),
      },
    ],
    [
      'appends a container with a new name',
      { doc: containers({ name: 'a', image: '1' }), patch: containers({ name: 'c', image: '9' }), want: containers({ name: 'a', image: '1' }, { name: 'c', image: '9' }) },
    ],
    [
      '$patch: delete removes a container',
      { doc: containers({ name: 'a', image: '1' }, { name: 'b', image: '2' }), patch: containers({ name: 'a', $patch: 'delete' }), want: containers({ name: 'b', image: '2' }) },
    ],
    [
      '$patch: replace replaces the list',
      { doc: containers({ name: 'a', image: '1' }, { name: 'b', image: '2' }), patch: containers({ $patch: 'replace' }, { name: 'z', image: '0' }), want: containers({ name: 'z', image: '0' }) },
    ],
    [
      'merges env by name and ports by containerPort inside a container',
      {
        doc: containers({ name: 'a', image: '1', env: [{ name: 'X', value: '1' }], ports: [{ containerPort: 80, name: 'http' }] }),
        patch: containers({ name: 'a', env: [{ name: 'Y', value: '2' }], ports: [{ containerPort: 80, protocol: 'TCP' }] }),
        want: containers({
          name: 'a',
          image: '1',
          env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }],
          ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }],
        }),
      },
    ],
    [
      'replaces lists without a merge strategy (args)',
      { doc: containers({ name: 'a', image: '1', args: ['x', 'y'] }), patch: containers({ name: 'a', args: ['z'] }), want: containers({ name: 'a', image: '1', args: ['z'] }) },
    ],
    [
      'null deletes a member; $setElementOrder reorders',
      {
        doc: containers({ name: 'a', image: '1', command: ['c'] }, { name: 'b', image: '2' }),
        patch: { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }], containers: [{ name: 'a', command: null }] } } } },
        want: containers({ name: 'b', image: '2' }, { name: 'a', image: '1' }),
      },
    ],
    [
      'merges finalizers as a set',
      { doc: { metadata: { finalizers: ['a'] } }, patch: { metadata: { finalizers: ['a', 'b'] } }, want: { metadata: { finalizers: ['a', 'b'] } } },
    ],
  ];
  it.each(cases)('%s', (_name, { doc, patch, want }) => {
    expect(applyStrategicMergePatch(doc, patch)).toEqual(want);
  });

  it('rejects a list item without its merge key', () => {
    expect(() => applyStrategicMergePatch(containers({ name: 'a', image: '1' }), containers({ image: '2' }))).toThrow(MalformedPatchError);
  });
});
