/**
 * Every SDK method once, against the real service on a real database, with the real promotion engine
 * (in-memory cluster, canned Prometheus) moving the promotions; nothing is mocked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPromoterClient,
  isPromoterError,
  isPromoterNetworkError,
  PromoterError,
  PromoterNetworkError,
  type PromoterClient,
  type Policy,
  type PromotionRequest,
} from '@promoter/sdk';
import { fastPolicy, NEW_IMAGE, OLD_IMAGE, startMemoryEngine, waitForState, type MemoryEngine } from '../fixtures/memory-engine.js';
import { samplePolicy, startTestService, type TestService } from '../fixtures/service.js';
import { freePort } from '../fixtures/ports.js';

let svc: TestService;
let client: PromoterClient;
let world: MemoryEngine;

const target = (deployment: string) => ({ namespace: 'mcp', deployment, container: 'proxy' });
/** A promotion of `deployment` (added to the cluster); by default gated, so it waits for approval. */
// Overrides may swap `image` for `source`; the cast keeps that flexible (the service validates the body).
const request = (deployment: string, overrides: Record<string, unknown> = {}): PromotionRequest => {
  world.addTarget(deployment);
  return { target: target(deployment), image: NEW_IMAGE, policy: 'gated', reason: 'sdk test', ...overrides } as PromotionRequest;
};

beforeAll(async () => {
  svc = await startTestService({ listen: true });
  client = createPromoterClient({ baseUrl: svc.url });
  await client.policies.put('default', samplePolicy() as Policy);
  await client.policies.put('gated', fastPolicy({ approval: 'required' }) as Policy);
  world = startMemoryEngine(svc);
  world.prometheus.answer(/error_ratio/, 0.01);
});

afterAll(async () => {
  await world?.stop();
  await svc?.close();
});

describe('promotions', () => {
  it('create, get, events, abort', async () => {
    const created = await client.promotions.create(request('create-get'));
    expect(created).toMatchObject({ state: 'pending', target: target('create-get'), policy: { name: 'gated', version: 1 }, dryRun: false });

    const detail = await client.promotions.get(created.id);
    expect(detail.id).toBe(created.id);
    expect(detail.policySnapshot.checks[0]?.name).toBe('canary-error-rate');
    expect(detail.events[0]?.type).toBe('created');

    await waitForState(svc, created.id, ['awaiting_approval']);
    // With no engine replica holding it, an abort before any patch is applied by the API at once.
    const aborted = await world.whileStopped(() => client.promotions.abort(created.id, { reason: 'not today' }));
    expect(aborted.state).toBe('aborted');
    const events = await client.promotions.events(created.id);
    expect(events.at(-1)).toMatchObject({ from: 'awaiting_approval', to: 'aborted', reason: 'not today' });
    expect(await client.promotions.events(created.id, { after: events[0]?.id ?? 0 })).toHaveLength(events.length - 1);
  });

  it('follow streams the timeline and ends at the terminal event', async () => {
    const created = await client.promotions.create(request('follow'));
    await waitForState(svc, created.id, ['awaiting_approval']);
    await world.whileStopped(() => client.promotions.abort(created.id));
    const seen = [];
    for await (const event of client.promotions.follow(created.id)) seen.push(event.to ?? event.type);
    expect(seen).toEqual(['pending', 'analyzing', 'awaiting_approval', 'aborted']);
  });

  it('approve lets the engine past a manual gate; rollback is requested on the promotion it then completes', async () => {
    const gated = await client.promotions.create(request('approve'));
    await waitForState(svc, gated.id, ['awaiting_approval']);
    const approved = await client.promotions.approve(gated.id, { reason: 'looks good' });
    expect(approved.id).toBe(gated.id);
    expect((await client.promotions.events(gated.id)).find((event) => event.type === 'approval')).toMatchObject({ from: 'awaiting_approval', reason: 'looks good' });

    const done = await waitForState(svc, gated.id, ['succeeded', 'failed', 'rolled_back']);
    expect(done).toMatchObject({ state: 'succeeded', verdict: 'pass', resolvedImage: NEW_IMAGE, previousImage: OLD_IMAGE });
    expect(world.image('approve')).toBe(NEW_IMAGE);
    expect((await client.promotions.events(gated.id)).filter((event) => event.to).map((event) => [event.to, event.reason])).toEqual([
      ['pending', 'sdk test'],
      ['analyzing', 'running the 1 pre-promotion check'],
      ['awaiting_approval', 'gate passed (the 1 check passed); waiting for approval'],
      ['promoting', 'approved'],
      ['verifying', expect.stringMatching(/^rollout complete \(.*\); verifying for 0\.5s$/)],
      ['succeeded', 'verified for 0.5s: the 1 check passed'],
    ]);

    const rolledBack = await client.promotions.rollback(gated.id, { reason: 'users complain' });
    expect(rolledBack.id).toBe(gated.id);
    expect((await client.promotions.events(gated.id)).find((event) => event.type === 'request')).toMatchObject({ reason: 'users complain', data: { action: 'rollback' } });
    const reverted = await waitForState(svc, gated.id, ['rolled_back', 'failed']);
    expect(reverted).toMatchObject({ state: 'rolled_back', stateReason: `rollback requested; rolled back to ${OLD_IMAGE}` });
    expect(world.image('approve')).toBe(OLD_IMAGE);
  });

  it('list filters and listAll / listPages walk every page', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 7; i++) ids.add((await client.promotions.create(request(`paged-${i}`, { target: { namespace: 'paged', deployment: `paged-${i}`, container: 'proxy' } }))).id);
    // All seven wait for approval once the engine has gated them.
    for (const id of ids) await waitForState(svc, id, ['awaiting_approval']);

    const first = await client.promotions.list({ namespace: 'paged', state: 'awaiting_approval', limit: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.nextCursor).toEqual(expect.any(String));

    let pages = 0;
    const pageSizes: number[] = [];
    for await (const page of client.promotions.listPages({ state: 'awaiting_approval', limit: 3 })) {
      pages++;
      pageSizes.push(page.items.length);
    }
    const all = [];
    for await (const promotion of client.promotions.listAll({ state: 'awaiting_approval', limit: 3 })) all.push(promotion);
    const paged = all.filter((promotion) => ids.has(promotion.id));
    expect(paged).toHaveLength(7);
    expect(new Set(all.map((promotion) => promotion.id)).size).toBe(all.length);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(pageSizes.slice(0, -1).every((size) => size === 3)).toBe(true);
    // Newest first.
    expect(paged[0]?.target.deployment).toBe('paged-6');
  });
});

