/**
 * Pipelines through the whole service (issue 24), built as main.ts builds it: the API, the promotion engine
 * and the pipeline runner on PostgreSQL, three fake Kubernetes API servers as three clusters named in
 * PROMOTER_CLUSTERS_FILE (staging, apexalgo-iad, apexalgo-fra), a real Prometheus scraping an exporter, and
 * a real Git server whose repositories a GitOps controller syncs into apexalgo-iad.
 *
 * The stages: staging (patched), iad (through Git, after staging has held 2 s), fra (patched, after iad has
 * held 2 s). What is asserted is what happened in each cluster and in Git, in order, not only the run's state.
 * The CLI's pipeline commands (run --wait, status [--wait], abort, list, apply) run against the same service.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '@promoter/fake-kube';
import { loadConfig } from '../../services/promoter/src/config.js';
import { createService, type Service } from '../../services/promoter/src/service.js';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { createTestDatabase, type TestDatabase } from '../fixtures/database.js';
import { startExporter, type Exporter } from '../fixtures/exporter.js';
import { startGitServer, type GitServer } from '../fixtures/git-server.js';
import { startGitOpsController, type GitOpsController } from '../fixtures/gitops-controller.js';
import { startPrometheus, type PrometheusInstance } from '../fixtures/prometheus.js';
import { MANIFEST, writeTokenFile } from '../gitops/support.js';
import { cli } from '../cli/run-cli.js';

const OLD = 'ronaldraygun/zai-proxy:1.2.0';
const NEW = 'ronaldraygun/zai-proxy:1.2.1';
const FILE = 'apps/zai-proxy.yaml';
const TOKEN = 'pipeline-git-token-77aa';
/** Scenario -> its three stages' namespaces are `<scenario>-staging`, `<scenario>-iad`, `<scenario>-fra`. */
const SCENARIOS = ['ordered', 'stopped', 'serial', 'aborted', 'frozen'] as const;
const STAGES = ['staging', 'iad', 'fra'] as const;
type Stage = (typeof STAGES)[number];
/** Each stage's cluster, as PROMOTER_CLUSTERS_FILE names it. */
const CLUSTER: Readonly<Record<Stage, string>> = { staging: 'staging', iad: 'apexalgo-iad', fra: 'apexalgo-fra' };
const RUN_TERMINAL = ['succeeded', 'failed', 'aborted', 'superseded'];

const POLICY = {
  interval: '500ms',
  bake: '1s',
  rolloutTimeout: '20s',
  checks: [{ name: 'error-rate', phases: ['pre', 'rollout', 'post'], query: 'max(app_error_ratio{namespace="{{namespace}}",variant="{{variant}}"})', max: 0.05 }],
};

interface StageView {
  name: string;
  state: string;
  promotionId?: string;
  promotionState?: string;
  startsAt?: string;
  startedAt?: string;
  endedAt?: string;
  reason?: string;
}
interface RunView {
  id: string;
  state: string;
  stateReason: string | null;
  image: string;
  stages: StageView[];
  events?: { stage: string | null; message: string }[];
}

