/**
 * The SDK and the CLI as someone outside this repository gets them: `npm pack` of both (prepack builds
 * dist/), `npm install` of the two tarballs into an empty project (their own dependencies come from the
 * registry or npm's cache), then the `promoter` command through npx and the SDK from an ESM script, run by
 * node and type-checked by tsc against the installed declarations.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

let dir: string;
let project: string;
const tarballs: Record<'sdk' | 'cli', { file: string; files: string[] }> = { sdk: { file: '', files: [] }, cli: { file: '', files: [] } };

/** `npm pack --json` of a workspace package into `dir`: the tarball's name and the paths it holds. */
async function pack(name: 'sdk' | 'cli'): Promise<void> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: join(ROOT, 'packages', name), maxBuffer: 16 * 1024 * 1024 });
  // prepack's build writes to stdout before npm's JSON document: the document is the trailing array.
  const [info] = JSON.parse(stdout.slice(stdout.lastIndexOf('\n[') + 1)) as { filename: string; files: { path: string }[] }[];
  if (!info) throw new Error(`npm pack of ${name} said nothing:\n${stdout}`);
  tarballs[name] = { file: join(dir, info.filename), files: info.files.map((file) => file.path) };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'promoter-packaging-'));
  await pack('sdk');
  await pack('cli');
  project = join(dir, 'project');
  await run('mkdir', [project]);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'outside', private: true, type: 'module' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarballs.sdk.file, tarballs.cli.file], { cwd: project });
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the packed SDK and CLI', () => {
  it('ship built output, declarations and a README, not sources or tests', () => {
    for (const name of ['sdk', 'cli'] as const) {
      const { files } = tarballs[name];
      expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts']));
      expect(files.filter((file) => file.startsWith('src/') || file.endsWith('.test.js') || file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    }
    expect(tarballs.cli.files).toEqual(expect.arrayContaining(['bin/promoter.js', 'dist/cli.js']));
  });

  it('the CLI depends on the SDK by version, so its tarball installs anywhere', async () => {
    const manifest = JSON.parse(await readFile(join(project, 'node_modules/@promoter/cli/package.json'), 'utf8')) as { dependencies: Record<string, string>; version: string };
    const sdk = JSON.parse(await readFile(join(project, 'node_modules/@promoter/sdk/package.json'), 'utf8')) as { version: string };
    expect(manifest.dependencies['@promoter/sdk']).toMatch(/^\^?\d+\.\d+\.\d+$/);
    expect(manifest.dependencies['@promoter/sdk']?.replace('^', '')).toBe(sdk.version);
  });

  it("the README's CI example installs these packages at their versions, never a bare npx promoter", async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const versions: Record<string, string> = {};
    for (const name of ['sdk', 'cli'] as const) {
      const { version } = JSON.parse(await readFile(join(ROOT, 'packages', name, 'package.json'), 'utf8')) as { version: string };
      versions[name] = version;
      expect(readme).toContain(`@promoter/${name}@${version}`);
    }
    // Every pinned install in the docs names the current versions.
    for (const doc of ['README.md', 'packages/cli/README.md', 'packages/sdk/README.md', 'docs/operations.md']) {
      const text = await readFile(join(ROOT, doc), 'utf8');
      for (const [, name, version] of text.matchAll(/@promoter\/(sdk|cli)@(\d+\.\d+\.\d+)/g)) expect(`${doc}: ${name}@${version}`).toBe(`${doc}: ${name}@${versions[name ?? '']}`);
    }
    const ciBlock = readme.slice(readme.indexOf('## SDK and CLI'), readme.indexOf('## Operations'));
    expect(ciBlock.split('\n').filter((line) => /^\s*npx promoter\b/.test(line))).toEqual([]);
  });

  it('npx promoter --help and --version work in the empty project', async () => {
    const help = await run('npx', ['--no-install', 'promoter', '--help'], { cwd: project });
    expect(help.stdout).toContain('Usage: promoter <command> [flags]');
    const version = await run('npx', ['--no-install', 'promoter', '--version'], { cwd: project });
    const manifest = JSON.parse(await readFile(join(project, 'node_modules/@promoter/cli/package.json'), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(manifest.version);
  });

  it('an ESM script imports the SDK, creates a client, and type-checks against the installed types', async () => {
    const script = `import { createPromoterClient, isTerminalState, type PromotionDetail } from '@promoter/sdk';
const client = createPromoterClient({ baseUrl: 'http://127.0.0.1:9' });
const state: PromotionDetail['state'] = 'succeeded';
// @ts-expect-error: the installed declarations know the states (an untyped package would make this line unused)
const wrong: PromotionDetail['state'] = 'done';
console.log(JSON.stringify({ get: typeof client.promotions.get, follow: typeof client.promotions.follow, terminal: isTerminalState(state), wrong }));
`;
    await writeFile(join(project, 'check.ts'), script);
    // The same script as plain JavaScript for node (types stripped by hand: Node 20 cannot run .ts).
    await writeFile(join(project, 'check.mjs'), script.replace(', type PromotionDetail', '').replace(/: PromotionDetail\['state'\]/g, '').replace(/^\/\/ @ts-expect-error.*\n/m, ''));
    const ran = await run(process.execPath, ['check.mjs'], { cwd: project });
    expect(JSON.parse(ran.stdout)).toEqual({ get: 'function', follow: 'function', terminal: true, wrong: 'done' });

    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, skipLibCheck: false, types: [] }, files: ['check.ts'] }),
    );
    const checked = await run(process.execPath, [TSC, '-p', project]).catch((error: { stdout: string }) => ({ stdout: error.stdout, failed: true }));
    expect(checked).toEqual({ stdout: '', stderr: '' });
  });
});