describe('policies', () => {
  it('put (object and YAML), get, versions, list, delete', async () => {
    const first = await client.policies.put('sdk-policy', { interval: '30s', checks: [{ name: 'errors', query: 'sum(rate(errors_total[5m]))', max: 0.05 }] });
    expect(first).toMatchObject({ name: 'sdk-policy', version: 1, source: 'api' });

    const yaml = ['name: sdk-policy', 'interval: 1m', 'checks:', '  - name: errors', '    query: sum(rate(errors_total[5m]))', '    max: 0.01', ''].join('\n');
    const second = await client.policies.put('sdk-policy', yaml);
    expect(second.version).toBe(2);
    expect(second.document.checks[0]?.max).toBe(0.01);
    // The same document again stores nothing.
    expect((await client.policies.put('sdk-policy', yaml)).version).toBe(2);

    expect((await client.policies.get('sdk-policy')).version).toBe(2);
    expect((await client.policies.get('sdk-policy', { version: 1 })).document.interval).toBe('30s');
    expect((await client.policies.versions('sdk-policy')).map((policy) => policy.version)).toEqual([2, 1]);
    expect((await client.policies.list()).map((policy) => policy.name)).toContain('sdk-policy');

    await client.policies.delete('sdk-policy');
    await expect(client.policies.get('sdk-policy')).rejects.toMatchObject({ status: 404, code: 'policy-not-found' });
  });
});

