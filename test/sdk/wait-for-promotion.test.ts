/**
 * waitForPromotion against the real service: over SSE, over the polling fallback, across a dropped stream
 * (resumed with Last-Event-ID), and its timeout and abort errors. The test plays the engine by writing
 * state changes into the database after a short delay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPromoterClient,
  PromoterAbortError,
  PromoterTimeoutError,
  waitForPromotion,
  type FetchFunction,
  type Policy,
  type PromoterClient,
  type PromotionEvent,
  type PromotionRequest,
} from '@promoter/sdk';
import { samplePolicy, samplePromotion, startTestService, type TestService } from '../fixtures/service.js';
import { later, movePromotion } from './drive-promotion.js';

let svc: TestService;
let client: PromoterClient;

beforeAll(async () => {
  svc = await startTestService({ listen: true, streamPollMs: 50 });
  client = createPromoterClient({ baseUrl: svc.url });
  await client.policies.put('default', samplePolicy() as Policy);
});

afterAll(async () => {
  await svc?.close();
});

const create = (deployment: string) =>
  client.promotions.create(samplePromotion({ target: { namespace: 'mcp', deployment, container: 'proxy' } }) as PromotionRequest);

/** Records the requests a client makes; `rewrite` may change them on the way out. */
function recordingFetch(rewrite: (request: Request) => Request = (request) => request) {
  const requests: Request[] = [];
  const fetchImpl: FetchFunction = (request) => {
    const sent = rewrite(request);
    requests.push(sent);
    return fetch(sent);
  };
  return { fetch: fetchImpl, requests };
}

