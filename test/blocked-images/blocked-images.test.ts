/**
 * Blocked images through the real HTTP stack and PostgreSQL: adding, listing, asking about an image, lifting
 * (the record is kept), the refusals' problem documents, and POST /v1/promotions refusing a blocked image
 * with nothing stored. The scope rule per operation is in test/security/scopes.test.ts.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { samplePolicy, samplePromotion, startTestService, type TestService } from '../fixtures/service.js';

const ADMIN = 'blocked-images-admin-secret-0123';
const SHA_A = 'sha256:' + 'a'.repeat(64);

describe('blocked images', () => {
  let svc: TestService;
  const call = (method: string, url: string, payload?: unknown) =>
    svc.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${ADMIN}` }, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  const addBlock = async (body: Record<string, unknown>) => {
    const response = await call('POST', '/v1/blocked-images', body);
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { id: string } & Record<string, unknown>;
  };
  const promotionCount = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM promotions`.execute(svc.database.handle.db)).rows[0]?.n);

  beforeAll(async () => {
    svc = await startTestService({ apiTokens: [{ name: 'alice', role: 'admin', namespaces: undefined, secret: ADMIN }] });
    expect((await call('PUT', '/v1/policies/default', samplePolicy())).statusCode).toBe(201);
  });
  afterAll(() => svc.close());

  it('adds a block (201, Location), lists it, reads it, lifts it with a reason and keeps the lifted record', async () => {
    const created = await call('POST', '/v1/blocked-images', { image: 'ronaldraygun/zai-proxy:1.2.1', reason: 'leaks memory (INC-1)', namespace: 'mcp' });
    assertMatchesSpec('createBlockedImage', created);
    expect(created.statusCode).toBe(201);
    const block = created.json();
    expect(created.headers.location).toBe(`/v1/blocked-images/${block.id}`);
    expect(block).toMatchObject({
      image: 'ronaldraygun/zai-proxy:1.2.1',
      normalizedImage: 'docker.io/ronaldraygun/zai-proxy:1.2.1',
      digest: null,
      namespace: 'mcp',
      reason: 'leaks memory (INC-1)',
      source: 'manual',
      promotionId: null,
      createdBy: 'alice',
      state: 'active',
      liftedAt: null,
    });

    const listed = await call('GET', '/v1/blocked-images');
    assertMatchesSpec('listBlockedImages', listed);
    expect(listed.json().items.map((b: { id: string }) => b.id)).toContain(block.id);
    const read = await call('GET', `/v1/blocked-images/${block.id}`);
    assertMatchesSpec('getBlockedImage', read);
    expect(read.json()).toEqual(block);

    const lifted = await call('DELETE', `/v1/blocked-images/${block.id}?reason=${encodeURIComponent('fixed in 1.2.2')}`);
    assertMatchesSpec('liftBlockedImage', lifted);
    expect(lifted.statusCode).toBe(200);
    expect(lifted.json()).toMatchObject({ id: block.id, state: 'lifted', liftedBy: 'alice', liftReason: 'fixed in 1.2.2', reason: 'leaks memory (INC-1)' });
    expect(Date.parse(lifted.json().liftedAt)).toBeGreaterThanOrEqual(Date.parse(block.createdAt));

    expect((await call('GET', '/v1/blocked-images')).json().items.map((b: { id: string }) => b.id)).not.toContain(block.id);
    expect((await call('GET', '/v1/blocked-images?state=lifted')).json().items.map((b: { id: string }) => b.id)).toContain(block.id);
    expect((await call('GET', `/v1/blocked-images/${block.id}`)).json().state).toBe('lifted');

    const again = await call('DELETE', `/v1/blocked-images/${block.id}?reason=again`);
    assertMatchesSpec('liftBlockedImage', again);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'block-already-lifted', block: { id: block.id, liftedBy: 'alice' } });
  });

  it('answers bad input with problem+json naming the field, never a 500', async () => {
    const cases: ReadonlyArray<[Record<string, unknown>, string, number]> = [
      [{ image: 'r.example/app:1' }, '/body/reason', 422],
      [{ image: 'r.example/app:1', reason: '' }, '/body/reason', 422],
      [{ image: 'r.example/app:1', reason: 'x'.repeat(501) }, '/body/reason', 422],
      [{ reason: 'no image' }, '/body/image', 422],
      [{ image: 'Not An Image', reason: 'x' }, '/body/image', 422],
      [{ image: `r.example/${'a'.repeat(600)}:1`, reason: 'x' }, '/body/image', 422],
      [{ image: 'r.example/app:1', reason: 'x', namespace: 'Not_A_Namespace' }, '/body/namespace', 422],
      [{ image: 'r.example/app:1', reason: 'x', until: 'tomorrow' }, '/body', 422],
    ];
    for (const [body, pointer, status] of cases) {
      const response = await call('POST', '/v1/blocked-images', body);
      assertMatchesSpec('createBlockedImage', response);
      expect(response.statusCode, JSON.stringify(body)).toBe(status);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json().errors.map((e: { pointer: string }) => e.pointer).join(' '), JSON.stringify(body)).toContain(pointer);
    }
    const block = await addBlock({ image: 'r.example/validation:1', reason: 'x' });
    const noReason = await call('DELETE', `/v1/blocked-images/${block.id}`);
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().errors[0].pointer).toBe('/query/reason');
    expect((await call('DELETE', `/v1/blocked-images/${block.id}?reason=${'x'.repeat(501)}`)).statusCode).toBe(400);
    const badId = await call('GET', '/v1/blocked-images/not-a-uuid');
    expect(badId.statusCode).toBe(400);
    expect(badId.json().errors[0].pointer).toBe('/params/id');
    const badImage = await call('GET', `/v1/blocked-images?image=${encodeURIComponent('Not An Image')}`);
    expect(badImage.statusCode).toBe(400);
    expect(badImage.json().errors[0].pointer).toBe('/query/image');
    expect((await call('GET', '/v1/blocked-images/00000000-0000-4000-8000-000000000000')).json().code).toBe('blocked-image-not-found');
  });

  it('refuses a second active block of the same image in the same scope (409 naming it); another scope or a lifted block does not count', async () => {
    const first = await addBlock({ image: 'r.example/dup:1', reason: 'first', namespace: 'mcp' });
    // Written another way, the same image.
    const second = await call('POST', '/v1/blocked-images', { image: 'r.example/dup:1', reason: 'second', namespace: 'mcp' });
    assertMatchesSpec('createBlockedImage', second);
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ code: 'image-already-blocked', type: 'urn:promoter:problem:image-already-blocked', block: { id: first.id, reason: 'first' } });
    expect(second.json().detail).toContain(first.id);
    await addBlock({ image: 'r.example/dup:1', reason: 'elsewhere', namespace: 'web' });
    await addBlock({ image: 'r.example/dup:1', reason: 'everywhere' });
    expect((await call('DELETE', `/v1/blocked-images/${first.id}?reason=done`)).statusCode).toBe(200);
    await addBlock({ image: 'r.example/dup:1', reason: 'blocked again', namespace: 'mcp' });
  });

  it('POST /v1/promotions of a blocked image: 409 image-blocked naming the block (id, image, reason, who, when); nothing is stored', async () => {
    const block = await addBlock({ image: 'nginx:1.25', reason: 'CVE-2026-0001', namespace: 'mcp' });
    const before = await promotionCount();
    // The same image written with Docker Hub's defaults.
    const refused = await call('POST', '/v1/promotions', samplePromotion({ target: { namespace: 'mcp', deployment: 'web', container: 'nginx' }, image: 'docker.io/library/nginx:1.25' }));
    assertMatchesSpec('createPromotion', refused);
    expect(refused.statusCode).toBe(409);
    const problem = refused.json();
    expect(problem).toMatchObject({ type: 'urn:promoter:problem:image-blocked', code: 'image-blocked', status: 409, block: { id: block.id, image: 'nginx:1.25', reason: 'CVE-2026-0001', createdBy: 'alice' } });
    for (const part of [block.id, 'nginx:1.25', 'CVE-2026-0001', 'alice', String(block.createdAt)]) expect(problem.detail).toContain(part);
    expect(await promotionCount()).toBe(before);
    expect((await call('GET', '/v1/promotions?deployment=web')).json().items).toEqual([]);

    // The block holds in its namespace only.
    const elsewhere = await call('POST', '/v1/promotions', samplePromotion({ target: { namespace: 'web', deployment: 'web', container: 'nginx' }, image: 'nginx:1.25' }));
    expect(elsewhere.statusCode, elsewhere.body).toBe(201);
    // "Is this blocked?"
    const asked = await call('GET', `/v1/blocked-images?image=${encodeURIComponent('docker.io/library/nginx:1.25')}&namespace=mcp`);
    expect(asked.json().items.map((b: { id: string }) => b.id)).toEqual([block.id]);
    expect((await call('GET', `/v1/blocked-images?image=${encodeURIComponent('nginx:1.25')}&namespace=web`)).json().items).toEqual([]);
  });

  it('policy blockOnRollback: a boolean, stored as written (absent stays absent); anything else is refused naming the field', async () => {
    const wrong = await call('PUT', '/v1/policies/blocking', samplePolicy({ blockOnRollback: 'yes' }));
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().errors[0].pointer).toBe('/body/blockOnRollback');
    const stored = await call('PUT', '/v1/policies/blocking', samplePolicy({ blockOnRollback: true }));
    expect(stored.statusCode).toBe(201);
    expect(stored.json().document.blockOnRollback).toBe(true);
    // Not filled in where absent: a stored document (and its digest, hence its version) stays as written.
    expect(Object.keys((await call('GET', '/v1/policies/default')).json().document)).not.toContain('blockOnRollback');
  });

  it('a digest block refuses a tag reference carrying that digest, not the tag alone; lifted, it refuses nothing', async () => {
    const block = await addBlock({ image: `registry.example.com/mcp/app@${SHA_A}`, reason: 'compromised base image' });
    expect(block).toMatchObject({ digest: SHA_A, namespace: null, normalizedImage: `registry.example.com/mcp/app@${SHA_A}` });
    const pinned = samplePromotion({ target: { namespace: 'mcp', deployment: 'digest-a', container: 'app' }, image: `registry.example.com/mcp/app:2.0@${SHA_A}` });
    const refused = await call('POST', '/v1/promotions', pinned);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().block.id).toBe(block.id);
    // Without the digest the service cannot know which bytes the tag names (the registry is not asked).
    const tagOnly = await call('POST', '/v1/promotions', samplePromotion({ target: { namespace: 'mcp', deployment: 'digest-b', container: 'app' }, image: 'registry.example.com/mcp/app:2.0' }));
    expect(tagOnly.statusCode, tagOnly.body).toBe(201);

    expect((await call('DELETE', `/v1/blocked-images/${block.id}?reason=rebuilt`)).statusCode).toBe(200);
    const afterLift = await call('POST', '/v1/promotions', pinned);
    expect(afterLift.statusCode, afterLift.body).toBe(201);
  });
});
