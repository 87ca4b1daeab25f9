/**
 * Every snippet in the READMEs (README.md, packages/*\/README.md, services/*\/README.md), taken from the
 * Markdown itself (markdown-snippets.ts), never retyped:
 * - ```ts: type-checked with the repository's own compiler options (strict, noUncheckedIndexedAccess,
 *   noUnusedLocals, NodeNext), each block as its own file inside the repository, so `@promoter/sdk`
 *   resolves to the workspace package as it does for a user. The prelude a block may rely on, and nothing
 *   more: it is an ES module (top-level `await` works), Node's globals and types are there (`process`,
 *   `fetch`), and the workspace packages can be imported. Everything else it uses, it declares.
 * - ```sh: `bash -n` (syntax) for every block; and every block is listed in SHELL_BLOCKS with what runs it
 *   beyond that, so a block that is only syntax-checked is so on purpose (a new block fails here until
 *   someone decides).
 * - ```js: `node --check`; ```json: JSON.parse; ```yaml: parsed as YAML. Blocks without a language
 *   (diagrams, trees) are text.
 * The operator guide (docs/*.md) is checked the same way for syntax; its shell blocks are helm, kubectl and
 * psql against a real cluster, so they are syntax-checked as a whole instead of listed one by one.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { docFiles, readmeFiles, snippetsOf, type Snippet } from './markdown-snippets.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FRESH_CLONE = 'run as written on a fresh clone by test/docs/fresh-clone.test.ts';

/** Each shell block, by `file > heading`, and what checks it beyond its syntax. */
const SHELL_BLOCKS: Readonly<Record<string, string>> = {
  'README.md > promoter': `npm install && npm start: ${FRESH_CLONE}; npm run demo: test/demo/demo.test.ts; npm test: the suite this test is part of`,
  'README.md > Quick start': FRESH_CLONE,
  'README.md > SDK and CLI': FRESH_CLONE,
  'README.md > See it work: `npm run demo`': 'npm run demo -- --ci: run by test/demo/demo.test.ts, which checks its summary and that Ctrl-C leaves nothing behind',
  'README.md > GitOps': 'syntax only: it needs a Git repository named in PROMOTER_GIT_REPOSITORIES_FILE; test/gitops sends the same request',
  'README.md > GitOps #2': 'syntax only: the CLI against a service with Git delivery configured; test/cli/promote-via-git.test.ts runs promote --via git --repository --file --wait against a real git server',
  'README.md > Pipelines': 'syntax only: the CLI against a service with clusters and a Git repository configured; test/pipelines/pipelines.e2e.test.ts runs pipeline run --wait on a three-stage pipeline (patch, Git, patch) and checks what it prints and its exit code, and pipeline status --wait, list and abort',
  'README.md > Development': 'syntax only: the development commands themselves (npm test, build, bench, sdk:generate)',
  'README.md > Freezes': 'syntax only: a running service; test/freezes/freezes.e2e.test.ts puts the same kinds of freeze through the API and test/cli/freeze.test.ts runs promoter freeze put/list',
  'packages/cli/README.md > @promoter/cli: the `promoter` command': `syntax only: the same promote as README.md > SDK and CLI, which is ${FRESH_CLONE}`,
  'packages/cli/README.md > Exit codes': 'syntax only: `...` stands for a promote command line; test/cli checks each exit code',
  'packages/cli/README.md > Development': 'syntax only: the build runs on every npm install (prepare); test/cli/connection.test.ts spawns the bin',
  'packages/sdk/README.md > Generated types': 'syntax only: packages/sdk/src/generated-types.test.ts runs the same check',
};

const snippets: readonly Snippet[] = [...readmeFiles(ROOT), ...docFiles(ROOT)].flatMap((file) => snippetsOf(ROOT, file));
const ofLanguage = (lang: string) => snippets.filter((s) => s.lang === lang).map((s) => [`${s.key} (line ${s.line})`, s] as const);