describe('over SSE', () => {
  it('resolves with the record once the engine rejects the promotion', async () => {
    const promotion = await create('sse-rejected');
    const recorder = recordingFetch();
    const watcher = createPromoterClient({ baseUrl: svc.url, fetch: recorder.fetch });
    const events: PromotionEvent[] = [];
    const db = svc.database.handle.db;
    const engine = later(150, async () => {
      await movePromotion(db, promotion.id, 'analyzing');
      await movePromotion(db, promotion.id, 'rejected', { reason: 'canary-error-rate 0.12 > max 0.05', verdict: 'fail' });
    });

    const final = await watcher.waitForPromotion(promotion.id, { onEvent: (event) => void events.push(event), timeoutMs: 10_000 });
    await engine;

    expect(final).toMatchObject({ id: promotion.id, state: 'rejected', verdict: 'fail', stateReason: 'canary-error-rate 0.12 > max 0.05' });
    expect(final.events).toHaveLength(3);
    expect(events.map((event) => event.to)).toEqual(['pending', 'analyzing', 'rejected']);
    const streams = recorder.requests.filter((request) => request.headers.get('accept') === 'text/event-stream');
    expect(streams).toHaveLength(1);
    // No polling: one stream, then the one GET of the final record.
    expect(recorder.requests.filter((request) => request.method === 'GET' && request.url.endsWith(promotion.id))).toHaveLength(1);
  });

  it('resolves when the promotion is aborted through the API', async () => {
    const promotion = await create('sse-aborted');
    const abort = later(100, () => client.promotions.abort(promotion.id, { reason: 'stop' }));
    const final = await waitForPromotion(client, promotion.id, { timeoutMs: 10_000 });
    await abort;
    expect(final.state).toBe('aborted');
    expect(final.stateReason).toBe('stop');
  });

  it('reconnects with Last-Event-ID when the stream drops', async () => {
    const promotion = await create('sse-dropped');
    const db = svc.database.handle.db;
    let cut = false;
    const requests: Request[] = [];
    // Ends the first stream right after its first chunk of events, as a proxy timing out would.
    const dropping: FetchFunction = async (request) => {
      requests.push(request);
      const response = await fetch(request);
      if (cut || request.headers.get('accept') !== 'text/event-stream' || !response.body) return response;
      cut = true;
      const reader = response.body.getReader();
      let text = '';
      while (!text.includes('event: promotion-event')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      await reader.cancel();
      return new Response(text.slice(0, text.lastIndexOf('\n\n') + 2), { status: 200, headers: response.headers });
    };
    const watcher = createPromoterClient({ baseUrl: svc.url, fetch: dropping });
    const engine = later(300, () => movePromotion(db, promotion.id, 'failed', { reason: 'kubernetes forbade the patch' }));
    const seen: PromotionEvent[] = [];
    const final = await watcher.waitForPromotion(promotion.id, { onEvent: (event) => void seen.push(event), timeoutMs: 10_000 });
    await engine;

    expect(final.state).toBe('failed');
    expect(seen.map((event) => event.to)).toEqual(['pending', 'failed']);
    const streams = requests.filter((request) => request.headers.get('accept') === 'text/event-stream');
    expect(streams.length).toBeGreaterThanOrEqual(2);
    expect(streams[0]?.headers.get('last-event-id')).toBeNull();
    expect(streams[1]?.headers.get('last-event-id')).toBe(String(seen[0]?.id));
  });
});

describe('polling fallback', () => {
  it('polls GET /v1/promotions/{id} when the event stream is not delivered', async () => {
    const promotion = await create('polled');
    // A proxy that does not pass text/event-stream: the service answers the JSON list instead.
    const recorder = recordingFetch((request) => {
      if (request.headers.get('accept') !== 'text/event-stream') return request;
      const headers = new Headers(request.headers);
      headers.set('accept', 'application/json');
      return new Request(request, { headers });
    });
    const watcher = createPromoterClient({ baseUrl: svc.url, fetch: recorder.fetch });
    const db = svc.database.handle.db;
    const engine = later(300, async () => {
      await movePromotion(db, promotion.id, 'analyzing');
      await movePromotion(db, promotion.id, 'promoting');
      await movePromotion(db, promotion.id, 'verifying');
      await movePromotion(db, promotion.id, 'succeeded', { verdict: 'pass' });
    });
    const fallbacks: string[] = [];
    const events: PromotionEvent[] = [];
    const final = await watcher.waitForPromotion(promotion.id, {
      pollIntervalMs: 100,
      timeoutMs: 10_000,
      onFallback: (reason) => fallbacks.push(reason),
      onEvent: (event) => void events.push(event),
    });
    await engine;

    expect(final.state).toBe('succeeded');
    expect(fallbacks).toEqual([expect.stringContaining('application/json')]);
    expect(events.map((event) => event.to)).toEqual(['pending', 'analyzing', 'promoting', 'verifying', 'succeeded']);
    const polls = recorder.requests.filter((request) => request.method === 'GET' && new URL(request.url).pathname === `/v1/promotions/${promotion.id}`);
    expect(polls.length).toBeGreaterThanOrEqual(3);
  });

  it("transport: 'poll' never opens a stream", async () => {
    const promotion = await create('poll-only');
    await client.promotions.abort(promotion.id);
    const recorder = recordingFetch();
    const watcher = createPromoterClient({ baseUrl: svc.url, fetch: recorder.fetch });
    const final = await watcher.waitForPromotion(promotion.id, { transport: 'poll' });
    expect(final.state).toBe('aborted');
    expect(recorder.requests.some((request) => request.headers.get('accept') === 'text/event-stream')).toBe(false);
  });
});

describe('errors', () => {
  it('rejects with PromoterTimeoutError naming the last state', async () => {
    const promotion = await create('timeout');
    const started = Date.now();
    const error = await client.waitForPromotion(promotion.id, { timeoutMs: 300 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PromoterTimeoutError);
    expect(error).toMatchObject({ code: 'timeout', promotionId: promotion.id, lastState: 'pending', timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('rejects with PromoterAbortError when the signal aborts', async () => {
    const promotion = await create('aborted-wait');
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user pressed ctrl-c')), 200);
    const error = await client.waitForPromotion(promotion.id, { signal: controller.signal }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PromoterAbortError);
    expect((error as PromoterAbortError).message).toContain('last state: pending');
    expect((error as PromoterAbortError).cause).toEqual(new Error('user pressed ctrl-c'));
  });

  it('rejects with the 404 of an unknown promotion', async () => {
    await expect(client.waitForPromotion('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'promotion-not-found' });
  });
});
