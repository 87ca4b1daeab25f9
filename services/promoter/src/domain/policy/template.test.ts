import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  escapeQuoted,
  escapeRegex,
  isPlaceholder,
  parseTemplate,
  renderTemplate,
  templateVariables,
  type PlaceholderContext,
} from './template.js';

/**
 * Reads the PromQL string literal that opens at `start` the way Prometheus does: its lexer (`lexString`,
 * `lexEscape`, `lexRawString` in promql/parser/lex.go) finds where the literal ends, then
 * `strutil.Unquote` (Go's strconv.Unquote with single-quoted strings treated like double-quoted ones)
 * decodes it. Throws where Prometheus answers a parse error.
 */
function readPromqlString(query: string, start: number): { value: string; end: number } {
  const quote = query[start];
  if (quote !== '"' && quote !== "'" && quote !== '`') throw new Error(`no string literal at ${start}`);
  const bytes: number[] = [];
  const utf8 = (codePoint: number) => bytes.push(...new TextEncoder().encode(String.fromCodePoint(codePoint)));
  let i = start + 1;
  for (;;) {
    const codePoint = query.codePointAt(i);
    if (codePoint === undefined) throw new Error('unterminated string');
    const ch = String.fromCodePoint(codePoint);
    i += ch.length;
    // The lexer refuses U+FFFD as "invalid UTF-8 rune", in quoted and raw strings alike.
    if (codePoint === 0xfffd || (codePoint >= 0xd800 && codePoint <= 0xdfff)) throw new Error('invalid UTF-8 rune');
    if (ch === quote) break;
    if (quote === '`') {
      utf8(codePoint); // raw strings have no escapes, and (unlike Go) Prometheus keeps \r in them
      continue;
    }
    if (ch === '\n') throw new Error('unterminated quoted string');
    if (ch !== '\\') {
      utf8(codePoint);
      continue;
    }
    const escape = query[i];
    i += 1;
    const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };
    if (escape === undefined) throw new Error('escape sequence not terminated');
    if (simple[escape] !== undefined) bytes.push(simple[escape]);
    else if (escape === quote) bytes.push(quote.charCodeAt(0));
    else if (escape === 'x' || escape === 'u' || escape === 'U') {
      const digits = { x: 2, u: 4, U: 8 }[escape];
      const hex = query.slice(i, i + digits);
      if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) throw new Error(`bad \\${escape} escape`);
      i += digits;
      const n = Number.parseInt(hex, 16);
      if (escape === 'x') bytes.push(n); // one byte, possibly not UTF-8 on its own
      else if (n > 0x10ffff || (n >= 0xd800 && n < 0xe000)) throw new Error('escape sequence is an invalid Unicode code point');
      else utf8(n);
    } else if (/^[0-7]$/.test(escape)) {
      const octal = escape + query.slice(i, i + 2);
      if (!/^[0-7]{3}$/.test(octal) || Number.parseInt(octal, 8) > 255) throw new Error('bad octal escape');
      i += 2;
      bytes.push(Number.parseInt(octal, 8));
    } else {
      // Includes \' in a "string" and \" in a 'string': Prometheus knows only the escape of its own quote.
      throw new Error(`unknown escape sequence \\${escape}`);
    }
  }
  // Prometheus keeps label values as Go strings; the service and the SDK read them as UTF-8 JSON.
  return { value: new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes)), end: i };
}

/** What Prometheus's line comment covers: up to (not including) the first \r or \n. */
function readPromqlComment(query: string, start: number): { value: string; end: number } {
  const match = /[\r\n]|$/.exec(query.slice(start));
  const end = start + (match?.index ?? 0);
  return { value: query.slice(start, end), end };
}

/** `new RegExp` for a PromQL matcher's regex: anchored at both ends, `.` matches newlines. */
function promqlRegex(source: string): RegExp {
  return new RegExp(`^(?:${source})$`, 'su');
}

function render(template: string, variables: Record<string, string>): string {
  const result = renderTemplate(template, variables);
  if ('error' in result) throw new Error(result.error);
  return result.query;
}

// The sentinel after each literal: if a value escaped its literal, this text would not follow it intact.
const SENTINEL = '} + on() vector(0)';

