/**
 * Text that came from outside (a request's reason, a check's message, a name read from a cluster) made fit
 * to show to a person in a place we do not control: a Slack channel, a webhook receiver's log, a terminal.
 * Pure.
 *
 * - Terminal escape sequences (ANSI CSI and OSC, 7-bit or 8-bit) are removed whole: `\x1b[31m` would
 *   otherwise recolour a receiver's terminal, and escaping it would leave `[31m` noise in every message.
 * - Line breaks and tabs become one space: a reason must not start a line of its own in a message the
 *   service formats (a forged "Approved by" line under the real text).
 * - Every other C0/C1 control, DEL, and the bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E,
 *   U+200F, U+061C) are escaped as visible `\uXXXX`: silently dropped they would hide that someone tried,
 *   and left in, U+202E shows a reason's end reversed.
 */

// ESC [ params intermediates final | ESC ] text (BEL | ST) | ESC and one Fe byte; the same with the 8-bit CSI
// (U+009B) and OSC (U+009D) introducers. An OSC without its end loses only its introducer, not the text after.
const ESCAPE_SEQUENCE = /(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)|\x1b[@-Z\\-_]/g;
const LINE_BREAK = /\r\n|[\r\n\t\v\f\u0085\u2028\u2029]/g;
// What is left of C0, DEL and C1 after the two passes above, and the bidi controls.
const CONTROL = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function displayText(text: string): string {
  return text
    .replace(ESCAPE_SEQUENCE, '')
    .replace(LINE_BREAK, ' ')
    .replace(CONTROL, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Every string in a JSON-shaped value (objects, arrays, scalars) through {@link displayText}, keys too: a
 * notification's body is built from the whole value, so a field added later is covered without a list to
 * keep up to date.
 */
export function displayStrings<T>(value: T): T {
  return deep(value) as T;
}

function deep(value: unknown): unknown {
  if (typeof value === 'string') return displayText(value);
  if (Array.isArray(value)) return value.map(deep);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [displayText(key), deep(item)]));
  }
  return value;
}
