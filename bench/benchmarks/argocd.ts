/**
 * Argo CD: how long a Git delivery waits for Argo CD, with and without the Application integration
 * (`delivery.argocd`), against Argo CD polling Git every 180 s (its default `timeout.reconciliation`).
 * In one process: the service's API and engine (createService / createEngine) on PostgreSQL, the git server
 * of @promoter/local-stack (git http-backend), the fake Kubernetes API with its Argo CD controller, and an
 * in-memory Prometheus whose answer the benchmark switches.
 *
 * Measured per promotion, from timestamps taken in this process (the Deployment is polled every 25 ms):
 * - commit -> running: from the promotion's `commit` event to the Deployment running the new image;
 * - promotion with a 3 s bake: from POST to `succeeded`;
 * - production breaks -> old image: from the moment the post check's metric turns bad (the promotion is
 *   `verifying`) to the Deployment running the old image again, and to `rolled_back`;
 * - a failed sync: from POST to the end, and whether the reason carries Argo CD's message.
 * Configurations: the integration with sync allowed (non-automated Applications), refresh only (automated
 * Applications), and no integration (automated Applications, found at Argo CD's poll). Without the
 * integration the fake's poll comes 180 s after the Application was created, which is a few seconds after
 * the commit: close to the worst case (a real poll's phase is random, 90 s after the commit on average).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeKube, type ArgoCdController, type FakeKube } from '@promoter/fake-kube';
import { startGitServer, type GitServer } from '@promoter/local-stack';
import { openDatabase } from '../../services/promoter/src/adapters/db/connection.js';
import { GitDelivery, parseGitConfig } from '../../services/promoter/src/adapters/git/index.js';
import { ClientNodeArgoCdApplications } from '../../services/promoter/src/adapters/kubernetes/argocd-applications.js';
import { ClientNodeKubernetesClient } from '../../services/promoter/src/adapters/kubernetes/client-node-kubernetes-client.js';
import type { PrometheusQueries, QueryResult } from '../../services/promoter/src/adapters/prometheus/query-result.js';
import { loadConfig } from '../../services/promoter/src/config.js';
import { createEngine, createService, type Service } from '../../services/promoter/src/service.js';
import type { Benchmark, BenchOutput } from '../lib/context.js';
import { createEmptyDatabase } from '../lib/database.js';
import type { Figure } from '../lib/report.js';
import { max, median, round, sleep } from '../lib/stats.js';

const OLD = 'ronaldraygun/zai-proxy:1.2.0';
const NEW = 'ronaldraygun/zai-proxy:1.2.1';
const TOKEN = 'bench-argocd-token';
const SYNC_FAILURE = 'one or more objects failed to apply, reason: admission webhook "validate.kyverno.svc" denied the request';
const manifest = (ns: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: zai-proxy
  namespace: ${ns}
spec:
  template:
    spec:
      containers:
        - name: proxy
          image: ${OLD}
`;

/** Error ratio by namespace; 0.01 unless set. */
class SwitchedPrometheus implements PrometheusQueries {
  readonly bad = new Set<string>();
  async queryInstant(query: string): Promise<QueryResult> {
    const ns = /namespace="([^"]+)"/.exec(query)?.[1] ?? '';
    const value = this.bad.has(ns) && query.includes('variant="production"') ? 0.5 : 0.01;
    return { resultType: 'vector', result: [{ metric: {}, time: Date.now() / 1000, value }], warnings: [], infos: [] };
  }
  async queryRange(): Promise<QueryResult> {
    return { resultType: 'matrix', result: [], warnings: [], infos: [] };
  }
}

type Kind = 'happy' | 'bad' | 'failsync';
type Mode = 'sync' | 'refresh' | 'none';
interface Trial {
  readonly ns: string;
  readonly kind: Kind;
  readonly mode: Mode;
}
interface TrialResult extends Trial {
  state: string;
  reason: string;
  commitToRunningMs?: number;
  totalMs?: number;
  breakToOldMs?: number;
  breakToRolledBackMs?: number;
}

const policy = (bake: string) => ({
  interval: '500ms',
  bake,
  rolloutTimeout: '10m',
  checks: [{ name: 'error-rate', phases: ['post'], query: 'error_ratio{namespace="{{namespace}}",variant="{{variant}}"}', max: 0.05 }],
});

