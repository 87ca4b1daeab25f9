import { isMap, isScalar, Scalar, type Document } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ImageEditError } from './image-edit-error.js';
import { parseFile, printTokens, readsAsString, scalarText, stringScalar, textOf, writeScalar } from './yaml-source.js';

/** The scalar at `key` of the first document's top-level map. */
function scalarAt(document: Document.Parsed | undefined, key: string): Scalar.Parsed {
  const node = isMap(document?.contents) ? document.contents.get(key, true) : undefined;
  if (!isScalar(node)) throw new Error(`no scalar at ${key}`);
  return node as Scalar.Parsed;
}

function caught(run: () => unknown): ImageEditError {
  try {
    run();
  } catch (error) {
    if (error instanceof ImageEditError) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
}

describe('parseFile', () => {
  it('keeps every document and prints the file back byte for byte', () => {
    const text = '# head\na:  1   # one\n---\nb: "two"\n...\n';
    const parsed = parseFile(text, 'f.yaml');
    expect(parsed.text).toBe(text);
    expect(parsed.documents).toHaveLength(2);
    expect(printTokens(parsed)).toBe(text);
  });

  it('parses exactly the limit of documents and refuses one more', () => {
    expect(parseFile('---\na: 1\n'.repeat(3), 'f.yaml', { maxDocuments: 3 }).documents).toHaveLength(3);
    const error = caught(() => parseFile('---\na: 1\n'.repeat(4), 'f.yaml', { maxDocuments: 3 }));
    expect(error).toMatchObject({ code: 'too-large', file: 'f.yaml' });
    expect(error.message).toBe('f.yaml has more than 3 YAML documents (the limit); it is not edited');
  });

  it('counts documents, not other tokens, against the limit', () => {
    // One document with comments and blank lines around it: many tokens, one document.
    expect(parseFile('# a\n\n# b\n---\na: 1\n# c\n', 'f.yaml', { maxDocuments: 1 }).documents).toHaveLength(1);
  });

  const invalid: ReadonlyArray<[string, { given: string; want: string }]> = [
    ['an unclosed flow sequence on the first line', { given: 'a: [1, 2\n', want: 'f.yaml is not valid YAML (BAD_INDENT at line 2)' }],
    ['an error on the fourth line', { given: 'a: 1\nb: 2\nc: 3\nd: }\n', want: 'f.yaml is not valid YAML (UNEXPECTED_TOKEN at line 4)' }],
    ['blank lines count as lines', { given: 'a: 1\n\n\nb: c: d\n', want: 'f.yaml is not valid YAML (BLOCK_AS_IMPLICIT_KEY at line 4)' }],
    // The parser reports this one at the line break itself: it belongs to the line the break ends.
    ['an error at a line break', { given: '[a  \n:  ]', want: 'f.yaml is not valid YAML (MULTILINE_IMPLICIT_KEY at line 1)' }],
    ['an error on the first line', { given: '}\n', want: 'f.yaml is not valid YAML (UNEXPECTED_TOKEN at line 1)' }],
    ['an error in the second document', { given: 'a: 1\n---\nb: }\n', want: 'f.yaml is not valid YAML (UNEXPECTED_TOKEN at line 3)' }],
  ];
  it.each(invalid)('names where invalid YAML is: %s', (_name, { given, want }) => {
    const error = caught(() => parseFile(given, 'f.yaml'));
    expect(error).toMatchObject({ code: 'invalid-yaml', file: 'f.yaml' });
    expect(error.message).toBe(want);
  });
});

describe('scalarText', () => {
  const cases: ReadonlyArray<[string, { given: string; want: string | undefined }]> = [
    ['a plain number-like value as written, not as the number it reads as', { given: 'v: 1.20\n', want: '1.20' }],
    ['a plain string', { given: 'v: web:1.0\n', want: 'web:1.0' }],
    ['a double-quoted value without its quotes', { given: 'v: "1.20"\n', want: '1.20' }],
    ['a single-quoted value without its quotes', { given: "v: 'a b'\n", want: 'a b' }],
    ['an empty value is empty', { given: 'v:\n', want: '' }],
    ['a null is empty', { given: 'v: null\n', want: '' }],
    ['a block literal as its text', { given: 'v: |\n  line\n', want: 'line\n' }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    const node = scalarAt(parseFile(given, 'f.yaml').documents[0], 'v');
    expect(scalarText(node)).toBe(want);
    expect(textOf(node)).toBe(want);
  });

  it('textOf nothing is undefined', () => {
    expect(textOf(undefined)).toBeUndefined();
  });
});

describe('writeScalar', () => {
  const cases: ReadonlyArray<[string, { given: string; value: string; want: string }]> = [
    ['a plain value stays plain', { given: 'v: web:1.0 # keep\n', value: 'web:1.1', want: 'v: web:1.1 # keep\n' }],
    ['a plain value that would read as a number is double-quoted', { given: 'v: web\n', value: '1.30', want: 'v: "1.30"\n' }],
    ['a plain value that would read as a boolean is double-quoted', { given: 'v: web\n', value: 'true', want: 'v: "true"\n' }],
    ['single quotes are kept', { given: "v: 'web:1.0'\n", value: '1.30', want: "v: '1.30'\n" }],
    ['double quotes are kept', { given: 'v: "web:1.0"\n', value: 'web:1.1', want: 'v: "web:1.1"\n' }],
    ['a block literal becomes plain', { given: 'v: |\n  web:1.0\nw: 1\n', value: 'web:1.1', want: 'v: web:1.1\nw: 1\n' }],
    ['a folded block becomes plain', { given: 'v: >\n  web:1.0\nw: 1\n', value: 'web:1.1', want: 'v: web:1.1\nw: 1\n' }],
    ['a folded block with a number-like value is double-quoted', { given: 'v: >\n  web:1.0\nw: 1\n', value: '2', want: 'v: "2"\nw: 1\n' }],
  ];
  it.each(cases)('%s', (_name, { given, value, want }) => {
    const parsed = parseFile(given, 'f.yaml');
    writeScalar(scalarAt(parsed.documents[0], 'v'), value);
    expect(printTokens(parsed)).toBe(want);
  });

  it('refuses a scalar that has no source token', () => {
    expect(() => writeScalar(new Scalar('x') as Scalar.Parsed, 'y')).toThrow('scalar without a source token');
  });
});

describe('readsAsString and stringScalar', () => {
  const cases: ReadonlyArray<[string, { given: string; want: boolean }]> = [
    ['an image reference', { given: 'ghcr.io/acme/app:1.2.3', want: true }],
    ['a version that reads as a number', { given: '1.20', want: false }],
    ['an integer', { given: '7', want: false }],
    ['a boolean', { given: 'true', want: false }],
    ['null', { given: 'null', want: false }],
    ['text YAML cannot parse', { given: 'a: [', want: false }],
    ['a plain string with a colon inside', { given: 'web:1.0', want: true }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    expect(readsAsString(given)).toBe(want);
    expect(stringScalar(given).type).toBe(want ? undefined : Scalar.QUOTE_DOUBLE);
    expect(stringScalar(given).value).toBe(given);
  });
});
