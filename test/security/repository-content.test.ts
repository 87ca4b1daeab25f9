/**
 * A repository's content is untrusted input (issue 22). Everyone who can push to a configured repository
 * can make a promotion fail, and nothing more. Each attack of the issue, through the real service with a
 * real `git http-backend` repository:
 * - a committed symbolic link to a secret outside the repository (a kubeconfig holding a bearer token) is
 *   refused as a symbolic link, and the token reaches no response, event, reason or log line;
 * - links that would redirect a write (a file link, a folder link, VERSION) fail the promotion or the
 *   release, and the file outside is unchanged; no tag is pushed;
 * - `/dev/zero` behind a link is never read;
 * - files over the size or document limits are refused with a message naming the limit; within raised
 *   limits, a 2.5 MB manifest of 20,000 Deployments and 200,000 small documents are parsed off the event
 *   loop while /healthz keeps answering, never 2 s slower than when idle (polled from another process every
 *   20 ms; a parse on the event loop stalled it 4.6-30.7 s);
 * - malformed `file` values are 422s that never name the working copy's path.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '@promoter/fake-kube';
import { PrometheusClient } from '../../services/promoter/src/adapters/prometheus/prometheus-client.js';
import type { PromotionEngine } from '../../services/promoter/src/engine/promotion-engine.js';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { startEngine, waitForState, fakeKubeClient } from '../fixtures/engine.js';
import { startExporter, type Exporter } from '../fixtures/exporter.js';
import { startGitServer, type GitServer } from '../fixtures/git-server.js';
import { startGitOpsController, type GitOpsController } from '../fixtures/gitops-controller.js';
import { startPrometheus, type PrometheusInstance } from '../fixtures/prometheus.js';
import { startTestService, type TestService } from '../fixtures/service.js';
import { MANIFEST, commitEntries, makeDelivery, poll, writeTokenFile, type DeliverySetup } from '../gitops/support.js';

const GIT_TOKEN = 'content-git-token-51d0c2';
/** The bearer token of the fake kubeconfig outside the repository: it must never come out anywhere. */
const KUBE_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.S3CR3T-kube-bearer-token-9f8e7d';
const KUBECONFIG = `apiVersion: v1\nkind: Config\nusers:\n  - name: promoter\n    user:\n      token: ${KUBE_TOKEN}\n`;
const OLD = 'ronaldraygun/zai-proxy:1.2.0';
const CANARY = 'ronaldraygun/zai-proxy:1.2.1-canary';
const MiB = 1024 * 1024;

interface Outside {
  readonly dir: string;
  readonly kubeconfig: string;
  readonly target: string;
  readonly folder: string;
  readonly version: string;
}

/** Files outside every repository that a link points at; none may be read or written. */
async function makeOutside(): Promise<Outside> {
  const dir = await mkdtemp(join(tmpdir(), 'promoter-outside-'));
  const folder = join(dir, 'folder');
  await mkdir(folder);
  const files = { kubeconfig: join(dir, 'kubeconfig'), target: join(dir, 'target.yaml'), version: join(dir, 'version.txt') };
  await writeFile(files.kubeconfig, KUBECONFIG);
  await writeFile(files.target, MANIFEST);
  await writeFile(join(folder, 'zai-proxy.yaml'), MANIFEST);
  await writeFile(files.version, 'not a version: leave me alone\n');
  return { dir, folder, ...files };
}

/** Content and modification time of each file, to show nothing outside was written. */
async function fingerprint(paths: readonly string[]): Promise<string[]> {
  return Promise.all(paths.map(async (p) => `${p} ${(await stat(p)).mtimeMs} ${await readFile(p, 'utf8')}`));
}

const workload = (i: number) => `---\nkind: Deployment\nmetadata: {name: a${i}}\nspec: {template: {spec: {containers: [{name: app, image: r.example/app:1}]}}}\n`;
const proxyDeployment = `---\nkind: Deployment\nmetadata: {name: zai-proxy}\nspec: {template: {spec: {containers: [{name: proxy, image: ${OLD}}]}}}\n`;
/** 20,000 Deployments (2.5 MB) and the target's at the end. */
const bigManifest = () => Array.from({ length: 20_000 }, (_, i) => workload(i)).join('') + proxyDeployment;
/** `count` tiny documents. */
const smallDocuments = (count: number) => Array.from({ length: count }, (_, i) => `---\nkind: X\nmetadata: {name: c${i}}\n`).join('');

