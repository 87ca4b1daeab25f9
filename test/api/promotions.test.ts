/** POST/GET /v1/promotions through the real HTTP stack on a real database: PostgreSQL and the embedded PGlite. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertMatchesSpec } from '../fixtures/contract.js';
import type { TestEngine } from '../fixtures/database.js';
import { samplePolicy, samplePromotion, startTestService, type TestService } from '../fixtures/service.js';

describe.each<TestEngine>(['postgres', 'pglite'])('promotions API on %s', (engine) => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService({ engine });
    const put = await svc.app.inject({ method: 'PUT', url: '/v1/policies/default', payload: samplePolicy() });
    expect(put.statusCode).toBe(201);
  });
  afterAll(() => svc.close());

  const create = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const response = await svc.app.inject({ method: 'POST', url: '/v1/promotions', payload: body, headers });
    assertMatchesSpec('createPromotion', response);
    return response;
  };
  const target = (deployment: string, namespace = 'mcp') => ({ namespace, deployment, container: 'proxy' });

  it('creates a pending promotion with a Location, a created event and the policy snapshot', async () => {
    const response = await create(samplePromotion({ target: target('create-one') }));
    expect(response.statusCode).toBe(201);
    const promotion = response.json();
    expect(response.headers.location).toBe(`/v1/promotions/${promotion.id}`);
    expect(promotion).toMatchObject({ state: 'pending', policy: { name: 'default', version: 1 }, actor: 'anonymous', dryRun: false });

    const detail = await svc.app.inject({ method: 'GET', url: `/v1/promotions/${promotion.id}` });
    assertMatchesSpec('getPromotion', detail);
    expect(detail.json()).toMatchObject({
      id: promotion.id,
      policySnapshot: { name: 'default', checks: [{ name: 'canary-error-rate' }] },
      events: [{ type: 'created', from: null, to: 'pending', actor: 'anonymous' }],
      checkResults: [],
    });

    const events = await svc.app.inject({ method: 'GET', url: `/v1/promotions/${promotion.id}/events` });
    assertMatchesSpec('listPromotionEvents', events);
    expect(events.json().items).toHaveLength(1);
  });

  it('takes the image from a source canary Deployment', async () => {
    const response = await create(
      samplePromotion({ target: target('from-source'), image: undefined, source: { deployment: 'from-source-canary', tagSuffixToStrip: '-canary' } }),
    );
    expect(response.statusCode).toBe(201);
    expect(response.json().source).toEqual({ deployment: 'from-source-canary', tagSuffixToStrip: '-canary' });
  });

  it('creates one promotion for 20 parallel POSTs with one Idempotency-Key', async () => {
    const body = samplePromotion({ target: target('idempotent') });
    const responses = await Promise.all(Array.from({ length: 20 }, () => create(body, { 'idempotency-key': 'key-parallel-1' })));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(201));
    const ids = new Set(responses.map((r) => r.json().id));
    expect(ids.size).toBe(1);
    expect(responses.filter((r) => r.headers['idempotent-replayed'] === 'false')).toHaveLength(1);
    const rows = await svc.database.handle.db.selectFrom('promotions').select('id').where('deployment', '=', 'idempotent').execute();
    expect(rows).toHaveLength(1);
  });

  it('refuses the same Idempotency-Key with another body (422)', async () => {
    await create(samplePromotion({ target: target('idem-reuse') }), { 'idempotency-key': 'key-reuse' });
    const response = await create(samplePromotion({ target: target('idem-reuse'), reason: 'other' }), { 'idempotency-key': 'key-reuse' });
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({ code: 'idempotency-key-reused', errors: [{ pointer: '/headers/idempotency-key' }] });
  });

  it('lets exactly one of 20 parallel POSTs for one target win; the rest get 409', async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => create(samplePromotion({ target: target('exclusive') }), { 'idempotency-key': `excl-${i}` })),
    );
    const statuses = responses.map((r) => r.statusCode).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const winner = responses.find((r) => r.statusCode === 201)?.json().id;
    for (const loser of responses.filter((r) => r.statusCode === 409)) {
      expect(loser.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(loser.json()).toMatchObject({ status: 409, code: 'promotion-already-active', type: 'urn:promoter:problem:promotion-already-active' });
      expect(loser.json().detail).toContain(winner);
    }
  });

  it('allows a new promotion for a target once the active one is aborted', async () => {
    const first = (await create(samplePromotion({ target: target('after-abort') }))).json();
    expect((await create(samplePromotion({ target: target('after-abort') }))).statusCode).toBe(409);
    const abort = await svc.app.inject({ method: 'POST', url: `/v1/promotions/${first.id}/abort`, payload: { reason: 'wrong image' } });
    assertMatchesSpec('abortPromotion', abort);
    expect(abort.json()).toMatchObject({ state: 'aborted', stateReason: 'wrong image' });
    expect((await create(samplePromotion({ target: target('after-abort') }))).statusCode).toBe(201);
    const again = await svc.app.inject({ method: 'POST', url: `/v1/promotions/${first.id}/abort` });
    assertMatchesSpec('abortPromotion', again);
    expect(again.json()).toMatchObject({ status: 409, code: 'invalid-state' });
  });

  it('refuses approve and rollback outside their states (409)', async () => {
    const promotion = (await create(samplePromotion({ target: target('actions') }))).json();
    for (const action of ['approve', 'rollback'] as const) {
      // An approval needs a reason (422 without one); with it, the state decides.
      const response = await svc.app.inject({ method: 'POST', url: `/v1/promotions/${promotion.id}/${action}`, payload: { reason: 'checked' } });
      assertMatchesSpec(`${action}Promotion`, response);
      expect(response.json()).toMatchObject({ code: 'invalid-state' });
    }
  });

  it('answers a rollback of a succeeded promotion at once, and a finalize of a release that is done records nothing', async () => {
    const promotion = (await create(samplePromotion({ target: target('after-success') }))).json();
    // As the engine leaves a promotion that succeeded and released (no engine runs in this suite).
    const release = { state: 'done', repository: 'app', version: '1.2.1', tag: 'v1.2.1', commit: 'c0ffee', at: new Date().toISOString() };
    await svc.database.handle.db
      .updateTable('promotions')
      .set({ state: 'succeeded', resolved_image: 'registry.example.com/mcp/zai-proxy:1.2.1', previous_image: 'registry.example.com/mcp/zai-proxy:1.2.0', release: JSON.stringify(release) })
      .where('id', '=', promotion.id)
      .execute();
    const eventCount = async () => (await svc.app.inject({ method: 'GET', url: `/v1/promotions/${promotion.id}/events` })).json().items.length as number;
    const requested = async () =>
      (await svc.database.handle.db.selectFrom('promotions').select('requested_action').where('id', '=', promotion.id).executeTakeFirstOrThrow()).requested_action;
    const before = await eventCount();
    for (let i = 0; i < 2; i++) {
      const finalize = await svc.app.inject({ method: 'POST', url: `/v1/promotions/${promotion.id}/finalize`, payload: { reason: 'again' } });
      assertMatchesSpec('finalizePromotion', finalize);
      expect(finalize.statusCode).toBe(200);
      expect(finalize.json()).toMatchObject({ id: promotion.id, state: 'succeeded', release });
    }
    expect(await eventCount()).toBe(before);
    expect(await requested()).toBe(null);
    // The rollback request on the same (embedded: one connection) database answers and is recorded.
    const rollback = await svc.app.inject({ method: 'POST', url: `/v1/promotions/${promotion.id}/rollback`, payload: { reason: 'customer reports' } });
    assertMatchesSpec('rollbackPromotion', rollback);
    expect(rollback.statusCode).toBe(200);
    expect(rollback.json()).toMatchObject({ state: 'succeeded' });
    expect(await requested()).toBe('rollback');
    expect(await eventCount()).toBe(before + 1);
    expect((await svc.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });

  it('lists newest first with filters and cursor pagination', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push((await create(samplePromotion({ target: target(`page-${i}`, 'paging') }))).json().id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/promotions?namespace=paging&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const response = await svc.app.inject({ method: 'GET', url });
      assertMatchesSpec('listPromotions', response);
      const page = response.json();
      seen.push(...page.items.map((p: { id: string }) => p.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());

    const byDeployment = await svc.app.inject({ method: 'GET', url: '/v1/promotions?namespace=paging&deployment=page-3' });
    expect(byDeployment.json().items.map((p: { id: string }) => p.id)).toEqual([ids[3]]);
    const aborted = await svc.app.inject({ method: 'GET', url: '/v1/promotions?state=aborted' });
    expect(aborted.json().items.every((p: { state: string }) => p.state === 'aborted')).toBe(true);
    expect(aborted.json().items.length).toBeGreaterThan(0);
  });

  it('streams events as server-sent events and ends at a terminal state', async () => {
    const promotion = (await create(samplePromotion({ target: target('sse') }))).json();
    await svc.app.inject({ method: 'POST', url: `/v1/promotions/${promotion.id}/abort` });
    const response = await svc.app.inject({
      method: 'GET',
      url: `/v1/promotions/${promotion.id}/events`,
      headers: { accept: 'text/event-stream' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    const data = response.body
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)));
    expect(data.map((e) => e.to)).toEqual(['pending', 'aborted']);
    expect(response.body).toMatch(/^id: \d+$/m);
  });

  it('exposes promotions by state and request durations on /metrics', async () => {
    const response = await svc.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toMatch(/^promoter_promotions\{state="pending"\} [1-9]\d*$/m);
    expect(response.body).toMatch(/^promoter_promotions\{state="aborted"\} [1-9]\d*$/m);
    expect(response.body).toMatch(/http_request_duration_seconds_count\{route="\/v1\/promotions",method="POST",status_code="201"\} \d+/);
    expect(response.body).toContain('process_cpu_seconds_total');
  });
});