interface QuotedPlace {
  readonly context: Exclude<PlaceholderContext, 'comment' | 'expression'>;
  readonly regex: boolean;
  /** The template text up to the opening quote; the placeholder fills the whole literal. */
  readonly before: string;
  readonly quote: '"' | "'" | '`';
}

const quotedPlaces: ReadonlyArray<[string, QuotedPlace]> = [
  ['double-quoted', { context: 'double-quoted', regex: false, before: 'up{job=', quote: '"' }],
  ['single-quoted', { context: 'single-quoted', regex: false, before: 'up{job=', quote: "'" }],
  ['raw `string`', { context: 'raw-string', regex: false, before: 'up{job=', quote: '`' }],
  ['regex matcher =~"..."', { context: 'double-quoted', regex: true, before: 'up{job=~', quote: '"' }],
  ["negative regex matcher !~'...'", { context: 'single-quoted', regex: true, before: 'up{job!~', quote: "'" }],
  ['regex matcher =~ `...`', { context: 'raw-string', regex: true, before: 'up{job=~ ', quote: '`' }],
];

const hostileValues: ReadonlyArray<[string, string]> = [
  ['a double quote', '"'],
  ['a backslash', '\\'],
  ['a quote that closes the selector', '"} or vector(1) #'],
  ['an escaped quote that closes the call', '\\"})'],
  ["a single quote that closes the selector", "'} or vector(1) #"],
  ['a newline', 'a\nb'],
  ['a carriage return', 'a\rb'],
  ['a literal backslash-n', '\\n'],
  ['a backtick', '`} or vector(1) #`'],
  ['unicode', 'naïve 日本語 😀 \u202e\u00a0'],
  ['control characters', '\x00\x01\x07\x08\t\x0b\x0c\x1b\x7f\u0085'],
  ['U+FFFD, which the PromQL lexer refuses literally', 'a\ufffdb'],
  ['a placeholder lookalike', '{{other}}'],
  ['a comment marker', '# not a comment'],
  ['regex metacharacters', '.*|^$()[]{}+?\\d'],
  ['an empty value', ''],
  ['a very long value', 'a"\\`\n'.repeat(4_000)],
];