const createBody = (repository: string, file: string, extra: Record<string, unknown> = {}) => ({
  target: { namespace: 'mcp', deployment: 'zai-proxy', container: 'proxy' },
  image: 'ronaldraygun/zai-proxy:1.2.1',
  policy: 'content',
  reason: 'repository content test',
  delivery: { via: 'git', repository, file, ...extra },
});

const POLICY = { interval: '1s', bake: '2s', rolloutTimeout: '20s', checks: [{ name: 'error-rate', phases: ['pre', 'rollout', 'post'], query: 'max(app_error_ratio{namespace="{{namespace}}"})', max: 0.05 }] };

/** Everything a client, an operator or a sink could see of a service: log lines and every record with its events. */
async function everythingSeen(svc: TestService, git: DeliverySetup): Promise<string> {
  const parts = [...svc.logs, ...git.logger.lines];
  const list = await svc.app.inject({ method: 'GET', url: '/v1/promotions?limit=200' });
  parts.push(list.body);
  for (const promotion of list.json().items as { id: string }[]) {
    parts.push((await svc.app.inject({ method: 'GET', url: `/v1/promotions/${promotion.id}` })).body);
    parts.push((await svc.app.inject({ method: 'GET', url: `/v1/promotions/${promotion.id}/events` })).body);
  }
  parts.push((await svc.app.inject({ method: 'GET', url: '/v1/events' })).body);
  return parts.join('\n');
}

