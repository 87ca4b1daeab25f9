/**
 * A fresh clone, as a new user gets it: `git clone` of this repository's HEAD, `npm ci` (from the local
 * npm cache where it can, `--prefer-offline`, so the test does not depend on the registry's speed; the
 * lockfile and every install step, prepare included, are the real ones), then, with no other step, the
 * CLI through `npx promoter` and `node_modules/.bin/promoter`, and the SDK imported from plain Node.
 * It does not cover the registry itself nor uncommitted changes (the clone is of HEAD).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let clone = '';

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { cwd: clone, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('a fresh clone', () => {
  beforeAll(() => {
    clone = join(mkdtempSync(join(tmpdir(), 'promoter-clone-')), 'promoter');
    execFileSync('git', ['clone', '--quiet', ROOT, clone]);
    run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund']);
  }, 600_000);
  afterAll(() => {
    if (clone) rmSync(join(clone, '..'), { recursive: true, force: true });
  });

  it('has the SDK and CLI built by npm install alone', () => {
    expect(existsSync(join(clone, 'packages/sdk/dist/index.js'))).toBe(true);
    expect(existsSync(join(clone, 'packages/cli/dist/cli.js'))).toBe(true);
  });

  it('runs `npx promoter --help` and node_modules/.bin/promoter', () => {
    expect(run('npx', ['promoter', '--help'])).toContain('Usage: promoter <command>');
    expect(run(join(clone, 'node_modules/.bin/promoter'), ['--help'])).toContain('Usage: promoter <command>');
  });

  it('imports @promoter/sdk from plain Node', () => {
    const out = run('node', ['--input-type=module', '-e', "const sdk = await import('@promoter/sdk'); console.log(typeof sdk.PoliciesApi)"]);
    expect(out.trim()).toBe('function');
  });
});
