/**
 * The scope rule, operation by operation: every operation of the contract has an entry below (a new
 * operation fails the first test until it gets one), and each entry shows what namespace-scoped tokens
 * (an admin, an operator and a viewer of `mcp`) can see and do with another namespace's (`other`) data:
 * nothing, and without learning that it exists (404 as for a record that does not exist, filtered lists).
 * Issue 14: before, a scoped admin minted unscoped admin tokens and changed global policies, and scoped
 * tokens read other namespaces' promotions, records, events and streams.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listOperations } from '../../services/promoter/src/contract/openapi.js';
import { assertMatchesSpec, openApiDocument } from '../fixtures/contract.js';
import { samplePolicy, samplePromotion, startTestService, type TestService } from '../fixtures/service.js';

const SECRETS = {
  root: 'root-admin-secret-0123456789',
  mcpAdmin: 'mcp-admin-secret-0123456789',
  mcpOperator: 'mcp-operator-secret-012345',
  mcpViewer: 'mcp-viewer-secret-01234567',
};

type Who = keyof typeof SECRETS;
type Rule = (ctx: Context) => Promise<void>;

interface Context {
  readonly call: (who: Who, method: string, url: string, payload?: unknown, headers?: Record<string, string>) => Promise<LightMyRequestResponse>;
  readonly other: { promotion: string; evaluation: string; run: string };
  readonly mine: { promotion: string };
}

const target = (namespace: string, deployment = 'api') => ({ namespace, deployment, container: 'app' });

/** Asserts the answer for another namespace's record is the one a missing record gets. */
async function expectSameAsMissing(ctx: Context, who: Who, method: string, hidden: string, missing: string, operationId: string, payload?: unknown) {
  const a = await ctx.call(who, method, hidden, payload);
  const b = await ctx.call(who, method, missing, payload);
  assertMatchesSpec(operationId, a);
  expect(a.statusCode, `${method} ${hidden}`).toBe(404);
  expect(b.statusCode).toBe(404);
  // The same answer word for word, but for the name the caller itself sent.
  const generic = (response: LightMyRequestResponse, url: string) =>
    url.split('/').reduce((detail: string, segment) => (segment.length > 2 ? detail.replaceAll(segment, '*') : detail), response.json().detail);
  expect({ ...a.json(), detail: generic(a, hidden), instance: '' }).toEqual({ ...b.json(), detail: generic(b, missing), instance: '' });
}

const MISSING_ID = '00000000-0000-4000-8000-000000000000';

/** A pipeline of [stage, namespace, policy] stages, in order. */
const pipelineOf = (stages: ReadonlyArray<readonly [string, string, string]>) => ({ stages: stages.map(([name, namespace, policy]) => ({ name, target: target(namespace), policy })) });
/** A freeze over the given namespaces (all when none), far in the future so that it holds nothing here. */
const sampleFreeze = (namespaces?: string[]) => ({
  window: { start: '2999-01-01T00:00:00Z', end: '2999-01-02T00:00:00Z' },
  scope: namespaces ? { namespaces } : {},
  reason: 'scope test',
});