describe('a create request against hostile repository content', () => {
  let server: GitServer;
  let outside: Outside;
  let git: DeliverySetup;
  let svc: TestService;
  const bodies: string[] = [];

  beforeAll(async () => {
    server = await startGitServer({ token: GIT_TOKEN });
    outside = await makeOutside();
    await server.createRepository('reads', {
      'apps/zai-proxy.yaml': MANIFEST,
      // A token committed to the repository itself: reachable by a helm-values key path, never quoted.
      'values/leaked.yaml': KUBECONFIG,
      'apps/huge.yaml': `# ${'x'.repeat(1.5 * MiB)}\n`,
      'apps/many.yaml': smallDocuments(1_001),
    });
    await commitEntries(
      server.barePath('reads'),
      {
        'apps/link.yaml': { link: outside.kubeconfig },
        'apps/zero.yaml': { link: '/dev/zero' },
        linked: { link: outside.folder },
        'vendor/sub': { submodule: '0123456789abcdef0123456789abcdef01234567' },
      },
      'links and a submodule, by someone with push access',
    );
    const tokenFile = await writeTokenFile(GIT_TOKEN);
    git = await makeDelivery([{ name: 'reads', url: server.httpUrl('reads'), auth: { type: 'token', tokenFile } }]);
    svc = await startTestService({ git: git.delivery });
    expect((await svc.app.inject({ method: 'PUT', url: '/v1/policies/content', payload: POLICY })).statusCode).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await svc?.close();
    await server?.close();
  });

  const create = async (file: string, extra: Record<string, unknown> = {}) => {
    const response = await svc.app.inject({ method: 'POST', url: '/v1/promotions', payload: createBody('reads', file, extra) });
    assertMatchesSpec('createPromotion', response);
    bodies.push(response.body);
    return response;
  };

  const refusedFile = async (file: string, detail: RegExp, extra: Record<string, unknown> = {}) => {
    const response = await create(file, extra);
    expect(response.statusCode, response.body).toBe(422);
    expect(response.json().errors).toContainEqual({ pointer: '/body/delivery/file', detail: expect.stringMatching(detail) });
    return response;
  };

  it('refuses a symbolic link to a secret file as a symbolic link, whatever the locator, and never quotes it', async () => {
    const message = /^repository 'reads': apps\/link\.yaml is a symbolic link in the repository; promoter edits only regular files$/;
    await refusedFile('apps/link.yaml', message, { locator: { kind: 'helm-values', imagePath: 'users.0.user.token' } });
    await refusedFile('apps/link.yaml', message, { locator: { kind: 'helm-values', imagePath: 'users.0.user.missing' } });
    await refusedFile('apps/link.yaml', message);
  });

  it('refuses a path through a linked folder and through a submodule', async () => {
    await refusedFile('linked/zai-proxy.yaml', /^repository 'reads': linked \(on the path of linked\/zai-proxy\.yaml\) is a symbolic link in the repository; promoter edits only regular files$/);
    await refusedFile('vendor/sub', /vendor\/sub is a submodule in the repository/);
    await refusedFile('vendor/sub/app.yaml', /vendor\/sub \(on the path of vendor\/sub\/app\.yaml\) is a submodule/);
    await refusedFile('apps', /apps is a folder in the repository/);
  });

  it('never reads /dev/zero behind a link: four requests answer at once and memory stays flat', async () => {
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    for (let i = 0; i < 4; i++) await refusedFile('apps/zero.yaml', /apps\/zero\.yaml is a symbolic link/);
    const took = performance.now() - started;
    const grew = (process.memoryUsage().rss - rssBefore) / MiB;
    console.log(`[figures] /dev/zero link: 4 creates in ${Math.round(took)} ms, RSS ${grew >= 0 ? '+' : ''}${grew.toFixed(1)} MiB`);
    expect(took).toBeLessThan(10_000);
    expect(grew).toBeLessThan(64);
  });

  it('does not quote a token a key path reaches in a regular file, nor list the keys around a missing one', async () => {
    const quoted = await create('values/leaked.yaml', { locator: { kind: 'helm-values', imagePath: 'users.0.user.token' } });
    expect(quoted.statusCode).toBe(422);
    expect(quoted.json().errors).toContainEqual({ pointer: '/body/delivery/locator', detail: "values/leaked.yaml holds a value that is not an image reference at the key users.0.user.token." });
    const missing = await create('values/leaked.yaml', { locator: { kind: 'helm-values', imagePath: 'users.0.user.image' } });
    expect(missing.json().errors).toContainEqual({ pointer: '/body/delivery/locator', detail: "values/leaked.yaml has no key users.0.user.image: 'image' is missing under users.0.user." });
    const container = await create('values/leaked.yaml');
    expect(container.json().errors[0].detail).not.toMatch(/promoter|Config/);
  });

  it('refuses a file over the size limit and one over the document limit, naming the limit', async () => {
    await refusedFile('apps/huge.yaml', /apps\/huge\.yaml is 157\d+ bytes, larger than the limit of 1048576 bytes \(PROMOTER_GIT_MAX_FILE_BYTES\); it is not read/);
    await refusedFile('apps/many.yaml', /^apps\/many\.yaml has more than 1000 YAML documents \(the limit\); it is not edited$/);
  });

  it.each([
    ['a NUL byte', 'apps/zai-proxy.yaml\u0000'],
    ['a trailing slash', 'apps/'],
    ['a .. segment', 'apps/../apps/zai-proxy.yaml'],
    ['an absolute path', '/etc/passwd'],
    ['a .git path', '.git/config'],
    ['a .git folder further down', 'apps/.GIT/config'],
    ['an empty segment', 'apps//zai-proxy.yaml'],
    ['a . segment', './apps/zai-proxy.yaml'],
    ['a control character', 'apps/\u001b[31mred.yaml'],
    ['a backslash', 'apps\\zai-proxy.yaml'],
  ])('refuses %s in file with a 422 that names no working-copy path', async (_name, file) => {
    const response = await create(file);
    expect(response.statusCode, response.body).toBe(422);
    expect(response.json().errors.map((e: { pointer: string }) => e.pointer)).toContain('/body/delivery/file');
    expect(response.body).not.toContain(git.cacheDir);
    expect(response.body).not.toMatch(/\/tmp\/|promoter-git-cache/);
  });

  it('lets the token reach no response, record, event or log line', async () => {
    const seen = `${bodies.join('\n')}\n${await everythingSeen(svc, git)}`;
    expect(bodies.length).toBeGreaterThan(20);
    expect(seen).not.toContain(KUBE_TOKEN);
    expect(seen).not.toContain('S3CR3T');
    expect(seen).not.toContain(git.cacheDir);
  });
});

