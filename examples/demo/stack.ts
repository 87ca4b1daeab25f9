/**
 * Everything the demo runs, started in order and each registered with the Cleanup as soon as it runs:
 * the fake Kubernetes API with mcp/zai-proxy (variant=production) and mcp/zai-proxy-test (variant=test),
 * traffic on both through an exporter, a real Prometheus scraping it every second, a Git server with the
 * GitOps repository `deploy` and the application's `app-source`, the Argo CD stand-in, and the service
 * (embedded database in a throwaway folder) with one admin token and the demo's policies.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeKube, type FakeKube } from '@promoter/fake-kube';
import { freePort, startExporter, startGitOpsController, startGitServer, startPrometheus, startTraffic, type GitOpsController, type GitServer, type PrometheusInstance } from '@promoter/local-stack';
import { createPromoterClient, type PromoterClient } from '@promoter/sdk';
import type { Cleanup } from './cleanup.js';
import { healthModel, START_CANARY, START_PRODUCTION } from './images.js';
import { startDemoService, type DemoService } from './service-process.js';

export const NAMESPACE = 'mcp';
export const PRODUCTION = 'zai-proxy';
export const CANARY = 'zai-proxy-test';
export const CONTAINER = 'proxy';
/** The GitOps repository's file that declares production's image. */
export const MANIFEST_FILE = 'apps/zai-proxy.yaml';
const POLICIES_DIR = fileURLToPath(new URL('./policies/', import.meta.url));
/** Time between two rollout steps of the fake cluster's controller: slow enough to watch the replicas move. */
const ROLLOUT_STEP_MS = 600;

export interface DemoStack {
  readonly kube: FakeKube;
  readonly prometheus: PrometheusInstance;
  readonly git: GitServer;
  readonly argo: GitOpsController;
  readonly service: DemoService;
  readonly client: PromoterClient;
  /** The admin token's secret: the console's sign-in. */
  readonly token: string;
  /** The service's log file (inside the throwaway folder). */
  readonly serviceLog: string;
  /** The throwaway folder: data dir, kubeconfig, Git settings, logs; removed at the end. */
  readonly dir: string;
}

export interface StackOptions {
  /** The service's port; 0 picks a free one. */
  readonly port: number;
  readonly say: (line: string) => void;
}

