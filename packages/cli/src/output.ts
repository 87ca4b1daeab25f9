/**
 * Where the CLI writes, and how: colours only on a terminal and never with NO_COLOR (no-color.org) or
 * --no-color; `--json` keeps stdout to one JSON document, with everything for humans on stderr.
 */

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

const plain: Style = (text) => text;
const sgr =
  (open: number, close: number): Style =>
  (text) =>
    `\u001b[${open}m${text}\u001b[${close}m`;

const COLOURS: Styles = { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), cyan: sgr(36, 39) };
const NO_COLOURS: Styles = { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };

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
    this.stdout.write(`${text}\n`);
  }

  /** A line for the human watching (stderr with --json, so stdout stays one document). */
  note(text: string): void {
    (this.json ? this.stderr : this.stdout).write(`${text}\n`);
  }

  /** A problem (always stderr). */
  error(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  /** The one JSON document of a `--json` run. */
  document(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }
}

/** Colours: a terminal, and neither NO_COLOR (any non-empty value) nor --no-color. */
export function wantsColour(isTTY: boolean, env: Readonly<Record<string, string | undefined>>, noColorFlag: boolean): boolean {
  return isTTY && !noColorFlag && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb';
}
