import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayStrings, displayText } from './display-text.js';

// Any character a person's display or terminal acts on rather than shows.
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

describe('displayText', () => {
  const cases: ReadonlyArray<[string, { given: string; want: string }]> = [
    ['plain text is unchanged', { given: 'error-rate = 0.2 > max 0.05', want: 'error-rate = 0.2 > max 0.05' }],
    ['non-Latin text is unchanged', { given: 'Fehler: Größe überschritten — 错误 — خطأ', want: 'Fehler: Größe überschritten — 错误 — خطأ' }],
    ['an ANSI colour is removed whole', { given: '\x1b[31mred\x1b[0m text', want: 'red text' }],
    ['a CSI with parameters and an intermediate byte', { given: 'a\x1b[1;38;5;196mb\x1b[2 qc', want: 'abc' }],
    ['an 8-bit CSI', { given: 'a\x9b2Jb', want: 'ab' }],
    ['an OSC hyperlink ended by BEL', { given: '\x1b]8;;https://evil.example\x07click\x1b]8;;\x07', want: 'click' }],
    ['an OSC title ended by ST', { given: '\x1b]0;owned\x1b\\ok', want: 'ok' }],
    ['an OSC without its end keeps the text after it', { given: 'a\x1b]0;rest of the reason', want: 'a0;rest of the reason' }],
    ['a two-byte escape (reverse index)', { given: 'a\x1bMb', want: 'ab' }],
    ['a lone ESC is escaped', { given: 'a\x1b', want: 'a\\u001b' }],
    ['CR LF is one space', { given: 'line one\r\nline two', want: 'line one line two' }],
    ['CR, LF, tab, VT, FF each a space', { given: 'a\rb\nc\td\ve\ff', want: 'a b c d e f' }],
    ['Unicode line and paragraph separators and NEL', { given: 'a\u2028b\u2029c\u0085d', want: 'a b c d' }],
    ['NUL is escaped', { given: 'a\x00b', want: 'a\\u0000b' }],
    ['DEL and a C1 control are escaped', { given: 'a\x7fb\x90c', want: 'a\\u007fb\\u0090c' }],
    ['right-to-left override', { given: 'invoice\u202etxt.exe', want: 'invoice\\u202etxt.exe' }],
    ['every bidi control', { given: '\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061c', want: '\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c' }],
    ['the issue\'s reason', { given: '\x1b[31mbad\r\nApproved by admin \u202egnp.', want: 'bad Approved by admin \\u202egnp.' }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    expect(displayText(given)).toBe(want);
  });

  it('leaves no control or bidi character in any string, and changes none that has none', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const shown = displayText(text);
        expect(shown).not.toMatch(UNSAFE);
        if (!UNSAFE.test(text)) expect(shown).toBe(text);
        // Idempotent: text already shown is shown as is.
        expect(displayText(shown)).toBe(shown);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('displayStrings', () => {
  it('cleans every string, nested in objects and arrays, and keeps other values', () => {
    const given = { reason: 'a\r\nb', n: 1, ok: true, none: null, check: { message: '\x1b[1mx', tags: ['\u202ey', 2] } };
    expect(displayStrings(given)).toEqual({ reason: 'a b', n: 1, ok: true, none: null, check: { message: 'x', tags: ['\\u202ey', 2] } });
  });
});