describe('pipelines: one image through staging and production in order, across three clusters', () => {
  let exporter: Exporter;
  let prometheus: PrometheusInstance;
  /** One fake Kubernetes API server per cluster, named as the stages. */
  const kubes = {} as Record<Stage, FakeKube>;
  let server: GitServer;
  let controller: GitOpsController;
  let database: TestDatabase;
  let service: Service;
  let url = '';
  const dir = mkdtempSync(join(tmpdir(), 'promoter-pipelines-'));

  beforeAll(async () => {
    exporter = await startExporter();
    server = await startGitServer({ token: TOKEN });
    for (const stage of STAGES) {
      kubes[stage] = await startFakeKube();
      await kubes[stage].writeKubeconfig(join(dir, `${stage}.yaml`));
    }
    for (const scenario of SCENARIOS) {
      for (const stage of STAGES) {
        const ns = `${scenario}-${stage}`;
        exporter.set('app_error_ratio', { namespace: ns, variant: 'canary' }, 0.01);
        exporter.set('app_error_ratio', { namespace: ns, variant: 'production' }, 0.01);
        kubes[stage].addDeployment({ namespace: ns, name: 'zai-proxy', containers: [{ name: 'proxy', image: OLD }], replicas: 2 });
      }
      await server.createRepository(`deploy-${scenario}`, { [FILE]: MANIFEST.replace('namespace: mcp', `namespace: ${scenario}-iad`) });
    }
    // Argo CD's stand-in syncs each scenario's GitOps repository into the iad cluster only.
    controller = startGitOpsController({
      kubeConfig: kubes.iad.kubeConfig(),
      intervalMs: 100,
      applications: SCENARIOS.map((scenario) => ({ name: scenario, repository: server.barePath(`deploy-${scenario}`), file: FILE, target: { namespace: `${scenario}-iad`, deployment: 'zai-proxy', container: 'proxy' } })),
    });
    // The operator's files, as the service reads them at start-up.
    writeFileSync(join(dir, 'clusters.yaml'), ['default: staging', 'clusters:', ...STAGES.map((stage) => `  - { name: ${CLUSTER[stage]}, kubeconfig: ${stage}.yaml }`), ''].join('\n'));
    const tokenFile = await writeTokenFile(TOKEN);
    writeFileSync(
      join(dir, 'repositories.json'),
      JSON.stringify({
        cacheDir: join(dir, 'git-cache'),
        repositories: SCENARIOS.map((scenario) => ({ name: `deploy-${scenario}`, url: server.httpUrl(`deploy-${scenario}`), branch: 'main', auth: { type: 'token', tokenFile }, author: { name: 'Promoter Bot', email: 'promoter@example.com' } })),
      }),
    );
    prometheus = await startPrometheus({ targets: [exporter.target] });
    await prometheus.waitForSeries('app_error_ratio{namespace="ordered-staging",variant="canary"}');
    database = await createTestDatabase();
    const config = loadConfig({
      PROMOTER_CLUSTERS_FILE: join(dir, 'clusters.yaml'),
      PROMOTER_GIT_REPOSITORIES_FILE: join(dir, 'repositories.json'),
      PROMETHEUS_URL: prometheus.url,
      PROMOTER_DATA_DIR: join(dir, 'data'),
      PROMOTER_ENGINE_POLL_MS: '50',
      PROMOTER_RATE_LIMIT: '0',
      LOG_LEVEL: 'warn',
    });
    // The whole service as main.ts builds it: API, engine and pipeline runner (faster polls for a test).
    service = await createService(config, { database: database.handle, engine: { rolloutPollMs: 100 }, pipelines: { pollMs: 100, stagePollMs: 200 } });
    url = await service.app.listen({ port: 0, host: '127.0.0.1' });
    service.engine?.start();
    service.pipelines?.start();
    expect((await service.app.inject({ method: 'PUT', url: '/v1/policies/stage-gate', payload: POLICY })).statusCode).toBe(201);
    for (const scenario of SCENARIOS) {
      const put = await service.app.inject({ method: 'PUT', url: `/v1/pipelines/${scenario}`, payload: pipelineOf(scenario) });
      expect(put.statusCode, put.body).toBe(201);
    }
  }, 120_000);

  afterAll(async () => {
    await service?.close();
    await database?.drop();
    await controller?.stop();
    await prometheus?.stop();
    await server?.close();
    for (const kube of Object.values(kubes)) await kube.close();
    await exporter?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const pipelineOf = (scenario: string) => ({
    description: `zai-proxy, ${scenario}`,
    stages: [
      { name: 'staging', target: { cluster: CLUSTER.staging, ...target(`${scenario}-staging`) }, policy: 'stage-gate' },
      { name: 'iad', target: { cluster: CLUSTER.iad, ...target(`${scenario}-iad`) }, policy: 'stage-gate', soak: '2s', delivery: { via: 'git', repository: `deploy-${scenario}`, file: FILE } },
      { name: 'fra', target: { cluster: CLUSTER.fra, ...target(`${scenario}-fra`) }, policy: 'stage-gate', soak: '2s' },
    ],
  });
  const target = (namespace: string) => ({ namespace, deployment: 'zai-proxy', container: 'proxy' });
  /** The image a scenario's stage runs, read from that stage's own cluster. */
  const image = (namespace: string) => {
    const stage = namespace.slice(namespace.lastIndexOf('-') + 1) as Stage;
    return kubes[stage].getDeployment(namespace, 'zai-proxy')?.spec.template.spec.containers[0]?.image;
  };
  const startRun = async (pipeline: string, body: Record<string, unknown> = { image: NEW, reason: 'release 1.2.1' }) => {
    const response = await service.app.inject({ method: 'POST', url: `/v1/pipelines/${pipeline}/runs`, payload: body });
    expect(response.statusCode, response.body).toBe(201);
    assertMatchesSpec('createPipelineRun', response);
    return response.json() as RunView;
  };
  const getRun = async (pipeline: string, id: string): Promise<RunView> => {
    const response = await service.app.inject({ method: 'GET', url: `/v1/pipelines/${pipeline}/runs/${id}` });
    expect(response.statusCode, response.body).toBe(200);
    assertMatchesSpec('getPipelineRun', response);
    return response.json() as RunView;
  };
  const waitForRun = async (pipeline: string, id: string, until: (run: RunView) => boolean, timeoutMs = 90_000): Promise<RunView> => {
    const deadline = Date.now() + timeoutMs;
    let last: RunView | undefined;
    while (Date.now() < deadline) {
      last = await getRun(pipeline, id);
      if (until(last)) return last;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`run ${id} of ${pipeline} did not get there within ${timeoutMs} ms; last: ${JSON.stringify(last, null, 1)}`);
  };
  const ended = (run: RunView) => RUN_TERMINAL.includes(run.state);
  /** The newest run of a pipeline, once there is one (a run the CLI started). */
  const newestRun = async (pipeline: string): Promise<RunView> => {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const [run] = (await service.app.inject({ method: 'GET', url: `/v1/pipelines/${pipeline}/runs?limit=1` })).json().items as RunView[];
      if (run) return run;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no run of ${pipeline} appeared`);
  };

  it('promotes through staging (patch), iad (Git) and fra (patch) in order, each after the one before held for its soak; one CLI command follows it, and pipeline status --wait follows it from elsewhere to the same verdict', async () => {
    // The README's command: it prints each stage as it moves and exits 0 only when every stage succeeded.
    const command = cli(['pipeline', 'run', 'ordered', '--image', NEW, '--reason', 'release 1.2.1', '--wait'], { url });
    const started = await newestRun('ordered');
    // Someone else follows the same run by its id.
    const following = cli(['pipeline', 'status', 'ordered', started.id, '--wait'], { url });
    expect(started).toMatchObject({ image: NEW, stages: [{ name: 'staging' }, { name: 'iad', state: 'waiting' }, { name: 'fra', state: 'waiting' }] });
    // While staging is promoted, nothing downstream has moved.
    const soaking = await waitForRun('ordered', started.id, (run) => run.stages[1]?.state === 'soaking' || ended(run));
    expect(soaking.stages[0]?.state).toBe('succeeded');
    expect(image('ordered-staging')).toBe(NEW);
    expect(image('ordered-iad')).toBe(OLD);
    expect(Date.parse(soaking.stages[1]?.startsAt ?? '')).toBe(Date.parse(soaking.stages[0]?.endedAt ?? '') + 2_000);

    const done = await waitForRun('ordered', started.id, ended);
    expect(done.state, JSON.stringify(done, null, 1)).toBe('succeeded');
    expect(done.stateReason).toBe('all 3 stages succeeded');
    expect(done.stages.map((s) => [s.name, s.state, s.promotionState])).toEqual([
      ['staging', 'succeeded', 'succeeded'],
      ['iad', 'succeeded', 'succeeded'],
      ['fra', 'succeeded', 'succeeded'],
    ]);
    // In order, each after its upstream held for the soak.
    const [staging, iad, fra] = done.stages as [StageView, StageView, StageView];
    expect(Date.parse(iad.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(staging.endedAt ?? '') + 2_000);
    expect(Date.parse(fra.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(iad.endedAt ?? '') + 2_000);
    for (const stage of STAGES) expect(image(`ordered-${stage}`)).toBe(NEW);
    // iad went through Git: the controller synced the promotion's commit; staging and fra were patched.
    const iadPromotion = (await service.app.inject({ method: 'GET', url: `/v1/promotions/${iad.promotionId}` })).json();
    expect(iadPromotion).toMatchObject({ delivery: { via: 'git', repository: 'deploy-ordered', commit: expect.stringMatching(/^[0-9a-f]{40}$/) }, actor: 'anonymous' });
    expect(iadPromotion.reason).toBe(`pipeline ordered run ${started.id}, stage iad: release 1.2.1`);
    expect(iadPromotion.target).toEqual({ cluster: 'apexalgo-iad', namespace: 'ordered-iad', deployment: 'zai-proxy', container: 'proxy' });
    // Linked both ways: the run names its stages' promotions, each promotion its run and stage.
    expect(iadPromotion.pipeline).toEqual({ pipeline: 'ordered', runId: started.id, stage: 'iad' });
    expect(controller.syncs.filter((sync) => sync.image === NEW).map((sync) => sync.commit)).toContain(iadPromotion.delivery.commit);
    const printed = await command;
    expect(printed.code, printed.stdout + printed.stderr).toBe(0);
    // Each stage as it moved, in order, then the verdict.
    // A soak is printed as it happens, or, when both reads (once a second) fell outside it, as 'soaked until'.
    expectLinesInOrder(printed.stdout, [/staging +(analyzing|pending|verifying|promoting)/, /staging +succeeded/, /iad +soak(ing|ed) until/, /iad +succeeded/, /fra +soak(ing|ed) until/, /fra +succeeded/, new RegExp(`✓ run ${started.id} of ordered succeeded: all 3 stages succeeded`)]);
    expect(done.events?.map((e) => e.message)).toEqual(
      expect.arrayContaining([`stage 'iad' soaks until ${iad.startsAt ?? 'x'} (staging must hold)`, expect.stringMatching(/^stage 'fra' started: promotion .* into apexalgo-fra:ordered-fra\/zai-proxy \(proxy\)$/), 'run succeeded: all 3 stages succeeded']),
    );
    const followed = await following;
    expect(followed.code, followed.stdout + followed.stderr).toBe(0);
    expectLinesInOrder(followed.stdout, [/staging +succeeded/, /iad +soak(ing|ed) until/, /iad +succeeded/, /fra +soak(ing|ed) until/, /fra +succeeded/, new RegExp(`✓ run ${started.id} of ordered succeeded: all 3 stages succeeded`)]);
  }, 150_000);

  it('stops at a stage whose check fails: it rolls back, the run fails naming it, and the stage after it never starts', async () => {
    // iad's production breaks once it runs the new image: the rollout check fails and the engine rolls back.
    exporter.set('app_error_ratio', { namespace: 'stopped-iad', variant: 'production' }, 0.01);
    const command = cli(['pipeline', 'run', 'stopped', '--image', NEW, '--wait'], { url });
    const started = await newestRun('stopped');
    await waitForRun('stopped', started.id, (run) => run.stages[1]?.state === 'running' || ended(run));
    exporter.set('app_error_ratio', { namespace: 'stopped-iad', variant: 'production' }, 0.4);
    const done = await waitForRun('stopped', started.id, ended);
    expect(done.state).toBe('failed');
    expect(done.stateReason).toMatch(/^stage 'iad' failed: its promotion [0-9a-f-]{36} ended rolled_back: .*error-rate/);
    expect(done.stages.map((s) => [s.name, s.state])).toEqual([
      ['staging', 'succeeded'],
      ['iad', 'failed'],
      ['fra', 'skipped'],
    ]);
    expect(done.stages[2]).toEqual({ name: 'fra', state: 'skipped', reason: "not started: stage 'iad' failed" });
    expect(image('stopped-staging')).toBe(NEW);
    expect(image('stopped-iad')).toBe(OLD);
    expect(image('stopped-fra')).toBe(OLD);
    const printed = await command;
    expect(printed.code, 'a failed run exits 1').toBe(1);
    expect(printed.stdout).toContain(`✗ run ${started.id} of stopped failed: stage 'iad' failed: its promotion`);
    expect(printed.stdout).toMatch(/fra +skipped +not started: stage 'iad' failed/);
    const fraPromotions = (await service.app.inject({ method: 'GET', url: '/v1/promotions?namespace=stopped-fra' })).json();
    expect(fraPromotions.items, 'no promotion was ever made for fra').toEqual([]);
  }, 150_000);

  it('runs one run of a pipeline at a time: a newer run queues, and supersedes a run that was still waiting', async () => {
    // A slow first stage (its check needs samples) keeps the first run busy.
    const first = await startRun('serial', { image: NEW, reason: 'first' });
    const second = await startRun('serial', { image: 'ronaldraygun/zai-proxy:1.2.2', reason: 'second' });
    expect(second.state).toBe('queued');
    expect(second.stateReason).toBe(`queued behind run ${first.id}`);
    const third = await startRun('serial', { image: 'ronaldraygun/zai-proxy:1.2.3', reason: 'third' });
    expect(third.state).toBe('queued');
    const superseded = await getRun('serial', second.id);
    expect(superseded).toMatchObject({ state: 'superseded', stateReason: `superseded by run ${third.id} (ronaldraygun/zai-proxy:1.2.3) before it started` });
    expect(superseded.stages.every((s) => s.state === 'skipped')).toBe(true);
    const listedResponse = await service.app.inject({ method: 'GET', url: '/v1/pipelines/serial/runs' });
    assertMatchesSpec('listPipelineRuns', listedResponse);
    const listed = listedResponse.json();
    expect(listed.items.map((run: RunView) => run.id)).toEqual([third.id, second.id, first.id]);
    // The first ends, then the third runs; every Deployment ends on the third's image.
    const firstDone = await waitForRun('serial', first.id, ended);
    expect(firstDone.state).toBe('succeeded');
    const thirdDone = await waitForRun('serial', third.id, ended);
    expect(thirdDone.state, JSON.stringify(thirdDone, null, 1)).toBe('succeeded');
    expect(Date.parse(thirdDone.stages[0]?.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(firstDone.stages[2]?.endedAt ?? ''));
    for (const stage of STAGES) expect(image(`serial-${stage}`)).toBe('ronaldraygun/zai-proxy:1.2.3');
  }, 240_000);

  it('an abort during a soak stops the run: nothing after it starts; pipeline status --wait (the newest run) follows it to the end and exits 1', async () => {
    const started = await startRun('aborted');
    const following = cli(['pipeline', 'status', 'aborted', '--wait'], { url });
    await waitForRun('aborted', started.id, (run) => run.stages[1]?.state === 'soaking' || ended(run));
    const asked = await service.app.inject({ method: 'POST', url: `/v1/pipelines/aborted/runs/${started.id}/abort`, payload: { reason: 'incident in iad' } });
    expect(asked.statusCode, asked.body).toBe(202);
    assertMatchesSpec('abortPipelineRun', asked);
    expect(asked.json().abortRequested).toBe(true);
    const done = await waitForRun('aborted', started.id, ended, 20_000);
    expect(done).toMatchObject({ state: 'aborted', stateReason: 'aborted by anonymous: incident in iad' });
    expect(done.stages.map((s) => [s.name, s.state])).toEqual([
      ['staging', 'succeeded'],
      ['iad', 'skipped'],
      ['fra', 'skipped'],
    ]);
    // Give the soak time to have ended: still nothing started.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(image('aborted-iad')).toBe(OLD);
    const again = await service.app.inject({ method: 'POST', url: `/v1/pipelines/aborted/runs/${started.id}/abort`, payload: { reason: 'twice' } });
    expect(again.statusCode).toBe(409);
    const followed = await following;
    expect(followed.code, 'an aborted run exits 1').toBe(1);
    // It reads the run once a second: the soak (2 s) may fall between two reads, the stages' ends may not.
    expectLinesInOrder(followed.stdout, [/staging +succeeded/, /iad +skipped +not started: aborted by anonymous: incident in iad/, new RegExp(`✗ run ${started.id} of aborted aborted: aborted by anonymous: incident in iad`)]);
    expect(followed.stdout).toMatch(/fra +skipped +not started: aborted by anonymous: incident in iad/);
  }, 120_000);

  it('promoter pipeline abort stops a running run (exit 0; --reason is required), pipeline status shows it aborted (exit 1), pipeline list shows each pipeline with its stages', async () => {
    const started = await startRun('aborted', { image: 'ronaldraygun/zai-proxy:1.2.2', reason: 'second try' });
    await waitForRun('aborted', started.id, (run) => run.stages[0]?.state === 'running' || ended(run), 20_000);
    const noReason = await cli(['pipeline', 'abort', 'aborted', started.id], { url });
    expect(noReason.code, 'a usage error').toBe(2);
    expect(noReason.stderr).toContain('--reason');
    expect((await getRun('aborted', started.id)).state).toBe('running');

    const aborted = await cli(['pipeline', 'abort', 'aborted', started.id, '--reason', 'wrong image'], { url });
    expect(aborted.code, aborted.stderr).toBe(0);
    expect(aborted.stdout).toContain(`Asked run ${started.id} of aborted to stop`);
    const done = await waitForRun('aborted', started.id, ended, 20_000);
    expect(done).toMatchObject({ state: 'aborted', stateReason: 'aborted by anonymous: wrong image' });
    expect(done.stages.map((s) => [s.name, s.state])).toEqual([
      ['staging', 'aborted'],
      ['iad', 'skipped'],
      ['fra', 'skipped'],
    ]);

    // Without a run id: the newest run, as it stands now.
    const status = await cli(['pipeline', 'status', 'aborted'], { url });
    expect(status.code, 'an aborted run is not a success').toBe(1);
    expect(status.stdout).toContain(`Run ${started.id} of aborted v1: aborted (aborted by anonymous: wrong image)`);
    expect(status.stdout).toContain('image   ronaldraygun/zai-proxy:1.2.2');
    expect(status.stdout).toMatch(/staging +aborted +aborted by anonymous: wrong image/);
    const asJson = await cli(['pipeline', 'status', 'aborted', started.id, '--json'], { url });
    expect(asJson.json<RunView>()).toMatchObject({ id: started.id, state: 'aborted' });

    const list = await cli(['pipeline', 'list'], { url });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/NAME\s+VERSION\s+STAGES\s+NAMESPACES\s+CREATED/);
    expect(list.stdout).toMatch(/aborted\s+1\s+staging -> iad -> fra\s+aborted-fra,aborted-iad,aborted-staging\s/);
    const listed = await cli(['pipeline', 'list', '--json'], { url });
    expect(listed.json<{ items: { name: string }[] }>().items.map((p) => p.name)).toEqual(expect.arrayContaining([...SCENARIOS]));
  }, 60_000);

  it('a freeze over the pipeline holds its stage in frozen, and lets it go when the freeze ends', async () => {
    const end = new Date(Date.now() + 8_000).toISOString();
    const freeze = await service.app.inject({
      method: 'PUT',
      url: '/v1/freezes/release-freeze',
      payload: { window: { start: new Date(Date.now() - 1_000).toISOString(), end }, scope: { pipelines: ['frozen'] }, reason: 'release freeze' },
    });
    expect(freeze.statusCode, freeze.body).toBe(201);
    const started = await startRun('frozen');
    // The first stage's promotion waits in frozen, naming the freeze and its end; nothing is patched.
    const held = await waitForRun('frozen', started.id, (run) => run.stages[0]?.promotionState === 'frozen' || ended(run), 30_000);
    expect(held.stages[0]).toMatchObject({ state: 'running', promotionState: 'frozen' });
    const promotion = (await service.app.inject({ method: 'GET', url: `/v1/promotions/${held.stages[0]?.promotionId}` })).json();
    expect(promotion.hold).toMatchObject({ freeze: 'release-freeze', until: end });
    expect(image('frozen-staging')).toBe(OLD);
    const done = await waitForRun('frozen', started.id, ended);
    expect(done.state, JSON.stringify(done, null, 1)).toBe('succeeded');
    expect(Date.parse(done.stages[0]?.endedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(end));
    for (const stage of STAGES) expect(image(`frozen-${stage}`)).toBe(NEW);
  }, 150_000);

  it("takes the README's pipeline (examples/pipelines/zai-proxy.yaml) as YAML, with its three clusters", async () => {
    expect((await service.app.inject({ method: 'PUT', url: '/v1/policies/zai-proxy-default', payload: POLICY })).statusCode).toBe(201);
    const yaml = readFileSync(new URL('../../examples/pipelines/zai-proxy.yaml', import.meta.url), 'utf8');
    const put = await service.app.inject({ method: 'PUT', url: '/v1/pipelines/zai-proxy', headers: { 'content-type': 'application/yaml' }, payload: yaml });
    expect(put.statusCode, put.body).toBe(201);
    expect(put.json().document.stages.map((s: { name: string; target: { cluster: string } }) => [s.name, s.target.cluster])).toEqual([
      ['staging', 'staging'],
      ['apexalgo-iad', 'apexalgo-iad'],
      ['apexalgo-fra', 'apexalgo-fra'],
    ]);
    // The same file through the CLI changes nothing (same document, same version).
    const applied = await cli(['pipeline', 'apply', '-f', fileURLToPath(new URL('../../examples/pipelines/zai-proxy.yaml', import.meta.url)), '--json'], { url });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.json<{ version: number }>().version).toBe(1);
  });

  it('refuses a pipeline that cannot run, naming the field, and stores nothing', async () => {
    const cases: Array<[unknown, string]> = [
      [{ stages: [{ name: 'a', target: target('ordered-staging'), policy: 'nope' }] }, '/body/stages/0/policy'],
      [{ stages: [{ name: 'a', target: target('ordered-staging'), policy: 'stage-gate', after: ['b'] }, { name: 'b', target: target('ordered-iad'), policy: 'stage-gate' }] }, '/body/stages'],
      [{ stages: [{ name: 'a', target: target('ordered-staging'), policy: 'stage-gate', soak: 'soon' }] }, '/body/stages/0/soak'],
      [{ stages: [] }, '/body/stages'],
      [{ stages: [{ name: 'a', target: { cluster: 'nowhere', ...target('ordered-staging') }, policy: 'stage-gate' }] }, '/body/stages/0/target/cluster'],
    ];
    for (const [payload, pointer] of cases) {
      const response = await service.app.inject({ method: 'PUT', url: '/v1/pipelines/broken', payload: payload as object });
      expect(response.statusCode, response.body).toBe(422);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json().errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    }
    // Every YAML media type is checked against the schema, not only application/yaml (the fuzz suite found a 500).
    for (const contentType of ['application/yaml', 'application/x-yaml', 'text/yaml']) {
      const yaml = await service.app.inject({ method: 'PUT', url: '/v1/pipelines/broken', headers: { 'content-type': contentType }, payload: 'description: no stages\n' });
      expect(yaml.statusCode, `${contentType}: ${yaml.body}`).toBe(422);
      expect(yaml.json().errors).toEqual([{ pointer: '/body/stages', detail: 'is required' }]);
    }
    expect((await service.app.inject({ method: 'GET', url: '/v1/pipelines/broken' })).statusCode).toBe(404);
    const badImage = await service.app.inject({ method: 'POST', url: '/v1/pipelines/ordered/runs', payload: { image: 'Not An Image!' } });
    expect(badImage.statusCode).toBe(422);
    expect(badImage.json().errors[0].pointer).toBe('/body/image');
    const canaryMissing = await service.app.inject({ method: 'POST', url: '/v1/pipelines/ordered/runs', payload: { source: { namespace: 'ordered-staging', deployment: 'no-such-canary' } } });
    expect(canaryMissing.statusCode, canaryMissing.body).toBe(422);
    expect(canaryMissing.json().errors[0]).toEqual({ pointer: '/body/source/deployment', detail: 'Deployment ordered-staging/no-such-canary does not exist' });
    const unknown = await service.app.inject({ method: 'POST', url: '/v1/pipelines/nope/runs', payload: { image: NEW } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().type).toBe('urn:promoter:problem:pipeline-not-found');
  });
});

/** Each pattern matches a line of `printed`, each on a later line than the one before. */
function expectLinesInOrder(printed: string, patterns: readonly RegExp[]): void {
  const lines = printed.split('\n');
  const order = patterns.map((pattern) => lines.findIndex((line) => pattern.test(line)));
  expect(order.every((index) => index >= 0), printed).toBe(true);
  expect([...order].sort((a, b) => a - b), printed).toEqual(order);
}
