/**
 * Retries against the real service, with a fetch that loses answers: the request reaches the service, its
 * answer never reaches the SDK. A create retried with the same Idempotency-Key must not start two
 * promotions; an action must not be retried at all.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPromoterClient, PromoterNetworkError, type FetchFunction, type Policy, type PromotionRequest } from '@promoter/sdk';
import { samplePolicy, samplePromotion, startTestService, type TestService } from '../fixtures/service.js';

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService({ listen: true });
  await createPromoterClient({ baseUrl: svc.url }).policies.put('default', samplePolicy() as Policy);
});

afterAll(async () => {
  await svc?.close();
});

/** Performs the first `drop` matching requests for real, then throws as if the connection had reset. */
function lossyFetch(matches: (request: Request) => boolean, drop = 1) {
  const seen: { method: string; url: string; idempotencyKey: string | null; dropped: boolean }[] = [];
  const fetchImpl: FetchFunction = async (request) => {
    const matching = matches(request);
    const dropped = matching && seen.filter((entry) => entry.dropped).length < drop;
    seen.push({ method: request.method, url: request.url, idempotencyKey: request.headers.get('idempotency-key'), dropped });
    const response = await fetch(request);
    if (dropped) {
      await response.body?.cancel();
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
    }
    return response;
  };
  return { fetch: fetchImpl, seen };
}

it('a create whose first answer is lost is retried with the same key and makes exactly one promotion', async () => {
  const lossy = lossyFetch((request) => request.method === 'POST' && new URL(request.url).pathname === '/v1/promotions');
  const client = createPromoterClient({ baseUrl: svc.url, fetch: lossy.fetch, retry: { attempts: 3, baseDelayMs: 10 } });

  const promotion = await client.promotions.create(samplePromotion({ target: { namespace: 'mcp', deployment: 'retried', container: 'proxy' } }) as PromotionRequest);

  const posts = lossy.seen.filter((entry) => entry.method === 'POST');
  expect(posts).toHaveLength(2);
  expect(posts[0]?.dropped).toBe(true);
  expect(posts[0]?.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
  expect(posts[1]?.idempotencyKey).toBe(posts[0]?.idempotencyKey);

  const rows = await svc.database.handle.db.selectFrom('promotions').select(['id', 'state']).where('deployment', '=', 'retried').execute();
  expect(rows).toEqual([{ id: promotion.id, state: 'pending' }]);
});

it('a caller-chosen Idempotency-Key replays the first promotion on a second create', async () => {
  const client = createPromoterClient({ baseUrl: svc.url });
  const body = samplePromotion({ target: { namespace: 'mcp', deployment: 'keyed', container: 'proxy' } }) as PromotionRequest;
  const first = await client.promotions.create(body, { idempotencyKey: 'release-1.2.1' });
  const again = await client.promotions.create(body, { idempotencyKey: 'release-1.2.1' });
  expect(again.id).toBe(first.id);
  const count = await svc.database.handle.db.selectFrom('promotions').select((eb) => eb.fn.countAll<number>().as('n')).where('deployment', '=', 'keyed').executeTakeFirstOrThrow();
  expect(Number(count.n)).toBe(1);
});

it('an abort whose answer is lost is not retried: the caller sees the network error', async () => {
  const plain = createPromoterClient({ baseUrl: svc.url });
  const promotion = await plain.promotions.create(samplePromotion({ target: { namespace: 'mcp', deployment: 'abort-lost', container: 'proxy' } }) as PromotionRequest);
  const lossy = lossyFetch((request) => request.method === 'POST' && request.url.endsWith('/abort'));
  const client = createPromoterClient({ baseUrl: svc.url, fetch: lossy.fetch, retry: { attempts: 3, baseDelayMs: 10 } });

  const error = await client.promotions.abort(promotion.id).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(PromoterNetworkError);
  expect((error as PromoterNetworkError).connectionFailed).toBe(false);
  expect(lossy.seen.filter((entry) => entry.method === 'POST')).toHaveLength(1);
  // The abort did happen: a blind retry would have answered 409 for a successful action.
  expect((await plain.promotions.get(promotion.id)).state).toBe('aborted');
});

it('GETs are retried on a lost answer', async () => {
  const lossy = lossyFetch((request) => request.method === 'GET', 2);
  const client = createPromoterClient({ baseUrl: svc.url, fetch: lossy.fetch, retry: { attempts: 3, baseDelayMs: 10 } });
  const page = await client.promotions.list({ limit: 1 });
  expect(page.items).toHaveLength(1);
  expect(lossy.seen).toHaveLength(3);
});