describe('evaluations and health', () => {
  it('health.ready and health.live', async () => {
    expect(await client.health.ready()).toEqual({ status: 'ok', checks: { database: 'ok' } });
    expect(await client.health.live()).toEqual({ status: 'ok' });
  });

  it('evaluations.create runs the checks and evaluations.get reads the stored evaluation', async () => {
    // No Prometheus in this service: the checks cannot be measured, so the verdict is error, not pass.
    const evaluation = await client.evaluations.create({ target: target('zai-proxy'), image: 'registry.example.com/mcp/zai-proxy:1.2.1', policy: 'default', phase: 'pre' });
    expect(evaluation).toMatchObject({ id: expect.any(String), phase: 'pre', target: target('zai-proxy'), policy: { name: 'default', version: 1 } });
    expect(evaluation.verdict).not.toBe('pass');
    expect(evaluation.verdict).toBe('error');
    expect(evaluation.checks.map((check) => check.name)).toEqual(['canary-error-rate']);
    expect(await client.evaluations.get(evaluation.id)).toMatchObject({ id: evaluation.id, verdict: evaluation.verdict });
    await expect(client.evaluations.get('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ status: 404, code: 'evaluation-not-found' });
  });
});

describe('errors', () => {
  it('404 is a PromoterError with the problem code and the request id', async () => {
    const error = await client.promotions.get('00000000-0000-4000-8000-000000000000').catch((caught: unknown) => caught);
    expect(isPromoterError(error, 'promotion-not-found')).toBe(true);
    expect(error).toMatchObject({ name: 'PromoterError', status: 404, title: 'Promotion not found', type: expect.stringContaining('promotion-not-found') });
    expect((error as PromoterError).requestId).toEqual(expect.any(String));
    expect((error as PromoterError).detail).toContain('00000000-0000-4000-8000-000000000000');
  });

  it('422 lists the fields at fault', async () => {
    const error = await client.promotions
      .create({ target: { namespace: 'Not_A_Label', deployment: 'x', container: 'proxy' }, image: 'x', policy: 'default' })
      .catch((caught: unknown) => caught);
    expect(isPromoterError(error, 'validation-failed')).toBe(true);
    expect((error as PromoterError).status).toBe(422);
    expect((error as PromoterError).errors).toEqual(expect.arrayContaining([expect.objectContaining({ pointer: '/body/target/namespace' })]));
  });

  it('409 when the target already has an active promotion', async () => {
    await client.promotions.create(request('busy'));
    const error = await client.promotions.create(request('busy')).catch((caught: unknown) => caught);
    expect(isPromoterError(error, 'promotion-already-active')).toBe(true);
  });

  it('a closed port is a PromoterNetworkError with the cause, after the retries', async () => {
    const port = await freePort();
    let calls = 0;
    const offline = createPromoterClient({
      baseUrl: `http://127.0.0.1:${port}`,
      retry: { attempts: 2, baseDelayMs: 1 },
      fetch: (input) => {
        calls++;
        return fetch(input);
      },
    });
    const error = await offline.promotions.list().catch((caught: unknown) => caught);
    expect(isPromoterNetworkError(error)).toBe(true);
    expect(error).toBeInstanceOf(PromoterNetworkError);
    expect(isPromoterError(error)).toBe(false);
    expect((error as PromoterNetworkError).connectionFailed).toBe(true);
    expect((error as PromoterNetworkError).message).toContain('ECONNREFUSED');
    expect((error as PromoterNetworkError).cause).toBeInstanceOf(Error);
    expect(calls).toBe(2);
  });

  it('tokens.current() on an open API: the anonymous admin, open', async () => {
    expect(await client.tokens.current()).toEqual({ name: 'anonymous', role: 'admin', namespaces: null, clusters: null, open: true, identity: null, signIn: null, session: null });
  });

  it('a bad token is a 401 PromoterError; tokens.create / list / revoke / current', async () => {
    const secured = await startTestService({ listen: true, apiTokens: [{ name: 'root', role: 'admin', namespaces: undefined, secret: 'a-long-enough-secret-1' }] });
    try {
      const wrong = createPromoterClient({ baseUrl: secured.url, token: 'not-the-secret-at-all' });
      await expect(wrong.promotions.list()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
      const admin = createPromoterClient({ baseUrl: secured.url, token: 'a-long-enough-secret-1' });
      expect((await admin.promotions.list()).items).toEqual([]);

      const created = await admin.tokens.create({ name: 'ci-mcp', role: 'viewer', namespaces: ['mcp'] });
      expect(created).toMatchObject({ name: 'ci-mcp', role: 'viewer', namespaces: ['mcp'], secret: expect.any(String) });
      expect((await admin.tokens.list()).map((token) => [token.name, token.source])).toEqual(
        expect.arrayContaining([['root', 'environment'], ['ci-mcp', 'api']]),
      );
      const viewer = createPromoterClient({ baseUrl: secured.url, token: created.secret });
      expect((await viewer.promotions.list()).items).toEqual([]);
      // GET /v1/me: who a token is, for clients that show only what it may do.
      const identity = (name: string) => ({ kind: 'token', key: `token:${name}`, subject: name, displayName: name, groups: [] });
      expect(await viewer.tokens.current()).toEqual({ name: 'ci-mcp', role: 'viewer', namespaces: ['mcp'], clusters: null, open: false, identity: identity('ci-mcp'), signIn: null, session: null });
      expect(await admin.tokens.current()).toEqual({ name: 'root', role: 'admin', namespaces: null, clusters: null, open: false, identity: identity('root'), signIn: null, session: null });
      await expect(wrong.tokens.current()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
      await expect(createPromoterClient({ baseUrl: secured.url }).tokens.current()).rejects.toMatchObject({ status: 401 });
      await expect(viewer.policies.put('x', samplePolicy() as Policy)).rejects.toMatchObject({ status: 403, code: 'forbidden' });
      await admin.tokens.revoke('ci-mcp');
      await expect(viewer.promotions.list()).rejects.toMatchObject({ status: 401 });
    } finally {
      await secured.close();
    }
  });
});