const RULES: Record<string, Rule> = {
  getHealth: async (ctx) => expect((await ctx.call('mcpViewer', 'GET', '/healthz')).statusCode).toBe(200),
  getReadiness: async (ctx) => expect((await ctx.call('mcpViewer', 'GET', '/readyz')).statusCode).toBe(200),
  getMetrics: async (ctx) => expect((await ctx.call('mcpViewer', 'GET', '/metrics')).statusCode).toBe(200),
  getOpenApi: async (ctx) => expect((await ctx.call('mcpViewer', 'GET', '/openapi.json')).statusCode).toBe(200),
  // Public: the console asks it before anyone is signed in; it names the provider, nothing namespaced.
  getSignInOptions: async (ctx) => expect((await ctx.call('mcpViewer', 'GET', '/v1/sign-in')).statusCode).toBe(200),
  getCurrentPrincipal: async (ctx) => {
    // A scoped token sees its own scope, and nothing of anyone else's.
    const me = await ctx.call('mcpViewer', 'GET', '/v1/me');
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ role: 'viewer', namespaces: ['mcp'], open: false });
  },

  createPromotion: async (ctx) => {
    const elsewhere = await ctx.call('mcpOperator', 'POST', '/v1/promotions', samplePromotion({ target: target('other', 'x') }));
    expect(elsewhere.statusCode).toBe(403);
    // A policy owned by another namespace is, to this token, a policy that does not exist.
    const foreign = await ctx.call('mcpOperator', 'POST', '/v1/promotions', samplePromotion({ target: target('mcp', 'y'), policy: 'other-only' }));
    const missing = await ctx.call('mcpOperator', 'POST', '/v1/promotions', samplePromotion({ target: target('mcp', 'y'), policy: 'no-such-policy' }));
    expect(foreign.statusCode).toBe(422);
    expect(foreign.json().errors[0].detail).toBe("no policy is named 'other-only'");
    expect(missing.json().errors[0].detail).toBe("no policy is named 'no-such-policy'");
    // Even an unscoped token cannot guard one namespace's promotion with another's policy.
    const misused = await ctx.call('root', 'POST', '/v1/promotions', samplePromotion({ target: target('mcp', 'y'), policy: 'other-only' }));
    expect(misused.statusCode).toBe(422);
    expect(misused.json().errors[0].detail).toContain("belongs to namespace 'other'");
  },
  listPromotions: async (ctx) => {
    const all = await ctx.call('mcpViewer', 'GET', '/v1/promotions');
    assertMatchesSpec('listPromotions', all);
    const namespaces = all.json().items.map((p: { target: { namespace: string } }) => p.target.namespace);
    expect(namespaces).toContain('mcp');
    expect(namespaces).not.toContain('other');
    const asked = await ctx.call('mcpViewer', 'GET', '/v1/promotions?namespace=other');
    expect(asked.statusCode).toBe(200);
    expect(asked.json()).toEqual({ items: [], nextCursor: null });
    expect((await ctx.call('root', 'GET', '/v1/promotions?namespace=other')).json().items).toHaveLength(1);
  },
  getPromotion: async (ctx) => {
    await expectSameAsMissing(ctx, 'mcpViewer', 'GET', `/v1/promotions/${ctx.other.promotion}`, `/v1/promotions/${MISSING_ID}`, 'getPromotion');
    expect((await ctx.call('mcpViewer', 'GET', `/v1/promotions/${ctx.mine.promotion}`)).statusCode).toBe(200);
  },
  listPromotionEvents: async (ctx) => {
    await expectSameAsMissing(ctx, 'mcpViewer', 'GET', `/v1/promotions/${ctx.other.promotion}/events`, `/v1/promotions/${MISSING_ID}/events`, 'listPromotionEvents');
    const stream = await ctx.call('mcpViewer', 'GET', `/v1/promotions/${ctx.other.promotion}/events`, undefined, { accept: 'text/event-stream' });
    expect(stream.statusCode).toBe(404);
    expect(stream.headers['content-type']).toContain('application/problem+json');
  },
  listEvents: async (ctx) => {
    // The feed of every promotion's events holds only the token's namespaces (streamed: test/api/event-feed.test.ts).
    const page = await ctx.call('mcpViewer', 'GET', '/v1/events');
    assertMatchesSpec('listEvents', page);
    const ids = page.json().items.map((item: { promotion: { id: string } }) => item.promotion.id);
    expect(ids).toContain(ctx.mine.promotion);
    expect(ids).not.toContain(ctx.other.promotion);
    const asked = await ctx.call('mcpViewer', 'GET', '/v1/events?namespace=other');
    expect(asked.statusCode).toBe(200);
    expect(asked.json().items).toEqual([]);
    const root = await ctx.call('root', 'GET', '/v1/events?namespace=other');
    expect(root.json().items.map((item: { promotion: { id: string } }) => item.promotion.id)).toContain(ctx.other.promotion);
  },
  approvePromotion: async (ctx) => {
    await expectSameAsMissing(ctx, 'mcpOperator', 'POST', `/v1/promotions/${ctx.other.promotion}/approve`, `/v1/promotions/${MISSING_ID}/approve`, 'approvePromotion', { reason: 'looks fine' });
  },
  abortPromotion: async (ctx) => {
    await expectSameAsMissing(ctx, 'mcpOperator', 'POST', `/v1/promotions/${ctx.other.promotion}/abort`, `/v1/promotions/${MISSING_ID}/abort`, 'abortPromotion', {});
  },
  rollbackPromotion: async (ctx) => {
    await expectSameAsMissing(ctx, 'mcpOperator', 'POST', `/v1/promotions/${ctx.other.promotion}/rollback`, `/v1/promotions/${MISSING_ID}/rollback`, 'rollbackPromotion', {});
  },
  listPromotionNotifications: async (ctx) => {
    await expectSameAsMissing(ctx, 'mcpViewer', 'GET', `/v1/promotions/${ctx.other.promotion}/notifications`, `/v1/promotions/${MISSING_ID}/notifications`, 'listPromotionNotifications');
    expect((await ctx.call('mcpViewer', 'GET', `/v1/promotions/${ctx.mine.promotion}/notifications`)).statusCode).toBe(200);
  },
  retryNotification: async (ctx) => {
    // Admin only: an operator (even unscoped) is refused; an unknown delivery is a 404 for an admin.
    expect((await ctx.call('mcpOperator', 'POST', `/v1/notifications/${MISSING_ID}/retry`)).statusCode).toBe(403);
    expect((await ctx.call('root', 'POST', `/v1/notifications/${MISSING_ID}/retry`)).statusCode).toBe(404);
  },
  finalizePromotion: async (ctx) => {
    await expectSameAsMissing(ctx, 'mcpOperator', 'POST', `/v1/promotions/${ctx.other.promotion}/finalize`, `/v1/promotions/${MISSING_ID}/finalize`, 'finalizePromotion', {});
  },

  listPipelines: async (ctx) => {
    const names = (await ctx.call('mcpViewer', 'GET', '/v1/pipelines')).json().items.map((p: { name: string }) => p.name);
    // Only a pipeline whose every stage is in the token's namespaces: not another's, not one that reaches into another.
    expect(names).toEqual(['mcp-line']);
    expect((await ctx.call('root', 'GET', '/v1/pipelines')).json().items.map((p: { name: string }) => p.name)).toEqual(['mcp-line', 'mixed-line', 'other-line']);
  },
  getPipeline: async (ctx) => {
    await expectSameAsMissing(ctx, 'mcpViewer', 'GET', '/v1/pipelines/other-line', '/v1/pipelines/no-such-line', 'getPipeline');
    await expectSameAsMissing(ctx, 'mcpViewer', 'GET', '/v1/pipelines/mixed-line', '/v1/pipelines/no-such-line', 'getPipeline');
    expect((await ctx.call('mcpViewer', 'GET', '/v1/pipelines/mcp-line')).statusCode).toBe(200);
  },
  putPipeline: async (ctx) => {
    const reaching = await ctx.call('mcpAdmin', 'PUT', '/v1/pipelines/mcp-reach', pipelineOf([['a', 'mcp', 'default'], ['b', 'other', 'other-only']]));
    assertMatchesSpec('putPipeline', reaching);
    expect(reaching.statusCode).toBe(403);
    // A name another namespace's pipeline holds: forbidden, as a global policy is.
    expect((await ctx.call('mcpAdmin', 'PUT', '/v1/pipelines/other-line', pipelineOf([['a', 'mcp', 'default']]))).statusCode).toBe(403);
    expect((await ctx.call('mcpOperator', 'PUT', '/v1/pipelines/mcp-own', pipelineOf([['a', 'mcp', 'default']]))).statusCode).toBe(403);
    // A policy the token cannot see is answered as one that does not exist.
    const hidden = await ctx.call('mcpAdmin', 'PUT', '/v1/pipelines/mcp-own', pipelineOf([['a', 'mcp', 'other-only']]));
    expect(hidden.statusCode).toBe(422);
    expect(hidden.json().errors).toEqual([{ pointer: '/body/stages/0/policy', detail: "no policy is named 'other-only'" }]);
    const own = await ctx.call('mcpAdmin', 'PUT', '/v1/pipelines/mcp-own', pipelineOf([['a', 'mcp', 'default']]));
    expect(own.statusCode, own.body).toBe(201);
  },
  listPipelineRuns: async (ctx) => {
    await expectSameAsMissing(ctx, 'mcpViewer', 'GET', '/v1/pipelines/other-line/runs', '/v1/pipelines/no-such-line/runs', 'listPipelineRuns');
  },
  getPipelineRun: async (ctx) => {
    await expectSameAsMissing(ctx, 'mcpViewer', 'GET', `/v1/pipelines/other-line/runs/${ctx.other.run}`, `/v1/pipelines/no-such-line/runs/${ctx.other.run}`, 'getPipelineRun');
  },
  createPipelineRun: async (ctx) => {
    await expectSameAsMissing(ctx, 'mcpOperator', 'POST', '/v1/pipelines/other-line/runs', '/v1/pipelines/no-such-line/runs', 'createPipelineRun', { image: 'r.example/a:2' });
    expect((await ctx.call('mcpViewer', 'POST', '/v1/pipelines/mcp-line/runs', { image: 'r.example/a:2' })).statusCode).toBe(403);
    expect((await ctx.call('mcpOperator', 'POST', '/v1/pipelines/mcp-line/runs', { image: 'r.example/a:2' })).statusCode).toBe(201);
  },
  abortPipelineRun: async (ctx) => {
    await expectSameAsMissing(ctx, 'mcpOperator', 'POST', `/v1/pipelines/other-line/runs/${ctx.other.run}/abort`, `/v1/pipelines/no-such-line/runs/${ctx.other.run}/abort`, 'abortPipelineRun', { reason: 'not yours' });
  },

  listPolicies: async (ctx) => {
    const names = (await ctx.call('mcpViewer', 'GET', '/v1/policies')).json().items.map((p: { name: string }) => p.name);
    expect(names).toContain('default');
    expect(names).not.toContain('other-only');
    expect((await ctx.call('root', 'GET', '/v1/policies')).json().items.map((p: { name: string }) => p.name)).toContain('other-only');
  },
  getPolicy: async (ctx) => {
    await expectSameAsMissing(ctx, 'mcpViewer', 'GET', '/v1/policies/other-only', '/v1/policies/no-such-policy', 'getPolicy');
    expect((await ctx.call('mcpViewer', 'GET', '/v1/policies/default')).statusCode).toBe(200);
  },
  listPolicyVersions: async (ctx) => {
    await expectSameAsMissing(ctx, 'mcpViewer', 'GET', '/v1/policies/other-only/versions', '/v1/policies/no-such-policy/versions', 'listPolicyVersions');
  },
  putPolicy: async (ctx) => {
    // Global policies: unscoped admins only. Another namespace's: not this admin's.
    for (const [url, body] of [
      ['/v1/policies/default', samplePolicy({ description: 'taken over' })],
      ['/v1/policies/other-only', samplePolicy({ namespace: 'mcp' })],
      ['/v1/policies/fresh', samplePolicy({ namespace: 'other' })],
      ['/v1/policies/fresh-global', samplePolicy()],
    ] as const) {
      const response = await ctx.call('mcpAdmin', 'PUT', url, body);
      assertMatchesSpec('putPolicy', response);
      expect(response.statusCode, url).toBe(403);
    }
    const own = await ctx.call('mcpAdmin', 'PUT', '/v1/policies/mcp-only', samplePolicy({ namespace: 'mcp' }));
    expect(own.statusCode).toBe(201);
    expect(own.json().document.namespace).toBe('mcp');
    expect((await ctx.call('mcpAdmin', 'PUT', '/v1/policies/mcp-only', samplePolicy({ namespace: 'mcp', bake: '1m' }))).statusCode).toBe(200);
    expect((await ctx.call('mcpOperator', 'PUT', '/v1/policies/mcp-only', samplePolicy({ namespace: 'mcp' }))).statusCode).toBe(403);
    expect((await ctx.call('root', 'GET', '/v1/policies/default')).json().document.description).toBeUndefined();
  },
  deletePolicy: async (ctx) => {
    expect((await ctx.call('mcpAdmin', 'DELETE', '/v1/policies/default')).statusCode).toBe(403);
    await expectSameAsMissing(ctx, 'mcpAdmin', 'DELETE', '/v1/policies/other-only', '/v1/policies/no-such-policy', 'deletePolicy');
    expect((await ctx.call('root', 'GET', '/v1/policies/other-only')).statusCode).toBe(200);
    await ctx.call('mcpAdmin', 'PUT', '/v1/policies/mcp-temporary', samplePolicy({ namespace: 'mcp' }));
    expect((await ctx.call('mcpAdmin', 'DELETE', '/v1/policies/mcp-temporary')).statusCode).toBe(204);
  },

  listFreezes: async (ctx) => {
    expect((await ctx.call('root', 'PUT', '/v1/freezes/other-freeze', sampleFreeze(['other']))).statusCode).toBeLessThan(300);
    expect((await ctx.call('root', 'PUT', '/v1/freezes/everywhere', sampleFreeze())).statusCode).toBeLessThan(300);
    const response = await ctx.call('mcpViewer', 'GET', '/v1/freezes');
    assertMatchesSpec('listFreezes', response);
    const names = response.json().items.map((f: { name: string }) => f.name);
    expect(names).toContain('everywhere'); // it can hold this token's promotions
    expect(names).not.toContain('other-freeze');
  },
  getFreeze: async (ctx) => {
    await ctx.call('root', 'PUT', '/v1/freezes/other-freeze', sampleFreeze(['other']));
    await expectSameAsMissing(ctx, 'mcpViewer', 'GET', '/v1/freezes/other-freeze', '/v1/freezes/no-such-freeze', 'getFreeze');
    expect((await ctx.call('mcpViewer', 'GET', '/v1/freezes/everywhere')).statusCode).toBe(200);
  },
  putFreeze: async (ctx) => {
    // Freezes over all namespaces: unscoped admins only. Another namespace's: not this admin's.
    await ctx.call('root', 'PUT', '/v1/freezes/other-freeze', sampleFreeze(['other']));
    for (const [url, body] of [
      ['/v1/freezes/everywhere', sampleFreeze(['mcp'])],
      ['/v1/freezes/other-freeze', sampleFreeze(['mcp'])],
      ['/v1/freezes/fresh', sampleFreeze(['other'])],
      ['/v1/freezes/fresh', sampleFreeze(['mcp', 'other'])],
      ['/v1/freezes/fresh-global', sampleFreeze()],
    ] as const) {
      const response = await ctx.call('mcpAdmin', 'PUT', url, body);
      assertMatchesSpec('putFreeze', response);
      expect(response.statusCode, `${url} ${JSON.stringify(body.scope)}`).toBe(403);
    }
    const own = await ctx.call('mcpAdmin', 'PUT', '/v1/freezes/mcp-freeze', sampleFreeze(['mcp']));
    assertMatchesSpec('putFreeze', own);
    expect(own.statusCode).toBe(201);
    expect((await ctx.call('mcpOperator', 'PUT', '/v1/freezes/mcp-freeze', sampleFreeze(['mcp']))).statusCode).toBe(403);
    expect((await ctx.call('root', 'GET', '/v1/freezes/other-freeze')).json().scope).toEqual({ namespaces: ['other'] });
  },
  deleteFreeze: async (ctx) => {
    await ctx.call('root', 'PUT', '/v1/freezes/everywhere', sampleFreeze());
    await ctx.call('root', 'PUT', '/v1/freezes/other-freeze', sampleFreeze(['other']));
    expect((await ctx.call('mcpAdmin', 'DELETE', '/v1/freezes/everywhere')).statusCode).toBe(403);
    await expectSameAsMissing(ctx, 'mcpAdmin', 'DELETE', '/v1/freezes/other-freeze', '/v1/freezes/no-such-freeze', 'deleteFreeze');
    expect((await ctx.call('root', 'GET', '/v1/freezes/other-freeze')).statusCode).toBe(200);
    await ctx.call('mcpAdmin', 'PUT', '/v1/freezes/mcp-temporary', sampleFreeze(['mcp']));
    expect((await ctx.call('mcpAdmin', 'DELETE', '/v1/freezes/mcp-temporary')).statusCode).toBe(204);
  },
  overrideFreeze: async (ctx) => {
    const body = { reason: 'hotfix' };
    await expectSameAsMissing(ctx, 'mcpAdmin', 'POST', `/v1/promotions/${ctx.other.promotion}/override-freeze`, `/v1/promotions/${MISSING_ID}/override-freeze`, 'overrideFreeze', body);
    expect((await ctx.call('mcpOperator', 'POST', `/v1/promotions/${ctx.mine.promotion}/override-freeze`, body)).statusCode).toBe(403);
    const own = await ctx.call('mcpAdmin', 'POST', `/v1/promotions/${ctx.mine.promotion}/override-freeze`, body);
    assertMatchesSpec('overrideFreeze', own);
    expect(own.statusCode).toBe(200);
    expect(own.json().freezeOverride).toMatchObject({ by: 'mcp-admin', reason: 'hotfix' });
  },

  createEvaluation: async (ctx) => {
    const elsewhere = await ctx.call('mcpOperator', 'POST', '/v1/evaluations', { target: target('other'), image: 'r.example/a:1', policy: 'default' });
    expect(elsewhere.statusCode).toBe(403);
    // Inline policies run arbitrary PromQL and webhooks with the service's credentials: admins only.
    const inline = await ctx.call('mcpOperator', 'POST', '/v1/evaluations', { target: target('mcp'), image: 'r.example/a:1', policy: samplePolicy() });
    assertMatchesSpec('createEvaluation', inline);
    expect(inline.statusCode).toBe(403);
    expect(inline.json().detail).toContain('inline policy needs admin');
    const foreign = await ctx.call('mcpOperator', 'POST', '/v1/evaluations', { target: target('mcp'), image: 'r.example/a:1', policy: 'other-only' });
    expect(foreign.statusCode).toBe(422);
    expect(foreign.json().errors[0].detail).toBe("no policy is named 'other-only'");
    expect((await ctx.call('mcpOperator', 'POST', '/v1/evaluations', { target: target('mcp'), image: 'r.example/a:1', policy: 'default' })).statusCode).toBe(201);
    expect((await ctx.call('mcpAdmin', 'POST', '/v1/evaluations', { target: target('mcp'), image: 'r.example/a:1', policy: samplePolicy() })).statusCode).toBe(201);
  },
  getEvaluation: async (ctx) => {
    await expectSameAsMissing(ctx, 'mcpViewer', 'GET', `/v1/evaluations/${ctx.other.evaluation}`, `/v1/evaluations/${MISSING_ID}`, 'getEvaluation');
  },

  listTokens: async (ctx) => {
    const names = (await ctx.call('mcpAdmin', 'GET', '/v1/tokens')).json().items.map((t: { name: string }) => t.name);
    expect(names).toEqual(expect.arrayContaining(['mcp-admin', 'mcp-operator', 'mcp-viewer']));
    expect(names).not.toContain('root');
    expect(names).not.toContain('other-bot');
  },
  createToken: async (ctx) => {
    for (const body of [
      { name: 'escalated', role: 'admin' }, // issue 14: this was an unscoped admin token
      { name: 'escalated-2', role: 'viewer' },
      { name: 'escalated-3', role: 'operator', namespaces: ['mcp', 'other'] },
    ]) {
      const response = await ctx.call('mcpAdmin', 'POST', '/v1/tokens', body);
      assertMatchesSpec('createToken', response);
      expect(response.statusCode, JSON.stringify(body)).toBe(403);
    }
    const within = await ctx.call('mcpAdmin', 'POST', '/v1/tokens', { name: 'mcp-deputy', role: 'admin', namespaces: ['mcp'] });
    expect(within.statusCode).toBe(201);
    expect(within.json().namespaces).toEqual(['mcp']);
    const deputy = await ctx.call('mcpAdmin', 'GET', '/v1/promotions', undefined, { authorization: `Bearer ${within.json().secret}` });
    expect(deputy.statusCode).toBe(200);
  },
  revokeToken: async (ctx) => {
    const response = await ctx.call('mcpAdmin', 'DELETE', '/v1/tokens/other-bot');
    assertMatchesSpec('revokeToken', response);
    expect(response.statusCode).toBe(404);
    expect((await ctx.call('mcpAdmin', 'DELETE', '/v1/tokens/no-such-token')).json().code).toBe(response.json().code);
    expect((await ctx.call('root', 'GET', '/v1/tokens')).json().items.map((t: { name: string }) => t.name)).toContain('other-bot');
    await ctx.call('mcpAdmin', 'POST', '/v1/tokens', { name: 'mcp-short-lived', role: 'viewer', namespaces: ['mcp'] });
    expect((await ctx.call('mcpAdmin', 'DELETE', '/v1/tokens/mcp-short-lived')).statusCode).toBe(204);
  },

  listBlockedImages: async (ctx) => {
    const other = await block(ctx, 'root', 'r.example/scope-list:1', 'other');
    const global = await block(ctx, 'root', 'r.example/scope-list:2');
    const listed = await ctx.call('mcpViewer', 'GET', '/v1/blocked-images');
    assertMatchesSpec('listBlockedImages', listed);
    const ids = listed.json().items.map((b: { id: string }) => b.id);
    expect(ids).toContain(global);
    expect(ids).not.toContain(other);
    // Asking about another namespace shows only what applies everywhere; asking about its image finds nothing.
    expect((await ctx.call('mcpViewer', 'GET', '/v1/blocked-images?namespace=other')).json().items.map((b: { id: string }) => b.id)).not.toContain(other);
    expect((await ctx.call('mcpViewer', 'GET', '/v1/blocked-images?image=r.example/scope-list:1')).json().items).toEqual([]);
    expect((await ctx.call('root', 'GET', '/v1/blocked-images?image=r.example/scope-list:1')).json().items.map((b: { id: string }) => b.id)).toEqual([other]);
  },
  getBlockedImage: async (ctx) => {
    const other = await block(ctx, 'root', 'r.example/scope-get:1', 'other');
    await expectSameAsMissing(ctx, 'mcpViewer', 'GET', `/v1/blocked-images/${other}`, `/v1/blocked-images/${MISSING_ID}`, 'getBlockedImage');
    expect((await ctx.call('mcpViewer', 'GET', `/v1/blocked-images/${await block(ctx, 'root', 'r.example/scope-get:2')}`)).statusCode).toBe(200);
  },
  createBlockedImage: async (ctx) => {
    const body = (namespace?: string) => ({ image: 'r.example/scope-create:1', reason: 'scope rule', ...(namespace ? { namespace } : {}) });
    const elsewhere = await ctx.call('mcpOperator', 'POST', '/v1/blocked-images', body('other'));
    assertMatchesSpec('createBlockedImage', elsewhere);
    expect(elsewhere.statusCode).toBe(403);
    // A global block refuses every namespace's promotions: only an unscoped token may add one.
    expect((await ctx.call('mcpAdmin', 'POST', '/v1/blocked-images', body())).statusCode).toBe(403);
    expect((await ctx.call('mcpViewer', 'POST', '/v1/blocked-images', body('mcp'))).statusCode).toBe(403);
    expect((await ctx.call('mcpOperator', 'POST', '/v1/blocked-images', body('mcp'))).statusCode).toBe(201);
  },
  liftBlockedImage: async (ctx) => {
    const other = await block(ctx, 'root', 'r.example/scope-lift:1', 'other');
    const hidden = await ctx.call('mcpOperator', 'DELETE', `/v1/blocked-images/${other}?reason=x`);
    const missing = await ctx.call('mcpOperator', 'DELETE', `/v1/blocked-images/${MISSING_ID}?reason=x`);
    assertMatchesSpec('liftBlockedImage', hidden);
    expect(hidden.statusCode).toBe(404);
    const generic = (response: LightMyRequestResponse, id: string) => ({ ...response.json(), detail: response.json().detail.replaceAll(id, '*'), instance: '' });
    expect(generic(hidden, other)).toEqual(generic(missing, MISSING_ID));
    const global = await block(ctx, 'root', 'r.example/scope-lift:2');
    expect((await ctx.call('mcpOperator', 'DELETE', `/v1/blocked-images/${global}?reason=x`)).statusCode).toBe(403);
    const mine = await block(ctx, 'mcpOperator', 'r.example/scope-lift:3', 'mcp');
    expect((await ctx.call('mcpViewer', 'DELETE', `/v1/blocked-images/${mine}?reason=x`)).statusCode).toBe(403);
    expect((await ctx.call('mcpOperator', 'DELETE', `/v1/blocked-images/${mine}?reason=x`)).statusCode).toBe(200);
    expect((await ctx.call('root', 'GET', `/v1/blocked-images/${other}`)).json().state).toBe('active');
  },
};

