/**
 * What reaches the terminal from the service (reasons, event messages, image and actor names) is text
 * anyone with push access or a token may have shaped. Control characters would act instead of showing:
 * ANSI escapes recolour, hide or rewrite earlier lines, CR overwrites a line, LF forges one, bidi controls
 * reorder what the reader sees. They are written out visibly instead.
 */

// C0 controls and DEL, C1 controls, the bidi embeddings/overrides/isolates and marks (U+202A-E,
// U+2066-9, U+200E/F, U+061C), and the line/paragraph separators some terminals break lines at.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * The text with every control and bidi character escaped visibly: C0 as `\x1b`, everything else as
 * `\u202e`. The `\u` form is also a JSON string escape of the same character, so a JSON document keeps
 * its meaning (JSON.stringify already escapes C0, which is all that could take the `\x` form there).
 *
 * @example
 * ```ts
 * escapeControls('ok\u001b[2J\u202etxt.exe'); // 'ok\\x1b[2J\\u202etxt.exe'
 * ```
 */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (char) => {
    const code = char.charCodeAt(0);
    return code < 0x20 ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`;
  });
}

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}