describe('parseTemplate', () => {
  const cases: ReadonlyArray<[string, { given: string; want: Array<[string, PlaceholderContext, boolean]> }]> = [
    ['a double-quoted matcher', { given: 'up{job="{{x}}"}', want: [['x', 'double-quoted', false]] }],
    ['a single-quoted matcher', { given: "up{job='{{x}}'}", want: [['x', 'single-quoted', false]] }],
    ['a raw string', { given: 'up{job=`{{x}}`}', want: [['x', 'raw-string', false]] }],
    ['a regex matcher', { given: 'up{job=~"{{x}}"}', want: [['x', 'double-quoted', true]] }],
    ['a negative regex matcher with spaces', { given: "up{job !~ 'a|{{x}}'}", want: [['x', 'single-quoted', true]] }],
    ['a raw regex', { given: 'up{job=~`{{x}}`}', want: [['x', 'raw-string', true]] }],
    ['a string after a regex string is not a regex', { given: 'up{a=~"x", b="{{x}}"}', want: [['x', 'double-quoted', false]] }],
    ['a function argument string', { given: 'label_replace(up, "dst", "{{x}}", "src", "(.*)")', want: [['x', 'double-quoted', false]] }],
    ['an escaped quote does not close the string', { given: 'up{job="\\"{{x}}"}', want: [['x', 'double-quoted', false]] }],
    ['an escaped backslash before the closing quote', { given: 'up{job="\\\\"} + {{x}}', want: [['x', 'expression', false]] }],
    ['the other quote inside a string', { given: `up{a="it's {{x}}", b='say "{{y}}"'}`, want: [['x', 'double-quoted', false], ['y', 'single-quoted', false]] }],
    ['a bare range', { given: 'rate(x[{{window}}])', want: [['window', 'expression', false]] }],
    ['a comment', { given: 'up # owner {{x}}', want: [['x', 'comment', false]] }],
    ['a comment ends at a newline', { given: 'up # owner\n+ {{x}}', want: [['x', 'expression', false]] }],
    ['a comment ends at a carriage return, as in the PromQL lexer', { given: 'up # owner\r+ {{x}}', want: [['x', 'expression', false]] }],
    ['# inside a string is not a comment', { given: 'up{a="#"} + {{x}}', want: [['x', 'expression', false]] }],
    ['quotes inside a comment open nothing', { given: 'up # it\'s "x\n{a="{{x}}"}', want: [['x', 'double-quoted', false]] }],
    ['whitespace inside the braces', { given: 'up{job="{{ x }}", ns="{{\ty\t}}"}', want: [['x', 'double-quoted', false], ['y', 'double-quoted', false]] }],
    ['two placeholders in one string', { given: 'up{job="{{a}}-{{b}}"}', want: [['a', 'double-quoted', false], ['b', 'double-quoted', false]] }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    const segments = parseTemplate(given);
    if ('error' in segments) throw new Error(segments.error);
    expect(segments.filter(isPlaceholder).map((p) => [p.name, p.context, p.regex])).toEqual(want);
    // The segments cover the template exactly.
    expect(segments.map((s) => (isPlaceholder(s) ? given.slice(s.start, s.end) : s.text)).join('')).toBe(given);
  });

  const errors: ReadonlyArray<[string, { given: string; want: RegExp }]> = [
    ['a name starting with a digit', { given: 'up{job="{{ 1x }}"}', want: /malformed placeholder at offset 8/ }],
    ['an empty placeholder', { given: 'x + {{}}', want: /malformed placeholder/ }],
    ['a dash in the name', { given: '{{a-b}}', want: /malformed placeholder/ }],
    ['an unclosed placeholder', { given: 'up{job="{{x}"}', want: /malformed placeholder/ }],
    ['a dotted name', { given: '{{.Values.x}}', want: /malformed placeholder/ }],
    ['an unclosed double-quoted string', { given: 'up{job="x}', want: /string that is never closed/ }],
    ['an unclosed single-quoted string', { given: "up{job='x}", want: /string that is never closed/ }],
    ['an unclosed raw string', { given: 'up{job=`x}', want: /string that is never closed/ }],
    ['a string ending in a backslash', { given: 'up{job="x\\', want: /string that is never closed/ }],
    ['a string closed only by an escaped quote', { given: 'up{job="x\\"}', want: /string that is never closed/ }],
  ];
  it.each(errors)('refuses %s', (_name, { given, want }) => {
    const segments = parseTemplate(given);
    expect(segments).toEqual({ error: expect.stringMatching(want) });
    expect(renderTemplate(given, { x: 'v' })).toEqual({ error: expect.stringMatching(want) });
  });
});

describe('templateVariables', () => {
  const cases: ReadonlyArray<[string, { given: string; want: unknown }]> = [
    ['none', { given: 'sum(up)', want: [] }],
    ['distinct, in order of first use', { given: 'x{a="{{b}}", c="{{a}}"} / y{a="{{b}}"} # {{ a }}', want: ['b', 'a'] }],
    ['a malformed template', { given: 'x{a="{{1}}"}', want: { error: expect.stringMatching(/malformed/) } }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    expect(templateVariables(given)).toEqual(want);
  });
});

describe('renderTemplate: hostile values stay inside their string literal', () => {
  const variables = (value: string) => ({ v: value, other: 'INJECTED' });
  const cases = quotedPlaces.flatMap(([place, p]) => hostileValues.map(([what, value]) => [`${place}: ${what}`, { ...p, value }] as const));

  it.each(cases)('%s', (_name, { before, quote, regex, context, value }) => {
    const template = `${before}${quote}{{v}}${quote}${SENTINEL}`;
    const segments = parseTemplate(template);
    if ('error' in segments) throw new Error(segments.error);
    expect(segments.filter(isPlaceholder).map((s) => [s.context, s.regex])).toEqual([[context, regex]]);

    const result = renderTemplate(template, variables(value));
    if (quote === '`' && (value.includes('`') || value.includes('\ufffd'))) {
      // A raw string cannot hold these at all: refusing is the only safe answer.
      expect(result).toEqual({ error: expect.stringMatching(/^\{\{v\}\}: .*`raw` string/) });
      return;
    }
    if ('error' in result) throw new Error(result.error);
    expect(result.query.startsWith(before)).toBe(true);
    const literal = readPromqlString(result.query, before.length);
    expect(result.query.slice(literal.end)).toBe(SENTINEL);
    if (!regex) {
      expect(literal.value).toBe(value);
      return;
    }
    // The regex matches the value and nothing else that is nearly the same.
    const re = promqlRegex(literal.value);
    expect(re.test(value)).toBe(true);
    for (const near of [`${value}x`, `x${value}`, value.replace(/[^a]/, 'a'), value.slice(1)]) {
      if (near !== value) expect(re.test(near), JSON.stringify(near)).toBe(false);
    }
  });

  it('matches regex metacharacters literally, e.g. "a.b" does not match "axb"', () => {
    const literal = readPromqlString(render('up{job=~"{{v}}"}', { v: 'a.b+' }), 'up{job=~'.length);
    expect(literal.value).toBe('a\\.b\\+');
    expect(promqlRegex(literal.value).test('a.b+')).toBe(true);
    expect(promqlRegex(literal.value).test('axbb')).toBe(false);
  });

  it('escapes a value only inside the regex string, not elsewhere in the same query', () => {
    expect(render('up{a=~"{{v}}", b="{{v}}"}', { v: 'x.y' })).toBe('up{a=~"x\\\\.y", b="x.y"}');
  });

  it('does not expand placeholders inside values', () => {
    expect(render('up{job="{{v}}"}', variables('{{other}}'))).toBe('up{job="{{other}}"}');
  });
});