export const argocdBenchmark: Benchmark = {
  name: 'argocd',
  description: 'Argo CD polling every 180 s: commit -> running, break -> old image, with and without delivery.argocd',
  async run(ctx): Promise<BenchOutput> {
    const rounds = ctx.quick ? 1 : 3;
    const trials: Trial[] = [];
    for (let i = 0; i < rounds; i++) {
      for (const mode of ['sync', 'refresh'] as const) for (const kind of ['happy', 'bad'] as const) trials.push({ ns: `${mode}-${kind}-${i}`, kind, mode });
      trials.push({ ns: `sync-failsync-${i}`, kind: 'failsync', mode: 'sync' });
    }
    trials.push({ ns: 'none-happy', kind: 'happy', mode: 'none' }, { ns: 'none-bad', kind: 'bad', mode: 'none' });

    const dir = mkdtempSync(join(tmpdir(), 'bench-argocd-'));
    const database = await createEmptyDatabase('argocd');
    const handle = await openDatabase({ databaseUrl: database.url, dataDir: join(dir, 'data') });
    let kube: FakeKube | undefined;
    let server: GitServer | undefined;
    let service: Service | undefined;
    const prometheus = new SwitchedPrometheus();
    try {
      kube = await startFakeKube();
      server = await startGitServer({ token: TOKEN });
      for (const { ns } of trials) {
        kube.addDeployment({ namespace: ns, name: 'zai-proxy', containers: [{ name: 'proxy', image: OLD }], replicas: 2 });
        kube.addDeployment({ namespace: ns, name: 'zai-proxy-test', containers: [{ name: 'proxy', image: `${NEW}-canary` }], replicas: 1 });
        await server.createRepository(ns, { 'apps/zai-proxy.yaml': manifest(ns) });
      }
      const argo = kube.startArgoCd({ pollMs: 180_000, repositories: Object.fromEntries(trials.map(({ ns }) => [server?.httpUrl(ns) ?? '', server?.barePath(ns) ?? ''])) });
      for (const { ns, mode } of trials) argo.addApplication({ name: ns, repoURL: server.httpUrl(ns), path: 'apps', targetRevision: 'main', destinationNamespace: ns, automated: mode !== 'sync' });

      const gitConfig = parseGitConfig(
        JSON.stringify({ cacheDir: join(dir, 'git'), repositories: trials.map(({ ns }) => ({ name: ns, url: server?.httpUrl(ns), branch: 'main', auth: { type: 'token', tokenEnv: 'BENCH_GIT_TOKEN' }, author: { name: 'promoter', email: 'promoter@example.com' } })) }),
        'bench.json',
        { cacheDir: join(dir, 'git') },
      );
      const git = new GitDelivery({ config: gitConfig, environment: { BENCH_GIT_TOKEN: TOKEN } });
      const kubeClient = new ClientNodeKubernetesClient(kube.kubeConfig());
      const applications = new ClientNodeArgoCdApplications(kube.kubeConfig());
      const config = loadConfig({ PROMOTER_ENGINE: 'off', PROMOTER_DATA_DIR: join(dir, 'data'), PROMOTER_RATE_LIMIT: '0', LOG_LEVEL: 'warn' });
      service = await createService(config, { database: handle, kube: kubeClient, git, argocd: applications });
      for (const bake of ['3s', '60s']) {
        const put = await service.app.inject({ method: 'PUT', url: `/v1/policies/bake-${bake}`, payload: policy(bake) });
        if (put.statusCode >= 300) throw new Error(`PUT policy: ${put.body}`);
      }
      const one = (trial: Trial) => runTrial(service as Service, kube as FakeKube, argo, prometheus, trial, ctx.log);
      // One promotion at a time with the integration (they take seconds; in parallel they would measure the
      // 2 cores); the promotions without it wait for Argo CD's poll meanwhile.
      const run = async (sync: boolean, sequential: Trial[], parallel: Trial[] = []): Promise<TrialResult[]> => {
        const engine = createEngine({ db: handle.db, kube: kubeClient, git, argocd: applications, argocdSync: sync, prometheus, log: (service as Service).app.log, pollMs: 100, rolloutPollMs: 250 });
        engine.start();
        try {
          const waiting = Promise.all(parallel.map(one));
          const out: TrialResult[] = [];
          for (const trial of sequential) out.push(await one(trial));
          return [...out, ...(await waiting)];
        } finally {
          await engine.stop();
        }
      };
      const results = [
        ...(await run(false, trials.filter((t) => t.mode === 'refresh'))),
        ...(await run(true, trials.filter((t) => t.mode === 'sync'), trials.filter((t) => t.mode === 'none'))),
      ];
      await git.close();
      return report(results);
    } finally {
      await service?.close();
      await handle.close();
      await server?.close();
      await kube?.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

async function runTrial(service: Service, kube: FakeKube, argo: ArgoCdController, prometheus: SwitchedPrometheus, trial: Trial, log: (line: string) => void): Promise<TrialResult> {
  const { ns, kind, mode } = trial;
  if (kind === 'failsync') argo.failNextSyncs(SYNC_FAILURE, { application: ns });
  const started = Date.now();
  const body = {
    target: { namespace: ns, deployment: 'zai-proxy', container: 'proxy' },
    source: { deployment: 'zai-proxy-test', tagSuffixToStrip: '-canary' },
    policy: kind === 'bad' ? 'bake-60s' : 'bake-3s',
    delivery: { via: 'git', repository: ns, file: 'apps/zai-proxy.yaml', ...(mode === 'none' ? {} : { argocd: { application: ns } }) },
  };
  const created = await service.app.inject({ method: 'POST', url: '/v1/promotions', payload: body });
  if (created.statusCode !== 201) throw new Error(`create ${ns}: ${created.body}`);
  const id = (created.json() as { id: string }).id;
  const image = () => kube.getDeployment(ns, 'zai-proxy')?.spec.template.spec.containers[0]?.image;
  const detail = async () => (await service.app.inject({ method: 'GET', url: `/v1/promotions/${id}` })).json() as { state: string; stateReason: string; events: Array<{ type: string; at: string }> };
  const result: TrialResult = { ...trial, state: '', reason: '' };
  let runningAt: number | undefined;
  let brokeAt: number | undefined;
  let oldAt: number | undefined;
  const deadline = started + 15 * 60_000;
  for (;;) {
    const now = Date.now();
    const current = image();
    if (runningAt === undefined && current === NEW) runningAt = now;
    if (brokeAt !== undefined && oldAt === undefined && current === OLD) oldAt = now;
    const record = await detail();
    if (kind === 'bad' && brokeAt === undefined && record.state === 'verifying') {
      prometheus.bad.add(ns);
      brokeAt = Date.now();
    }
    if (['succeeded', 'rolled_back', 'failed', 'aborted', 'rejected'].includes(record.state) && (brokeAt === undefined || oldAt !== undefined || record.state === 'failed')) {
      result.state = record.state;
      result.reason = record.stateReason;
      result.totalMs = Date.now() - started;
      const commit = record.events.find((e) => e.type === 'commit');
      if (commit && runningAt !== undefined) result.commitToRunningMs = runningAt - Date.parse(commit.at);
      if (brokeAt !== undefined) {
        if (oldAt !== undefined) result.breakToOldMs = oldAt - brokeAt;
        result.breakToRolledBackMs = Date.now() - brokeAt;
      }
      break;
    }
    if (now > deadline) throw new Error(`${ns}: no end within 15 minutes (state ${record.state})`);
    await sleep(25);
  }
  log(`${ns}: ${result.state} after ${round((result.totalMs ?? 0) / 1000, 1)} s (${result.reason.slice(0, 160)})`);
  return result;
}

function report(results: readonly TrialResult[]): BenchOutput {
  const seconds = (values: Array<number | undefined>) => values.filter((v): v is number => v !== undefined).map((v) => v / 1000);
  const pick = (mode: Mode, kind: Kind, field: 'commitToRunningMs' | 'totalMs' | 'breakToOldMs' | 'breakToRolledBackMs') => seconds(results.filter((r) => r.mode === mode && r.kind === kind).map((r) => r[field]));
  const summary = (values: number[]) => (values.length === 0 ? 'n/a' : values.length === 1 ? `${round(values[0] ?? 0, 1)}` : `${round(median(values), 1)} (max ${round(max(values), 1)})`);
  const figures: Figure[] = [];
  const names: Record<Mode, string> = { sync: 'argocd, sync', refresh: 'argocd, refresh only', none: 'no argocd' };
  for (const mode of ['sync', 'refresh', 'none'] as const) {
    figures.push({ name: `${names[mode]}: commit -> running`, value: summary(pick(mode, 'happy', 'commitToRunningMs')), unit: 's' });
    const total = pick(mode, 'happy', 'totalMs');
    figures.push({ name: `${names[mode]}: promotion with a 3 s bake`, value: summary(total), unit: 's', target: '< 60 s', met: total.length > 0 && total.every((v) => v < 60) });
    const back = pick(mode, 'bad', 'breakToOldMs');
    figures.push({ name: `${names[mode]}: production breaks -> old image running`, value: summary(back), unit: 's', target: '< 30 s', met: back.length > 0 && back.every((v) => v < 30) });
    figures.push({ name: `${names[mode]}: production breaks -> rolled_back`, value: summary(pick(mode, 'bad', 'breakToRolledBackMs')), unit: 's' });
  }
  const failed = results.filter((r) => r.kind === 'failsync');
  const failedTimes = seconds(failed.map((r) => r.totalMs));
  figures.push({
    name: 'argocd, sync: a failed sync ends the promotion',
    value: summary(failedTimes),
    unit: 's',
    target: '< 60 s, with the message',
    met: failed.length > 0 && failed.every((r) => (r.totalMs ?? Infinity) < 60_000 && r.reason.includes(SYNC_FAILURE)),
  });
  const details = results.map((r) => `${r.ns} (${r.mode}, ${r.kind}): ${r.state} after ${round((r.totalMs ?? 0) / 1000, 1)} s; ${r.reason.slice(0, 200)}`);
  return { title: 'Argo CD polling every 180 s: with and without the Application integration', figures, details };
}
