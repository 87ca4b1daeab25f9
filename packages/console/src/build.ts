/**
 * Builds the console: esbuild bundles app/main.tsx (Preact, uPlot and the SDK included) into content-hashed
 * files under dist/assets, writes a gzip copy of each (served as is to browsers that accept it) and an
 * index.html that references them by name. No inline script, so the service's CSP (`script-src 'self'`)
 * stays strict. Writes into a temporary folder and renames it into place, so a concurrent build or a
 * reader never sees half a console.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface BuildConsoleOptions {
  /** Default packages/console/dist. */
  readonly outDir?: string;
  /** Minify (default true). */
  readonly minify?: boolean;
}

export interface ConsoleFile {
  /** Path under the output folder, e.g. `assets/app-3KXQ2Z7A.js`. */
  readonly path: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

export interface ConsoleBuild {
  readonly outDir: string;
  readonly files: readonly ConsoleFile[];
  /** The JavaScript the first page load fetches, gzipped. */
  readonly scriptGzipBytes: number;
}

/**
 * @example
 * ```ts
 * const { scriptGzipBytes } = await buildConsole();
 * ```
 */
export async function buildConsole(options: BuildConsoleOptions = {}): Promise<ConsoleBuild> {
  const outDir = resolve(options.outDir ?? join(PACKAGE_DIR, 'dist'));
  const staging = `${outDir}.tmp-${process.pid}-${Date.now()}`;
  try {
    const result = await build({
      entryPoints: { app: join(PACKAGE_DIR, 'app/main.tsx') },
      bundle: true,
      format: 'esm',
      splitting: false,
      target: ['es2022'],
      platform: 'browser',
      // The SDK's `development` export is its TypeScript source: bundled directly, no SDK build needed.
      conditions: ['development'],
      jsx: 'automatic',
      jsxImportSource: 'preact',
      minify: options.minify ?? true,
      sourcemap: false,
      legalComments: 'none',
      entryNames: '[name]-[hash]',
      assetNames: '[name]-[hash]',
      outdir: join(staging, 'assets'),
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
    await mkdir(join(staging, 'assets'), { recursive: true });
    const files: ConsoleFile[] = [];
    let script = '';
    let style = '';
    for (const file of result.outputFiles) {
      const gzipped = gzipSync(file.contents, { level: 9 });
      await writeFile(file.path, file.contents);
      await writeFile(`${file.path}.gz`, gzipped);
      const path = relative(staging, file.path);
      files.push({ path, bytes: file.contents.byteLength, gzipBytes: gzipped.byteLength });
      if (file.path.endsWith('.js')) script = basename(file.path);
      if (file.path.endsWith('.css')) style = basename(file.path);
    }
    if (!script) throw new Error('esbuild produced no script');
    await writeFile(join(staging, 'index.html'), indexHtml(script, style));
    files.push({ path: 'index.html', bytes: indexHtml(script, style).length, gzipBytes: 0 });
    await rm(outDir, { recursive: true, force: true });
    try {
      await rename(staging, outDir);
    } catch (error) {
      // Another build renamed its folder into place first: theirs is as good as ours.
      if (!existsSync(join(outDir, 'index.html'))) throw error;
    }
    const scriptGzipBytes = files.filter((f) => f.path.endsWith('.js')).reduce((sum, f) => sum + f.gzipBytes, 0);
    return { outDir, files, scriptGzipBytes };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** What the bundle is made of: the console's own sources and the SDK's (bundled from its TypeScript). */
const SOURCE_DIRS = [join(PACKAGE_DIR, 'app'), join(PACKAGE_DIR, '..', 'sdk', 'src')];

/**
 * Whether `outDir` holds a build at least as new as every source file, so a service started from the
 * sources after an edit to the console serves the edit, not a stale bundle. False when there is no build.
 */
export function isConsoleBuildCurrent(outDir: string = join(PACKAGE_DIR, 'dist')): boolean {
  const index = join(resolve(outDir), 'index.html');
  if (!existsSync(index)) return false;
  const builtAt = statSync(index).mtimeMs;
  return SOURCE_DIRS.every((dir) => !existsSync(dir) || newestMtime(dir) <= builtAt);
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

function indexHtml(script: string, style: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>promoter</title>
<link rel="icon" href="data:,">
${style ? `<link rel="stylesheet" href="/ui/assets/${style}">\n` : ''}<script type="module" src="/ui/assets/${script}"></script>
</head>
<body>
<div id="app"><noscript>The promoter console needs JavaScript; the API is at <a href="/docs">/docs</a>.</noscript></div>
</body>
</html>
`;
}

// `tsx src/build.ts`: build and print the sizes.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const built = await buildConsole();
  for (const file of built.files) console.log(`${file.path.padEnd(40)} ${String(file.bytes).padStart(8)} B${file.gzipBytes ? `  ${String(file.gzipBytes).padStart(7)} B gzip` : ''}`);
  console.log(`console built into ${built.outDir}: ${(built.scriptGzipBytes / 1024).toFixed(1)} KiB of JavaScript gzipped`);
}
