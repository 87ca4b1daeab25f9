/**
 * Approvals that mean something, end to end: real HTTP API with API tokens (each token is its own identity),
 * a real database (PostgreSQL, or PGlite: approvals.e2e.test.ts and approvals.pglite.e2e.test.ts run this
 * body), the engine, real Prometheus and the fake Kubernetes API. A policy asking for two approvals is not
 * satisfied by the requester, waits after one, and promotes after a second distinct approver; the record
 * lists both with their reasons, and events carry who did what.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PromotionEngine } from '../../services/promoter/src/engine/promotion-engine.js';
import type { PipelineRunner } from '../../services/promoter/src/engine/pipeline-runner.js';
import { createPipelineRunner } from '../../services/promoter/src/service.js';
import type { FakeKube } from '@promoter/fake-kube';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { startEngine, fakeKubeClient } from '../fixtures/engine.js';
import { ERROR_RATIO_QUERY, startRunbookStack, type RunbookStack } from '../fixtures/runbook-stack.js';
import type { TestEngine } from '../fixtures/database.js';
import { startTestService, type TestService } from '../fixtures/service.js';
import { startJwtIssuer, type JwtIssuer } from '../fixtures/jwt-issuer.js';
import { parseIdentityConfig } from '../../services/promoter/src/adapters/identity/identity-config.js';

// The gate is not what this suite tests: a slow query on a busy machine is retried rather than deciding the gate.
const CHECKS = [{ name: 'error-rate', phases: ['pre', 'rollout', 'post'], query: ERROR_RATIO_QUERY, max: 0.05, timeout: '20s', consecutiveErrorLimit: 5 }];
const POLICY = { interval: '1s', bake: '1s', rolloutTimeout: '3s', checks: CHECKS };

const TOKENS = {
  alice: { name: 'alice', role: 'operator', namespaces: undefined, secret: 'alice-secret-0123456789' },
  bob: { name: 'bob', role: 'operator', namespaces: undefined, secret: 'bob-secret-0123456789ab' },
  carol: { name: 'carol', role: 'admin', namespaces: undefined, secret: 'carol-secret-0123456789' },
} as const;
type Who = keyof typeof TOKENS;

interface Detail {
  state: string;
  stateReason: string | null;
  actor: string;
  actorIdentity: { kind: string; key: string; subject: string; displayName: string } | null;
  approval: { required: number; remaining: number; approvers: string; approvals: { actor: string; actorIdentity: { key: string }; reason: string; role: string; at: string }[] } | null;
  events: { type: string; actor: string; actorIdentity: { kind: string; key: string; displayName: string } | null; reason: string | null; to: string | null }[];
}

export function approvalsEndToEnd(databaseEngine: TestEngine): void {
  describe(`approvals end to end on ${databaseEngine}`, { timeout: 120_000 }, () => {
    let stack: RunbookStack;
    let kube: FakeKube;
    let svc: TestService;
    let engine: PromotionEngine;
    let issuer: JwtIssuer;
    let runner: PipelineRunner;

    const call = (who: Who, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
      svc.app.inject({ method, url, headers: { authorization: `Bearer ${TOKENS[who].secret}` }, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });

    const detail = async (id: string): Promise<Detail> => (await call('carol', 'GET', `/v1/promotions/${id}`)).json();

    const atTheGate = async (id: string) => {
      const waiting = await waitFor(id, ['awaiting_approval', 'rejected', 'failed']);
      expect(waiting.state, String(waiting.stateReason)).toBe('awaiting_approval');
    };

    const waitFor = async (id: string, states: readonly string[]): Promise<Detail> => {
      const deadline = Date.now() + 45_000;
      let last: Detail | undefined;
      while (Date.now() < deadline) {
        last = await detail(id);
        if (states.includes(last.state)) return last;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`promotion ${id} did not reach ${states.join('|')}; last: ${JSON.stringify(last)?.slice(0, 2000)}`);
    };

    const promote = async (who: Who, namespace: string, policy: string): Promise<string> => {
      const response = await call(who, 'POST', '/v1/promotions', {
        target: { namespace, deployment: 'web', container: 'app' },
        source: { deployment: 'web-canary', tagSuffixToStrip: '-canary' },
        policy,
        reason: `e2e ${namespace}`,
      });
      expect(response.statusCode, response.body).toBe(201);
      return response.json().id as string;
    };
    const image = (namespace: string) => kube.getDeployment(namespace, 'web')?.spec.template.spec.containers[0]?.image;

    beforeAll(async () => {
      stack = await startRunbookStack({ namespaces: ['two', 'admins', 'race', 'groups', 'staged'], errorRatio: () => 0.01 });
      issuer = await startJwtIssuer();
      const identity = parseIdentityConfig(
        `workloads:\n  - issuer: ${issuer.url}\n    audience: promoter\n    rules:\n      - { claims: { groups: [release-managers, dev] }, role: operator }\n`,
        'identity.yaml',
      );
      kube = stack.kube;
      const promClient = stack.prometheusClient();
      svc = await startTestService({
        prometheus: promClient,
        kube: fakeKubeClient(kube),
        engine: databaseEngine,
        apiTokens: Object.values(TOKENS),
        identity,
      });
      for (const [name, approval] of [
        ['two-people', { required: 2 }],
        ['admins-only', { required: 1, from: { roles: ['admin'] } }],
        ['release-managers', { required: 2, from: { groups: ['release-managers'] } }],
      ] as const) {
        const put = await call('carol', 'PUT', `/v1/policies/${name}`, { ...POLICY, approval });
        expect(put.statusCode, put.body).toBe(201);
      }
      engine = startEngine(svc, kube, promClient);
      runner = createPipelineRunner({ db: svc.database.handle.db, log: svc.app.log, pollMs: 100, stagePollMs: 200 });
      runner.start();
      const pipeline = await call('carol', 'PUT', '/v1/pipelines/staged', {
        stages: [{ name: 'prod', target: { namespace: 'staged', deployment: 'web', container: 'app' }, policy: 'two-people', approval: 'required' }],
      });
      expect(pipeline.statusCode, pipeline.body).toBe(201);
    }, 90_000);

    afterAll(async () => {
      await runner?.stop();
      await engine?.stop();
      await svc?.close();
      await stack?.close();
      await issuer?.close();
    });

    it('two-person approval: the requester is refused (403), one approval leaves it waiting, a second distinct approver makes it promote; the record lists both with reasons', async () => {
      const id = await promote('alice', 'two', 'two-people');
      await atTheGate(id);

      const own = await call('alice', 'POST', `/v1/promotions/${id}/approve`, { reason: 'my own change looks fine' });
      assertMatchesSpec('approvePromotion', own);
      expect(own.statusCode).toBe(403);
      expect(own.headers['content-type']).toContain('application/problem+json');
      expect(own.json()).toMatchObject({ type: 'urn:promoter:problem:self-approval', status: 403 });

      const noReason = await call('bob', 'POST', `/v1/promotions/${id}/approve`, { reason: '   ' });
      expect(noReason.statusCode).toBe(422);
      expect(noReason.json().errors).toEqual([{ pointer: '/body/reason', detail: expect.stringContaining('reason') }]);

      const first = await call('bob', 'POST', `/v1/promotions/${id}/approve`, { reason: 'dashboards are green' });
      assertMatchesSpec('approvePromotion', first);
      expect(first.statusCode, first.body).toBe(200);
      const again = await call('bob', 'POST', `/v1/promotions/${id}/approve`, { reason: 'really sure' });
      expect(again.statusCode).toBe(409);
      expect(again.json().type).toBe('urn:promoter:problem:already-approved');

      // One of two: it still waits, well past the engine's approval poll, and production is untouched.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      const waiting = await detail(id);
      expect(waiting.state).toBe('awaiting_approval');
      expect(waiting.approval).toMatchObject({ required: 2, remaining: 1, approvers: 'anyone but the requester' });
      expect(image('two')).toBe('registry.example/web:1.0.0');

      const second = await call('carol', 'POST', `/v1/promotions/${id}/approve`, { reason: 'release notes checked' });
      expect(second.statusCode, second.body).toBe(200);
      const done = await waitFor(id, ['succeeded', 'failed', 'rolled_back']);
      expect(done.state, String(done.stateReason)).toBe('succeeded');
      expect(image('two')).toBe('registry.example/web:1.1.0');

      const response = await call('carol', 'GET', `/v1/promotions/${id}`);
      assertMatchesSpec('getPromotion', response);
      expect(done.approval?.remaining).toBe(0);
      expect(done.approval?.approvals.map((a) => [a.actor, a.actorIdentity.key, a.role, a.reason])).toEqual([
        ['bob', 'token:bob', 'operator', 'dashboards are green'],
        ['carol', 'token:carol', 'admin', 'release notes checked'],
      ]);
      expect(done.actorIdentity).toEqual({ kind: 'token', key: 'token:alice', subject: 'alice', displayName: 'alice' });
    });

    it('events carry actorIdentity: the creator on created, each approver on approval, none on the engine’s own', async () => {
      const listed = await call('carol', 'GET', '/v1/promotions?namespace=two');
      const id = listed.json().items[0].id as string;
      const response = await call('carol', 'GET', `/v1/promotions/${id}/events`);
      assertMatchesSpec('listPromotionEvents', response);
      const events = response.json().items as Detail['events'];
      const created = events.find((e) => e.type === 'created');
      expect(created).toMatchObject({ actor: 'alice', actorIdentity: { kind: 'token', key: 'token:alice', displayName: 'alice' } });
      expect(events.filter((e) => e.type === 'approval').map((e) => [e.actor, e.actorIdentity?.key, e.reason])).toEqual([
        ['bob', 'token:bob', 'dashboards are green'],
        ['carol', 'token:carol', 'release notes checked'],
      ]);
      const engineEvents = events.filter((e) => e.type === 'transition');
      expect(engineEvents.length).toBeGreaterThan(0);
      expect(engineEvents.every((e) => e.actor === 'engine' && e.actorIdentity === null)).toBe(true);
    });

    it('roles-restricted approval: an operator is refused with a 403 naming who may approve, an admin approves', async () => {
      const id = await promote('alice', 'admins', 'admins-only');
      await atTheGate(id);
      const operator = await call('bob', 'POST', `/v1/promotions/${id}/approve`, { reason: 'fine by me' });
      assertMatchesSpec('approvePromotion', operator);
      expect(operator.statusCode).toBe(403);
      expect(operator.json()).toMatchObject({ type: 'urn:promoter:problem:approver-not-eligible', detail: expect.stringContaining('an admin') });
      const waiting = await detail(id);
      expect(waiting.approval).toMatchObject({ required: 1, remaining: 1, approvals: [] });
      const admin = await call('carol', 'POST', `/v1/promotions/${id}/approve`, { reason: 'admin sign-off' });
      expect(admin.statusCode, admin.body).toBe(200);
      const done = await waitFor(id, ['succeeded', 'failed', 'rolled_back']);
      expect(done.state, String(done.stateReason)).toBe('succeeded');
    });

    it('group-restricted approval with identities from an issuer: the requester is refused though in the group, another group and a token without groups are refused, two release managers make it promote', async () => {
      const person = (sub: string, groups: string[]) => issuer.sign({ sub, name: sub, groups });
      const asJwt = async (jwt: Promise<string>, method: 'GET' | 'POST', url: string, payload?: unknown) =>
        svc.app.inject({ method, url, headers: { authorization: `Bearer ${await jwt}` }, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
      const created = await asJwt(person('rita', ['release-managers']), 'POST', '/v1/promotions', {
        target: { namespace: 'groups', deployment: 'web', container: 'app' },
        source: { deployment: 'web-canary', tagSuffixToStrip: '-canary' },
        policy: 'release-managers',
        reason: 'e2e groups',
      });
      expect(created.statusCode, created.body).toBe(201);
      const id = created.json().id as string;
      await atTheGate(id);

      const own = await asJwt(person('rita', ['release-managers']), 'POST', `/v1/promotions/${id}/approve`, { reason: 'mine' });
      expect(own.statusCode).toBe(403);
      expect(own.json().type).toBe('urn:promoter:problem:self-approval');
      const dev = await asJwt(person('devon', ['dev']), 'POST', `/v1/promotions/${id}/approve`, { reason: 'looks fine' });
      expect(dev.statusCode).toBe(403);
      expect(dev.json()).toMatchObject({ type: 'urn:promoter:problem:approver-not-eligible', detail: expect.stringContaining('release-managers') });
      const admin = await call('carol', 'POST', `/v1/promotions/${id}/approve`, { reason: 'admin, but no group' });
      expect(admin.statusCode).toBe(403);

      expect((await asJwt(person('mia', ['release-managers']), 'POST', `/v1/promotions/${id}/approve`, { reason: 'canary dashboards green' })).statusCode).toBe(200);
      expect((await detail(id)).state).toBe('awaiting_approval');
      expect((await asJwt(person('noah', ['dev', 'release-managers']), 'POST', `/v1/promotions/${id}/approve`, { reason: 'change ticket approved' })).statusCode).toBe(200);
      const done = await waitFor(id, ['succeeded', 'failed', 'rolled_back']);
      expect(done.state, String(done.stateReason)).toBe('succeeded');
      expect(done.actorIdentity).toEqual({ kind: 'workload', key: `${issuer.url}#rita`, subject: 'rita', issuer: issuer.url, displayName: 'rita' });
      expect(done.approval?.approvals.map((a) => [a.actor, a.actorIdentity.key, a.reason])).toEqual([
        ['mia', `${issuer.url}#mia`, 'canary dashboards green'],
        ['noah', `${issuer.url}#noah`, 'change ticket approved'],
      ]);
    });

    it("a pipeline stage's promotion is the run starter's: the person who started the run cannot approve the stage", async () => {
      const started = await call('alice', 'POST', '/v1/pipelines/staged/runs', { image: 'registry.example/web:1.1.0', reason: 'staged release' });
      expect(started.statusCode, started.body).toBe(201);
      const runId = started.json().id as string;
      let promotionId: string | undefined;
      const deadline = Date.now() + 45_000;
      while (promotionId === undefined && Date.now() < deadline) {
        promotionId = (await call('carol', 'GET', `/v1/pipelines/staged/runs/${runId}`)).json().stages[0]?.promotionId;
        if (promotionId === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(promotionId, 'the stage started').toBeDefined();
      const id = promotionId as string;
      await atTheGate(id);
      expect((await detail(id)).actorIdentity).toEqual({ kind: 'token', key: 'token:alice', subject: 'alice', displayName: 'alice' });
      const own = await call('alice', 'POST', `/v1/promotions/${id}/approve`, { reason: 'my run' });
      expect(own.statusCode).toBe(403);
      expect(own.json().type).toBe('urn:promoter:problem:self-approval');
      expect((await call('bob', 'POST', `/v1/promotions/${id}/approve`, { reason: 'bob checked' })).statusCode).toBe(200);
      expect((await call('carol', 'POST', `/v1/promotions/${id}/approve`, { reason: 'carol checked' })).statusCode).toBe(200);
      expect((await waitFor(id, ['succeeded', 'failed', 'rolled_back'])).state).toBe('succeeded');
    });

    it('two concurrent approvals by two people with N=2 both count, exactly once each, and the promotion proceeds', async () => {
      const id = await promote('carol', 'race', 'two-people');
      await atTheGate(id);
      const [a, b] = await Promise.all([
        call('alice', 'POST', `/v1/promotions/${id}/approve`, { reason: 'alice agrees' }),
        call('bob', 'POST', `/v1/promotions/${id}/approve`, { reason: 'bob agrees' }),
      ]);
      expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
      const done = await waitFor(id, ['succeeded', 'failed', 'rolled_back']);
      expect(done.state, String(done.stateReason)).toBe('succeeded');
      expect(done.approval?.approvals.map((x) => x.actor).sort()).toEqual(['alice', 'bob']);
      const approvalEvents = done.events.filter((e) => e.type === 'approval');
      expect(approvalEvents).toHaveLength(2);
      // The engine left the gate once: one transition out of awaiting_approval.
      expect(done.events.filter((e) => e.type === 'transition' && e.to === 'promoting')).toHaveLength(1);
    });

    it('GET /v1/me names the caller’s identity (for the console to hide the approve button)', async () => {
      const me = await call('bob', 'GET', '/v1/me');
      assertMatchesSpec('getCurrentPrincipal', me);
      expect(me.json().identity).toEqual({ kind: 'token', key: 'token:bob', subject: 'bob', displayName: 'bob', groups: [] });
    });
  });
}