/**
 * Polls `url`/healthz every 20 ms from another process (a stalled event loop in this one would delay the
 * poller too and hide the stall) until stopped; resolves with the slowest answer and the count.
 */
function pollHealthFromAnotherProcess(url: string): { stop(): Promise<{ maxMs: number; polls: number; failures: number }> } {
  const code = `
    let max = 0, polls = 0, failures = 0, stop = false;
    process.stdin.on('data', () => { stop = true; });
    (async () => {
      while (!stop) {
        const started = performance.now();
        try { const r = await fetch(process.argv[1] + '/healthz'); await r.text(); if (!r.ok) failures++; } catch { failures++; }
        max = Math.max(max, performance.now() - started);
        polls++;
        await new Promise((r) => setTimeout(r, 20));
      }
      process.stdout.write(JSON.stringify({ maxMs: max, polls, failures }));
      process.exit(0);
    })();`;
  const child = spawn(process.execPath, ['-e', code, url], { stdio: ['pipe', 'pipe', 'inherit'] });
  // The instrument must not be starved by the machine's other work (other test suites share the cores):
  // where allowed, it runs ahead of them. The service keeps its ordinary priority.
  try {
    if (child.pid !== undefined) setPriority(child.pid, -5);
  } catch {
    // Not allowed (not root): the figures then include the poller's own scheduling delays.
  }
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return {
    stop: async () => {
      const closed = new Promise((resolve) => child.once('close', resolve));
      child.stdin.write('stop\n');
      await closed;
      return JSON.parse(out) as { maxMs: number; polls: number; failures: number };
    },
  };
}