/** Blocks `image` (in `namespace`, else everywhere) as `who`; returns the block's id. */
async function block(ctx: Context, who: Who, image: string, namespace?: string): Promise<string> {
  const response = await ctx.call(who, 'POST', '/v1/blocked-images', { image, reason: 'scope rule', ...(namespace ? { namespace } : {}) });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id;
}

describe('the scope rule on every operation of the contract', () => {
  let svc: TestService;
  let ctx: Context;

  beforeAll(async () => {
    svc = await startTestService({
      // The last test calls every operation without a token, more than the default 30 failures a minute allow.
      failedAuthPerMinute: 0,
      apiTokens: [
        { name: 'root', role: 'admin', namespaces: undefined, secret: SECRETS.root },
        { name: 'mcp-admin', role: 'admin', namespaces: ['mcp'], secret: SECRETS.mcpAdmin },
        { name: 'mcp-operator', role: 'operator', namespaces: ['mcp'], secret: SECRETS.mcpOperator },
        { name: 'mcp-viewer', role: 'viewer', namespaces: ['mcp'], secret: SECRETS.mcpViewer },
      ],
    });
    const call: Context['call'] = (who, method, url, payload, headers = {}) =>
      svc.app.inject({
        method: method as 'GET',
        url,
        headers: { authorization: `Bearer ${SECRETS[who]}`, ...headers },
        ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
      });
    expect((await call('root', 'PUT', '/v1/policies/default', samplePolicy())).statusCode).toBe(201);
    expect((await call('root', 'PUT', '/v1/policies/other-only', samplePolicy({ namespace: 'other' }))).statusCode).toBe(201);
    const otherPromotion = await call('root', 'POST', '/v1/promotions', samplePromotion({ target: target('other'), policy: 'other-only' }));
    expect(otherPromotion.statusCode).toBe(201);
    const minePromotion = await call('mcpOperator', 'POST', '/v1/promotions', samplePromotion());
    expect(minePromotion.statusCode).toBe(201);
    const otherEvaluation = await call('root', 'POST', '/v1/evaluations', { target: target('other'), image: 'r.example/a:1', policy: 'other-only' });
    expect(otherEvaluation.statusCode).toBe(201);
    expect((await call('root', 'POST', '/v1/tokens', { name: 'other-bot', role: 'operator', namespaces: ['other'] })).statusCode).toBe(201);
    expect((await call('root', 'PUT', '/v1/pipelines/other-line', pipelineOf([['a', 'other', 'other-only']]))).statusCode).toBe(201);
    expect((await call('root', 'PUT', '/v1/pipelines/mcp-line', pipelineOf([['a', 'mcp', 'default']]))).statusCode).toBe(201);
    expect((await call('root', 'PUT', '/v1/pipelines/mixed-line', pipelineOf([['a', 'mcp', 'default'], ['b', 'other', 'other-only']]))).statusCode).toBe(201);
    const otherRun = await call('root', 'POST', '/v1/pipelines/other-line/runs', { image: 'r.example/a:1' });
    expect(otherRun.statusCode).toBe(201);
    ctx = { call, other: { promotion: otherPromotion.json().id, evaluation: otherEvaluation.json().id, run: otherRun.json().id }, mine: { promotion: minePromotion.json().id } };
  });
  afterAll(() => svc.close());

  const operations = listOperations(openApiDocument);

  it('has a rule for every operation (a new operation needs one here)', () => {
    expect(operations.map((op) => op.operationId).filter((id) => !(id in RULES))).toEqual([]);
    expect(Object.keys(RULES).filter((id) => !operations.some((op) => op.operationId === id))).toEqual([]);
  });

  it.each(operations.map((op) => [op.operationId, op] as const))('%s', async (operationId) => {
    await RULES[operationId]?.(ctx);
  });

  it('refuses every non-public operation without a token, and serves the public ones', async () => {
    for (const op of operations) {
      const url = op.path.replace(/\{[^}]+\}/g, 'x');
      const response = await svc.app.inject({ method: op.method as 'GET', url });
      const isPublic = ['getHealth', 'getReadiness', 'getMetrics', 'getOpenApi', 'getSignInOptions'].includes(op.operationId);
      if (isPublic) expect(response.statusCode, op.operationId).toBe(200);
      else expect(response.statusCode, op.operationId).toBe(401);
    }
  });
});
