import { describe, expect, it } from 'vitest';
import { Output, renderLine, truncateStyled, visibleLength } from './output.js';
import { escapeControls } from './terminal-text.js';

describe('escapeControls', () => {
  it.each([
    ['plain text, Unicode included', { given: 'zai-proxy:1.2.1 ✓ café 日本 ⠋', want: 'zai-proxy:1.2.1 ✓ café 日本 ⠋' }],
    ['an ANSI escape (clear screen, colour)', { given: 'ok\u001b[2J\u001b[31mred', want: 'ok\\x1b[2J\\x1b[31mred' }],
    ['CR and LF inside a field', { given: 'line\r\nforged: succeeded', want: 'line\\x0d\\x0aforged: succeeded' }],
    ['NUL, TAB, BEL, DEL', { given: 'a\u0000b\tc\u0007d\u007f', want: 'a\\x00b\\x09c\\x07d\\u007f' }],
    ['C1 controls (CSI, NEL)', { given: '\u009b31m\u0085', want: '\\u009b31m\\u0085' }],
    ['bidi overrides, embeddings, isolates, marks', { given: '\u202aA\u202bB\u202cC\u202dD\u202eE\u2066F\u2067G\u2068H\u2069I\u200eJ\u200fK\u061cL', want: '\\u202aA\\u202bB\\u202cC\\u202dD\\u202eE\\u2066F\\u2067G\\u2068H\\u2069I\\u200eJ\\u200fK\\u061cL' }],
    ['line and paragraph separators', { given: 'a\u2028b\u2029c', want: 'a\\u2028b\\u2029c' }],
    ['its own output again (idempotent)', { given: 'ok\\x1b[2J\\u202e', want: 'ok\\x1b[2J\\u202e' }],
  ])('%s', (_name, { given, want }) => {
    expect(escapeControls(given)).toBe(want);
  });
});

describe('Output writes nothing raw', () => {
  const capture = (color: boolean, json = false) => {
    let out = '';
    const output = new Output({ stdout: { write: (chunk: string) => (out += chunk) }, stderr: { write: (chunk: string) => (out += chunk) }, isTTY: color, json, color });
    return { output, text: () => out };
  };

  it('escapes what a line carries but keeps its own colours as real SGR sequences', () => {
    const { output, text } = capture(true);
    output.line(`${output.style.red('rejected')}: ${'\u001b[8mhidden\u001b[0m \u202egnp.exe'}`);
    expect(text()).toBe('\u001b[31mrejected\u001b[39m: \\x1b[8mhidden\\x1b[0m \\u202egnp.exe\n');
  });

  it('a line is one line: an LF inside it is escaped, on stdout and stderr alike', () => {
    const { output, text } = capture(false);
    output.line('reason\nforged line');
    output.error('actor\r\u0000');
    expect(text()).toBe('reason\\x0aforged line\nactor\\x0d\\x00\n');
  });

  it('a style marker cannot be forged: without the process nonce it is text', () => {
    const { output, text } = capture(true);
    output.line('\ue000000000000000000:31mnot red');
    expect(text()).not.toContain('\u001b');
  });

  it('a JSON document parses to the same value, with no raw control or bidi character in it', () => {
    const { output, text } = capture(false, true);
    const value = { reason: 'a\u202eb\u001b[2Jc\u0085', nested: ['\u2066x\u2069'] };
    output.document(value);
    expect(text()).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(JSON.parse(text())).toEqual(value);
  });

  it('the live view cuts a line where the terminal shows it: escapes count, styles do not', () => {
    const { output } = capture(true);
    const line = `${output.style.cyan('verifying')} \u001b[2Jabcdef`;
    expect(visibleLength(line)).toBe('verifying \\x1b[2Jabcdef'.length);
    const cut = renderLine(truncateStyled(line, 16));
    expect(cut).toBe('\u001b[36mverifying\u001b[39m \\x1b[…\u001b[0m');
  });
});
