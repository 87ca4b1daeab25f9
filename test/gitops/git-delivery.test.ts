/**
 * GitDelivery against real git: a loopback `git http-backend` with Basic auth (the token path) and bare
 * repositories over file://. Each test has its own repository, so they never meet.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitError, ImageEditError, type ImageLocator } from '../../services/promoter/src/adapters/git/index.js';
import { startGitServer, type GitServer } from '../fixtures/git-server.js';
import { MANIFEST, makeDelivery, writeTokenFile, type DeliverySetup } from './support.js';

const execFileAsync = promisify(execFile);
const TOKEN = 'ghp_TestToken_9f8e7d6c5b4a';
const PROXY: ImageLocator = { kind: 'manifest', container: 'proxy' };
const OLD = 'ronaldraygun/zai-proxy:1.2.0';
const NEW = 'ronaldraygun/zai-proxy:1.2.1';

describe('GitDelivery over HTTPS-token (git http-backend) and file://', () => {
  let server: GitServer;
  let tokenFile: string;

  beforeAll(async () => {
    server = await startGitServer({ token: TOKEN });
    tokenFile = await writeTokenFile(TOKEN);
  });
  afterAll(async () => {
    await server?.close();
  });

  /** A repository seeded with the manifest, and a delivery configured for it over HTTP with the token. */
  const setUp = async (name: string, files: Record<string, string> = { 'apps/zai-proxy.yaml': MANIFEST }, options: Parameters<typeof makeDelivery>[1] = {}): Promise<DeliverySetup> => {
    await server.createRepository(name, files);
    return makeDelivery([{ name, url: server.httpUrl(name), auth: { type: 'token', tokenFile } }], options);
  };
  const promote = (setup: DeliverySetup, repository: string, id: string, extra: Partial<Parameters<DeliverySetup['delivery']['commitImage']>[0]> = {}) =>
    setup.delivery.commitImage({ repository, file: 'apps/zai-proxy.yaml', locator: PROXY, expectedCurrentImage: OLD, newImage: NEW, promotionId: id, ...extra });

  it('commits once with the runbook message, author and trailer; a resumed call finds its own commit', async () => {
    const setup = await setUp('once');
    const first = await promote(setup, 'once', 'prom-1');
    expect(first).toMatchObject({ repository: 'once', branch: 'main', file: 'apps/zai-proxy.yaml', previousImage: OLD, created: true, outcome: 'committed', attempts: 1 });
    expect(first.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(await server.git('once', ['rev-parse', 'main'])).toBe(`${first.commit}\n`);
    expect(await server.git('once', ['log', '-1', '--format=%an <%ae>%n%B', 'main'])).toBe(
      'Promoter Bot <promoter@example.com>\nchore: promote zai-proxy to v1.2.1\n\napps/zai-proxy.yaml: ronaldraygun/zai-proxy:1.2.0 -> ronaldraygun/zai-proxy:1.2.1\n\nPromotion-Id: prom-1\nPromotion-Action: promote\n\n',
    );
    // Only the image changed; the comment on its line and everything else are as they were.
    expect(await server.readFile('once', 'apps/zai-proxy.yaml')).toBe(MANIFEST.replace(`image: ${OLD} #`, `image: ${NEW} #`));

    const again = await promote(setup, 'once', 'prom-1');
    expect(again).toMatchObject({ commit: first.commit, previousImage: OLD, created: false, outcome: 'found-own-commit' });
    // A process that lost its cache (a new pod) recognises it too, from the remote alone.
    const fresh = await makeDelivery([{ name: 'once', url: server.httpUrl('once'), auth: { type: 'token', tokenFile } }]);
    expect(await promote(fresh, 'once', 'prom-1')).toMatchObject({ commit: first.commit, created: false, outcome: 'found-own-commit' });
    expect(await server.subjects('once')).toEqual(['chore: promote zai-proxy to v1.2.1', 'initial commit']);
  });

  it('retries a push that lost a race: the concurrent commit is kept and the edit is re-applied on top', async () => {
    const setup = await setUp('race');
    // Another engineer pushes to the same file (the sidecar) after our fetch, before our push.
    server.beforeNext({ method: 'GET', query: 'service=git-receive-pack' }, () =>
      server.commit('race', { 'apps/zai-proxy.yaml': (text) => text.replace('envoy:v1.30.1', 'envoy:v1.30.2') }, 'bump envoy'),
    );
    const result = await promote(setup, 'race', 'prom-race');
    expect(result).toMatchObject({ created: true, outcome: 'committed', attempts: 2 });
    expect(await server.subjects('race')).toEqual(['chore: promote zai-proxy to v1.2.1', 'bump envoy', 'initial commit']);
    const file = await server.readFile('race', 'apps/zai-proxy.yaml');
    expect(file).toContain(`image: ${NEW} # promoted by promoter`);
    expect(file).toContain('image: envoyproxy/envoy:v1.30.2');
    expect(setup.logger.lines.some((line) => line.startsWith('warn') && line.includes('push rejected: the branch moved'))).toBe(true);
  });

  it('gives up with push-rejected after the configured attempts when the branch keeps moving', async () => {
    const setup = await setUp('busy', undefined, { pushAttempts: 2 });
    for (const n of [1, 2]) {
      server.beforeNext({ method: 'GET', query: 'service=git-receive-pack' }, () => server.commit('busy', { [`other-${n}.txt`]: `${n}\n` }, `other ${n}`));
    }
    await expect(promote(setup, 'busy', 'prom-busy')).rejects.toMatchObject({ name: 'GitError', code: 'push-rejected', retryable: true });
    expect(await server.subjects('busy')).toEqual(['other 2', 'other 1', 'initial commit']);
  });

  it('lands two promotions of different targets in the same repository started at once', async () => {
    const setup = await setUp('two', { 'a.yaml': MANIFEST, 'b.yaml': MANIFEST.replaceAll('zai-proxy', 'web') });
    const [a, b] = await Promise.all([
      setup.delivery.commitImage({ repository: 'two', file: 'a.yaml', locator: PROXY, expectedCurrentImage: OLD, newImage: NEW, promotionId: 'prom-a' }),
      setup.delivery.commitImage({ repository: 'two', file: 'b.yaml', locator: PROXY, expectedCurrentImage: 'ronaldraygun/web:1.2.0', newImage: 'ronaldraygun/web:2.0.0', promotionId: 'prom-b' }),
    ]);
    expect([a.created, b.created]).toEqual([true, true]);
    expect((await server.subjects('two')).slice(0, 2).sort()).toEqual(['chore: promote web to v2.0.0', 'chore: promote zai-proxy to v1.2.1']);
  });

  it('refuses drift: a file edited by hand to another image is not overwritten, and the error names file and image', async () => {
    const setup = await setUp('drift');
    await server.commit('drift', { 'apps/zai-proxy.yaml': (text) => text.replace(OLD, 'ronaldraygun/zai-proxy:1.2.0-hotfix') }, 'hotfix by hand');
    const error = await promote(setup, 'drift', 'prom-drift').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageEditError);
    expect(error).toMatchObject({ code: 'image-drift', file: 'apps/zai-proxy.yaml', found: 'ronaldraygun/zai-proxy:1.2.0-hotfix' });
    expect((error as Error).message).toBe(
      "apps/zai-proxy.yaml holds 'ronaldraygun/zai-proxy:1.2.0-hotfix' at the image of container 'proxy' of the Deployment of document 1, not the expected 'ronaldraygun/zai-proxy:1.2.0': it was changed by someone else, and it is not overwritten.",
    );
    expect(await server.subjects('drift')).toEqual(['hotfix by hand', 'initial commit']);
  });

  it('says so when the file already holds the new image (no commit of its own)', async () => {
    const setup = await setUp('in-place');
    const manual = await server.commit('in-place', { 'apps/zai-proxy.yaml': (text) => text.replace(OLD, NEW) }, 'done by hand');
    expect(await promote(setup, 'in-place', 'prom-x')).toMatchObject({ created: false, outcome: 'already-in-place', commit: manual });
  });

  it('reverts its own commit with git revert, once', async () => {
    const setup = await setUp('revert');
    const promoted = await promote(setup, 'revert', 'prom-r');
    await server.commit('revert', { 'README.md': 'unrelated\n' }, 'unrelated change');
    const request = { repository: 'revert', promotionId: 'prom-r', commit: promoted.commit, file: 'apps/zai-proxy.yaml', locator: PROXY };
    const reverted = await setup.delivery.revertImage(request);
    expect(reverted).toMatchObject({ created: true, method: 'revert', outcome: 'reverted', restoredImage: OLD });
    expect(await server.readFile('revert', 'apps/zai-proxy.yaml')).toBe(MANIFEST);
    expect(await server.readFile('revert', 'README.md')).toBe('unrelated\n');
    expect(await server.git('revert', ['log', '-1', '--format=%B', 'main'])).toBe(
      `Revert "chore: promote zai-proxy to v1.2.1"\n\nThis reverts commit ${promoted.commit}.\n\nPromotion-Id: prom-r\nPromotion-Action: rollback\nPromotion-Rollback-Method: revert\n\n`,
    );
    expect(await setup.delivery.revertImage(request)).toMatchObject({ commit: reverted.commit, created: false, method: 'revert', outcome: 'found-own-commit', restoredImage: OLD });
    expect((await server.subjects('revert')).filter((s) => s.startsWith('Revert'))).toHaveLength(1);
  });

  it('restores the previous image when git revert conflicts with a later change to the same line', async () => {
    const setup = await setUp('restore');
    const promoted = await promote(setup, 'restore', 'prom-c');
    // Someone rewords the comment on the image line: reverting the promotion now conflicts.
    await server.commit('restore', { 'apps/zai-proxy.yaml': (text) => text.replace('# promoted by promoter', '# promoted by promoter, see runbook') }, 'reword comment');
    const restored = await setup.delivery.revertImage({ repository: 'restore', promotionId: 'prom-c', commit: promoted.commit, file: 'apps/zai-proxy.yaml', locator: PROXY });
    expect(restored).toMatchObject({ created: true, method: 'restore', outcome: 'restored', restoredImage: OLD });
    // Their comment stays; only the image is set back.
    expect(await server.readFile('restore', 'apps/zai-proxy.yaml')).toBe(MANIFEST.replace('# promoted by promoter', '# promoted by promoter, see runbook'));
    expect(await server.subjects('restore')).toEqual(['chore: roll back zai-proxy to v1.2.0', 'reword comment', 'chore: promote zai-proxy to v1.2.1', 'initial commit']);
    const again = await setup.delivery.revertImage({ repository: 'restore', promotionId: 'prom-c', commit: promoted.commit, file: 'apps/zai-proxy.yaml', locator: PROXY });
    expect(again).toMatchObject({ commit: restored.commit, created: false, method: 'restore', outcome: 'found-own-commit' });
  });

  it('does not roll back over a later change of the image itself: drift, nothing written', async () => {
    const setup = await setUp('revert-drift');
    const promoted = await promote(setup, 'revert-drift', 'prom-d');
    await server.commit('revert-drift', { 'apps/zai-proxy.yaml': (text) => text.replace(NEW, 'ronaldraygun/zai-proxy:1.2.2') }, 'hotfix 1.2.2 by hand');
    const error = await setup.delivery
      .revertImage({ repository: 'revert-drift', promotionId: 'prom-d', commit: promoted.commit, file: 'apps/zai-proxy.yaml', locator: PROXY })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ImageEditError', code: 'image-drift', found: 'ronaldraygun/zai-proxy:1.2.2' });
    expect((await server.subjects('revert-drift'))[0]).toBe('hotfix 1.2.2 by hand');
  });

  it('does not revert a commit that is not its own', async () => {
    const setup = await setUp('not-own');
    const foreign = await server.commit('not-own', { 'README.md': 'x\n' }, 'someone else');
    await expect(
      setup.delivery.revertImage({ repository: 'not-own', promotionId: 'prom-n', commit: foreign, file: 'apps/zai-proxy.yaml', locator: PROXY }),
    ).rejects.toMatchObject({ code: 'not-own-commit', message: expect.stringMatching(/is not the promotion commit of prom-n/) });
  });

  it('finalizes a release: VERSION, commit, annotated tag with message; again is success; a tag elsewhere is an error', async () => {
    const setup = await setUp('source', { 'VERSION': '1.2.1-canary\n', 'main.go': 'package main\n' });
    const request = { repository: 'source', promotionId: 'prom-f', name: 'zai-proxy', version: '1.2.1', tagMessage: 'Validated via canary testing, promoted from canary to production\n\nPromotion prom-f, policy zai-proxy-default: 12 checks passed.' };
    const released = await setup.delivery.finalizeRelease(request);
    expect(released).toMatchObject({ tag: 'v1.2.1', created: true, outcome: 'released' });
    expect(await server.readFile('source', 'VERSION')).toBe('1.2.1\n');
    expect(await server.subjects('source')).toEqual(['chore: release zai-proxy v1.2.1', 'initial commit']);
    expect((await server.git('source', ['cat-file', '-t', 'v1.2.1'])).trim()).toBe('tag');
    expect((await server.git('source', ['rev-parse', 'v1.2.1^{commit}'])).trim()).toBe(released.commit);
    expect(await server.git('source', ['tag', '-l', '--format=%(taggername) %(taggeremail)%0a%(contents)', 'v1.2.1'])).toBe(
      `Promoter Bot <promoter@example.com>\n${request.tagMessage}\n\n`,
    );

    expect(await setup.delivery.finalizeRelease(request)).toMatchObject({ commit: released.commit, created: false, outcome: 'tag-exists' });
    expect(await server.subjects('source')).toHaveLength(2);

    // A v1.2.2 tag made by hand on another commit: this promotion must not move or reuse it.
    await server.git('source', ['tag', 'v1.2.2', 'main~1']);
    const conflict = await setup.delivery.finalizeRelease({ ...request, promotionId: 'prom-g', version: '1.2.2' }).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(GitError);
    expect(conflict).toMatchObject({ code: 'tag-conflict', retryable: false });
    expect((conflict as Error).message).toMatch(/^repository 'source': tag v1\.2\.2 already exists and points to commit [0-9a-f]{12}, which is not the release commit of promotion prom-g/);
  });

  it('finishes a release whose commit was pushed but whose tag was not (crash in between)', async () => {
    const setup = await setUp('half', { 'VERSION': '0.9.0\n' });
    const request = { repository: 'half', promotionId: 'prom-h', name: 'app', version: '1.0.0' };
    const first = await setup.delivery.finalizeRelease(request);
    expect(first.outcome).toBe('released');
    // Delete the remote tag to model "commit pushed, tag not": the retry tags the same commit, no new commit.
    await server.git('half', ['tag', '-d', 'v1.0.0']);
    const second = await setup.delivery.finalizeRelease(request);
    expect(second).toMatchObject({ commit: first.commit, created: true, outcome: 'released' });
    expect(await server.subjects('half')).toEqual(['chore: release app v1.0.0', 'initial commit']);
  });

  it('reports a wrong token as auth-failed, without the token', async () => {
    await server.createRepository('auth', { 'apps/zai-proxy.yaml': MANIFEST });
    const wrongFile = await writeTokenFile('ghp_WrongToken_000');
    const setup = await makeDelivery([{ name: 'auth', url: server.httpUrl('auth'), auth: { type: 'token', tokenFile: wrongFile } }]);
    const error = await promote(setup, 'auth', 'prom-auth').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitError);
    expect(error).toMatchObject({ code: 'auth-failed', repository: 'auth', retryable: false });
    expect((error as Error).message).toMatch(/^repository 'auth': git clone was refused: the credentials were not accepted/);
    expect(JSON.stringify({ message: (error as Error).message, detail: (error as GitError).detail, log: setup.logger.lines })).not.toContain('ghp_WrongToken_000');
    expect(server.requests.filter((r) => r.path.startsWith('/auth.git')).every((r) => r.status === 401)).toBe(true);
  });

  it('reads a token from an environment variable named in the configuration, and says when it is missing', async () => {
    await server.createRepository('env-token', { 'apps/zai-proxy.yaml': MANIFEST });
    const repositories = [{ name: 'env-token', url: server.httpUrl('env-token'), auth: { type: 'token', tokenEnv: 'DEPLOY_GIT_TOKEN' } }];
    const withToken = await makeDelivery(repositories, { environment: { DEPLOY_GIT_TOKEN: TOKEN } });
    expect(await withToken.delivery.readImage({ repository: 'env-token', file: 'apps/zai-proxy.yaml', locator: PROXY })).toMatchObject({ image: OLD });
    const without = await makeDelivery(repositories, { environment: {} });
    await expect(without.delivery.readImage({ repository: 'env-token', file: 'apps/zai-proxy.yaml', locator: PROXY })).rejects.toMatchObject({
      code: 'credentials-missing',
      message: "repository 'env-token': the token variable DEPLOY_GIT_TOKEN is empty or not set",
    });
  });

  it('works over file:// without credentials', async () => {
    await server.createRepository('local', { 'values.yaml': 'image:\n  repository: ronaldraygun/zai-proxy\n  tag: "1.2.0" # pinned\n' });
    const setup = await makeDelivery([{ name: 'local', url: server.fileUrl('local') }]);
    const locator: ImageLocator = { kind: 'helm-values', repositoryPath: 'image.repository', tagPath: 'image.tag' };
    const result = await setup.delivery.commitImage({ repository: 'local', file: 'values.yaml', locator, expectedCurrentImage: OLD, newImage: NEW, promotionId: 'prom-file' });
    expect(result).toMatchObject({ created: true, outcome: 'committed' });
    expect(await server.readFile('local', 'values.yaml')).toBe('image:\n  repository: ronaldraygun/zai-proxy\n  tag: "1.2.1" # pinned\n');
  });

  it('rejects what a request may not name: an unknown repository, a missing file, a path outside the repository, a missing container', async () => {
    const setup = await setUp('inputs');
    const base = { repository: 'inputs', file: 'apps/zai-proxy.yaml', locator: PROXY, expectedCurrentImage: OLD, newImage: NEW, promotionId: 'prom-i' };
    await expect(setup.delivery.commitImage({ ...base, repository: 'elsewhere' })).rejects.toMatchObject({ code: 'unknown-repository', message: "no Git repository named 'elsewhere' is configured; configured: 'inputs'" });
    await expect(setup.delivery.commitImage({ ...base, file: 'apps/missing.yaml' })).rejects.toMatchObject({ code: 'file-not-found', message: "repository 'inputs': apps/missing.yaml does not exist on branch main" });
    await expect(setup.delivery.commitImage({ ...base, file: '../../etc/passwd' })).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(setup.delivery.commitImage({ ...base, file: '.git/config' })).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(setup.delivery.commitImage({ ...base, promotionId: 'x\nPromotion-Id: y' })).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(setup.delivery.commitImage({ ...base, locator: { kind: 'manifest', container: 'app' } })).rejects.toMatchObject({ name: 'ImageEditError', code: 'container-not-found' });
    expect(await server.subjects('inputs')).toEqual(['initial commit']);
  });

  it('cleans a working copy a crash left dirty before using it again', async () => {
    const setup = await setUp('dirty');
    await setup.delivery.readImage({ repository: 'dirty', file: 'apps/zai-proxy.yaml', locator: PROXY });
    const copy = join(setup.cacheDir, 'repositories', 'dirty');
    // Half an edit, a stray file and a staged change, as a process killed mid-operation would leave them.
    await writeFile(join(copy, 'apps/zai-proxy.yaml'), 'garbage: [\n');
    await writeFile(join(copy, 'stray.txt'), 'stray\n');
    await writeFile(join(copy, 'staged.txt'), 'staged\n');
    await execFileAsync('git', ['-C', copy, 'add', 'staged.txt']);
    const result = await promote(setup, 'dirty', 'prom-dirty');
    expect(result.outcome).toBe('committed');
    expect(await server.git('dirty', ['show', '--name-only', '--format=', 'main'])).toBe('apps/zai-proxy.yaml\n');
    expect(await server.readFile('dirty', 'apps/zai-proxy.yaml')).toBe(MANIFEST.replace(OLD, NEW));
  });

  it('checks the git version (2.32 or newer)', async () => {
    const setup = await makeDelivery([{ name: 'v', url: server.fileUrl('v') }]);
    expect(await setup.delivery.checkGitVersion()).toMatch(/^2\.\d+/);
    const dir = await mkdtemp(join(tmpdir(), 'old-git-'));
    await writeFile(join(dir, 'git'), '#!/bin/sh\necho "git version 2.20.1"\n', { mode: 0o755 });
    const old = await makeDelivery([{ name: 'v', url: server.fileUrl('v') }], { gitBinary: join(dir, 'git') });
    await expect(old.delivery.checkGitVersion()).rejects.toMatchObject({ code: 'command-failed', message: "git 2.32 or newer is needed, found 'git version 2.20.1'" });
  });

  it('stops a git command at its deadline (the whole process group) with a timeout error', async () => {
    const setup = await setUp('slow', undefined, { timeoutSeconds: 1 });
    let release: () => void = () => undefined;
    server.beforeNext({ method: 'GET', query: 'service=git-upload-pack' }, () => new Promise<void>((resolve) => (release = resolve)));
    const started = Date.now();
    const error = await setup.delivery.readImage({ repository: 'slow', file: 'apps/zai-proxy.yaml', locator: PROXY }).catch((e: unknown) => e);
    release();
    expect(error).toMatchObject({ code: 'timeout', retryable: true, message: "repository 'slow': git clone did not finish within 1000 ms and was stopped." });
    expect(Date.now() - started).toBeLessThan(20_000);
    // The next call works (a broken partial clone is not reused): a delivery on the same cache, with the
    // default deadline, so a loaded machine's slow clone is not mistaken for a failure.
    const next = await makeDelivery([{ name: 'slow', url: server.httpUrl('slow'), auth: { type: 'token', tokenFile } }], { cacheDir: setup.cacheDir });
    expect(await next.delivery.readImage({ repository: 'slow', file: 'apps/zai-proxy.yaml', locator: PROXY })).toMatchObject({ image: OLD });
  });
});