describe('large repository files are parsed off the event loop', () => {
  let server: GitServer;
  let svc: TestService;

  beforeAll(async () => {
    server = await startGitServer();
    await server.createRepository('large', { 'apps/big.yaml': bigManifest(), 'apps/many.yaml': smallDocuments(200_000) });
    // Raised limits, so that the files are parsed at all (the defaults refuse both before parsing): the
    // manifest is parsed whole, the small documents until the 25,001st.
    const git = await makeDelivery([{ name: 'large', url: server.httpUrl('large') }], { limits: { maxFileBytes: 16 * MiB, maxDocuments: 25_000, parseTimeoutMs: 180_000 } });
    svc = await startTestService({ git: git.delivery, listen: true });
    expect((await svc.app.inject({ method: 'PUT', url: '/v1/policies/content', payload: POLICY })).statusCode).toBe(201);
    // The first create clones the repository and starts the worker: not what is measured.
    await svc.app.inject({ method: 'POST', url: '/v1/promotions', payload: createBody('large', 'apps/missing.yaml') });
  }, 120_000);

  afterAll(async () => {
    await svc?.close();
    await server?.close();
  });

  /** The slowest /healthz answer of the idle service: what this machine's own load costs. */
  const STALL_BOUND_MS = 2_000;
  let idleMaxMs = 0;

  it('answers /healthz when idle (the figure the others are compared with)', async () => {
    const poller = pollHealthFromAnotherProcess(svc.url);
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    loop.disable();
    const health = await poller.stop();
    idleMaxMs = health.maxMs;
    console.log(`[figures] idle: /healthz max ${health.maxMs.toFixed(1)} ms over ${health.polls} polls; event loop delay max ${(loop.max / 1e6).toFixed(1)} ms`);
    expect(health.failures).toBe(0);
  });

  // What is asserted is that the parse does not hold the event loop, not a speed: a parse on the loop stalled
  // /healthz for 4.6-7.4 s and 22.6-30.7 s in every attempt (RELIABILITY.md, section 8), while a loaded
  // machine alone made an answer up to 0.9 s slower than the idle figure (a full npm test beside other work,
  // load 6-8 on 2 cores; a 100 ms bound failed there). So the bound is 2 s beyond the idle figure, half the
  // shortest stall, in the best of three attempts.
  it.each([
    ['a 2.5 MB manifest of 20,000 Deployments', 'apps/big.yaml', 201],
    ['200,000 small documents (7.3 MB)', 'apps/many.yaml', 422],
  ])('%s: /healthz keeps answering throughout the create, never stalled 2 s beyond the idle figure', async (what, file, status) => {
    const attempts: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const poller = pollHealthFromAnotherProcess(svc.url);
      // Let the poller start before the work does.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      const started = performance.now();
      // Each attempt in a namespace of its own: an accepted promotion would make the next a 409.
      const request = { ...createBody('large', file), target: { namespace: `${file.includes('big') ? 'big' : 'many'}-${attempt}`, deployment: 'zai-proxy', container: 'proxy' } };
      const response = await fetch(`${svc.url}/v1/promotions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
      const body = await response.text();
      const took = performance.now() - started;
      loop.disable();
      const health = await poller.stop();
      console.log(
        `[figures] ${what}, attempt ${attempt}: create ${response.status} in ${Math.round(took)} ms; /healthz max ${health.maxMs.toFixed(1)} ms over ${health.polls} polls, ` +
          `${health.failures} failures; event loop delay max ${(loop.max / 1e6).toFixed(1)} ms`,
      );
      expect(response.status, body).toBe(status);
      if (status === 422) expect(JSON.parse(body).errors[0].detail).toBe('apps/many.yaml has more than 25000 YAML documents (the limit); it is not edited');
      expect(health.failures).toBe(0);
      expect(health.polls).toBeGreaterThan(10);
      attempts.push(health.maxMs);
      if (health.maxMs < STALL_BOUND_MS + idleMaxMs) break;
    }
    expect(Math.min(...attempts)).toBeLessThan(STALL_BOUND_MS + idleMaxMs);
  }, 600_000);
});

describe('a promotion whose file becomes a link before the engine writes it', () => {
  const SCENARIOS = ['file-link', 'folder-link', 'drift-secret', 'release'] as const;
  let exporter: Exporter;
  let prometheus: PrometheusInstance;
  let kube: FakeKube;
  let server: GitServer;
  let controller: GitOpsController;
  let outside: Outside;
  let git: DeliverySetup;
  let svc: TestService;
  let engine: PromotionEngine | undefined;
  let before: string[];
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    exporter = await startExporter();
    kube = await startFakeKube();
    server = await startGitServer({ token: GIT_TOKEN });
    outside = await makeOutside();
    before = await fingerprint([outside.kubeconfig, outside.target, join(outside.folder, 'zai-proxy.yaml'), outside.version]);
    for (const ns of SCENARIOS) {
      exporter.set('app_error_ratio', { namespace: ns }, 0.01);
      kube.addDeployment({ namespace: ns, name: 'zai-proxy', containers: [{ name: 'proxy', image: OLD }], replicas: 2 });
      kube.addDeployment({ namespace: ns, name: 'zai-proxy-test', containers: [{ name: 'proxy', image: CANARY }], replicas: 1 });
      await server.createRepository(ns, { 'apps/zai-proxy.yaml': MANIFEST.replace('namespace: mcp', `namespace: ${ns}`) });
    }
    await server.createRepository('source', { 'README.md': '# zai-proxy\n' });
    await commitEntries(server.barePath('source'), { VERSION: { link: outside.version } }, 'VERSION points elsewhere');
    controller = startGitOpsController({
      kubeConfig: kube.kubeConfig(),
      intervalMs: 100,
      applications: [{ name: 'release', repository: server.barePath('release'), file: 'apps/zai-proxy.yaml', target: { namespace: 'release', deployment: 'zai-proxy', container: 'proxy' } }],
    });
    const tokenFile = await writeTokenFile(GIT_TOKEN);
    git = await makeDelivery([...SCENARIOS, 'source'].map((name) => ({ name, url: server.httpUrl(name), auth: { type: 'token', tokenFile } })));
    prometheus = await startPrometheus({ targets: [exporter.target] });
    await prometheus.waitForSeries('app_error_ratio{namespace="release"}');
    const promClient = new PrometheusClient({ baseUrl: prometheus.url, retries: 0 });
    svc = await startTestService({ prometheus: promClient, kube: fakeKubeClient(kube), git: git.delivery });
    expect((await svc.app.inject({ method: 'PUT', url: '/v1/policies/content', payload: { ...POLICY, afterSuccess: { release: { repository: 'source' } } } })).statusCode).toBe(201);

    // Created while each file is a regular file holding the running image (so the create is accepted)...
    for (const ns of SCENARIOS) {
      const response = await svc.app.inject({
        method: 'POST',
        url: '/v1/promotions',
        payload: { ...createBody(ns, 'apps/zai-proxy.yaml'), target: { namespace: ns, deployment: 'zai-proxy', container: 'proxy' }, image: undefined, source: { deployment: 'zai-proxy-test', tagSuffixToStrip: '-canary' } },
      });
      expect(response.statusCode, response.body).toBe(201);
      ids[ns] = response.json().id as string;
    }
    // ...then someone with push access swaps them before the engine gets to write.
    await commitEntries(server.barePath('file-link'), { 'apps/zai-proxy.yaml': { link: outside.target } }, 'link the manifest elsewhere');
    await commitEntries(server.barePath('folder-link'), { apps: { link: outside.folder } }, 'link the folder elsewhere');
    await server.commit('drift-secret', { 'apps/zai-proxy.yaml': (text) => text.replace(`image: ${OLD}`, `image: ${KUBE_TOKEN}`) }, 'a token where the image was');
    engine = startEngine(svc, kube, svc.queries, { git: git.delivery });
  }, 180_000);

  afterAll(async () => {
    await engine?.stop();
    await svc?.close();
    await controller?.stop();
    await prometheus?.stop();
    await server?.close();
    await kube?.close();
    await exporter?.close();
  });

  const promoteCommits = async (repository: string) => (await server.subjects(repository)).filter((s) => s.startsWith('chore: promote'));

  it('fails on a file link, saying so, and leaves the file it points at alone', async () => {
    const done = await waitForState(svc, ids['file-link'] as string, ['failed', 'succeeded', 'rolled_back'], 60_000);
    expect(done.state).toBe('failed');
    expect(done.stateReason).toContain('apps/zai-proxy.yaml is a symbolic link in the repository; promoter edits only regular files');
    expect(await promoteCommits('file-link')).toEqual([]);
  });

  it('fails on a folder link, saying so, and leaves the folder it points at alone', async () => {
    const done = await waitForState(svc, ids['folder-link'] as string, ['failed', 'succeeded', 'rolled_back'], 60_000);
    expect(done.state).toBe('failed');
    expect(done.stateReason).toContain('apps (on the path of apps/zai-proxy.yaml) is a symbolic link in the repository');
    expect(await promoteCommits('folder-link')).toEqual([]);
  });

  it('fails on drift to a value that is not an image without quoting it', async () => {
    const done = await waitForState(svc, ids['drift-secret'] as string, ['failed', 'succeeded', 'rolled_back'], 60_000);
    expect(done.state).toBe('failed');
    expect(done.stateReason).toContain('now holds a value that is not an image reference');
    expect(done.stateReason).not.toContain(KUBE_TOKEN);
  });

  it('fails the release when VERSION is a link: nothing written elsewhere, no commit, no tag', async () => {
    const done = await waitForState(svc, ids.release as string, ['failed', 'succeeded', 'rolled_back'], 60_000);
    expect(done.state, String(done.stateReason)).toBe('succeeded');
    const released = await poll(async () => {
      const record = (await svc.app.inject({ method: 'GET', url: `/v1/promotions/${ids.release}` })).json();
      return record.release?.state !== 'pending' ? record : undefined;
    });
    expect(released.release).toMatchObject({ state: 'failed', repository: 'source' });
    expect(JSON.stringify(released.release)).toContain('VERSION is a symbolic link in the repository; promoter edits only regular files');
    expect(await server.git('source', ['tag', '--list'])).toBe('');
    expect(await server.subjects('source')).toEqual(['VERSION points elsewhere', 'initial commit']);
  });

  it('wrote nothing outside the working copies and let the token out nowhere', async () => {
    expect(await fingerprint([outside.kubeconfig, outside.target, join(outside.folder, 'zai-proxy.yaml'), outside.version])).toEqual(before);
    const seen = await everythingSeen(svc, git);
    expect(seen).not.toContain(KUBE_TOKEN);
    expect(seen).not.toContain('S3CR3T');
    expect(seen).not.toContain(git.cacheDir);
  });
});