describe('renderTemplate: comments', () => {
  const template = `vector(1) # note: {{v}}\n+ on() vector(0)`;
  const start = 'vector(1) # note: '.length;
  it.each(hostileValues)('%s', (_name, value) => {
    const result = renderTemplate(template, { v: value });
    if (/[\r\n]/.test(value)) {
      // A line break would end the comment and make the rest of the value query text.
      expect(result).toEqual({ error: expect.stringMatching(/line break cannot go into a comment/) });
      return;
    }
    if ('error' in result) throw new Error(result.error);
    const comment = readPromqlComment(result.query, start);
    expect(comment.value).toBe(value);
    expect(result.query.slice(comment.end)).toBe('\n+ on() vector(0)');
  });

  it('escapes a placeholder after a comment ended by a lone carriage return (Prometheus ends comments there)', () => {
    const query = render('vector(1) # owner\r+ count(up{job="{{v}}"})', { v: '"}) + vector(42) + count(up{job="' });
    const start = query.indexOf('"');
    const literal = readPromqlString(query, start);
    expect(literal.value).toBe('"}) + vector(42) + count(up{job="');
    expect(query.slice(literal.end)).toBe('})');
  });
});

describe('renderTemplate: bare values', () => {
  const template = `rate(x[{{v}}]) * {{v}}${SENTINEL}`;
  const accepted: ReadonlyArray<[string, { given: string; want: string }]> = [
    ['a metric name', { given: 'http_requests_total', want: 'http_requests_total' }],
    ['a recording rule name', { given: 'job:rate5m', want: 'job:rate5m' }],
    ['an integer', { given: '42', want: '42' }],
    ['a decimal with an exponent', { given: '1.5e-3', want: '1.5e-3' }],
    ['a negative number, parenthesised so that `^` cannot bind to it alone', { given: '-2', want: '(-2)' }],
    ['a duration', { given: '5m', want: '5m' }],
    ['a compound duration', { given: '1h30m', want: '1h30m' }],
  ];
  it.each(accepted)('accepts %s', (_name, { given, want }) => {
    expect(render(template, { v: given })).toBe(`rate(x[${want}]) * ${want}${SENTINEL}`);
  });

  const refused: ReadonlyArray<[string, string]> = [
    ...hostileValues,
    ['a selector', 'up{job="x"}'],
    ['an expression', '1 or vector(1)'],
    ['a name with a space', 'up '],
    ['a name with a dash', 'my-metric'],
    ['a hex number', '0x1f'],
    ['a fraction without digits', '.5'],
    ['a negative duration', '-5m'],
    ['a call', 'vector(1)'],
    ['a range', 'x[5m]'],
  ];
  it.each(refused)('refuses %s', (_name, value) => {
    expect(renderTemplate(template, { v: value })).toEqual({
      error: expect.stringMatching(/^\{\{v\}\}: .* is not a name, number or duration/s),
    });
  });
});

