/**
 * The committed types must be what openapi-typescript makes of the contract today: a spec change without
 * `npm run generate -w @promoter/sdk` fails here (CI can also run `npm run generate:check -w @promoter/sdk`).
 * Generates to a temporary file with the package script's own arguments and compares, so a failure shows
 * where the two differ.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
// The package's main is dist/index.(c|m)js; its bin sits beside dist.
const cli = join(dirname(createRequire(import.meta.url).resolve('openapi-typescript')), '..', 'bin', 'cli.js');

it('src/generated/promoter.ts is up to date with openapi/promoter.yaml', async () => {
  const [, ...args] = packageJson.scripts.generate.split(/\s+/);
  const output = args.indexOf('-o');
  expect(output, 'the generate script names its output with -o').toBeGreaterThan(0);
  const dir = await mkdtemp(join(tmpdir(), 'promoter-sdk-types-'));
  try {
    const fresh = join(dir, 'promoter.ts');
    args[output + 1] = fresh;
    await promisify(execFile)(process.execPath, [cli, ...args], { cwd: packageDir });
    const committed = (await readFile(join(packageDir, 'src/generated/promoter.ts'), 'utf8')).split('\n');
    const generated = (await readFile(fresh, 'utf8')).split('\n');
    const first = generated.findIndex((line, i) => line !== committed[i]);
    const where = first === -1 ? (committed.length === generated.length ? '' : `line ${generated.length + 1}`) : `line ${first + 1}: '${generated[first]?.trim()}' vs committed '${committed[first]?.trim()}'`;
    expect(where, 'stale: run `npm run generate -w @promoter/sdk` and commit the result').toBe('');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
