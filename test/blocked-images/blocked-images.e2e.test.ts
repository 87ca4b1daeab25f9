/**
 * Blocked images in the engine, end to end: the real API, PostgreSQL (PGlite with PROMOTER_TEST_ENGINE=pglite),
 * real Prometheus scraping an exporter the test controls, and the fake Kubernetes API through client-node.
 * A policy with `blockOnRollback` blocks the image a failed check rolled back, in the same statement as the
 * rollback's start; a later promotion of it is refused (409, or `rejected` by the engine when the image comes
 * from the canary); a block added while a promotion waits for approval rejects it before the patch; a block
 * never stops a rollback.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeKube } from '@promoter/fake-kube';
import type { PromotionEngine } from '../../services/promoter/src/engine/promotion-engine.js';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { startEngine, waitForState, fakeKubeClient } from '../fixtures/engine.js';
import type { Exporter } from '../fixtures/exporter.js';
import { ERROR_RATIO_QUERY, PRODUCTION_IMAGE, startRunbookStack, type RunbookStack } from '../fixtures/runbook-stack.js';
import { startTestService, type TestService } from '../fixtures/service.js';

const PROMOTED_IMAGE = 'registry.example/web:1.1.0';
const POLICY = {
  interval: '1s',
  bake: '3s',
  rolloutTimeout: '5s',
  checks: [{ name: 'error-rate', phases: ['pre', 'rollout', 'post'], query: ERROR_RATIO_QUERY, max: 0.05 }],
};

describe('blocked images in the engine', () => {
  let stack: RunbookStack;
  let exporter: Exporter;
  let kube: FakeKube;
  let svc: TestService;
  let engine: PromotionEngine;

  beforeAll(async () => {
    stack = await startRunbookStack({ namespaces: ['blocking', 'plain', 'late', 'retry'] });
    ({ exporter, kube } = stack);
    const prometheus = stack.prometheusClient();
    svc = await startTestService({ prometheus, kube: fakeKubeClient(kube) });
    for (const [name, policy] of [
      ['blocking', { ...POLICY, blockOnRollback: true }],
      ['plain', POLICY],
      ['approved', { ...POLICY, approval: 'required' }],
    ] as const) {
      const stored = await svc.app.inject({ method: 'PUT', url: `/v1/policies/${name}`, payload: policy });
      expect(stored.statusCode, stored.body).toBe(201);
    }
    engine = startEngine(svc, kube, prometheus);
  }, 90_000);

  afterAll(async () => {
    await engine?.stop();
    await svc?.close();
    await stack?.close();
  });

  const post = (url: string, payload: Record<string, unknown>) => svc.app.inject({ method: 'POST', url, payload });
  const fromCanary = (namespace: string, policy: string) => ({
    target: { namespace, deployment: 'web', container: 'app' },
    source: { deployment: 'web-canary', tagSuffixToStrip: '-canary' },
    policy,
    reason: `blocked-images e2e ${namespace}`,
  });
  const promote = async (payload: Record<string, unknown>) => {
    const response = await post('/v1/promotions', payload);
    expect(response.statusCode, response.body).toBe(201);
    return response.json().id as string;
  };
  const blocksOf = async (image: string, namespace: string) => {
    const response = await svc.app.inject({ method: 'GET', url: `/v1/blocked-images?image=${encodeURIComponent(image)}&namespace=${namespace}` });
    assertMatchesSpec('listBlockedImages', response);
    return response.json().items as Array<Record<string, unknown> & { id: string }>;
  };
  const patches = (namespace: string) => kube.requests.filter((r) => r.method === 'PATCH' && r.path === `/apis/apps/v1/namespaces/${namespace}/deployments/web`);
  const image = (namespace: string) => kube.getDeployment(namespace, 'web')?.spec.template.spec.containers[0]?.image;

  /** Promotes the canary with `policy`, then fails the post-rollout check: the promotion ends rolled back. */
  const rollBackOnFailedCheck = async (namespace: string, policy: string) => {
    const id = await promote(fromCanary(namespace, policy));
    await waitForState(svc, id, ['verifying']);
    exporter.set('app_error_ratio', { namespace, variant: 'production' }, 0.3);
    const done = await waitForState(svc, id, ['rolled_back', 'succeeded', 'failed']);
    exporter.set('app_error_ratio', { namespace, variant: 'production' }, 0.01);
    expect(done.state, String(done.stateReason)).toBe('rolled_back');
    return { id, done };
  };

  it('blockOnRollback: a failed check rolls back (even to a blocked image) and blocks the image; promoting it again is refused', async () => {
    // A block never stops a rollback: the image rolled back to is blocked here, and is restored all the same.
    const previous = await post('/v1/blocked-images', { image: PRODUCTION_IMAGE, reason: 'old, but the way back', namespace: 'blocking' });
    expect(previous.statusCode).toBe(201);

    const { id, done } = await rollBackOnFailedCheck('blocking', 'blocking');
    expect(image('blocking')).toBe(PRODUCTION_IMAGE);
    expect(patches('blocking')).toHaveLength(2);

    const [block, ...others] = await blocksOf(PROMOTED_IMAGE, 'blocking');
    expect(others).toEqual([]);
    expect(block).toMatchObject({ image: PROMOTED_IMAGE, namespace: 'blocking', source: 'rollback', promotionId: id, createdBy: 'engine', state: 'active' });
    expect(block?.reason).toContain(`rolled back by promotion ${id}: post-rollout check failed: error-rate failed`);
    const events = done.events as { type: string; reason: string | null }[];
    expect(events.some((e) => e.type === 'note' && e.reason?.startsWith(`blocked ${PROMOTED_IMAGE} in namespace blocking`))).toBe(true);
    // Exactly one block for the promotion, however the step ran.
    const rows = await sql<{ n: number }>`SELECT count(*)::int AS n FROM blocked_images WHERE promotion_id = ${id}`.execute(svc.database.handle.db);
    expect(rows.rows[0]?.n).toBe(1);

    // The same image again, given: 409 naming the block, nothing stored.
    const again = await post('/v1/promotions', { ...fromCanary('blocking', 'blocking'), source: undefined, image: PROMOTED_IMAGE });
    assertMatchesSpec('createPromotion', again);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'image-blocked', block: { id: block?.id, source: 'rollback' } });

    // The same image again, from the canary: the engine reads it, and rejects the promotion before any patch.
    const fromSource = await promote(fromCanary('blocking', 'blocking'));
    const rejected = await waitForState(svc, fromSource, ['rejected', 'succeeded', 'failed', 'rolled_back']);
    expect(rejected.state).toBe('rejected');
    expect(rejected.stateReason).toContain(`block ${block?.id}`);
    expect(rejected.stateReason).toContain('nothing was patched');
    expect(patches('blocking')).toHaveLength(2);
    expect(image('blocking')).toBe(PRODUCTION_IMAGE);

    // A dry run says so too: the gate passed, the image is blocked.
    const dry = await promote({ ...fromCanary('blocking', 'blocking'), dryRun: true });
    const dryDone = await waitForState(svc, dry, ['rejected', 'succeeded', 'failed']);
    expect(dryDone).toMatchObject({ state: 'rejected', verdict: 'pass', resolvedImage: PROMOTED_IMAGE });
    expect(dryDone.stateReason).toMatch(new RegExp(`^dry run: the gate passed .*, but ${PROMOTED_IMAGE.replaceAll('.', '\\.')} is blocked in namespace blocking \\(block ${block?.id}`));
  }, 60_000);

  it('without blockOnRollback the same rollback blocks nothing', async () => {
    await rollBackOnFailedCheck('plain', 'plain');
    expect(await blocksOf(PROMOTED_IMAGE, 'plain')).toEqual([]);
  }, 60_000);

  it('a block added while the promotion waits for approval rejects it once approved, before any patch', async () => {
    const id = await promote(fromCanary('late', 'approved'));
    await waitForState(svc, id, ['awaiting_approval']);
    const added = await post('/v1/blocked-images', { image: PROMOTED_IMAGE, reason: 'found a leak meanwhile', namespace: 'late' });
    expect(added.statusCode).toBe(201);
    expect((await post(`/v1/promotions/${id}/approve`, { reason: 'looked fine' })).statusCode).toBe(200);
    const done = await waitForState(svc, id, ['rejected', 'succeeded', 'failed', 'rolled_back']);
    expect(done.state).toBe('rejected');
    expect(done.stateReason).toContain(`block ${added.json().id}`);
    expect(done.stateReason).toContain('found a leak meanwhile');
    expect(patches('late')).toHaveLength(0);
    expect(image('late')).toBe(PRODUCTION_IMAGE);
  }, 60_000);

  it('a block added while the patch is being retried rejects the promotion at the next attempt, before any patch goes through', async () => {
    // The patch fails with 503 (every attempt of the client's retries): the engine waits and tries again.
    kube.failNext({ method: 'PATCH', path: '/apis/apps/v1/namespaces/retry/deployments/web', status: 503, times: Infinity });
    const id = await promote(fromCanary('retry', 'plain'));
    const deadline = Date.now() + 30_000;
    while (!(await svc.app.inject({ method: 'GET', url: `/v1/promotions/${id}/events` })).json().items.some((e: { type: string }) => e.type === 'retry')) {
      if (Date.now() > deadline) throw new Error('the engine never retried the patch');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const added = await post('/v1/blocked-images', { image: PROMOTED_IMAGE, reason: 'blocked during the retries', namespace: 'retry' });
    expect(added.statusCode).toBe(201);
    kube.clearFaults();
    const done = await waitForState(svc, id, ['rejected', 'succeeded', 'failed', 'rolled_back']);
    expect(done.state, String(done.stateReason)).toBe('rejected');
    expect(done.stateReason).toContain(`block ${added.json().id}`);
    expect(patches('retry').filter((r) => r.fault === undefined)).toEqual([]);
    expect(image('retry')).toBe(PRODUCTION_IMAGE);
  }, 60_000);
});
