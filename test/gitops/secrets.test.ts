/**
 * The token never leaves the git child's environment: not in an argument vector, a log line, a result,
 * an error (message, detail, stack), the working copy's config or any file under the cache folder, even
 * when the server echoes it back in its output.
 */
import { chmod, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageLocator } from '../../services/promoter/src/adapters/git/index.js';
import { startGitServer, type GitServer } from '../fixtures/git-server.js';
import { MANIFEST, makeDelivery, writeTokenFile } from './support.js';

const TOKEN = 'glpat-Secret_Value-4242';
const PROXY: ImageLocator = { kind: 'manifest', container: 'proxy' };

describe('credentials never leak', () => {
  let server: GitServer;
  beforeAll(async () => {
    server = await startGitServer({ token: TOKEN });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('keeps the token out of argv, logs, results, errors and files, even when the server echoes it', async () => {
    await server.createRepository('deploy', { 'app.yaml': MANIFEST });
    await server.createRepository('echo', { 'app.yaml': MANIFEST });
    // A misbehaving server: its hook prints the token (bare, in a URL, and Basic-encoded) and refuses the push.
    const basic = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
    const hook = join(server.barePath('echo'), 'hooks', 'pre-receive');
    await writeFile(hook, `#!/bin/sh\necho "denied: ${TOKEN} https://x-access-token:${TOKEN}@example.com Basic ${basic}" >&2\nexit 1\n`);
    await chmod(hook, 0o755);

    // A git wrapper that records every argument vector it is started with.
    const wrapperDir = await mkdtemp(join(tmpdir(), 'git-wrapper-'));
    const argvLog = join(wrapperDir, 'argv.log');
    const wrapper = join(wrapperDir, 'git');
    await writeFile(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec git "$@"\n`, { mode: 0o755 });

    const tokenFile = await writeTokenFile(TOKEN);
    const setup = await makeDelivery(
      [
        { name: 'deploy', url: server.httpUrl('deploy'), auth: { type: 'token', tokenFile } },
        { name: 'echo', url: server.httpUrl('echo'), auth: { type: 'token', tokenFile } },
      ],
      { gitBinary: wrapper },
    );
    const outputs: unknown[] = [];
    const capture = async (work: Promise<unknown>) => {
      try {
        outputs.push(await work);
      } catch (error) {
        const e = error as Error & { detail?: string };
        outputs.push({ name: e.name, message: e.message, stack: e.stack, detail: e.detail, string: String(e), json: JSON.stringify(e) });
      }
    };
    const change = { file: 'app.yaml', locator: PROXY, expectedCurrentImage: 'ronaldraygun/zai-proxy:1.2.0', newImage: 'ronaldraygun/zai-proxy:1.2.1' };
    await capture(setup.delivery.commitImage({ ...change, repository: 'deploy', promotionId: 'p-1' }));
    const promoted = outputs[0] as { commit: string };
    await capture(setup.delivery.revertImage({ repository: 'deploy', promotionId: 'p-1', commit: promoted.commit, file: 'app.yaml', locator: PROXY }));
    await capture(setup.delivery.finalizeRelease({ repository: 'deploy', promotionId: 'p-1', name: 'zai-proxy', version: '1.2.1' }));
    await capture(setup.delivery.commitImage({ ...change, repository: 'deploy', promotionId: 'p-2', expectedCurrentImage: 'x/y:1' }));
    await capture(setup.delivery.commitImage({ ...change, repository: 'echo', promotionId: 'p-3' }));

    // The token was really used (the server accepted it) and the echoing server was really heard.
    expect(server.requests.some((r) => r.status === 200 && r.user === 'x-access-token')).toBe(true);
    const refused = outputs[4] as { name: string; message: string };
    expect(refused).toMatchObject({ name: 'GitError', message: expect.stringContaining('the server refused the push') });
    expect(setup.logger.lines.some((line) => line.includes('denied: ***'))).toBe(true);

    const files = await readAll(setup.cacheDir);
    const haystacks = {
      argv: await readFile(argvLog, 'utf8'),
      logs: setup.logger.lines.join('\n'),
      outputs: JSON.stringify(outputs),
      files,
    };
    expect(haystacks.argv).toContain('push --porcelain origin');
    for (const [where, text] of Object.entries(haystacks)) {
      for (const form of [TOKEN, basic, encodeURIComponent(TOKEN)]) expect(text.includes(form), `${where} contains the token`).toBe(false);
    }
    // The askpass helper holds no secret and only its owner may run it.
    const askpass = join(setup.cacheDir, 'credentials', 'askpass.sh');
    expect((await stat(askpass)).mode & 0o777).toBe(0o700);
  });
});

/** Every file under a folder, concatenated (binary files too, as latin1, so any byte sequence is searchable). */
async function readAll(dir: string): Promise<string> {
  let out = '';
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    out += (await readFile(join(entry.parentPath, entry.name))).toString('latin1');
  }
  return out;
}
