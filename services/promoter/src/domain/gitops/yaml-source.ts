/**
 * YAML text kept as its concrete syntax tree, so a scalar can be rewritten in place and the file printed
 * back byte for byte everywhere else. Pure.
 */
import { CST, Composer, Parser, Scalar, parse as parseYaml } from 'yaml';
import type { Document } from 'yaml';
import { ImageEditError } from './image-edit-error.js';

export interface ParsedFile {
  readonly text: string;
  readonly tokens: readonly CST.Token[];
  readonly documents: readonly Document.Parsed[];
}

/** How much of a file is parsed at most; the adapter passes its configured limits. */
export interface ParseLimits {
  readonly maxDocuments: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = { maxDocuments: 1_000 };

export function parseFile(text: string, file: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS): ParsedFile {
  const tokens: CST.Token[] = [];
  let documents = 0;
  // The parser is lazy: counting as it goes stops a file of 200,000 documents after the first 1,001.
  for (const token of new Parser().parse(text)) {
    if (token.type === 'document' && ++documents > limits.maxDocuments) {
      throw new ImageEditError('too-large', file, `${file} has more than ${limits.maxDocuments} YAML documents (the limit); it is not edited`);
    }
    tokens.push(token);
  }
  const composed = [...new Composer({ keepSourceTokens: true }).compose(tokens)];
  for (const document of composed) {
    const [error] = document.errors;
    // The parser's own message may quote the text around the error: say only where it is.
    if (error) throw new ImageEditError('invalid-yaml', file, `${file} is not valid YAML (${error.code} at line ${lineAt(text, error.pos[0])})`);
  }
  return { text, tokens, documents: composed };
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** A scalar as written: a plain `1.20` stays "1.20" (the core schema would read the number 1.2). */
export function scalarText(node: Scalar.Parsed): string {
  if (node.value === null || node.value === undefined) return '';
  if (node.type === Scalar.PLAIN && typeof node.source === 'string') return node.source;
  return String(node.value);
}

export function textOf(node: Scalar.Parsed | undefined): string | undefined {
  return node ? scalarText(node) : undefined;
}

/** Writes a string into the scalar's CST token, keeping its quoting unless plain would read as another type. */
export function writeScalar(node: Scalar.Parsed, value: string): void {
  if (!node.srcToken) throw new Error('scalar without a source token: the file was not parsed with keepSourceTokens');
  let type = node.type === Scalar.BLOCK_FOLDED || node.type === Scalar.BLOCK_LITERAL || node.type === undefined ? Scalar.PLAIN : node.type;
  if (type === Scalar.PLAIN && !readsAsString(value)) type = Scalar.QUOTE_DOUBLE;
  CST.setScalarValue(node.srcToken, value, { type });
}

export function stringScalar(value: string): Scalar<string> {
  const scalar = new Scalar(value);
  if (!readsAsString(value)) scalar.type = Scalar.QUOTE_DOUBLE;
  return scalar;
}

/** Whether a plain scalar with this text reads back as this same string (not 1.2, true, null...). */
export function readsAsString(value: string): boolean {
  try {
    return parseYaml(value) === value;
  } catch {
    return false;
  }
}

export function printTokens(parsed: ParsedFile): string {
  return parsed.tokens.map((token) => CST.stringify(token)).join('');
}
