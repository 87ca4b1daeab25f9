/**
 * The fenced code blocks of the repository's READMEs, each with the heading it stands under, so tests take
 * the documentation's snippets from the documentation itself: a retyped copy in a test would keep passing
 * while the README rots.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface Snippet {
  /** The Markdown file, relative to the repository root (`README.md`, `packages/sdk/README.md`). */
  readonly file: string;
  /** The text of the nearest heading above the block; '' before the first heading. */
  readonly heading: string;
  /** The first word of the fence's info string (`sh`, `ts`, …); '' when there is none. */
  readonly lang: string;
  /** The block's content, ending with a newline. */
  readonly code: string;
  /** 1-based line of the opening fence, for messages. */
  readonly line: number;
  /** `file > heading`, with ` #n` for the n-th block of the same language under one heading (n ≥ 2). */
  readonly key: string;
}

const HEADING = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const FENCE = /^( {0,3})(`{3,}|~{3,})[ \t]*([^\s`]*)/;

/** The READMEs whose snippets are checked: the root one and each workspace's. */
export function readmeFiles(root: string): string[] {
  const files = ['README.md'];
  for (const group of ['packages', 'services']) {
    for (const name of readdirSync(join(root, group)).sort()) {
      const file = `${group}/${name}/README.md`;
      if (existsSync(join(root, file))) files.push(file);
    }
  }
  return files;
}

/** The operator documentation (docs/*.md): its blocks are checked for syntax; they run against a real cluster. */
export function docFiles(root: string): string[] {
  return readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
}

/** Every fenced block of `file` (CommonMark fences: ``` or ~~~, closed by a fence at least as long). */
export function snippetsOf(root: string, file: string): Snippet[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const snippets: Snippet[] = [];
  const seen = new Map<string, number>();
  let heading = '';
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const open = FENCE.exec(line);
    if (!open) {
      const title = HEADING.exec(line);
      if (title) heading = title[1] ?? '';
      continue;
    }
    const [, indent = '', marker = '', lang = ''] = open;
    const body: string[] = [];
    let end = index + 1;
    for (; end < lines.length; end++) {
      const closing = (lines[end] ?? '').trim();
      if (closing.startsWith(marker) && /^[`~]+$/.test(closing) && closing[0] === marker[0]) break;
      // Content is de-indented by the fence's own indentation, as CommonMark does.
      body.push((lines[end] ?? '').replace(new RegExp(`^ {0,${indent.length}}`), ''));
    }
    const base = `${file} > ${heading}`;
    const count = (seen.get(`${base}\u0000${lang}`) ?? 0) + 1;
    seen.set(`${base}\u0000${lang}`, count);
    snippets.push({ file, heading, lang, code: `${body.join('\n')}\n`, line: index + 1, key: count === 1 ? base : `${base} #${count}` });
    index = end;
  }
  return snippets;
}

/** The one block of `lang` under `heading` in `file`; throws when there is none or more than one. */
export function snippetUnder(root: string, file: string, heading: string, lang: string): Snippet {
  const found = snippetsOf(root, file).filter((s) => s.heading === heading && s.lang === lang);
  if (found.length !== 1) throw new Error(`${file} has ${found.length} \`\`\`${lang} blocks under "${heading}", expected exactly one`);
  return found[0] as Snippet; // length checked above
}
