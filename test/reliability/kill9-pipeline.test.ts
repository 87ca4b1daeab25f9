/**
 * kill -9 of the real service process (test/fixtures/process.ts) while a pipeline run soaks: its first stage
 * succeeded, its second waits for the first to have held for 4 s. A second process on the same database
 * takes the run over when the dead one's leases expire (PROMOTER_ENGINE_LEASE_MS=2000).
 *
 * What must hold: the run resumes where the record left it, the second stage starts no earlier than the soak
 * allows, each stage has exactly one promotion (the stage's promotion is created with an idempotency key of
 * its run and stage), and the run succeeds with every Deployment on the new image.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { report, startKillRig, until, webhookPolicy, type KillRig } from './support.js';

const OLD = 'ronaldraygun/zai-proxy:1.2.0';
const NEW = 'ronaldraygun/zai-proxy:1.2.1';
const STAGES = ['k-staging', 'k-iad', 'k-fra'] as const;

interface RunRow {
  state: string;
  stages: { name: string; state: string; promotionId?: string; startedAt?: string; endedAt?: string; startsAt?: string }[];
}

describe('kill -9 during a pipeline soak', () => {
  let rig: KillRig;

  beforeAll(async () => {
    rig = await startKillRig('kill9-pipeline');
    for (const ns of STAGES) rig.kube.addDeployment({ namespace: ns, name: 'zai-proxy', containers: [{ name: 'proxy', image: OLD }], replicas: 2 });
  }, 60_000);

  afterAll(() => rig?.close());

  const readRun = async (id: string): Promise<RunRow> => {
    const row = await rig.database.handle.db.selectFrom('pipeline_runs').select(['state', 'stages']).where('id', '=', id).executeTakeFirstOrThrow();
    return row as RunRow;
  };

  it('the restarted process resumes the soak, starts each stage once, and the run succeeds', async () => {
    const first = await rig.start();
    const put = (url: string, body: unknown) => fetch(`${first.url}${url}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await put('/v1/policies/quick', webhookPolicy(rig.webhook.url))).status).toBe(201);
    const pipeline = await put('/v1/pipelines/zai-proxy', {
      stages: STAGES.map((namespace, index) => ({
        name: namespace.replace('k-', ''),
        target: { namespace, deployment: 'zai-proxy', container: 'proxy' },
        policy: 'quick',
        ...(index > 0 ? { soak: '4s' } : {}),
      })),
    });
    expect(pipeline.status, await pipeline.text()).toBe(201);
    const created = await fetch(`${first.url}/v1/pipelines/zai-proxy/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ image: NEW, reason: 'kill -9 during the soak' }) });
    expect(created.status, await created.clone().text()).toBe(201);
    const { id } = (await created.json()) as { id: string };

    // Kill it while the second stage soaks.
    await until(async () => (await readRun(id)).stages[1]?.state === 'soaking', 'the second stage to soak', 60_000);
    const atKill = await readRun(id);
    await first.stop('SIGKILL');
    const killedAt = Date.now();
    expect(atKill.stages.map((s) => s.state)).toEqual(['succeeded', 'soaking', 'waiting']);
    expect(rig.kube.getDeployment('k-staging', 'zai-proxy')?.spec.template.spec.containers[0]?.image).toBe(NEW);
    expect(rig.kube.getDeployment('k-iad', 'zai-proxy')?.spec.template.spec.containers[0]?.image).toBe(OLD);

    const second = await rig.start();
    await until(async () => ['succeeded', 'failed', 'aborted'].includes((await readRun(id)).state), 'the run to end', 90_000, 200);
    const done = await readRun(id);
    expect(done.state, `${JSON.stringify(done, null, 1)}\n${second.output().slice(-3000)}`).toBe('succeeded');
    expect(done.stages.map((s) => s.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    // The soak held across the kill: the second stage started no earlier than 4 s after the first's success.
    const [staging, iad] = done.stages;
    expect(Date.parse(iad?.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(staging?.endedAt ?? '') + 4_000);
    expect(iad?.startsAt).toBe(atKill.stages[1]?.startsAt);
    // One promotion per stage, in all: none made twice.
    for (const namespace of STAGES) {
      const promotions = await rig.database.handle.db.selectFrom('promotions').select(['id', 'state']).where('namespace', '=', namespace).execute();
      expect(promotions, namespace).toHaveLength(1);
      expect(promotions[0]?.state).toBe('succeeded');
      expect(rig.kube.getDeployment(namespace, 'zai-proxy')?.spec.template.spec.containers[0]?.image).toBe(NEW);
    }
    expect(done.stages.map((s) => s.promotionId)).toEqual(
      await Promise.all(STAGES.map(async (ns) => (await rig.database.handle.db.selectFrom('promotions').select('id').where('namespace', '=', ns).executeTakeFirstOrThrow()).id)),
    );
    report('kill9/pipeline-soak', { stagesAtKill: atKill.stages.map((s) => s.state), endedAfterKillMs: Date.now() - killedAt, state: done.state });
  }, 180_000);
});