export async function startDemoStack(cleanup: Cleanup, options: StackOptions): Promise<DemoStack> {
  const { say } = options;
  const dir = await mkdtemp(join(tmpdir(), 'promoter-demo-'));
  cleanup.add('throwaway folder', () => rm(dir, { recursive: true, force: true }));

  const kube = await startFakeKube();
  cleanup.add('fake Kubernetes API', () => kube.close());
  const rollout = { stepMs: ROLLOUT_STEP_MS };
  kube.addDeployment({ namespace: NAMESPACE, name: PRODUCTION, containers: [{ name: CONTAINER, image: START_PRODUCTION }], replicas: 3, selector: { app: 'zai-proxy', variant: 'production' }, rollout });
  kube.addDeployment({ namespace: NAMESPACE, name: CANARY, containers: [{ name: CONTAINER, image: START_CANARY }], replicas: 1, selector: { app: 'zai-proxy', variant: 'test' }, rollout });
  say(`cluster      fake Kubernetes API ${kube.url}: ${NAMESPACE}/${PRODUCTION} (3 replicas, ${START_PRODUCTION}), ${NAMESPACE}/${CANARY} (1 replica, ${START_CANARY})`);

  const exporter = await startExporter();
  cleanup.add('metrics exporter', () => exporter.close());
  const traffic = startTraffic({
    exporter,
    readDeployment: (namespace, name) => kube.getDeployment(namespace, name),
    targets: [
      { namespace: NAMESPACE, deployment: PRODUCTION, container: CONTAINER, requestsPerSecond: 40 },
      // Enough canary traffic that a healthy build's 0.4% errors never reach the 5% bound by chance.
      { namespace: NAMESPACE, deployment: CANARY, container: CONTAINER, requestsPerSecond: 10 },
    ],
    health: healthModel(),
  });
  cleanup.add('traffic', () => traffic.stop());
  say(`traffic      ${exporter.url}/metrics: 40 req/s on production, 10 on the canary; errors and latency follow the image each runs`);
  cleanup.throwIfStopping();

  const gitToken = randomBytes(12).toString('hex');
  const git = await startGitServer({ token: gitToken });
  cleanup.add('Git server', () => git.close());
  await git.createRepository('deploy', { [MANIFEST_FILE]: manifest(START_PRODUCTION) });
  await git.createRepository('app-source', { VERSION: '1.2.0\n', 'README.md': '# zai-proxy\n' });
  // Argo CD's application for production exists but does not sync until the GitOps part hands it over.
  const argo = startGitOpsController({
    kubeConfig: kube.kubeConfig(),
    intervalMs: 500,
    mode: { kind: 'never' },
    applications: [{ name: 'zai-proxy', repository: git.barePath('deploy'), file: MANIFEST_FILE, target: { namespace: NAMESPACE, deployment: PRODUCTION, container: CONTAINER } }],
  });
  cleanup.add('Argo CD stand-in', () => argo.stop());
  say(`git          ${git.url}: deploy.git (${MANIFEST_FILE}, watched by an Argo CD stand-in) and app-source.git (VERSION 1.2.0); folder ${dirname(git.root)}`);
  cleanup.throwIfStopping();

  const prometheus = await startPrometheus({ targets: [exporter.target] });
  cleanup.add('Prometheus', () => prometheus.stop());
  say(`prometheus   ${prometheus.url} scraping every second; folder ${dirname(prometheus.dataDir)}`);
  cleanup.throwIfStopping();

  const token = `demo-${randomBytes(12).toString('hex')}`;
  const kubeconfig = join(dir, 'kubeconfig');
  await kube.writeKubeconfig(kubeconfig);
  const gitSettings = await writeGitSettings(dir, git, gitToken);
  const serviceLog = join(dir, 'service.log');
  const port = options.port === 0 ? await freePort() : options.port;
  say(`service      starting on the embedded database (a throwaway PGlite folder; its first start takes 5-25 s); log: ${serviceLog}`);
  const service = await startDemoService(
    port,
    {
      PROMOTER_DATA_DIR: join(dir, 'data'),
      PROMETHEUS_URL: prometheus.url,
      KUBECONFIG: kubeconfig,
      PROMOTER_GIT_REPOSITORIES_FILE: gitSettings,
      PROMOTER_API_TOKENS: `demo:admin:${token}`,
      PROMOTER_ENGINE_POLL_MS: '200',
      LOG_LEVEL: 'info',
    },
    serviceLog,
  );
  cleanup.add('service', () => service.stop());
  cleanup.throwIfStopping();

  const client = createPromoterClient({ baseUrl: service.url, token });
  for (const file of (await readdir(POLICIES_DIR)).filter((name) => name.endsWith('.yaml')).sort()) {
    // Stored through the API, so the service validates them as any policy (a mistake here is a 422).
    const stored = await client.policies.put(basename(file, '.yaml'), await readFile(join(POLICIES_DIR, file), 'utf8'));
    say(`policy       ${stored.name} v${stored.version} (examples/demo/policies/${file})`);
  }

  // Rates need two scrapes of each series; Prometheus's first scrape comes only ~7 s after its start.
  for (const variant of ['production', 'test']) {
    await prometheus.waitForSeries(`sum(rate(zai_proxy_requests_total{namespace="${NAMESPACE}",variant="${variant}"}[15s])) > 0`, undefined, 60_000);
  }
  return { kube, prometheus, git, argo, service, client, token, serviceLog, dir };
}

/** `preferred` when nothing listens on it, else a free port. */
export async function portOrFree(preferred: number): Promise<number> {
  const free = await new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(preferred, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
  return free ? preferred : freePort();
}

/** The GitOps repository's manifest of production, as a team would keep it. */
export function manifest(productionImage: string): string {
  return [
    '# zai-proxy in production; Argo CD syncs this file to the cluster',
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${PRODUCTION}`,
    `  namespace: ${NAMESPACE}`,
    'spec:',
    '  replicas: 3',
    '  template:',
    '    metadata:',
    '      labels: { app: zai-proxy, variant: production }',
    '    spec:',
    '      containers:',
    `        - name: ${CONTAINER}`,
    `          image: ${productionImage} # promoted by promoter`,
    '',
  ].join('\n');
}

/** PROMOTER_GIT_REPOSITORIES_FILE: both repositories over HTTP with the Git server's token (read from a file). */
async function writeGitSettings(dir: string, git: GitServer, gitToken: string): Promise<string> {
  const tokenFile = join(dir, 'git-token');
  await writeFile(tokenFile, `${gitToken}\n`, { mode: 0o600 });
  const author = { name: 'promoter', email: 'promoter@demo.invalid' };
  const repositories = ['deploy', 'app-source'].map((name) => ({ name, url: git.httpUrl(name), branch: 'main', auth: { type: 'token', tokenFile }, author }));
  const file = join(dir, 'git-repositories.json');
  await writeFile(file, JSON.stringify({ repositories }, null, 2));
  return file;
}
