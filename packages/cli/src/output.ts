/**
 * Where the CLI writes, and how: colours only on a terminal and never with NO_COLOR (no-color.org) or
 * --no-color; `--json` keeps stdout to one JSON document, with everything for humans on stderr.
 *
 * Every character the CLI prints passes through `Output#write`, the one place where text becomes terminal
 * output: there control and bidi characters are escaped (terminal-text.ts), whoever put them in the text.
 * The CLI's own colours survive because a style does not emit an escape sequence at once: it wraps the
 * text in a marker carrying this process's random nonce, which no server string can contain by chance or
 * by design, and only `write` turns a marker into the sequence, after escaping everything around it.
 */
import { randomBytes } from 'node:crypto';
import { escapeControls } from './terminal-text.js';

/** The part of a stream the CLI needs: tests pass collectors, the bin passes process.stdout/stderr. */
export interface TextSink {
  write(chunk: string): unknown;
}

export type Style = (text: string) => string;

export interface Styles {
  readonly bold: Style;
  readonly dim: Style;
  readonly red: Style;
  readonly green: Style;
  readonly yellow: Style;
  readonly cyan: Style;
}

// A private-use character and the nonce, then the SGR parameter and `m`: `<mark>31m` stands for ESC [ 31 m.
const MARK = `\ue000${randomBytes(8).toString('hex')}:`;
const STYLE_CODE = new RegExp(`${MARK}(\\d+)m`, 'g');

const plain: Style = (text) => text;
const sgr =
  (open: number, close: number): Style =>
  (text) =>
    `${MARK}${open}m${text}${MARK}${close}m`;

const COLOURS: Styles = { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), cyan: sgr(36, 39) };
const NO_COLOURS: Styles = { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };

/** A styled line split into its own text and the styles around it: `[text, code, text, code, …, text]`. */
function styledParts(line: string): string[] {
  return line.split(STYLE_CODE);
}

/** How many characters a line shows once written: styles take no room, an escaped character its escape's. */
export function visibleLength(line: string): number {
  return styledParts(line).reduce((sum, part, i) => sum + (i % 2 === 0 ? escapeControls(part).length : 0), 0);
}

/**
 * The line cut to `columns - 1` visible characters and an ellipsis, styles kept and reset at the cut. The
 * text is escaped first (escaping is idempotent, so `renderLine` changes nothing more), so the cut is where
 * the terminal shows it.
 */
export function truncateStyled(line: string, columns: number): string {
  if (visibleLength(line) < columns) return line;
  let room = columns - 1;
  let out = '';
  for (const [i, part] of styledParts(line).entries()) {
    if (i % 2 === 1) {
      out += `${MARK}${part}m`;
      continue;
    }
    const shown = escapeControls(part);
    out += shown.slice(0, room);
    room -= Math.min(room, shown.length);
    if (room === 0) break;
  }
  return `${out}…${MARK}0m`;
}

/**
 * One line as the terminal gets it: text escaped (LF and CR included, so no field can start a line of
 * its own), the CLI's styles as SGR sequences.
 */
export function renderLine(line: string): string {
  return styledParts(line)
    .map((part, i) => (i % 2 === 0 ? escapeControls(part) : `\u001b[${part}m`))
    .join('');
}

export class Output {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Whether stdout is a terminal: live views and colours only then. */
  readonly isTTY: boolean;
  readonly json: boolean;
  readonly style: Styles;

  constructor(options: { stdout: TextSink; stderr: TextSink; isTTY: boolean; json: boolean; color: boolean }) {
    this.stdout = options.stdout;
    this.stderr = options.stderr;
    this.isTTY = options.isTTY;
    this.json = options.json;
    this.style = options.color ? COLOURS : NO_COLOURS;
  }

  /** A line of the command's result (stdout). */
  line(text = ''): void {
    this.write(this.stdout, text);
  }

  /** Lines of the CLI's own (help), or of JSON: each line break in `text` is a line of output. */
  block(text: string): void {
    for (const line of text.split('\n')) this.write(this.stdout, line);
  }

  /** A line for the human watching (stderr with --json, so stdout stays one document). */
  note(text: string): void {
    this.write(this.json ? this.stderr : this.stdout, text);
  }

  /** A problem (always stderr). */
  error(text: string): void {
    this.write(this.stderr, text);
  }

  /**
   * The one JSON document of a `--json` run. JSON.stringify escapes C0 in strings, and the escaping of the
   * rest (`\u202e`) is JSON's own, so the document parses to the same value.
   */
  document(value: unknown): void {
    this.block(JSON.stringify(value, null, 2));
  }

  /** Moves the cursor up `lines` lines and clears to the end of the screen (the live view's redraw). */
  clearAbove(lines: number): void {
    this.stdout.write(`\u001b[${lines}F\u001b[0J`);
  }

  /** Every line the CLI prints goes out here (see the file's comment). */
  write(sink: TextSink, line: string): void {
    sink.write(`${renderLine(line)}\n`);
  }
}

/** Colours: a terminal, and neither NO_COLOR (any non-empty value) nor --no-color. */
export function wantsColour(isTTY: boolean, env: Readonly<Record<string, string | undefined>>, noColorFlag: boolean): boolean {
  return isTTY && !noColorFlag && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb';
}