describe('renderTemplate: variables', () => {
  const cases: ReadonlyArray<[string, { given: string; variables: Record<string, string>; want: unknown }]> = [
    ['replaces every use', { given: 'x{a="{{a}}"} / y{a="{{ a }}"}', variables: { a: 'v' }, want: { query: 'x{a="v"} / y{a="v"}' } }],
    ['an unknown variable', { given: 'x{a="{{nope}}"}', variables: { a: 'v' }, want: { error: 'unknown variable {{nope}}' } }],
    ['a name only Object.prototype has (constructor)', { given: 'x{a="{{constructor}}"}', variables: {}, want: { error: 'unknown variable {{constructor}}' } }],
    ['a name only Object.prototype has (toString), bare', { given: 'x * {{toString}}', variables: {}, want: { error: 'unknown variable {{toString}}' } }],
    ['__proto__', { given: 'x{a="{{__proto__}}"}', variables: {}, want: { error: 'unknown variable {{__proto__}}' } }],
    ['a lone surrogate', { given: 'x{a="{{a}}"}', variables: { a: 'x\ud800' }, want: { error: expect.stringMatching(/lone surrogate/) } }],
    ['text without placeholders is kept byte for byte', { given: 'sum by (le) (rate(x{a=~"5.."}[5m])) # {not} a "placeholder"', variables: {}, want: { query: 'sum by (le) (rate(x{a=~"5.."}[5m])) # {not} a "placeholder"' } }],
  ];
  it.each(cases)('%s', (_name, { given, variables, want }) => {
    expect(renderTemplate(given, variables)).toEqual(want);
  });
});

describe('escapeQuoted and escapeRegex', () => {
  const quoted: ReadonlyArray<[string, { given: string; quote: '"' | "'"; want: string }]> = [
    ['the double quote in "..."', { given: `a"b'c`, quote: '"', want: `a\\"b'c` }],
    ["the single quote in '...'", { given: `a"b'c`, quote: "'", want: `a"b\\'c` }],
    ['backslash, newline, carriage return, tab', { given: '\\\n\r\t', quote: '"', want: '\\\\\\n\\r\\t' }],
    ['other control characters as \\x', { given: '\x00\x1b\x7f', quote: '"', want: '\\x00\\x1b\\x7f' }],
    ['U+FFFD as \\u', { given: '\ufffd', quote: '"', want: '\\ufffd' }],
    ['non-ASCII as is', { given: 'é😀', quote: '"', want: 'é😀' }],
  ];
  it.each(quoted)('escapeQuoted: %s', (_name, { given, quote, want }) => {
    expect(escapeQuoted(given, quote)).toBe(want);
  });

  it('escapeRegex escapes what Go regexp.QuoteMeta escapes', () => {
    expect(escapeRegex('\\.+*?()|[]{}^$')).toBe('\\\\\\.\\+\\*\\?\\(\\)\\|\\[\\]\\{\\}\\^\\$');
    expect(escapeRegex('a-b_c/d e#')).toBe('a-b_c/d e#');
  });
});

describe('renderTemplate: property', () => {
  // Random strings, weighted towards the characters that matter to PromQL and to regexes.
  const unit = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('"', "'", '`', '\\', '\n', '\r', '\t', '\x00', '\x7f', '\ufffd', '{', '}', '#', '.', '*', '|', '(', ')', '[', ']', '^', '$', '?', '+', 'n', 'x', 'u') },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  );
  const values = fc.string({ unit, maxLength: 40 });

  it('a double-quoted value always decodes to itself and leaves the rest of the query intact', () => {
    fc.assert(
      fc.property(values, (value) => {
        const query = render(`up{job="{{v}}"${SENTINEL}`, { v: value });
        const literal = readPromqlString(query, 'up{job='.length);
        return literal.value === value && query.slice(literal.end) === SENTINEL;
      }),
      { numRuns: 1000 },
    );
  });

  it('a regex matcher value always matches itself literally and leaves the rest of the query intact', () => {
    fc.assert(
      fc.property(values, fc.string({ unit, minLength: 1, maxLength: 4 }), (value, other) => {
        const query = render(`up{job=~"{{v}}"${SENTINEL}`, { v: value });
        const literal = readPromqlString(query, 'up{job=~'.length);
        const re = promqlRegex(literal.value);
        return query.slice(literal.end) === SENTINEL && re.test(value) && (other === value || !re.test(other)) && !re.test(value + other);
      }),
      { numRuns: 1000 },
    );
  });
});
