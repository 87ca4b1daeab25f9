/**
 * PromQL query templates with `{{variable}}` placeholders. The renderer knows where each placeholder
 * stands in the query (inside a "double", 'single' or `raw` string, after a regex matcher, in a comment,
 * or bare in the expression) and escapes the value for that place, so that no value can end the string it
 * sits in or otherwise change the PromQL around it. Pure, no I/O.
 */

export type PlaceholderContext = 'double-quoted' | 'single-quoted' | 'raw-string' | 'comment' | 'expression';

export interface Placeholder {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly context: PlaceholderContext;
  /** The placeholder sits in a string that is the right-hand side of `=~` or `!~`. */
  readonly regex: boolean;
}

export type TemplateSegment = { readonly text: string } | Placeholder;

/**
 * A placeholder's name: letters, digits and _, or `labels.` and a Kubernetes label key (which may hold
 * `.`, `-` and `/`, e.g. `labels.app.kubernetes.io/name`). Whether the key is a valid one is a separate
 * check (labels.ts), so a bad key is named as such rather than called a malformed placeholder.
 */
export const PLACEHOLDER_NAME = String.raw`[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_./-]+)?`;
const PLACEHOLDER = new RegExp(String.raw`^\{\{\s*(${PLACEHOLDER_NAME})\s*\}\}`);

/** Splits a template into literal text and placeholders; returns an error sentence for a malformed one. */
export function parseTemplate(template: string): TemplateSegment[] | { error: string } {
  const segments: TemplateSegment[] = [];
  let context: PlaceholderContext = 'expression';
  let regexString = false;
  let literalStart = 0;
  let i = 0;
  const flush = (end: number) => {
    if (end > literalStart) segments.push({ text: template.slice(literalStart, end) });
  };
  while (i < template.length) {
    const ch = template[i];
    if (template.startsWith('{{', i)) {
      const match = PLACEHOLDER.exec(template.slice(i));
      if (!match?.[1]) {
        return { error: `malformed placeholder at offset ${i}: write {{name}} with a name of letters, digits and _, or {{labels.<label>}}` };
      }
      flush(i);
      const end = i + match[0].length;
      segments.push({ name: match[1], start: i, end, context, regex: regexString });
      i = end;
      literalStart = i;
      continue;
    }
    switch (context) {
      case 'expression':
        if (ch === '"' || ch === "'" || ch === '`') {
          regexString = /[=!]~\s*$/.test(template.slice(0, i));
          context = ch === '"' ? 'double-quoted' : ch === "'" ? 'single-quoted' : 'raw-string';
        } else if (ch === '#') {
          context = 'comment';
        }
        break;
      case 'double-quoted':
      case 'single-quoted':
        if (ch === '\\') {
          i += 2;
          continue;
        }
        if ((ch === '"' && context === 'double-quoted') || (ch === "'" && context === 'single-quoted')) {
          context = 'expression';
          regexString = false;
        }
        break;
      case 'raw-string':
        if (ch === '`') {
          context = 'expression';
          regexString = false;
        }
        break;
      case 'comment':
        // PromQL ends a comment at a carriage return too: a lone \r must not leave later placeholders
        // classified as comment text (and so unescaped) while Prometheus reads them as query.
        if (ch === '\n' || ch === '\r') context = 'expression';
        break;
    }
    i += 1;
  }
  if (context === 'double-quoted' || context === 'single-quoted' || context === 'raw-string') {
    return { error: 'the query has a string that is never closed' };
  }
  flush(template.length);
  return segments;
}

/** The distinct variable names a template uses. */
export function templateVariables(template: string): string[] | { error: string } {
  const segments = parseTemplate(template);
  if ('error' in segments) return segments;
  return [...new Set(segments.filter(isPlaceholder).map((p) => p.name))];
}

export function isPlaceholder(segment: TemplateSegment): segment is Placeholder {
  return 'name' in segment;
}

const LONE_SURROGATE = /\p{Cs}/u;

const BARE_VALUE = [
  /^[A-Za-z_:][A-Za-z0-9_:]*$/, // a metric or label name
  /^-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$/, // a number
  /^(?:[0-9]+(?:ms|s|m|h|d|w|y))+$/, // a duration
];

/** Renders a template; values are escaped for their place. Fails on an unknown variable or an unsafe bare value. */
export function renderTemplate(
  template: string,
  variables: Readonly<Record<string, string>>,
): { query: string } | { error: string } {
  const segments = parseTemplate(template);
  if ('error' in segments) return segments;
  let query = '';
  for (const segment of segments) {
    if (!isPlaceholder(segment)) {
      query += segment.text;
      continue;
    }
    // Own properties only: `{{constructor}}` must be an unknown variable, not Object.prototype's.
    const value = Object.hasOwn(variables, segment.name) ? variables[segment.name] : undefined;
    if (value === undefined) return { error: `unknown variable {{${segment.name}}}` };
    const escaped = escapeFor(segment, value);
    if (typeof escaped !== 'string') return { error: `{{${segment.name}}}: ${escaped.error}` };
    query += escaped;
  }
  return { query };
}

function escapeFor(placeholder: Placeholder, value: string): string | { error: string } {
  // A lone surrogate has no UTF-8 form: on the wire it would become U+FFFD, not the value.
  if (LONE_SURROGATE.test(value)) return { error: 'the value is not well-formed Unicode (it has a lone surrogate)' };
  const literal = placeholder.regex ? escapeRegex(value) : value;
  switch (placeholder.context) {
    case 'double-quoted':
      return escapeQuoted(literal, '"');
    case 'single-quoted':
      return escapeQuoted(literal, "'");
    case 'raw-string':
      // Raw strings have no escapes: a backtick would end the string, and the PromQL lexer refuses a
      // literal U+FFFD as an invalid UTF-8 rune.
      if (literal.includes('`')) return { error: 'a value with a backtick cannot go into a `raw` string' };
      return literal.includes('\uFFFD') ? { error: 'a value with U+FFFD cannot go into a `raw` string' } : literal;
    case 'comment':
      return /[\r\n]/.test(value) ? { error: 'a value with a line break cannot go into a comment' } : value;
    case 'expression':
      if (!BARE_VALUE.some((re) => re.test(value))) {
        return { error: `'${value.slice(0, 40)}' is not a name, number or duration, so it cannot stand outside quotes` };
      }
      // Unary minus binds looser than `^` in PromQL: `{{n}} ^ 2` with -2 would read as -(2 ^ 2).
      return value.startsWith('-') ? `(${value})` : value;
  }
}

/** Escapes a value for a PromQL (Go-syntax) quoted string. */
export function escapeQuoted(value: string, quote: '"' | "'"): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    // The PromQL lexer refuses a literal U+FFFD ("invalid UTF-8 rune"); a lone surrogate would become one.
    else if (code === 0xfffd || (code >= 0xd800 && code <= 0xdfff)) out += '\\ufffd';
    else out += ch;
  }
  return out;
}

/** Makes a value match itself literally inside a PromQL (RE2) regex matcher. */
export function escapeRegex(value: string): string {
  return value.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}
