import { describe, expect, it } from 'vitest';
import { canonicalJson, digest } from './canonical-json.js';

describe('canonicalJson', () => {
  const cases: ReadonlyArray<[string, { given: unknown; want: string }]> = [
    ['sorts keys', { given: { b: 1, a: 2 }, want: '{"a":2,"b":1}' }],
    ['sorts nested keys', { given: { z: { y: 1, x: [{ d: 1, c: 2 }] } }, want: '{"z":{"x":[{"c":2,"d":1}],"y":1}}' }],
    ['keeps array order', { given: [3, 1, 2], want: '[3,1,2]' }],
    ['drops undefined fields', { given: { a: undefined, b: { c: undefined, d: 1 } }, want: '{"b":{"d":1}}' }],
    ['keeps null fields', { given: { a: null }, want: '{"a":null}' }],
    ['undefined in an array is null, as in JSON', { given: [undefined, 1], want: '[null,1]' }],
    ['sorts by UTF-16 code unit, capitals first', { given: { b: 1, B: 2, é: 3, a: 4 }, want: '{"B":2,"a":4,"b":1,"é":3}' }],
    ['scalars', { given: 'x', want: '"x"' }],
    ['a Date is its ISO string, as JSON.stringify makes it', { given: { at: new Date(0) }, want: '{"at":"1970-01-01T00:00:00.000Z"}' }],
    ['a __proto__ key from JSON.parse is kept as data', { given: JSON.parse('{"__proto__":{"x":1},"a":1}') as unknown, want: '{"__proto__":{"x":1},"a":1}' }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    expect(canonicalJson(given)).toBe(want);
  });

  it('is independent of key order, at every depth', () => {
    const a = { target: { namespace: 'mcp', deployment: 'x' }, policy: 'p', dryRun: false, list: [{ k: 1, j: 2 }] };
    const b = { list: [{ j: 2, k: 1 }], dryRun: false, policy: 'p', target: { deployment: 'x', namespace: 'mcp' } };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(digest(a)).toBe(digest(b));
    expect(digest(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  const different: ReadonlyArray<[string, unknown, unknown]> = [
    ['array order', [1, 2], [2, 1]],
    ['a value', { a: 1 }, { a: 2 }],
    ['null and an absent field', { a: null }, {}],
    ['two dates', { at: new Date(0) }, { at: new Date(1) }],
    ['a string and a number', { a: '1' }, { a: 1 }],
  ];
  it.each(different)('tells apart %s', (_name, a, b) => {
    expect(digest(a)).not.toBe(digest(b));
  });

  it('an undefined field and an absent one are the same document', () => {
    expect(digest({ a: 1, b: undefined })).toBe(digest({ a: 1 }));
  });
});