describe('README snippets', () => {
  it('are found (the extraction itself works)', () => {
    expect(snippets.filter((s) => s.lang === 'ts').map((s) => s.key)).toEqual(expect.arrayContaining(['README.md > SDK and CLI', 'packages/sdk/README.md > @promoter/sdk']));
    expect(snippets.find((s) => s.key === 'README.md > Quick start' && s.lang === 'sh')?.code).toContain('curl -X PUT localhost:8080/v1/policies/zai-proxy-default');
  });

  it('every shell block is listed with what checks it beyond bash -n, and every listed one exists', () => {
    const found = snippets.filter((s) => s.lang === 'sh' && !s.file.startsWith('docs/')).map((s) => s.key);
    expect(found.filter((key) => !(key in SHELL_BLOCKS)), 'add these to SHELL_BLOCKS, saying what runs them').toEqual([]);
    expect(Object.keys(SHELL_BLOCKS).filter((key) => !found.includes(key)), 'listed in SHELL_BLOCKS but gone from the READMEs').toEqual([]);
  });

  it.each(ofLanguage('sh'))('sh %s: bash -n', (_, snippet) => {
    const result = spawnSync('bash', ['-n'], { input: snippet.code, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  describe('ts blocks type-check', () => {
    const blocks = ofLanguage('ts');
    let diagnostics = new Map<Snippet, string[]>();
    beforeAll(() => {
      diagnostics = typeCheck(blocks.map(([, snippet]) => snippet));
    }, 60_000);
    it.each(blocks)('ts %s', (_, snippet) => {
      expect(diagnostics.get(snippet) ?? []).toEqual([]);
    });
  });

  it.each(ofLanguage('js'))('js %s: node --check', (_, snippet) => {
    const result = spawnSync(process.execPath, ['--input-type=module', '--check'], { input: snippet.code, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.each(ofLanguage('json'))('json %s: parses', (_, snippet) => {
    expect(() => JSON.parse(snippet.code)).not.toThrow();
  });

  it.each(ofLanguage('yaml'))('yaml %s: parses', (_, snippet) => {
    const errors = parseAllDocuments(snippet.code).flatMap((document) => ('errors' in document ? document.errors.map((e) => e.message) : []));
    expect(errors).toEqual([]);
  });
});

/**
 * One program for all blocks, with tsconfig.json's options. Each block is served from memory as
 * `test/docs/readme-snippet-N.ts`: inside the repository, so module resolution and the module format
 * (ESM, from package.json's `type`) are a user's, and nothing is left on disk.
 */
function typeCheck(blocks: readonly Snippet[]): Map<Snippet, string[]> {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error('tsconfig.json could not be read');
  const options: ts.CompilerOptions = { ...parsed.options, noEmit: true };
  const files = new Map(blocks.map((block, index) => [join(ROOT, `test/docs/readme-snippet-${index + 1}.ts`), block] as const));
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const block = files.get(fileName);
    return block ? ts.createSourceFile(fileName, block.code, languageVersion, true) : getSourceFile(fileName, languageVersion, onError, shouldCreate);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => files.has(fileName) || fileExists(fileName);
  const readFile = host.readFile.bind(host);
  host.readFile = (fileName) => files.get(fileName)?.code ?? readFile(fileName);

  const program = ts.createProgram({ rootNames: [...files.keys()], options, host });
  const byBlock = new Map<Snippet, string[]>();
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const block = diagnostic.file ? files.get(diagnostic.file.fileName) : undefined;
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (!block || !diagnostic.file) throw new Error(`TS${diagnostic.code} outside the snippets: ${message}`);
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    // The line in the Markdown file: the fence's line plus the line inside the block.
    byBlock.set(block, [...(byBlock.get(block) ?? []), `${block.file}:${block.line + line + 1}: TS${diagnostic.code} ${message}`]);
  }
  return byBlock;
}
