import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor.js';

const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

describe('cursor', () => {
  it('round-trips every position a bigserial can hold in a safe integer', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (seq) => {
        const cursor = encodeCursor(seq);
        return /^[A-Za-z0-9_-]+$/.test(cursor) && decodeCursor(cursor) === seq;
      }),
      { numRuns: 1000 },
    );
  });

  const cases: ReadonlyArray<[string, { given: string; want: number | undefined }]> = [
    ['a cursor from encodeCursor', { given: encodeCursor(42), want: 42 }],
    ['extra fields are ignored', { given: base64url('{"s":7,"x":1}'), want: 7 }],
    ['empty', { given: '', want: undefined }],
    ['junk that is base64url but not JSON', { given: 'abc', want: undefined }],
    ['JSON without s', { given: base64url('{"t":1}'), want: undefined }],
    ['JSON null', { given: base64url('null'), want: undefined }],
    ['a bare number', { given: base64url('5'), want: undefined }],
    ['an array', { given: base64url('[5]'), want: undefined }],
    ['a negative position', { given: base64url('{"s":-1}'), want: undefined }],
    ['zero (bigserial starts at 1)', { given: base64url('{"s":0}'), want: undefined }],
    ['a fraction', { given: base64url('{"s":1.5}'), want: undefined }],
    ['an unsafe integer', { given: base64url('{"s":9007199254740993}'), want: undefined }],
    ['a string position', { given: base64url('{"s":"5"}'), want: undefined }],
    ['plain base64 with + and /', { given: Buffer.from('{"s":1}>>>?').toString('base64'), want: undefined }],
    ['padding', { given: `${encodeCursor(1)}==`, want: undefined }],
    ['a space', { given: ` ${encodeCursor(1)}`, want: undefined }],
    ['percent-encoding', { given: '%7B%22s%22%3A1%7D', want: undefined }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    expect(decodeCursor(given)).toBe(want);
  });

  it('never throws on random text', () => {
    fc.assert(fc.property(fc.string(), (text) => {
      const seq = decodeCursor(text);
      return seq === undefined || (Number.isSafeInteger(seq) && seq > 0);
    }), { numRuns: 500 });
  });
});
